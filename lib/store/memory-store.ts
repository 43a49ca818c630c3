import { AppError } from "../errors";
import type { Checkpoint, NewRecord, TaskEvent } from "../model/events";
import { replayEvents } from "../model/replay";
import { type TaskJson, taskJsonSchema } from "../model/task-json";
import { parseJson } from "../parse-json";
import type { CollectionStore } from "./collections/types";
import { type MemoryCollection, MemoryCollections } from "./memory-collections";
import { MemoryScheduleData, MemorySchedules } from "./memory-schedules";
import type { ScheduleStore } from "./schedules/types";
import { assertTaskId, leaseLost } from "./store-errors";
import type {
  AcquiredLease,
  ControlAction,
  Lease,
  LogSnapshot,
  ReadResult,
  TaskStore,
  Unsubscribe,
} from "./types";

/**
 * What several in-memory stores share, as processes share a volume or a
 * Redis: give two `MemoryTaskStore`s one `MemoryVolume` and they see each
 * other's tasks, leases and events.
 */
export class MemoryVolume {
  readonly tasks = new Map<string, MemoryTask>();
  /** Deleted ids, with the last epoch, so a re-created task's owners are fenced above it. */
  readonly tombstones = new Map<string, number>();
  readonly active = new Set<string>();
  readonly listeners = new Map<string, Set<(events: TaskEvent[]) => void>>();
  readonly deletions = new Map<string, Set<() => void>>();
  /** Stored collections by name (`memory-collections.ts`). */
  readonly collections = new Map<string, MemoryCollection>();
  /** Schedules, run records and webhook deliveries (`memory-schedules.ts`). */
  readonly schedules = new MemoryScheduleData();
}

interface MemoryLease {
  ownerId: string;
  epoch: number;
  released: boolean;
  /** The holder's last renewal, on the stores' monotonic clock. */
  renewedAt: number;
}

interface MemoryTask {
  /** The snapshot as JSON text: every reader gets its own copy, as from disk. */
  snapshot: string;
  /** The snapshot at creation, from which a damaged one is rebuilt with the log. */
  created: string;
  /** Events and checkpoints in log order. */
  records: ({ kind: "event"; event: TaskEvent } | { kind: "checkpoint"; checkpoint: Checkpoint })[];
  lastEventId: number;
  lease: MemoryLease | null;
  /** Epochs continue across delete and re-create (the tombstone's last one). */
  lastEpoch: number;
  controls: ControlAction[];
}

/** Options of `MemoryTaskStore`. */
export interface MemoryTaskStoreOptions {
  /** Shared with other stores to act as several processes. Default: a volume of its own. */
  volume?: MemoryVolume;
  /** A lease not renewed for this long may be taken over, in ms. */
  leaseTtlMs: number;
  /** Monotonic clock in ms. Default `performance.now`. */
  now?: () => number;
}

/**
 * A TaskStore in memory, for tests where a real file or Redis adds nothing
 * (manager, SSE and engine suites). It passes the same contract suite
 * (`lib/store/contract.ts`) as the file and Redis stores; nothing survives
 * the process. Its collections are `memory-collections.ts`, its schedules
 * and deliveries `memory-schedules.ts`.
 */
export class MemoryTaskStore implements TaskStore {
  readonly kind = "memory" as const;
  readonly collections: CollectionStore;
  readonly schedules: ScheduleStore;
  readonly #volume: MemoryVolume;
  readonly #leaseTtlMs: number;
  readonly #now: () => number;
  readonly #unsubscribes = new Set<Unsubscribe>();
  /** Closed like a process that went away: its leases write nothing more. */
  #closed = false;

  constructor(options: MemoryTaskStoreOptions) {
    if (!Number.isFinite(options.leaseTtlMs) || options.leaseTtlMs <= 0) {
      throw new TypeError(`leaseTtlMs: expected a positive number, got ${options.leaseTtlMs}`);
    }
    this.#volume = options.volume ?? new MemoryVolume();
    this.collections = new MemoryCollections(this.#volume.collections);
    this.#leaseTtlMs = options.leaseTtlMs;
    this.#now = options.now ?? (() => performance.now());
    this.schedules = new MemorySchedules(this.#volume.schedules, this.#now);
  }

  async createTask(task: TaskJson): Promise<{ created: boolean; task: TaskJson }> {
    assertTaskId(task.id);
    const existing = this.#volume.tasks.get(task.id);
    if (existing) return { created: false, task: parse(existing.snapshot) };
    const lastEpoch = this.#volume.tombstones.get(task.id) ?? 0;
    this.#volume.tombstones.delete(task.id);
    this.#volume.tasks.set(task.id, {
      snapshot: JSON.stringify(task),
      created: JSON.stringify(task),
      records: [],
      lastEventId: 0,
      lease: null,
      lastEpoch,
      controls: [],
    });
    this.#volume.active.add(task.id);
    return { created: true, task: parse(JSON.stringify(task)) };
  }

  async getTask(taskId: string): Promise<TaskJson | null> {
    assertTaskId(taskId);
    const task = this.#volume.tasks.get(taskId);
    return task ? this.#snapshotOf(task) : null;
  }

  async saveTask(lease: Lease, task: TaskJson): Promise<void> {
    this.#current(lease, "save the task");
    this.#task(lease.taskId).snapshot = JSON.stringify(task);
  }

  async deleteTask(taskId: string): Promise<void> {
    assertTaskId(taskId);
    const task = this.#volume.tasks.get(taskId);
    if (!task) return;
    this.#volume.tasks.delete(taskId);
    this.#volume.active.delete(taskId);
    this.#volume.tombstones.set(taskId, Math.max(task.lastEpoch, task.lease?.epoch ?? 0));
    for (const notify of this.#volume.deletions.get(taskId) ?? []) notify();
  }

  async wasDeleted(taskId: string): Promise<boolean> {
    assertTaskId(taskId);
    return this.#volume.tombstones.has(taskId);
  }

  async listTaskIds(): Promise<string[]> {
    return [...this.#volume.tasks.keys()];
  }

  async listTasks(): Promise<TaskJson[]> {
    return [...this.#volume.tasks.values()].map((task) => this.#snapshotOf(task));
  }

  async listActiveTaskIds(): Promise<string[]> {
    return [...this.#volume.active];
  }

  async setActive(taskId: string, active: boolean): Promise<void> {
    assertTaskId(taskId);
    if (active && this.#volume.tasks.has(taskId)) this.#volume.active.add(taskId);
    else this.#volume.active.delete(taskId);
  }

  async acquireLease(taskId: string, ownerId: string): Promise<AcquiredLease | null> {
    assertTaskId(taskId);
    // A closed store is a process that went away: it takes nothing over.
    if (this.#closed) throw new AppError("storage_error", "The store is closed.");
    const task = this.#volume.tasks.get(taskId);
    if (!task) throw new AppError("not_found", `No task ${taskId}.`);
    const held = task.lease;
    let kind: AcquiredLease["kind"];
    if (!held) kind = "new";
    else if (held.released) kind = "released";
    else if (this.#now() - held.renewedAt >= this.#leaseTtlMs) kind = "expired";
    else return null;
    const epoch = Math.max(task.lastEpoch, held?.epoch ?? 0) + 1;
    task.lastEpoch = epoch;
    task.lease = { ownerId, epoch, released: false, renewedAt: this.#now() };
    return { taskId, ownerId, epoch, kind };
  }

  async renewLease(lease: Lease): Promise<void> {
    this.#current(lease, "renew").renewedAt = this.#now();
  }

  async releaseLease(lease: Lease): Promise<void> {
    const held = this.#volume.tasks.get(lease.taskId)?.lease;
    if (held && held.epoch === lease.epoch) held.released = true;
  }

  async isLeaseCurrent(lease: Lease): Promise<boolean> {
    const held = this.#volume.tasks.get(lease.taskId)?.lease;
    return held !== null && held !== undefined && held.epoch === lease.epoch && !held.released;
  }

  async currentOwner(taskId: string): Promise<{ ownerId: string; epoch: number } | null> {
    assertTaskId(taskId);
    const held = this.#volume.tasks.get(taskId)?.lease;
    return held && !held.released ? { ownerId: held.ownerId, epoch: held.epoch } : null;
  }

  async append(lease: Lease, records: NewRecord[]): Promise<TaskEvent[]> {
    this.#current(lease, "append");
    const task = this.#task(lease.taskId);
    const events: TaskEvent[] = [];
    for (const record of records) {
      if ("checkpoint" in record) {
        task.records.push({ kind: "checkpoint", checkpoint: structuredClone(record.checkpoint) });
      } else {
        task.lastEventId += 1;
        const event: TaskEvent = { id: task.lastEventId, ...structuredClone(record.event) };
        task.records.push({ kind: "event", event });
        events.push(event);
      }
    }
    if (events.length > 0) {
      for (const listener of this.#volume.listeners.get(lease.taskId) ?? []) listener(events);
    }
    return events.map((event) => structuredClone(event));
  }

  async read(taskId: string, afterId: number, limit = Number.POSITIVE_INFINITY): Promise<ReadResult> {
    const events = this.#eventsAfter(taskId, afterId);
    return { events: events.slice(0, limit), more: events.length > limit };
  }

  async lastEventId(taskId: string): Promise<number> {
    assertTaskId(taskId);
    return this.#volume.tasks.get(taskId)?.lastEventId ?? 0;
  }

  async readLog(taskId: string): Promise<LogSnapshot> {
    assertTaskId(taskId);
    const task = this.#volume.tasks.get(taskId);
    if (!task) return { checkpoints: [], lastEventId: 0, events: [] };
    const checkpoints: Checkpoint[] = [];
    const events: TaskEvent[] = [];
    for (const record of task.records) {
      if (record.kind === "checkpoint") checkpoints.push(structuredClone(record.checkpoint));
      else events.push(structuredClone(record.event));
    }
    return { checkpoints, lastEventId: task.lastEventId, events };
  }

  async compact(lease: Lease, beforeEventId: number): Promise<void> {
    this.#current(lease, "compact");
    const task = this.#task(lease.taskId);
    // Everything before the first kept event goes, checkpoints included (they
    // belong to the runs whose events they sit among).
    const first = task.records.findIndex(
      (record) => record.kind === "event" && record.event.id >= beforeEventId,
    );
    task.records =
      first === -1
        ? task.records.filter((record) => record.kind === "checkpoint")
        : task.records.slice(first);
  }

  subscribe(
    taskId: string,
    afterId: number,
    onEvents: (events: TaskEvent[]) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe {
    assertTaskId(taskId);
    let cursor = afterId;
    let stopped = false;
    const deliver = (events: TaskEvent[]) => {
      const fresh = events.filter((event) => event.id > cursor);
      if (stopped || fresh.length === 0) return;
      cursor = fresh[fresh.length - 1]!.id;
      onEvents(fresh.map((event) => structuredClone(event)));
    };
    const gone = () => {
      if (stopped) return;
      unsubscribe();
      onError?.(new AppError("gone", "The task was deleted."));
    };
    const listeners = this.#listenersOf(this.#volume.listeners, taskId);
    const deletions = this.#listenersOf(this.#volume.deletions, taskId);
    const unsubscribe = () => {
      stopped = true;
      listeners.delete(deliver);
      deletions.delete(gone);
      this.#unsubscribes.delete(unsubscribe);
    };
    this.#unsubscribes.add(unsubscribe);
    listeners.add(deliver);
    deletions.add(gone);
    // The backlog first; appends run to completion between awaits, so none is missed or doubled.
    deliver(this.#eventsAfter(taskId, afterId));
    return unsubscribe;
  }

  async sendControl(taskId: string, action: ControlAction): Promise<void> {
    assertTaskId(taskId);
    this.#volume.tasks.get(taskId)?.controls.push(action);
  }

  async takeControls(taskId: string): Promise<ControlAction[]> {
    assertTaskId(taskId);
    const task = this.#volume.tasks.get(taskId);
    if (!task) return [];
    return task.controls.splice(0);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const unsubscribe of [...this.#unsubscribes]) unsubscribe();
  }

  /** The snapshot, or — damaged — the creation snapshot with the log replayed over it. */
  #snapshotOf(task: MemoryTask): TaskJson {
    const parsed = parseJson(task.snapshot, taskJsonSchema);
    if (parsed) return parsed;
    const events = task.records.flatMap((record) => (record.kind === "event" ? [record.event] : []));
    return replayEvents(parse(task.created), structuredClone(events));
  }

  #task(taskId: string): MemoryTask {
    const task = this.#volume.tasks.get(taskId);
    if (!task) throw new AppError("gone", `Task ${taskId} was deleted.`);
    return task;
  }

  /** The lease record when `lease` is current; else the store's `lease_lost` refusal. */
  #current(lease: Lease, action: string): MemoryLease {
    assertTaskId(lease.taskId);
    const held = this.#volume.tasks.get(lease.taskId)?.lease;
    if (this.#closed) throw leaseLost(lease, `${action}: the store is closed`);
    if (!held || held.epoch !== lease.epoch || held.released) {
      throw leaseLost(lease, `${action}: a newer owner or none holds the task`);
    }
    return held;
  }

  #eventsAfter(taskId: string, afterId: number): TaskEvent[] {
    assertTaskId(taskId);
    const task = this.#volume.tasks.get(taskId);
    if (!task) return [];
    const events: TaskEvent[] = [];
    for (const record of task.records) {
      if (record.kind === "event" && record.event.id > afterId) events.push(structuredClone(record.event));
    }
    return events;
  }

  #listenersOf<T>(registry: Map<string, Set<T>>, taskId: string): Set<T> {
    let set = registry.get(taskId);
    if (!set) {
      set = new Set();
      registry.set(taskId, set);
    }
    return set;
  }
}

/** A snapshot read back, checked like one read from disk. */
function parse(text: string): TaskJson {
  return taskJsonSchema.parse(JSON.parse(text));
}
