import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { StoreHarness } from "../../testing/store-harness";
import { FileTaskStore } from "../file-store";

const folders: string[] = [];

/** Removes every folder `outerFolder` made (a suite's `afterAll`). */
export function removeOuterFolders(): void {
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
}

/** A folder holding the storage root, so the footprint also shows anything written beside the root. */
export function outerFolder(prefix: string): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  folders.push(folder);
  return folder;
}

/** Every file and folder under `folder`, with each file's size and modification time. */
export function listing(folder: string): string[] {
  return (fs.readdirSync(folder, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .map((entry) => {
      const full = path.join(entry.parentPath, entry.name);
      const relative = path.relative(folder, full);
      if (entry.isDirectory()) return `${relative}/`;
      const stat = fs.statSync(full);
      return `${relative} ${stat.size} ${stat.mtimeMs}`;
    })
    .sort();
}

/** File stores for a contract suite: one root per `shared` key, inside a folder the footprint lists. */
export function fileHarness(durability: "none" | "fsync", prefix: string): StoreHarness {
  const outers = new Map<string, string>();
  const outerOf = (shared: string) => {
    let outer = outers.get(shared);
    if (!outer) {
      outer = outerFolder(prefix);
      outers.set(shared, outer);
    }
    return outer;
  };
  return {
    async create(shared) {
      return new FileTaskStore({
        root: path.join(outerOf(shared), "data"),
        leaseTtlMs: 1000,
        pollMs: 20,
        durability,
      });
    },
    async footprint(shared) {
      return listing(outerOf(shared));
    },
  };
}
