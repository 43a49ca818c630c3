import type Redis from "ioredis";
import type { Config } from "../../config";
import { AppError, errorMessage } from "../../errors";
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
import { RedisCollections } from "./redis-collections";
import { connectRedis } from "./redis-connection";
import { RedisControls } from "./redis-controls";
import { RedisErrors } from "./redis-errors";
import { followerRead, RedisFollower } from "./redis-follower";
import { RedisKeys } from "./redis-keys";
import { RedisLeases } from "./redis-leases";
import { RedisListing } from "./redis-listing";
import { RedisLog } from "./redis-log";
import { RedisSchedules } from "./redis-schedules";
import { warnAboutDurability, warnAboutEviction } from "./redis-server-checks";
import { RedisTasks } from "./redis-tasks";

/**
 * The scale-out store: tasks, event logs and leases in one Redis server
 * (`TASK_STORE=redis://…`). It keeps the guarantees of `TaskStore` exactly as
 * the file store does; only the mechanisms differ. This class only wires its
 * parts together, each in a file of its own:
 *
 *   redis-keys.ts           the keys (documented there)
 *   redis-scripts.ts        the Lua scripts; redis-replies.ts parsing what Redis answers
 *   redis-errors.ts         diagnosing failures (a key of the wrong type, an unreachable server)
 *   redis-tasks.ts          snapshots, creation, deletion, tombstones; redis-listing.ts listing and the active set
 *   redis-leases.ts         leases, fencing, self-fencing
 *   redis-log.ts            appends and reads of the stream, compaction
 *   redis-follower.ts       the XREAD loop that wakes followers
 *   redis-controls.ts       controls for the owner
 *   redis-collections.ts    collections and their documents (`collections`); redis-collection-scripts.ts their scripts
 *   redis-schedules.ts      schedules, fire claims, run records, webhook deliveries (`schedules`); redis-schedule-scripts.ts
 *   redis-server-checks.ts  start-up warnings about the server's settings; redis-connection.ts connecting
 *
 * Fencing: every write that needs the lease (append, save, renew) is one Lua
 * script that first checks that the lease key still holds this owner's
 * "<epoch>:<ownerId>" and only then writes. Scripts run atomically, so a
 * stale owner's write either happened while it was the owner or is refused
 * (`lease_lost`); it can never land after a takeover. Event ids come from a
 * counter in the task hash, assigned inside the same script.
 *
 * Following: the shared `FollowerRegistry`, woken by the XREAD loop; its
 * poll every `pollMs` is the guarantee if that loop is down. Followers retry
 * while Redis is unreachable and continue where they were when it returns.
 *
 * Retention is the manager's sweeper, as with files: it deletes finished
 * tasks past MAX_TASK_AGE_HOURS and leaves a tombstone (410). Unlike the file
 * store's, a tombstone expires after `tombstoneTtlMs` (Redis memory is
 * finite); controls nobody takes expire `controlTtlMs` after the last one was sent.
 *
 * Not supported: Redis Cluster (scripts touch a task's keys and the global
 * sets together). Durability is Redis's: run it with `appendonly yes` so an
 * acknowledged event survives a Redis restart, and `maxmemory-policy
 * noeviction` so no key is evicted (a warning is logged at start-up otherwise).
 * Replication is asynchronous: a write acknowledged by a primary that fails
 * before a replica got it is lost when the replica is promoted.
 */

/** Options of `RedisTaskStore`. */
export interface RedisStoreOptions {
  /** A connection this store owns (closed by `close()`); see `connectRedis`. */
  redis: Redis;
  /** Prefix of every key, e.g. "fathom:". Required, non-empty. */
  prefix: string;
  /** Lease time in ms: a lease not renewed for this long expires. */
  leaseTtlMs: number;
  /** Polling interval of log followers, in ms; also the pause of a follower's read while Redis is unreachable. */
  pollMs: number;
  /** How long a deleted task's tombstone is kept (410 rather than 404), in ms. Default 7 days. */
  tombstoneTtlMs?: number;
  /** How long controls nobody takes are kept after the last one was sent, in ms. Default 7 days. */
  controlTtlMs?: number;
  /** How long one blocking XREAD of the follower loop waits before it starts over, in ms. Default 2000. */
  xreadBlockMs?: number;
  /** Stream entries one XREAD of the follower loop returns at most. Default 500. */
  xreadCount?: number;
  /** Pause before the follower loop retries after an error or while Redis is unreachable, in ms. Default 250. */
  followRetryMs?: number;
  /** Stream entries per XRANGE when a whole log is read (recovery, replay). Default 1000. */
  readLogChunk?: number;
  /** Where warnings and errors are logged. Default: nowhere. */
  logger?: Logger;
  /** Monotonic clock in ms for the owner's self-fencing. Default `performance.now`. */
  now?: () => number;
}

/** Options of `RedisTaskStore.connect`: the store's, with a URL instead of a connection. */
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

const DAY_MS = 86_400_000;
const DEFAULT_TOMBSTONE_TTL_MS = 7 * DAY_MS;
const DEFAULT_CONTROL_TTL_MS = 7 * DAY_MS;
const DEFAULT_XREAD_BLOCK_MS = 2000;
const DEFAULT_XREAD_COUNT = 500;
const DEFAULT_FOLLOW_RETRY_MS = 250;
const DEFAULT_READ_LOG_CHUNK = 1000;

export class RedisTaskStore implements TaskStore {
  readonly kind = "redis" as const;
  readonly collections: CollectionStore;
  readonly schedules: ScheduleStore;
  readonly #redis: Redis;
  readonly #logger?: Logger;
  readonly #leases: RedisLeases;
  readonly #tasks: RedisTasks;
  readonly #listing: RedisListing;
  readonly #log: RedisLog;
  readonly #controls: RedisControls;
  readonly #follower: RedisFollower;
  readonly #followers: FollowerRegistry;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    if (!options.prefix)
      throw new AppError("invalid_request", 'Expected a non-empty Redis key prefix, got "".');
    expectPositive(options.tombstoneTtlMs, "a positive tombstone lifetime");
    if (!(options.leaseTtlMs > 0)) {
      throw new AppError("invalid_request", `Expected a positive lease time, got ${options.leaseTtlMs}.`);
    }
    expectPositive(options.controlTtlMs, "a positive control lifetime");
    expectPositive(options.xreadBlockMs, "a positive XREAD block time");
    expectPositive(options.xreadCount, "a positive XREAD count");
    expectPositive(options.followRetryMs, "a positive follow retry pause");
    expectPositive(options.readLogChunk, "a positive log read chunk");
    const { redis, logger } = options;
    const now = options.now ?? (() => performance.now());
    const keys = new RedisKeys(options.prefix);
    const errors = new RedisErrors(redis, options.prefix, logger);
    const leases = new RedisLeases({ redis, keys, errors, leaseTtlMs: options.leaseTtlMs, now });
    this.#follower = new RedisFollower({
      redis,
      keys,
      xreadBlockMs: options.xreadBlockMs ?? DEFAULT_XREAD_BLOCK_MS,
      xreadCount: options.xreadCount ?? DEFAULT_XREAD_COUNT,
      retryMs: options.followRetryMs ?? DEFAULT_FOLLOW_RETRY_MS,
      logger,
    });
    const readFollowed = {
      read: (taskId: string, afterId: number, limit: number) => this.read(taskId, afterId, limit),
      exists: (taskId: string) => this.#tasks.exists(taskId),
      wasDeleted: (taskId: string) => this.wasDeleted(taskId),
      retryMs: options.pollMs,
      logger,
    };
    this.#followers = new FollowerRegistry({
      read: (taskId, afterId, limit, stopped) =>
        followerRead(readFollowed, taskId, afterId, limit, () => stopped() || this.#closed),
      pollMs: options.pollMs,
      wakeUps: (taskId, follower) => this.#follower.watch(taskId, follower),
    });
    const log = new RedisLog({
      redis,
      keys,
      errors,
      leases,
      followers: this.#followers,
      readLogChunk: options.readLogChunk ?? DEFAULT_READ_LOG_CHUNK,
    });
    const tasks = new RedisTasks({
      redis,
      keys,
      errors,
      leases,
      tombstoneTtlMs: options.tombstoneTtlMs ?? DEFAULT_TOMBSTONE_TTL_MS,
      readLog: (taskId) => log.readLog(taskId),
      logger,
    });
    this.#redis = redis;
    this.#logger = logger;
    this.#leases = leases;
    this.#log = log;
    this.#tasks = tasks;
    this.#listing = new RedisListing({ redis, keys, errors, getTask: (taskId) => tasks.get(taskId) });
    this.collections = new RedisCollections({ redis, keys, errors, logger });
    this.schedules = new RedisSchedules({ redis, keys, errors, logger });
    this.#controls = new RedisControls({
      redis,
      keys,
      errors,
      controlTtlMs: options.controlTtlMs ?? DEFAULT_CONTROL_TTL_MS,
      logger,
    });
  }

  /** Connects to `url` and returns a store that owns the connection. */
  static async connect(options: RedisStoreConnectOptions): Promise<RedisTaskStore> {
    const redis = await connectRedis({ url: options.url, logger: options.logger });
    await warnAboutEviction(redis, options.logger);
    if (options.durability === "fsync") await warnAboutDurability(redis, options.logger);
    return new RedisTaskStore({ ...options, redis });
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

  wasDeleted(taskId: string): Promise<boolean> {
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
    return this.#log.append(lease, records);
  }

  read(taskId: string, afterId: number, limit = 1000): Promise<ReadResult> {
    return this.#log.read(taskId, afterId, limit);
  }

  lastEventId(taskId: string): Promise<number> {
    return this.#log.lastEventId(taskId);
  }

  readLog(taskId: string): Promise<LogSnapshot> {
    return this.#log.readLog(taskId);
  }

  compact(lease: Lease, beforeEventId: number): Promise<void> {
    return this.#log.compact(lease, beforeEventId);
  }

  subscribe(
    taskId: string,
    afterId: number,
    onEvents: (events: TaskEvent[]) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe {
    assertTaskId(taskId);
    return this.#followers.subscribe(taskId, afterId, onEvents, onError);
  }

  // ── controls ─────────────────────────────────────────────────────────────

  sendControl(taskId: string, action: ControlAction): Promise<void> {
    return this.#controls.send(taskId, action);
  }

  takeControls(taskId: string): Promise<ControlAction[]> {
    return this.#controls.take(taskId);
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
    this.#leases.forgetAll();
    this.#follower.close();
    try {
      await this.#redis.quit();
    } catch (error) {
      // Redis is unreachable: there is nothing to say goodbye to.
      this.#logger?.debug("store.redis_quit_failed", { error: errorMessage(error) });
      this.#redis.disconnect();
    }
  }
}
