import { readFileSync, statSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { isTaskId, type TaskJson, taskJsonSchema } from "../../model/task-json";
import { parseJson } from "../../parse-json";
import { pruneCache, splitListing } from "../snapshot-cache";
import { assertTaskId } from "../store-errors";
import { ignoreMissing, isCode, syncDirectory } from "./file-io";
import type { FileLayout } from "./file-layout";
import type { StorageRoot } from "./storage-root";

export interface FileListingOptions {
  layout: FileLayout;
  root: StorageRoot;
  /** Reads one task the slow way (a damaged snapshot is rebuilt from the log). */
  getTask: (taskId: string) => Promise<TaskJson | null>;
  /** Longest time the id list is served from the cache while the root folder's mtime is unchanged, in ms. */
  idListMaxAgeMs: number;
  /** Snapshots read synchronously between two turns of the event loop. */
  listSlice: number;
  /** Monotonic clock in ms. */
  now: () => number;
}

/**
 * Listing tasks cheaply enough to do per request: the id list (cached while
 * the root folder is unchanged), the parsed snapshots (cached by file
 * identity), and the active markers the takeover scan reads.
 */
export class FileListing {
  readonly #layout: FileLayout;
  readonly #root: StorageRoot;
  readonly #getTask: FileListingOptions["getTask"];
  readonly #idListMaxAgeMs: number;
  readonly #listSlice: number;
  readonly #now: () => number;
  /** Parsed snapshots by id, with the inode, size and mtime they were read at. */
  readonly #snapshots = new Map<string, { ino: number; mtimeMs: number; size: number; task: TaskJson }>();
  #idList: { mtimeMs: number; at: number; ids: string[] } | null = null;

  constructor(options: FileListingOptions) {
    this.#layout = options.layout;
    this.#root = options.root;
    this.#getTask = options.getTask;
    this.#idListMaxAgeMs = options.idListMaxAgeMs;
    this.#listSlice = options.listSlice;
    this.#now = options.now;
  }

  /**
   * Creating or removing a task changes the root folder's mtime, so an
   * unchanged mtime means an unchanged list: a stat instead of listing
   * 10,000 names. Re-listed at least every `idListMaxAgeMs` regardless, for
   * network filesystems whose attribute caches may lag.
   */
  async taskIds(): Promise<string[]> {
    const root = this.#layout.root;
    const stat = await this.#root.withRoot(() => fs.stat(root));
    const cached = this.#idList;
    if (cached && cached.mtimeMs === stat.mtimeMs && this.#now() - cached.at < this.#idListMaxAgeMs)
      return cached.ids;
    const at = this.#now();
    const names = await this.#root.withRoot(() => fs.readdir(root));
    const ids = names
      .filter((name) => name.endsWith(".json"))
      .map((name) => name.slice(0, -5))
      .filter(isTaskId);
    this.#idList = { mtimeMs: stat.mtimeMs, at, ids };
    return ids;
  }

  /**
   * A finished task's snapshot only changes after it is made active again
   * (retry, fresh run), so finished tasks that are not in `.active` are
   * served from the cache without a stat; everything else is stat'ed and
   * re-read only when its file was replaced.
   */
  async tasks(): Promise<TaskJson[]> {
    const [ids, active] = await Promise.all([this.taskIds(), this.activeTaskIds()]);
    const { current: tasks, toRead: queue } = splitListing(ids, new Set(active), this.#snapshots);
    // Small synchronous reads in slices: for thousands of small files this is
    // several times faster than a thread-pool round trip per call, and the
    // event loop is given back between slices (leases must still be renewed).
    for (let index = 0; index < queue.length; index += this.#listSlice) {
      if (index > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const id of queue.slice(index, index + this.#listSlice)) {
        // Atomic writes replace the file, so the inode changes with every save.
        let stat: { ino: number; mtimeMs: number; size: number };
        let text: string;
        try {
          stat = statSync(this.#layout.statePath(id));
          const cached = this.#snapshots.get(id);
          if (
            cached &&
            cached.ino === stat.ino &&
            cached.mtimeMs === stat.mtimeMs &&
            cached.size === stat.size
          ) {
            tasks.push(cached.task);
            continue;
          }
          text = readFileSync(this.#layout.statePath(id), "utf8");
        } catch (error) {
          if (isCode(error, "ENOENT")) continue;
          throw error;
        }
        // A damaged snapshot takes the slow path (rebuilt from the log).
        const task = parseJson(text, taskJsonSchema) ?? (await this.#getTask(id));
        if (!task) continue;
        this.#snapshots.set(id, { ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size, task });
        tasks.push(task);
      }
    }
    pruneCache(this.#snapshots, ids);
    return tasks;
  }

  async activeTaskIds(): Promise<string[]> {
    return (await this.#root.withRoot(() => fs.readdir(this.#layout.activeDir))).filter(isTaskId);
  }

  async setActive(taskId: string, active: boolean): Promise<void> {
    assertTaskId(taskId);
    await this.#root.ensure();
    const marker = this.#layout.activeMarker(taskId);
    if (active) {
      await fs.writeFile(marker, "");
      // A queued task whose marker a power loss took back would never be run.
      await syncDirectory(path.dirname(marker));
    } else await fs.unlink(marker).catch(ignoreMissing);
  }
}
