import type Redis from "ioredis";
import { z } from "zod";
import type { Config } from "../config";
import { AppError, errorMessage } from "../errors";
import type { Logger } from "../log";
import {
  type Checkpoint,
  checkpointSchema,
  eventTypes,
  type NewRecord,
  type TaskEvent,
} from "../model/events";
import { replayEvents } from "../model/replay";
import { isFinished, isTaskId, type TaskJson, taskJsonSchema } from "../model/task-json";
import { parseJson } from "../parse-json";
import { FollowerRegistry } from "./follower-registry";
import type { LogFollower } from "./log-follower";
import { connectRedis, isRedisUnavailable, isWrongType } from "./redis-connection";
import {
  acquireScript,
  appendScript,
  compactScript,
  createScript,
  deleteScript,
  releaseScript,
  renewScript,
  saveScript,
  takeControlsScript,
} from "./redis-scripts";
import { pruneCache, splitListing } from "./snapshot-cache";
import { assertTaskId as assertId, leaseLost, taskGone } from "./store-errors";
import type {
  AcquiredLease,
  AcquireKind,
  ControlAction,
  Lease,
  LogSnapshot,
  ReadResult,
  TaskStore,
  Unsubscribe,
} from "./types";

/**
 * The scale-out store: tasks, event logs and leases in one Redis server
 * (`TASK_STORE=redis://…`). It keeps the guarantees of `TaskStore` exactly as
 * the file store does; only the mechanisms differ.
 *
 * Keys (every one under the configured prefix, every task part named from a
 * validated task id):
 *
 *   <prefix>task:<id>      hash    state, creation snapshot, epoch, owner, released epoch, id counter
 *   <prefix>log:<id>       stream  events as <eventId>-0, checkpoints as <lastEventId>-<k> (k ≥ 1)
 *   <prefix>lease:<id>     string  "<epoch>:<ownerId>", SET … PX <lease time>
 *   <prefix>controls:<id>  list    controls for the owner (RPUSH; taken atomically by a script)
 *   <prefix>deleted:<id>   string  tombstone of a deleted task, with the last epoch (PX tombstoneTtlMs)
 *   <prefix>active         set     ids of unfinished tasks (the takeover scan reads only these)
 *   <prefix>tasks          set     ids of every task
 *
 * Fencing: every write that needs the lease (append, save, renew) is one Lua
 * script that first checks that the lease key still holds this owner's
 * "<epoch>:<ownerId>" and only then writes. Scripts run atomically, so a
 * stale owner's write either happened while it was the owner or is refused
 * (`lease_lost`); it can never land after a takeover. Event ids come from a
 * counter in the task hash, assigned inside the same script.
 *
 * Leases: acquiring is one script — if the lease key is absent, bump the
 * epoch in the task hash and `SET lease "<epoch>:<ownerId>" PX ttl` — so each
 * epoch has exactly one winner. Redis's own expiry is the lease clock: no
 * host's clock is compared with another's. A task created again after a
 * delete continues the deleted one's epochs (kept in its tombstone). Kinds: "new" (never owned), "released" (the last
 * owner released it), "expired" (the lease key vanished by expiry). The owner
 * also fences itself, like the file store: once its own monotonic clock says
 * it has not renewed for 80% of the lease time, it refuses its own writes.
 * An owner that cannot reach Redis for a write or renewal gives the lease up
 * (`lease_lost`) rather than guess whether the write happened; when Redis is
 * back the lease key expires and a process takes the task over from the log.
 *
 * Following: one LogFollower per followed task per process. Wake-ups come
 * from a blocking `XREAD` on a dedicated connection, which reads from a
 * cursor (not pub/sub: nothing is lost between two reads); a poll every
 * `pollMs` is the guarantee if that loop is down. Followers retry while Redis
 * is unreachable and continue where they were when it returns.
 *
 * Retention is the manager's sweeper, as with files: it deletes finished
 * tasks past MAX_TASK_AGE_HOURS and leaves a tombstone (410). Unlike the file
 * store's, a tombstone expires after `tombstoneTtlMs` (Redis memory is
 * finite); controls nobody takes expire a week after the last one was sent.
 *
 * Not supported: Redis Cluster (scripts touch a task's keys and the global
 * sets together). Durability is Redis's: run it with `appendonly yes` so an
 * acknowledged event survives a Redis restart, and `maxmemory-policy
 * noeviction` so no key is evicted (a warning is logged at start-up otherwise).
 * Replication is asynchronous: a write acknowledged by a primary that fails
 * before a replica got it is lost when the replica is promoted.
 */

export interface RedisStoreOptions {
  /** A connection this store owns (closed by `close()`); see `connectRedis`. */
  redis: Redis;
  /** Prefix of every key, e.g. "fathom:". */
  prefix: string;
  /** Lease time in ms: a lease not renewed for this long expires. */
  leaseTtlMs: number;
  /** Polling interval of log followers, in ms. */
  pollMs: number;
  /** How long a deleted task's tombstone is kept (410 rather than 404), in ms. Default 7 days. */
  tombstoneTtlMs?: number;
  logger?: Logger;
  /** Monotonic clock in ms for the owner's self-fencing (default `performance.now`). */
  now?: () => number;
}

export interface RedisStoreConnectOptions extends Omit<RedisStoreOptions, "redis"> {
  url: string;
  /**
   * `fsync` asks Redis itself to fsync every write before it answers any
   * client (`appendonly yes` + `appendfsync always`); the store checks that
   * at start-up and warns otherwise. Default `none`.
   */
  durability?: "none" | "fsync";
}

/** The factory `createStore` uses: connects, or fails with a message naming the server. */
export async function createRedisStore(config: Config, logger: Logger): Promise<TaskStore> {
  return RedisTaskStore.connect({
    url: config.TASK_STORE,
    prefix: config.REDIS_KEY_PREFIX,
    leaseTtlMs: config.LEASE_TTL_MS,
    pollMs: config.FOLLOW_POLL_MS,
    tombstoneTtlMs: Math.round(config.MAX_TASK_AGE_HOURS * 3_600_000),
    durability: config.DURABILITY,
    logger,
  });
}

/** Redis types of the keys, for naming a key that holds something else. */
type KeyType = "hash" | "stream" | "string" | "list" | "set";

interface Held {
  lease: Lease;
  /** The lease key's value: "<epoch>:<ownerId>". */
  value: string;
  lastRenewedAt: number;
  /** Serializes this owner's appends, so ids follow call order and release waits for them. */
  queue: Promise<unknown>;
}

/** A task the XREAD loop wakes the follower of. */
interface Watched {
  follower: LogFollower;
  /** Last stream id the XREAD loop saw for this task. */
  seen: StreamId;
}

type StreamId = readonly [number, number];

const SAFETY = 0.8;
const DAY_MS = 86_400_000;
const CONTROL_TTL_MS = 7 * DAY_MS;
const XREAD_BLOCK_MS = 2000;
/** Pause before the XREAD loop retries after an error or while Redis is unreachable. */
const RETRY_MS = 250;
const XREAD_COUNT = 500;
const READ_CHUNK = 1000;

const storedEventSchema = z.object({ type: z.enum(eventTypes), data: z.record(z.string(), z.unknown()) });
const controlSchema = z.enum(["cancel", "pause", "finish", "delete"]);

export class RedisTaskStore implements TaskStore {
  readonly kind = "redis" as const;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttl: number;
  readonly #pollMs: number;
  readonly #tombstoneTtlMs: number;
  readonly #logger?: Logger;
  readonly #now: () => number;
  readonly #held = new Map<string, Held>();
  readonly #followers: FollowerRegistry;
  /** Followed tasks, for the XREAD loop. */
  readonly #watched = new Map<string, Watched>();
  /** Parsed snapshots of the last listing, by id, with the text they were parsed from. */
  readonly #snapshots = new Map<string, { text: string; task: TaskJson }>();
  #blocker: Redis | null = null;
  #blockerId: number | null = null;
  #waking = false;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    if (!options.prefix)
      throw new AppError("invalid_request", 'Expected a non-empty Redis key prefix, got "".');
    if (!(options.tombstoneTtlMs === undefined || options.tombstoneTtlMs > 0)) {
      throw new AppError(
        "invalid_request",
        `Expected a positive tombstone lifetime, got ${options.tombstoneTtlMs}.`,
      );
    }
    if (!(options.leaseTtlMs > 0)) {
      throw new AppError("invalid_request", `Expected a positive lease time, got ${options.leaseTtlMs}.`);
    }
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#ttl = options.leaseTtlMs;
    this.#pollMs = options.pollMs;
    this.#tombstoneTtlMs = options.tombstoneTtlMs ?? 7 * DAY_MS;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => performance.now());
    this.#followers = new FollowerRegistry({
      read: (taskId, afterId, limit, stopped) => this.#followRead(taskId, afterId, limit, stopped),
      pollMs: options.pollMs,
      wakeUps: (taskId, follower) => {
        this.#watched.set(taskId, { follower, seen: [0, 0] });
        this.#wake();
        return () => this.#watched.delete(taskId);
      },
    });
  }

  /** Connects to `url` and returns a store that owns the connection. */
  static async connect(options: RedisStoreConnectOptions): Promise<RedisTaskStore> {
    const redis = await connectRedis({ url: options.url, logger: options.logger });
    await warnAboutEviction(redis, options.logger);
    if (options.durability === "fsync") await warnAboutDurability(redis, options.logger);
    return new RedisTaskStore({ ...options, redis });
  }

  // ── keys (task parts only ever built from validated ids) ────────────────

  #key(part: "task" | "log" | "lease" | "controls" | "deleted", taskId: string): string {
    assertId(taskId);
    return `${this.#prefix}${part}:${taskId}`;
  }
  get #activeKey(): string {
    return `${this.#prefix}active`;
  }
  get #indexKey(): string {
    return `${this.#prefix}tasks`;
  }

  /**
   * Runs Redis commands for `what`, turning failures into AppErrors: a key of
   * the wrong type is named (someone else wrote under the prefix), an
   * unreachable server is a retryable storage error.
   */
  async #call<T>(what: string, keys: [string, KeyType][], run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw await this.#storageError(what, keys, error);
    }
  }

  async #storageError(what: string, keys: [string, KeyType][], error: unknown): Promise<AppError> {
    if (error instanceof AppError) return error;
    if (isWrongType(error)) {
      const culprit = await this.#findWrongType(keys);
      const message = culprit
        ? `Could not ${what}: Redis key "${culprit.key}" holds a ${culprit.actual}, expected a ${culprit.expected}. Another program may be writing under the prefix "${this.#prefix}".`
        : `Could not ${what}: a Redis key of this task has the wrong type (${errorMessage(error)}).`;
      return new AppError("storage_error", message, { cause: error });
    }
    if (isRedisUnavailable(error)) {
      return new AppError(
        "storage_error",
        `Could not ${what}: Redis is unavailable (${errorMessage(error)}).`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
    return new AppError("storage_error", `Could not ${what}: ${errorMessage(error)}.`, { cause: error });
  }

  async #findWrongType(
    keys: [string, KeyType][],
  ): Promise<{ key: string; actual: string; expected: KeyType } | null> {
    try {
      for (const [key, expected] of keys) {
        const actual = await this.#redis.type(key);
        if (actual !== "none" && actual !== expected) return { key, actual, expected };
      }
    } catch (error) {
      // Diagnosis only: the caller reports the original error anyway.
      this.#logger?.debug("store.redis_type_check_failed", { error: errorMessage(error) });
    }
    return null;
  }

  // ── tasks ────────────────────────────────────────────────────────────────

  #taskKeys(taskId: string): [string, KeyType][] {
    return [
      [this.#key("task", taskId), "hash"],
      [this.#key("log", taskId), "stream"],
      [this.#key("lease", taskId), "string"],
      [this.#key("controls", taskId), "list"],
      [this.#key("deleted", taskId), "string"],
      [this.#activeKey, "set"],
      [this.#indexKey, "set"],
    ];
  }

  async createTask(task: TaskJson): Promise<{ created: boolean; task: TaskJson }> {
    const keys = this.#taskKeys(task.id);
    const reply = await this.#call("create the task", keys, () =>
      createScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [JSON.stringify(task), task.id],
      ),
    );
    const [created, stored] = parseReply(reply, z.tuple([z.number(), z.string()]), "create");
    if (created === 1) return { created: true, task };
    const existing = parseJson(stored, taskJsonSchema) ?? (await this.#recoverState(task.id));
    if (!existing) throw new AppError("storage_error", `Task ${task.id} exists but cannot be read.`);
    return { created: false, task: existing };
  }

  async getTask(taskId: string): Promise<TaskJson | null> {
    const key = this.#key("task", taskId);
    const [exists, text] = await this.#call("read the task", [[key, "hash"]], async () => {
      const state = await this.#redis.hget(key, "state");
      return [state !== null || (await this.#redis.exists(key)) === 1, state] as const;
    });
    if (!exists) return null;
    const parsed = text === null ? null : parseJson(text, taskJsonSchema);
    if (parsed) return parsed;
    this.#logger?.error("store.state_damaged", { taskId });
    return this.#recoverState(taskId);
  }

  /** A damaged snapshot: start from the creation snapshot and replay the log over it. */
  async #recoverState(taskId: string): Promise<TaskJson | null> {
    const key = this.#key("task", taskId);
    const text = await this.#call("read the task", [[key, "hash"]], () => this.#redis.hget(key, "created"));
    const created = text === null ? null : parseJson(text, taskJsonSchema);
    if (!created) return null;
    const { events } = await this.readLog(taskId);
    return replayEvents(created, events);
  }

  async saveTask(lease: Lease, task: TaskJson): Promise<void> {
    if (task.id !== lease.taskId) {
      throw new AppError("invalid_request", `Expected task ${lease.taskId} (the lease's), got ${task.id}.`);
    }
    const held = this.#checkHeld(lease);
    const keys: [string, KeyType][] = [
      [this.#key("task", lease.taskId), "hash"],
      [this.#key("lease", lease.taskId), "string"],
    ];
    const saved = await this.#leaseWrite(held, "write task state", keys, () =>
      saveScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [held.value, JSON.stringify(task)],
      ),
    );
    if (saved !== 1) throw this.#lost(held, "taken over or expired");
  }

  async deleteTask(taskId: string): Promise<void> {
    const keys = this.#taskKeys(taskId);
    await this.#call("delete the task", keys, () =>
      deleteScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [taskId, this.#tombstoneTtlMs],
      ),
    );
    this.#held.delete(taskId);
    this.#followers.fail(taskId, taskGone());
  }

  async wasDeleted(taskId: string): Promise<boolean> {
    const key = this.#key("deleted", taskId);
    return (await this.#call("read the tombstone", [[key, "string"]], () => this.#redis.exists(key))) === 1;
  }

  async listTaskIds(): Promise<string[]> {
    const index = this.#indexKey;
    return this.#call("list tasks", [[index, "set"]], async () => {
      const ids = (await this.#redis.smembers(index)).filter(isTaskId);
      if (ids.length === 0) return [];
      const pipeline = this.#redis.pipeline();
      for (const id of ids) pipeline.exists(this.#key("task", id));
      const results = (await pipeline.exec()) ?? [];
      const present: string[] = [];
      const expired: string[] = [];
      ids.forEach((id, index) => {
        const [error, exists] = results[index] ?? [null, 0];
        if (error) throw error;
        (exists === 1 ? present : expired).push(id);
      });
      // An id whose task is gone (deleted by another route, or removed by hand): prune it.
      if (expired.length > 0) await this.#redis.srem(index, ...expired);
      return present;
    });
  }

  /**
   * A finished task's snapshot only changes after it is made active again,
   * so finished, inactive tasks are served from the cache; only the rest is
   * fetched (and parsed only when its text changed).
   */
  async listTasks(): Promise<TaskJson[]> {
    const [all, active] = await Promise.all([this.listTaskIds(), this.listActiveTaskIds()]);
    const { current: tasks, toRead: ids } = splitListing(all, new Set(active), this.#snapshots);
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hget(this.#key("task", id), "state");
    const results = await this.#call("list tasks", [], async () => (await pipeline.exec()) ?? []);
    for (const [index, id] of ids.entries()) {
      const [error, text] = results[index] ?? [null, null];
      if (error) throw await this.#storageError("list tasks", [[this.#key("task", id), "hash"]], error);
      if (typeof text !== "string") {
        this.#snapshots.delete(id);
        continue;
      }
      // Parsing is the cost of a listing: reuse the snapshot when its text is unchanged.
      const cached = this.#snapshots.get(id);
      if (cached?.text === text) {
        tasks.push(cached.task);
        continue;
      }
      const task = parseJson(text, taskJsonSchema) ?? (await this.getTask(id));
      if (!task) continue;
      this.#snapshots.set(id, { text, task });
      tasks.push(task);
    }
    pruneCache(this.#snapshots, all);
    return tasks;
  }

  async listActiveTaskIds(): Promise<string[]> {
    const key = this.#activeKey;
    const ids = await this.#call("list active tasks", [[key, "set"]], () => this.#redis.smembers(key));
    return ids.filter(isTaskId);
  }

  async setActive(taskId: string, active: boolean): Promise<void> {
    assertId(taskId);
    const key = this.#activeKey;
    await this.#call("update the active set", [[key, "set"]], () =>
      active ? this.#redis.sadd(key, taskId) : this.#redis.srem(key, taskId),
    );
  }

  // ── leases ───────────────────────────────────────────────────────────────

  async acquireLease(taskId: string, ownerId: string): Promise<AcquiredLease | null> {
    const keys: [string, KeyType][] = [
      [this.#key("task", taskId), "hash"],
      [this.#key("lease", taskId), "string"],
    ];
    const started = this.#now();
    const reply = await this.#call("acquire the lease", keys, () =>
      acquireScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [ownerId, this.#ttl],
      ),
    );
    const [epoch, kind] = parseReply(reply, z.tuple([z.number(), z.string()]), "acquire");
    if (epoch === 0) return null;
    const lease: Lease = { taskId, ownerId, epoch };
    this.#held.set(taskId, {
      lease,
      value: leaseValue(lease),
      lastRenewedAt: started,
      queue: Promise.resolve(),
    });
    return { ...lease, kind: z.enum(["new", "released", "expired"]).parse(kind) satisfies AcquireKind };
  }

  /** The lease this process holds for `lease`, within its self-fencing time; otherwise `lease_lost`. */
  #checkHeld(lease: Lease): Held {
    const held = this.#held.get(lease.taskId);
    if (!held || held.lease.epoch !== lease.epoch || held.lease.ownerId !== lease.ownerId) {
      throw leaseLost(lease, "not held by this process");
    }
    if (this.#now() - held.lastRenewedAt > this.#ttl * SAFETY) throw this.#lost(held, "not renewed in time");
    return held;
  }

  /** Forgets a lease this process can no longer prove, and says why. */
  #lost(held: Held, why: string): AppError {
    if (this.#held.get(held.lease.taskId) === held) this.#held.delete(held.lease.taskId);
    return leaseLost(held.lease, why);
  }

  /**
   * A write under a lease. If Redis cannot be reached, whether the write
   * happened is unknown and the lease cannot be renewed either: the owner
   * gives the lease up (`lease_lost`) and a later takeover continues from
   * whatever the log holds.
   */
  async #leaseWrite<T>(
    held: Held,
    what: string,
    keys: [string, KeyType][],
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const failure = await this.#storageError(what, keys, error);
      if (failure.retryable) {
        this.#lost(held, "Redis is unavailable");
        throw new AppError(
          "lease_lost",
          `Lease ${held.lease.epoch} of task ${held.lease.taskId} was given up: could not ${what}, Redis is unavailable (${errorMessage(error)}).`,
          { cause: error },
        );
      }
      throw failure;
    }
  }

  async renewLease(lease: Lease): Promise<void> {
    const held = this.#checkHeld(lease);
    const key = this.#key("lease", lease.taskId);
    const started = this.#now();
    const renewed = await this.#leaseWrite(held, "renew the lease", [[key, "string"]], () =>
      renewScript.run(this.#redis, [key], [held.value, this.#ttl]),
    );
    if (renewed !== 1) throw this.#lost(held, "taken over or expired");
    held.lastRenewedAt = started;
  }

  async releaseLease(lease: Lease): Promise<void> {
    const held = this.#held.get(lease.taskId);
    if (!held || held.lease.epoch !== lease.epoch) return;
    await held.queue;
    if (this.#held.get(lease.taskId) === held) this.#held.delete(lease.taskId);
    const keys: [string, KeyType][] = [
      [this.#key("task", lease.taskId), "hash"],
      [this.#key("lease", lease.taskId), "string"],
    ];
    await this.#call("release the lease", keys, () =>
      releaseScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [held.value, lease.epoch, lease.ownerId],
      ),
    );
  }

  async isLeaseCurrent(lease: Lease): Promise<boolean> {
    let held: Held;
    try {
      held = this.#checkHeld(lease);
    } catch {
      // #checkHeld only throws lease_lost (and forgets the lease).
      return false;
    }
    const key = this.#key("lease", lease.taskId);
    const value = await this.#call("read the lease", [[key, "string"]], () => this.#redis.get(key));
    if (value === held.value) return true;
    this.#lost(held, "taken over or expired");
    return false;
  }

  async currentOwner(taskId: string): Promise<{ ownerId: string; epoch: number } | null> {
    const key = this.#key("task", taskId);
    const [epoch, owner, released] = await this.#call("read the owner", [[key, "hash"]], () =>
      this.#redis.hmget(key, "epoch", "owner", "released"),
    );
    if (!owner || !epoch || epoch === released) return null;
    return { ownerId: owner, epoch: Number(epoch) };
  }

  // ── the log ──────────────────────────────────────────────────────────────

  async append(lease: Lease, records: NewRecord[]): Promise<TaskEvent[]> {
    const held = this.#held.get(lease.taskId);
    if (!held || held.lease.epoch !== lease.epoch) throw leaseLost(lease, "not held by this process");
    const run = held.queue.then(() => this.#appendNow(lease, records));
    // The caller gets the outcome from `run`; the queue only orders appends.
    held.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #appendNow(lease: Lease, records: NewRecord[]): Promise<TaskEvent[]> {
    const held = this.#checkHeld(lease);
    if (records.length === 0) return [];
    const args: string[] = [held.value];
    let eventCount = 0;
    for (const record of records) {
      if ("event" in record) {
        eventCount += 1;
        args.push("e", JSON.stringify({ type: record.event.type, data: record.event.data }));
      } else {
        args.push("c", JSON.stringify(record.checkpoint));
      }
    }
    const keys: [string, KeyType][] = [
      [this.#key("task", lease.taskId), "hash"],
      [this.#key("lease", lease.taskId), "string"],
      [this.#key("log", lease.taskId), "stream"],
    ];
    const reply = await this.#leaseWrite(held, "append to the event log", keys, () =>
      appendScript.run(
        this.#redis,
        keys.map(([key]) => key),
        args,
      ),
    );
    const lastId = parseReply(reply, z.number().int(), "append");
    if (lastId < 0) throw this.#lost(held, "taken over or expired");
    let nextId = lastId - eventCount + 1;
    const events: TaskEvent[] = [];
    for (const record of records) {
      if ("event" in record) events.push({ id: nextId++, type: record.event.type, data: record.event.data });
    }
    this.#followers.push(lease.taskId, events);
    return events;
  }

  async read(taskId: string, afterId: number, limit = 1000): Promise<ReadResult> {
    const key = this.#key("log", taskId);
    const events: TaskEvent[] = [];
    // Events after N start at stream id <N+1>-0; checkpoints in between are skipped.
    let start = `${Math.max(0, Math.floor(afterId)) + 1}-0`;
    for (;;) {
      const count = limit - events.length + 1;
      const entries = await this.#call("read the event log", [[key, "stream"]], () =>
        this.#redis.xrange(key, start, "+", "COUNT", count),
      );
      for (const [id, fields] of entries) {
        const record = parseEntry(key, id, fields);
        if (!("event" in record)) continue;
        if (events.length >= limit) return { events, more: true };
        events.push(record.event);
      }
      if (entries.length < count) return { events, more: false };
      start = `(${entries[entries.length - 1]![0]}`;
    }
  }

  async lastEventId(taskId: string): Promise<number> {
    assertId(taskId);
    const key = this.#key("log", taskId);
    // Checkpoints are <lastEventId>-<k>: the newest entry's first part is the last event id either way.
    const entries = await this.#call("read the event log", [[key, "stream"]], () =>
      this.#redis.xrevrange(key, "+", "-", "COUNT", 1),
    );
    const newest = entries[0];
    return newest ? parseStreamId(newest[0])[0] : 0;
  }

  async readLog(taskId: string): Promise<LogSnapshot> {
    const key = this.#key("log", taskId);
    const checkpoints: Checkpoint[] = [];
    const events: TaskEvent[] = [];
    let start = "-";
    for (;;) {
      const entries = await this.#call("read the event log", [[key, "stream"]], () =>
        this.#redis.xrange(key, start, "+", "COUNT", READ_CHUNK),
      );
      for (const [id, fields] of entries) {
        const record = parseEntry(key, id, fields);
        if ("event" in record) events.push(record.event);
        else checkpoints.push(record.checkpoint);
      }
      if (entries.length < READ_CHUNK) break;
      start = `(${entries[entries.length - 1]![0]}`;
    }
    return { checkpoints, events, lastEventId: events.at(-1)?.id ?? 0 };
  }

  /** XTRIM MINID under the lease, in one script: a stale owner's compaction is refused. */
  async compact(lease: Lease, beforeEventId: number): Promise<void> {
    const held = this.#checkHeld(lease);
    const keys: [string, KeyType][] = [
      [this.#key("lease", lease.taskId), "string"],
      [this.#key("log", lease.taskId), "stream"],
    ];
    const removed = await this.#leaseWrite(held, "compact the event log", keys, () =>
      compactScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [held.value, Math.max(1, Math.floor(beforeEventId))],
      ),
    );
    if (parseReply(removed, z.number().int(), "compact") < 0) throw this.#lost(held, "taken over or expired");
  }

  subscribe(
    taskId: string,
    afterId: number,
    onEvents: (events: TaskEvent[]) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe {
    assertId(taskId);
    return this.#followers.subscribe(taskId, afterId, onEvents, onError);
  }

  /**
   * A follower's read: waits out an unreachable Redis (the subscription
   * continues from its cursor when Redis is back) and ends the subscription
   * with an explicit error when the task is gone, rather than waiting forever.
   */
  async #followRead(
    taskId: string,
    afterId: number,
    limit: number,
    stopped: () => boolean,
  ): Promise<ReadResult> {
    let warned = false;
    for (;;) {
      if (stopped() || this.#closed) return { events: [], more: false };
      try {
        const result = await this.read(taskId, afterId, limit);
        if (result.events.length === 0 && !(await this.#taskExists(taskId))) {
          throw (await this.wasDeleted(taskId))
            ? taskGone()
            : new AppError("not_found", "The task no longer exists.");
        }
        return result;
      } catch (error) {
        if (!(error instanceof AppError && error.retryable)) throw error;
        if (!warned) this.#logger?.warn("store.follow_waiting", { taskId, error: errorMessage(error) });
        warned = true;
        await delay(this.#pollMs);
      }
    }
  }

  async #taskExists(taskId: string): Promise<boolean> {
    const key = this.#key("task", taskId);
    return (await this.#call("read the task", [[key, "hash"]], () => this.#redis.exists(key))) === 1;
  }

  /** Starts the XREAD loop if it is not running, or interrupts its wait so it includes a new task. */
  #wake(): void {
    if (this.#closed) return;
    if (this.#waking) {
      if (this.#blockerId !== null) {
        this.#redis.client("UNBLOCK", this.#blockerId).catch((error: unknown) => {
          // Only a latency optimization: the loop's timeout and the poll cover it.
          this.#logger?.debug("store.redis_unblock_failed", { error: errorMessage(error) });
        });
      }
      return;
    }
    this.#waking = true;
    void this.#wakeLoop().finally(() => {
      this.#waking = false;
    });
  }

  #blockingConnection(): Redis {
    if (!this.#blocker) {
      const blocker = this.#redis.duplicate({ lazyConnect: false });
      blocker.on("error", (error) =>
        this.#logger?.debug("store.redis_follow_error", { error: errorMessage(error) }),
      );
      blocker.on("close", () => {
        this.#blockerId = null;
      });
      this.#blocker = blocker;
    }
    return this.#blocker;
  }

  /**
   * One blocking XREAD over every followed task's stream, from the last id
   * each has seen: entries are pushed to the followers (or poke them), so a
   * follower on another process learns of an append within one round trip.
   */
  async #wakeLoop(): Promise<void> {
    while (!this.#closed && this.#watched.size > 0) {
      const blocker = this.#blockingConnection();
      if (blocker.status !== "ready") {
        await readyOrTimeout(blocker, RETRY_MS);
        continue;
      }
      const tasks = [...this.#watched.entries()];
      const ids = tasks.map(([, watched]) => {
        const cursor: StreamId = [watched.follower.lastId, 0];
        if (compareIds(cursor, watched.seen) > 0) watched.seen = cursor;
        return `${watched.seen[0]}-${watched.seen[1]}`;
      });
      try {
        this.#blockerId ??= Number(await blocker.client("ID"));
        const reply = await blocker.call(
          "XREAD",
          "COUNT",
          XREAD_COUNT,
          "BLOCK",
          XREAD_BLOCK_MS,
          "STREAMS",
          ...tasks.map(([taskId]) => this.#key("log", taskId)),
          ...ids,
        );
        this.#deliver(tasks, reply);
      } catch (error) {
        if (this.#closed) return;
        this.#logger?.debug("store.redis_follow_retry", { error: errorMessage(error) });
        await delay(RETRY_MS);
      }
    }
  }

  #deliver(tasks: [string, Watched][], reply: unknown): void {
    const parsed = xreadReplySchema.safeParse(reply);
    if (!parsed.success || parsed.data === null) return;
    for (const [key, entries] of parsed.data) {
      const found = tasks.find(([taskId]) => this.#key("log", taskId) === key);
      if (!found || entries.length === 0) continue;
      const [, watched] = found;
      watched.seen = parseStreamId(entries[entries.length - 1]![0]);
      const events: TaskEvent[] = [];
      try {
        for (const [id, fields] of entries) {
          const record = parseEntry(key, id, fields);
          if ("event" in record) events.push(record.event);
        }
      } catch (error) {
        // A damaged entry: let the follower's own read report it.
        this.#logger?.debug("store.redis_follow_unparsed", { error: errorMessage(error) });
        watched.follower.poke();
        continue;
      }
      if (events.length > 0) watched.follower.push(events);
    }
  }

  // ── controls ─────────────────────────────────────────────────────────────

  async sendControl(taskId: string, action: ControlAction): Promise<void> {
    const key = this.#key("controls", taskId);
    await this.#call("send a control", [[key, "list"]], async () => {
      const results = await this.#redis.multi().rpush(key, action).pexpire(key, CONTROL_TTL_MS).exec();
      for (const [error] of results ?? []) if (error) throw error;
    });
  }

  async takeControls(taskId: string): Promise<ControlAction[]> {
    const key = this.#key("controls", taskId);
    const reply = await this.#call("take controls", [[key, "list"]], () =>
      takeControlsScript.run(this.#redis, [key], []),
    );
    const actions: ControlAction[] = [];
    for (const item of parseReply(reply, z.array(z.string()), "take controls")) {
      const parsed = controlSchema.safeParse(item);
      if (parsed.success) actions.push(parsed.data);
      else this.#logger?.warn("store.control_unknown", { taskId, control: item.slice(0, 40) });
    }
    return actions;
  }

  /** Redis's own figure of its memory in use (`INFO memory`: used_memory), shared by every key prefix. */
  async usedBytes(): Promise<number> {
    const info = await this.#redis.info("memory");
    const match = /^used_memory:(\d+)/m.exec(info);
    return match ? Number(match[1]) : 0;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#followers.close();
    this.#held.clear();
    this.#blocker?.disconnect();
    try {
      await this.#redis.quit();
    } catch (error) {
      // Redis is unreachable: there is nothing to say goodbye to.
      this.#logger?.debug("store.redis_quit_failed", { error: errorMessage(error) });
      this.#redis.disconnect();
    }
  }
}

// ── helpers ──────────────────────────────────────────────────────────────

/**
 * A Redis that evicts keys under memory pressure can drop a task's log or a
 * lease: say so at start-up. Managed services often forbid CONFIG; then we
 * cannot tell, and say nothing.
 */
async function warnAboutEviction(redis: Redis, logger: Logger | undefined): Promise<void> {
  try {
    const reply = await redis.config("GET", "maxmemory-policy");
    const policy = Array.isArray(reply) ? reply[1] : undefined;
    if (typeof policy === "string" && policy !== "noeviction") {
      logger?.warn("store.redis_eviction", { maxmemoryPolicy: policy, expected: "noeviction" });
    }
  } catch (error) {
    logger?.debug("store.redis_config_unreadable", { error: errorMessage(error) });
  }
}

/**
 * DURABILITY=fsync on Redis is Redis's own AOF with `appendfsync always`:
 * Redis fsyncs the AOF before it sends the replies of an event-loop turn, so
 * neither the owner's append nor any follower's XREAD/XRANGE answer carries
 * an entry that is not on disk. Fathom cannot enforce that setting (managed
 * services often forbid CONFIG), so it says so at start-up when it is not set.
 */
async function warnAboutDurability(redis: Redis, logger: Logger | undefined): Promise<void> {
  try {
    const appendonly = await redis.config("GET", "appendonly");
    const appendfsync = await redis.config("GET", "appendfsync");
    const value = (reply: unknown) => (Array.isArray(reply) ? reply[1] : undefined);
    if (value(appendonly) !== "yes" || value(appendfsync) !== "always") {
      logger?.warn("store.redis_not_durable", {
        appendonly: value(appendonly),
        appendfsync: value(appendfsync),
        expected: "appendonly yes, appendfsync always (DURABILITY=fsync)",
      });
    }
  } catch (error) {
    logger?.debug("store.redis_config_unreadable", { error: errorMessage(error) });
  }
}

const xreadReplySchema = z
  .array(z.tuple([z.string(), z.array(z.tuple([z.string(), z.array(z.string())]))]))
  .nullable();

function leaseValue(lease: Lease): string {
  return `${lease.epoch}:${lease.ownerId}`;
}

function parseStreamId(id: string): StreamId {
  const [ms, seq] = id.split("-");
  return [Number(ms), Number(seq ?? 0)];
}

function compareIds(a: StreamId, b: StreamId): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** A stream entry: an event (<id>-0, field "e") or a checkpoint (<id>-<k>, field "c"). */
function parseEntry(
  key: string,
  id: string,
  fields: string[],
): { event: TaskEvent } | { checkpoint: Checkpoint } {
  const [eventId, seq] = parseStreamId(id);
  const [field, value] = fields;
  if (seq === 0 && field === "e" && value !== undefined) {
    const parsed = parseJson(value, storedEventSchema);
    if (parsed && eventId > 0) return { event: { id: eventId, type: parsed.type, data: parsed.data } };
  } else if (seq > 0 && field === "c" && value !== undefined) {
    const parsed = parseJson(value, checkpointSchema);
    if (parsed) return { checkpoint: { run: parsed.run, key: parsed.key, result: parsed.result } };
  }
  throw new AppError(
    "storage_error",
    `Entry ${id} of Redis stream "${key}" is not a Fathom event or checkpoint.`,
  );
}

function parseReply<T>(reply: unknown, schema: z.ZodType<T>, what: string): T {
  const parsed = schema.safeParse(reply);
  if (!parsed.success) throw new AppError("storage_error", `Unexpected reply from Redis to ${what}.`);
  return parsed.data;
}

/** Resolves when `redis` is ready or after `ms`, whichever is first. */
function readyOrTimeout(redis: Redis, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    redis.once("ready", done);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
