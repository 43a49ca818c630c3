import fs from "node:fs/promises";
import path from "node:path";
import { nanoid } from "nanoid";
import writeFileAtomic from "write-file-atomic";
import { errorMessage } from "../../errors";
import type { Logger } from "../../log";
import type { DiskReserve } from "./disk-reserve";
import { isCode, storageError, syncDirectory } from "./file-io";
import type { FileLayout } from "./file-layout";

/**
 * The storage folders: created on first use (with the disk reserve),
 * created again when an operator wiped the volume under a running process,
 * and the exclusive create every one-winner file (a task, an epoch claim)
 * is made with.
 */
export class StorageRoot {
  readonly #layout: FileLayout;
  readonly #reserve: DiskReserve;
  readonly #logger?: Logger;
  #ready: Promise<void> | null = null;

  constructor(layout: FileLayout, reserve: DiskReserve, logger?: Logger) {
    this.#layout = layout;
    this.#reserve = reserve;
    this.#logger = logger;
  }

  /** Creates the folders once (again after a failure or a `withRoot` retry). */
  async ensure(): Promise<void> {
    this.#ready ??= (async () => {
      for (const folder of this.#layout.folders) {
        await fs.mkdir(folder, { recursive: true });
      }
      await this.#reserve.keep();
    })().catch((error) => {
      this.#ready = null;
      throw storageError(`create the storage folder ${this.#layout.root}`, error);
    });
    return this.#ready;
  }

  /** Runs `work`; if the storage folders vanished (an operator wiped the volume), recreates them and retries once. */
  async withRoot<T>(work: () => Promise<T>): Promise<T> {
    await this.ensure();
    try {
      return await work();
    } catch (error) {
      if (!isCode(error, "ENOENT")) throw error;
      this.#ready = null;
      await this.ensure();
      return work();
    }
  }

  /** Writes `content` to `target` only if `target` does not exist (atomic, one winner). */
  async createExclusive(target: string, content: string): Promise<boolean> {
    await this.ensure();
    const staging = path.join(
      /*turbopackIgnore: true*/ this.#layout.tmpDir,
      `${path.basename(target)}.${nanoid(10)}`,
    );
    // write-file-atomic fsyncs the file's data (its default); the link is
    // made durable by syncing the folder that holds it.
    await writeFileAtomic(staging, content, { fsync: true });
    try {
      await fs.link(staging, target);
      await syncDirectory(path.dirname(target));
      return true;
    } catch (error) {
      if (isCode(error, "EEXIST")) return false;
      throw storageError(`create ${path.basename(target)}`, error);
    } finally {
      await fs
        .unlink(staging)
        .catch((error) => this.#logger?.warn("store.cleanup_failed", { error: errorMessage(error) }));
    }
  }
}
