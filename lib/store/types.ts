import type { Checkpoint, NewRecord, TaskEvent } from "../model/events";
import type { TaskJson } from "../model/task-json";
import type { CollectionStore } from "./collections/types";
import type { ScheduleStore } from "./schedules/types";

/**
 * Proof of ownership of one task. `epoch` is the fencing number: it grows
 * with every new owner, and a store refuses writes that carry a stale one.
 */
export interface Lease {
  readonly taskId: string;
  readonly ownerId: string;
  readonly epoch: number;
}

/** Why an acquire was granted. */
export type AcquireKind = "new" | "released" | "expired";

export interface AcquiredLease extends Lease {
  readonly kind: AcquireKind;
}

/** What a reader learns about a task's log from a cursor. */
export interface ReadResult {
  events: TaskEvent[];
  /** True when the read stopped because of `limit`, not the end of the log. */
  more: boolean;
}

/** Everything recovery needs: the checkpoints of every run and the events after them. */
export interface LogSnapshot {
  checkpoints: Checkpoint[];
  /** Output text appended after the last checkpoint of `run` (an interrupted report step). */
  lastEventId: number;
  /** All events (for rebuilding a state snapshot that was lost). Only read on recovery. */
  events: TaskEvent[];
}

/** A control a client sent to a task that another process runs. */
export type ControlAction = "cancel" | "pause" | "finish" | "delete";

export type Unsubscribe = () => void;

/**
 * Where tasks live: their state snapshot, their append-only log of events and
 * checkpoints, their lease. Both the file store (a shared volume) and the Redis
 * store implement it; `lib/store/contract.ts` is the suite they must pass.
 *
 * Guarantees:
 * - `createTask` is an atomic create-if-absent across processes: of many
 *   simultaneous creators of one id, exactly one gets `created: true`.
 * - `acquireLease` has exactly one winner per epoch. It is granted when the
 *   task has never had an owner, when the last owner released it, or when the
 *   last owner's lease expired (no renewal for the lease time, as observed by
 *   this store on its own monotonic clock; stores never compare wall clocks
 *   across hosts).
 * - `append` and `saveTask` carry a lease and are refused with a `lease_lost`
 *   AppError once a newer epoch exists; records of a stale owner are never
 *   visible to readers, even if its write raced the takeover.
 * - Event ids are assigned by the store: per task, from 1, no gaps, across
 *   owners.
 * - `read` returns events after a cursor in id order; its cost depends on the
 *   events returned, not on the length of the log.
 * - `subscribe` calls back with every event after the cursor exactly once, in
 *   order, whichever process appended it (owner: at once; others: by watching
 *   and polling).
 * - `compact` bounds a task's log: the events of old runs go, ids do not
 *   restart.
 *
 * Deliberately left out: transactions across tasks, and any ordering between
 * tasks.
 */
export interface TaskStore {
  readonly kind: "file" | "redis" | "memory";
  /** The deployment's collections, on the same volume or Redis as the tasks (`collections/types.ts`). */
  readonly collections: CollectionStore;
  /** Schedules, their run records and webhook deliveries, on the same volume or Redis (`schedules/types.ts`). */
  readonly schedules: ScheduleStore;

  /** Atomically creates the task unless it exists; returns the stored one. */
  createTask(task: TaskJson): Promise<{ created: boolean; task: TaskJson }>;
  /** The state snapshot, or null when the task does not exist. A damaged snapshot is rebuilt from the log. */
  getTask(taskId: string): Promise<TaskJson | null>;
  /** Writes the snapshot; refused unless `lease` is current. */
  saveTask(lease: Lease, task: TaskJson): Promise<void>;
  /** Removes the task, its log and its lease. Safe to call for a missing task. */
  deleteTask(taskId: string): Promise<void>;
  /** True when the task was deleted and the store still remembers it (410 rather than 404). */
  wasDeleted(taskId: string): Promise<boolean>;
  /** Ids of every task on the store (unordered). */
  listTaskIds(): Promise<string[]>;
  /**
   * Every task's snapshot (unordered). Reflects every write completed before
   * the call began; stores may cache unchanged snapshots between calls.
   */
  listTasks(): Promise<TaskJson[]>;
  /** Ids of tasks that may need a runner (not finished). Cheaper than listing every task. */
  listActiveTaskIds(): Promise<string[]>;
  /** Marks a task finished (removes it from the active set) or active again. */
  setActive(taskId: string, active: boolean): Promise<void>;

  /** Tries to become the task's owner; null when someone else holds a live lease. */
  acquireLease(taskId: string, ownerId: string): Promise<AcquiredLease | null>;
  /** Heartbeat. Throws `lease_lost` if a newer epoch exists. */
  renewLease(lease: Lease): Promise<void>;
  /** Gives the task up so another process may take it at once. */
  releaseLease(lease: Lease): Promise<void>;
  /** True while `lease` is the newest epoch (a cheap check before side effects). */
  isLeaseCurrent(lease: Lease): Promise<boolean>;
  /** The current owner, if any holds the task and did not release it. */
  currentOwner(taskId: string): Promise<{ ownerId: string; epoch: number } | null>;

  /** Appends records in order; returns the events numbered. Refused for a stale lease. */
  append(lease: Lease, records: NewRecord[]): Promise<TaskEvent[]>;
  /** Events with id > afterId, at most `limit`. */
  read(taskId: string, afterId: number, limit?: number): Promise<ReadResult>;
  /** Id of the last event in the log (0 when empty); reads only the end of the log. */
  lastEventId(taskId: string): Promise<number>;
  /** Checkpoints and events of the whole log: every run reads it at its start (steps to skip, report so far). */
  readLog(taskId: string): Promise<LogSnapshot>;
  /**
   * Removes every event and checkpoint with an id below `beforeEventId` (the
   * first event of the oldest run kept), under the lease; refused for a stale
   * one. Ids are never reused: the next event still follows the last one.
   * Idempotent. A store may keep a few records just below the cut (the file
   * store removes whole segments only); readers of the kept runs see no
   * difference. Callers answer cursors below the cut themselves (410).
   */
  compact(lease: Lease, beforeEventId: number): Promise<void>;
  /** Follows the log from `afterId`. `onEvents` gets each batch in order; `onError` a fatal error. */
  subscribe(
    taskId: string,
    afterId: number,
    onEvents: (events: TaskEvent[]) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe;

  /** Leaves a control for the task's owner (another process). */
  sendControl(taskId: string, action: ControlAction): Promise<void>;
  /** Takes (reads and removes) the pending controls of a task. */
  takeControls(taskId: string): Promise<ControlAction[]>;

  /**
   * Bytes this store uses, for MAX_STORAGE_MB. Optional: without it the
   * caller measures the storage folder itself (the file store).
   */
  usedBytes?(): Promise<number>;

  /** Stops timers and watchers. */
  close(): Promise<void>;
}
