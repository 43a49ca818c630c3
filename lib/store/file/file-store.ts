import { type FSWatcher, watch } from "node:fs";
import { errorMessage } from "../../errors";
import type { Logger } from "../../log";
import type { NewRecord, TaskEvent } from "../../model/events";
import type { TaskJson } from "../../model/task-json";
import type { CollectionStore } from "../collections/types";
import { FollowerRegistry } from "../follower-registry";
import type { ScheduleStore } from "../schedules/types";
import { assertTaskId, expectPositive, taskGone } from "../store-errors";
import type {
  AcquiredLease,
  ControlAction,
  Lease,
  LogSnapshot,
  ReadResult,
  TaskStore,
  Unsubscribe,
} from "../types";
import { DiskReserve } from "./disk-reserve";
import { FileCollections } from "./file-collections";
import { compactFileLog } from "./file-compaction";
import { sendFileControl, takeFileControls } from "./file-controls";
import { FileEpochs } from "./file-epochs";
import { FileLayout } from "./file-layout";
import { FileLeases } from "./file-leases";
import { FileListing } from "./file-listing";
import { FileLogReader } from "./file-log-reader";
import { FileLogWriter } from "./file-log-writer";
import { FileSchedules } from "./file-schedules";
import { FileTasks } from "./file-tasks";
import { StorageRoot } from "./storage-root";

/** Options of `FileTaskStore`. */
export interface FileStoreOptions {
  /** The storage folder (created when missing); every process sharing tasks uses the same one. */
  root: string;
  /** Lease time in ms: a lease whose heartbeat has not changed for this long, on a watcher's clock, has expired. */
  leaseTtlMs: number;
  /**
   * How often followers read the log without a change event, and notice a
   * delete by another process, in ms. Polling is the guarantee: network
   * filesystems deliver no change events from other hosts.
   */
  pollMs: number;
  /**
   * `fsync`: an append returns, and its events reach any reader, only once
   * they are on disk (appends of one tick share one fsync); collection
   * updates and deletes sync their folders before they return. Every process
   * on the volume must use the same mode. Default `none` (see README, Decisions).
   */
  durability?: "none" | "fsync";
  /** Space held back so a task can still record a failure on a full disk, in bytes. Default 256 KiB. */
  reserveBytes?: number;
  /**
   * Longest time the list of task ids is served from the cache while the
   * storage folder's mtime is unchanged, in ms (attribute caches of network
   * filesystems may lag). Default 2000.
   */
  idListMaxAgeMs?: number;
  /** Snapshots a listing reads synchronously before it gives the event loop back. Default 256. */
  listSlice?: number;
  /** Where warnings and errors are logged. Default: nowhere. */
  logger?: Logger;
  /** Monotonic clock in ms (injected in tests). Default `performance.now`. */
  now?: () => number;
}

const DEFAULT_RESERVE_BYTES = 256 * 1024;
const DEFAULT_ID_LIST_MAX_AGE_MS = 2000;
const DEFAULT_LIST_SLICE = 256;

/**
 * The default store: tasks on a (possibly shared) filesystem volume. This
 * class only wires its parts together, each in a file of its own:
 *
 *   file-layout.ts       where every file lives (the layout is documented there)
 *   storage-root.ts      the storage folders and exclusive creates; disk-reserve.ts the full-disk reserve
 *   file-tasks.ts        snapshots, creation, deletion, tombstones
 *   file-listing.ts      listing tasks with its caches, and the active markers
 *   file-epochs.ts       epoch claims; file-leases.ts leases, heartbeats, expiry, self-fencing
 *   file-log-writer.ts   appends with group commit; file-log-reader.ts reading across segments
 *   segment-format.ts    the segment's line format; synced-mark.ts the fsync mark
 *   file-compaction.ts   removing old segments; file-controls.ts controls for the owner
 *   file-collections.ts  collections and their documents (`collections`)
 *   file-schedules.ts    schedules, fire claims, run records, webhook deliveries (`schedules`)
 *
 * Followers are the shared `FollowerRegistry`, woken by `fs.watch` on the
 * task's folder and by polling.
 */
export class FileTaskStore implements TaskStore {
  readonly kind = "file" as const;
  readonly collections: CollectionStore;
  readonly schedules: ScheduleStore;
  readonly #layout: FileLayout;
  readonly #logger?: Logger;
  readonly #epochs: FileEpochs;
  readonly #leases: FileLeases;
  readonly #tasks: FileTasks;
  readonly #listing: FileListing;
  readonly #reader: FileLogReader;
  readonly #writer: FileLogWriter;
  readonly #followers: FollowerRegistry;

  constructor(options: FileStoreOptions) {
    expectPositive(options.reserveBytes, "a positive reserve size");
    expectPositive(options.idListMaxAgeMs, "a positive id list age");
    expectPositive(options.listSlice, "a positive listing slice");
    const layout = new FileLayout(options.root);
    const logger = options.logger;
    const now = options.now ?? (() => performance.now());
    const durability = options.durability ?? "none";
    const reserve = new DiskReserve(
      layout.reservePath,
      options.reserveBytes ?? DEFAULT_RESERVE_BYTES,
      logger,
    );
    const root = new StorageRoot(layout, reserve, logger);
    const epochs = new FileEpochs(layout);
    const leases = new FileLeases({ layout, root, epochs, leaseTtlMs: options.leaseTtlMs, durability, now });
    const reader = new FileLogReader({ layout, epochs, leases, durability });
    const tasks = new FileTasks({
      layout,
      root,
      reserve,
      epochs,
      leases,
      readLog: (taskId) => reader.readLog(taskId),
      logger,
    });
    this.#followers = new FollowerRegistry({
      read: (taskId, afterId, limit) => reader.read(taskId, afterId, limit),
      pollMs: options.pollMs,
      wakeUps: (taskId, follower) => this.#watch(taskId, () => follower.poke()),
      onPoll: (taskId) => void this.#endIfDeleted(taskId),
    });
    this.collections = new FileCollections({ layout, durability, logger });
    this.schedules = new FileSchedules({ layout, root, durability, now, logger });
    this.#layout = layout;
    this.#logger = logger;
    this.#epochs = epochs;
    this.#leases = leases;
    this.#tasks = tasks;
    this.#reader = reader;
    this.#writer = new FileLogWriter({ leases, reserve, followers: this.#followers, durability, logger });
    this.#listing = new FileListing({
      layout,
      root,
      getTask: (taskId) => tasks.get(taskId),
      idListMaxAgeMs: options.idListMaxAgeMs ?? DEFAULT_ID_LIST_MAX_AGE_MS,
      listSlice: options.listSlice ?? DEFAULT_LIST_SLICE,
      now,
    });
  }

  get root(): string {
    return this.#layout.root;
  }

  // ── tasks ────────────────────────────────────────────────────────────────

  createTask(task: TaskJson): Promise<{ created: boolean; task: TaskJson }> {
    return this.#tasks.create(task);
  }

  getTask(taskId: string): Promise<TaskJson | null> {
    return this.#tasks.get(taskId);
  }

  saveTask(lease: Lease, task: TaskJson): Promise<void> {
    return this.#tasks.save(lease, task);
  }

  async deleteTask(taskId: string): Promise<void> {
    await this.#tasks.delete(taskId);
    this.#followers.fail(taskId, taskGone());
  }

  async wasDeleted(taskId: string): Promise<boolean> {
    assertTaskId(taskId);
    return this.#tasks.wasDeleted(taskId);
  }

  listTaskIds(): Promise<string[]> {
    return this.#listing.taskIds();
  }

  listTasks(): Promise<TaskJson[]> {
    return this.#listing.tasks();
  }

  listActiveTaskIds(): Promise<string[]> {
    return this.#listing.activeTaskIds();
  }

  setActive(taskId: string, active: boolean): Promise<void> {
    return this.#listing.setActive(taskId, active);
  }

  // ── leases ───────────────────────────────────────────────────────────────

  acquireLease(taskId: string, ownerId: string): Promise<AcquiredLease | null> {
    return this.#leases.acquire(taskId, ownerId);
  }

  renewLease(lease: Lease): Promise<void> {
    return this.#leases.renew(lease);
  }

  releaseLease(lease: Lease): Promise<void> {
    return this.#leases.release(lease);
  }

  isLeaseCurrent(lease: Lease): Promise<boolean> {
    return this.#leases.isCurrent(lease);
  }

  currentOwner(taskId: string): Promise<{ ownerId: string; epoch: number } | null> {
    return this.#leases.currentOwner(taskId);
  }

  // ── the log ──────────────────────────────────────────────────────────────

  append(lease: Lease, records: NewRecord[]): Promise<TaskEvent[]> {
    return this.#writer.append(lease, records);
  }

  read(taskId: string, afterId: number, limit = 1000): Promise<ReadResult> {
    return this.#reader.read(taskId, afterId, limit);
  }

  lastEventId(taskId: string): Promise<number> {
    return this.#reader.lastEventId(taskId);
  }

  readLog(taskId: string): Promise<LogSnapshot> {
    return this.#reader.readLog(taskId);
  }

  compact(lease: Lease, beforeEventId: number): Promise<void> {
    return compactFileLog(
      { layout: this.#layout, epochs: this.#epochs, leases: this.#leases },
      lease,
      beforeEventId,
    );
  }

  // ── following ────────────────────────────────────────────────────────────

  subscribe(
    taskId: string,
    afterId: number,
    onEvents: (events: TaskEvent[]) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe {
    assertTaskId(taskId);
    return this.#followers.subscribe(taskId, afterId, onEvents, onError);
  }

  /**
   * Change events of a task's folder: a latency optimization only (network
   * filesystems deliver no events from other hosts; the poll is the guarantee).
   */
  #watch(taskId: string, onChange: () => void): () => void {
    let watcher: FSWatcher | null = null;
    try {
      watcher = watch(this.#layout.taskDir(taskId), { persistent: false }, onChange);
      watcher.on("error", () => watcher?.close());
    } catch (error) {
      this.#logger?.debug("store.watch_unavailable", { taskId, error: errorMessage(error) });
    }
    return () => watcher?.close();
  }

  /**
   * A task deleted by another process: its followers here end with `gone`
   * rather than waiting forever (the deleting process ends its own at once).
   */
  async #endIfDeleted(taskId: string): Promise<void> {
    if (await this.#tasks.isDeleted(taskId)) this.#followers.end(taskId, taskGone());
  }

  // ── controls ─────────────────────────────────────────────────────────────

  sendControl(taskId: string, action: ControlAction): Promise<void> {
    return sendFileControl(this.#layout, taskId, action);
  }

  takeControls(taskId: string): Promise<ControlAction[]> {
    return takeFileControls(this.#layout, taskId);
  }

  async close(): Promise<void> {
    this.#followers.close();
    await this.#leases.dropAll();
  }
}
