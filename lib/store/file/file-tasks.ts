import fs from "node:fs/promises";
import writeFileAtomic from "write-file-atomic";
import { z } from "zod";
import { AppError } from "../../errors";
import type { Logger } from "../../log";
import { replayEvents } from "../../model/replay";
import { type TaskJson, taskJsonSchema } from "../../model/task-json";
import { parseJson } from "../../parse-json";
import { assertTaskId } from "../store-errors";
import type { Lease, LogSnapshot } from "../types";
import type { DiskReserve } from "./disk-reserve";
import type { FileEpochs } from "./file-epochs";
import { exists, ignoreMissing, readText, storageError, syncDirectory } from "./file-io";
import type { FileLayout } from "./file-layout";
import type { FileLeases } from "./file-leases";
import type { StorageRoot } from "./storage-root";

/** `.deleted/<id>`: when the task was deleted and its last epoch. */
const tombstoneJsonSchema = z.object({ deletedAt: z.string(), lastEpoch: z.number().int().nonnegative() });

export interface FileTasksOptions {
  layout: FileLayout;
  root: StorageRoot;
  reserve: DiskReserve;
  epochs: FileEpochs;
  leases: FileLeases;
  /** The whole log, to rebuild a damaged snapshot. */
  readLog: (taskId: string) => Promise<LogSnapshot>;
  logger?: Logger;
}

/**
 * A task's own files: its snapshot (created once, saved by the owner, rebuilt
 * from the log when damaged), its creation snapshot, its active marker and
 * its tombstone.
 */
export class FileTasks {
  readonly #layout: FileLayout;
  readonly #root: StorageRoot;
  readonly #reserve: DiskReserve;
  readonly #epochs: FileEpochs;
  readonly #leases: FileLeases;
  readonly #readLog: FileTasksOptions["readLog"];
  readonly #logger?: Logger;

  constructor(options: FileTasksOptions) {
    this.#layout = options.layout;
    this.#root = options.root;
    this.#reserve = options.reserve;
    this.#epochs = options.epochs;
    this.#leases = options.leases;
    this.#readLog = options.readLog;
    this.#logger = options.logger;
  }

  async create(task: TaskJson): Promise<{ created: boolean; task: TaskJson }> {
    const content = `${JSON.stringify(task)}\n`;
    // Active marker first: a crash after it leaves a marker without a task
    // (ignored by the scan), never a task nobody will run.
    await this.#root.withRoot(() => fs.writeFile(this.#layout.activeMarker(task.id), ""));
    await syncDirectory(this.#layout.activeDir);
    await fs.mkdir(this.#layout.taskDir(task.id), { recursive: true });
    const created = await this.#root.createExclusive(this.#layout.statePath(task.id), content);
    if (created) {
      await this.#reserve.keep();
      const tombstone = this.#layout.tombstonePath(task.id);
      const lastEpoch = tombstoneEpoch(await readText(tombstone));
      // Created again after a delete: epochs continue above the deleted task's.
      if (lastEpoch > 0) await this.#epochs.recordFirstEpoch(task.id, lastEpoch + 1);
      await fs.unlink(tombstone).catch(ignoreMissing);
      await writeFileAtomic(this.#layout.taskFile(task.id, "created.json"), content);
      return { created: true, task };
    }
    const existing = await this.get(task.id);
    if (!existing) throw new AppError("storage_error", `Task ${task.id} exists but cannot be read.`);
    return { created: false, task: existing };
  }

  async get(taskId: string): Promise<TaskJson | null> {
    const text = await readText(this.#layout.statePath(taskId));
    if (text === null) return null;
    const parsed = parseJson(text, taskJsonSchema);
    if (parsed) return parsed;
    this.#logger?.error("store.state_damaged", { taskId });
    return this.#recover(taskId);
  }

  /** A damaged snapshot: start from the creation snapshot and replay the log over it. */
  async #recover(taskId: string): Promise<TaskJson | null> {
    const createdText = await readText(this.#layout.taskFile(taskId, "created.json"));
    const created = createdText === null ? null : parseJson(createdText, taskJsonSchema);
    if (!created) return null;
    const { events } = await this.#readLog(taskId);
    return replayEvents(created, events);
  }

  async save(lease: Lease, task: TaskJson): Promise<void> {
    const held = await this.#leases.check(lease);
    try {
      // A snapshot that leaves the running states (finished, paused) is never
      // revisited by recovery, so it must not be ahead of the log after a
      // power loss: the log goes to disk first. Running snapshots are saved
      // every 500 ms without that cost; recovery trusts the log over them.
      if (task.status !== "running" && task.status !== "queued") await held.handle?.datasync();
      // fsync: the temp file's data is on disk before the rename. The rename
      // itself is not synced: a snapshot that comes back older after a power
      // loss is behind the log, which recovery handles.
      await writeFileAtomic(this.#layout.statePath(task.id), `${JSON.stringify(task)}\n`, { fsync: true });
    } catch (error) {
      throw storageError("write task state", error);
    }
  }

  /** Removes the task's files, leaving a tombstone; drops this process's lease on it. */
  async delete(taskId: string): Promise<void> {
    assertTaskId(taskId);
    await this.#root.ensure();
    // The tombstone keeps the last epoch: a task created again under the same
    // id continues above it, so an owner of the deleted task (a process that
    // was frozen through the delete) is fenced out of the new one.
    const lastEpoch = await this.#epochs.list(taskId).then(
      (epochs) => epochs.at(-1)?.epoch ?? 0,
      () => 0,
    );
    await writeFileAtomic(
      this.#layout.tombstonePath(taskId),
      JSON.stringify({ deletedAt: new Date().toISOString(), lastEpoch }),
    );
    await fs.unlink(this.#layout.activeMarker(taskId)).catch(ignoreMissing);
    await fs.unlink(this.#layout.statePath(taskId)).catch(ignoreMissing);
    // A claim racing this delete may still add a file while the folder is
    // emptied (ENOTEMPTY); it cannot make the folder again, so a retry ends it.
    await fs.rm(this.#layout.taskDir(taskId), { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
    await this.#leases.forget(taskId);
    this.#epochs.forget(taskId);
  }

  /** True when the task was deleted (a tombstone remains). */
  async wasDeleted(taskId: string): Promise<boolean> {
    return exists(this.#layout.tombstonePath(taskId));
  }

  /** Deleted here or by another process: no snapshot, and a tombstone. */
  async isDeleted(taskId: string): Promise<boolean> {
    if (await exists(this.#layout.statePath(taskId))) return false;
    return this.wasDeleted(taskId);
  }
}

/** The last epoch a tombstone recorded; 0 for none or for a tombstone of an older format (a date). */
function tombstoneEpoch(text: string | null): number {
  if (text === null) return 0;
  return parseJson(text, tombstoneJsonSchema)?.lastEpoch ?? 0;
}
