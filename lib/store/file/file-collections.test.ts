import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { spawnGuarded } from "../../../tests/support/spawn-guarded";
import { directoryBytes } from "../../limits/storage-usage";
import { documentIdOf } from "../collections/collection-records";
import {
  describeCollectionStoreContract,
  makeCollection,
  makeDocument,
  sampleBytes,
} from "../collections/contract";
import { FileTaskStore } from "./file-store";
import {
  fileHarness,
  listing,
  outerFolder as outerFolderIn,
  removeOuterFolders,
} from "./testing/file-harness";

afterAll(removeOuterFolders);

const outerFolder = () => outerFolderIn("fathom-collections-");

describeCollectionStoreContract("file", () => fileHarness("none", "fathom-collections-"));
describeCollectionStoreContract("file, DURABILITY=fsync", () => fileHarness("fsync", "fathom-collections-"));

/** Starts a worker process on `root`; resolves once it is ready for `go`. */
async function startWorker(root: string, name: string): Promise<{ child: ChildProcess; lines: string[] }> {
  const worker = path.join(import.meta.dirname, "testing", "collection-worker.ts");
  const child = spawnGuarded(process.execPath, ["--import", "tsx", worker, root, name], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let errors = "";
  child.stderr?.on("data", (chunk) => {
    errors += chunk;
  });
  let buffered = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk) => {
      buffered += chunk;
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      for (const line of parts) {
        if (line === "ready") resolve();
        else lines.push(line);
      }
    });
    child.once("exit", (code) => reject(new Error(`worker ${name} exited with ${code}: ${errors}`)));
  });
  return { child, lines };
}

describe("FileCollections on disk", () => {
  const open = (root: string) => new FileTaskStore({ root, leaseTtlMs: 1000, pollMs: 20 });

  it("keeps the documented layout: a folder per collection and per document, ready markers beside", async () => {
    const root = path.join(outerFolder(), "data");
    const store = open(root);
    await store.collections.createCollection(makeCollection("papers"));
    const original = sampleBytes(4096, 1);
    const document = makeDocument("papers", original);
    await store.collections.putDocument(document, original);
    await store.collections.putText("papers", document.id, ["one"]);
    await store.collections.updateDocument({ ...document, status: "ready" });
    const collection = path.join(root, "collections", "papers");
    expect(listing(collection).map((line) => line.split(" ")[0])).toEqual([
      "collection.json",
      "documents/",
      `documents/${document.id}/`,
      `documents/${document.id}/document.json`,
      `documents/${document.id}/original`,
      `documents/${document.id}/text.json`,
      "ready/",
      `ready/${document.id}`,
    ]);
    expect(fs.readFileSync(path.join(collection, "documents", document.id, "original"))).toEqual(
      Buffer.from(original),
    );
    expect(
      JSON.parse(fs.readFileSync(path.join(collection, "documents", document.id, "text.json"), "utf8")),
    ).toEqual({ pages: ["one"] });
    // Nothing is left in the scratch areas once the writes returned.
    expect(fs.readdirSync(path.join(root, "collections", ".staging"))).toEqual([]);
    expect(fs.readdirSync(path.join(root, "collections", ".trash"))).toEqual([]);
    await store.collections.deleteCollection("papers");
    expect(fs.readdirSync(path.join(root, "collections")).sort()).toEqual([".staging", ".trash"]);
    await store.close();
  });

  it("removes a ready marker that an update makes after a delete on another store went through", async () => {
    const root = path.join(outerFolder(), "data");
    const [a, b] = [open(root), open(root)];
    await a.collections.createCollection(makeCollection("papers"));
    const original = sampleBytes(500, 4);
    const document = makeDocument("papers", original);
    await a.collections.putDocument(document, original);
    // The worst moment: the update has written the metadata, and the whole
    // delete runs before it puts the ready marker down.
    const writeFile = fsp.writeFile;
    const spy = vi.spyOn(fsp, "writeFile").mockImplementation(async (file, ...rest) => {
      if (String(file).includes(`${path.sep}ready${path.sep}`)) {
        expect(await b.collections.deleteDocument("papers", document.id)).toBe(true);
      }
      return writeFile(file, ...rest);
    });
    try {
      expect(await a.collections.updateDocument({ ...document, status: "ready" })).toBe(true);
    } finally {
      spy.mockRestore();
    }
    expect(fs.readdirSync(path.join(root, "collections", "papers", "ready"))).toEqual([]);
    expect(await b.collections.readyDocumentIds("papers")).toEqual([]);
    expect(await b.collections.getDocument("papers", document.id)).toBeNull();
    await Promise.all([a.close(), b.close()]);
  });

  it("has one winner per collection and per document across processes on one volume", async () => {
    const root = path.join(outerFolder(), "data");
    const workers = await Promise.all(["w1", "w2", "w3", "w4"].map((name) => startWorker(root, name)));
    const exits = workers.map(({ child }) => new Promise((resolve) => child.once("exit", resolve)));
    for (const { child } of workers) child.stdin?.write("go\n");
    expect(await Promise.all(exits)).toEqual([0, 0, 0, 0]);
    const results = workers.map(({ lines }) => JSON.parse(lines.at(-1) ?? "null"));
    expect(results.filter((result) => result.collection)).toHaveLength(1);
    expect(results.filter((result) => result.document)).toHaveLength(1);
    const store = open(root);
    const [stored] = await store.collections.listDocuments("shared");
    expect(new Set(results.map((result) => result.title))).toEqual(new Set([stored!.title]));
    expect(await store.collections.countDocuments("shared")).toBe(1);
    expect((await store.collections.readOriginal("shared", stored!.id))?.byteLength).toBe(1024 * 1024);
    expect(fs.readdirSync(path.join(root, "collections", ".staging"))).toEqual([]);
    await store.close();
  }, 60_000);

  it("never lists what a crashed writer left in .staging, and sweeps old leftovers", async () => {
    const root = path.join(outerFolder(), "data");
    const first = open(root);
    await first.collections.createCollection(makeCollection("papers"));
    const staging = path.join(root, "collections", ".staging");
    const trash = path.join(root, "collections", ".trash");
    // A document and a collection half built when their writer died, one old and one recent.
    const original = sampleBytes(100, 2);
    const old = path.join(staging, `${documentIdOf(original)}.crashed1`);
    fs.mkdirSync(old);
    fs.writeFileSync(path.join(old, "original"), original);
    const recent = path.join(staging, "other.crashed2");
    fs.mkdirSync(recent);
    fs.writeFileSync(path.join(recent, "collection.json"), "{");
    const hourAgo = new Date(Date.now() - 2 * 3_600_000);
    fs.utimesSync(old, hourAgo, hourAgo);
    fs.mkdirSync(path.join(trash, "gone.crashed3"));
    expect(await first.collections.countDocuments("papers")).toBe(0);
    expect((await first.collections.listCollections()).map((collection) => collection.name)).toEqual([
      "papers",
    ]);
    // A new process sweeps before its first write.
    const second = open(root);
    await second.collections.putDocument(makeDocument("papers", original), original);
    expect(fs.readdirSync(staging)).toEqual(["other.crashed2"]);
    expect(fs.readdirSync(trash)).toEqual([]);
    expect(await first.collections.countDocuments("papers")).toBe(1);
    await Promise.all([first.close(), second.close()]);
  });

  it("is counted by the storage budget's walk of the storage folder", async () => {
    const root = path.join(outerFolder(), "data");
    const store = open(root);
    await store.collections.createCollection(makeCollection("papers"));
    const before = await directoryBytes(root);
    const original = sampleBytes(3 * 1024 * 1024, 3);
    await store.collections.putDocument(makeDocument("papers", original), original);
    expect((await directoryBytes(root)) - before).toBeGreaterThanOrEqual(original.byteLength);
    expect(await store.collections.usedBytes()).toBeGreaterThanOrEqual(original.byteLength);
    await store.close();
  });
});
