import type Redis from "ioredis";
import { AppError, errorMessage } from "../../errors";
import type { Logger } from "../../log";
import type { TaskEvent } from "../../model/events";
import type { LogFollower } from "../log-follower";
import { taskGone } from "../store-errors";
import type { ReadResult } from "../types";
import type { RedisKeys } from "./redis-keys";
import { compareIds, parseEntry, parseStreamId, type StreamId, xreadReplySchema } from "./redis-replies";

/** A task the XREAD loop wakes the follower of. */
interface Watched {
  follower: LogFollower;
  /** Last stream id the XREAD loop saw for this task. */
  seen: StreamId;
}

export interface RedisFollowerOptions {
  /** The store's connection; the loop blocks on a duplicate of it. */
  redis: Redis;
  keys: RedisKeys;
  /** How long one XREAD blocks before it starts over, in ms. */
  xreadBlockMs: number;
  /** Entries one XREAD returns at most. */
  xreadCount: number;
  /** Pause before the loop retries after an error or while Redis is unreachable, in ms. */
  retryMs: number;
  logger?: Logger;
}

/**
 * The Redis store's wake-up source for followers: one blocking `XREAD` over
 * every followed task's stream, on a dedicated connection, from the last id
 * each has seen. It reads from a cursor (not pub/sub: nothing is lost
 * between two reads) and pushes entries to the followers (or pokes them), so
 * a follower on another process learns of an append within one round trip.
 * The registry's poll is the guarantee while this loop is down.
 */
export class RedisFollower {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #xreadBlockMs: number;
  readonly #xreadCount: number;
  readonly #retryMs: number;
  readonly #logger?: Logger;
  readonly #watched = new Map<string, Watched>();
  #blocker: Redis | null = null;
  #blockerId: number | null = null;
  #waking = false;
  #closed = false;

  constructor(options: RedisFollowerOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#xreadBlockMs = options.xreadBlockMs;
    this.#xreadCount = options.xreadCount;
    this.#retryMs = options.retryMs;
    this.#logger = options.logger;
  }

  /** A `WakeUpSource`: includes `taskId` in the loop until the returned function is called. */
  watch(taskId: string, follower: LogFollower): () => void {
    this.#watched.set(taskId, { follower, seen: [0, 0] });
    this.#wake();
    return () => this.#watched.delete(taskId);
  }

  /** Stops the loop for good and drops its connection. */
  close(): void {
    this.#closed = true;
    this.#blocker?.disconnect();
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
    void this.#loop().finally(() => {
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

  async #loop(): Promise<void> {
    while (!this.#closed && this.#watched.size > 0) {
      const blocker = this.#blockingConnection();
      if (blocker.status !== "ready") {
        await readyOrTimeout(blocker, this.#retryMs);
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
          this.#xreadCount,
          "BLOCK",
          this.#xreadBlockMs,
          "STREAMS",
          ...tasks.map(([taskId]) => this.#keys.task("log", taskId)),
          ...ids,
        );
        this.#deliver(tasks, reply);
      } catch (error) {
        if (this.#closed) return;
        this.#logger?.debug("store.redis_follow_retry", { error: errorMessage(error) });
        await delay(this.#retryMs);
      }
    }
  }

  #deliver(tasks: [string, Watched][], reply: unknown): void {
    const parsed = xreadReplySchema.safeParse(reply);
    if (!parsed.success || parsed.data === null) return;
    for (const [key, entries] of parsed.data) {
      const found = tasks.find(([taskId]) => this.#keys.task("log", taskId) === key);
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
}

export interface FollowerReadOptions {
  read: (taskId: string, afterId: number, limit: number) => Promise<ReadResult>;
  exists: (taskId: string) => Promise<boolean>;
  wasDeleted: (taskId: string) => Promise<boolean>;
  /** Pause between two tries while Redis is unreachable, in ms. */
  retryMs: number;
  logger?: Logger;
}

/**
 * A follower's read: waits out an unreachable Redis (the subscription
 * continues from its cursor when Redis is back) and ends the subscription
 * with an explicit error when the task is gone, rather than waiting forever.
 */
export async function followerRead(
  options: FollowerReadOptions,
  taskId: string,
  afterId: number,
  limit: number,
  stopped: () => boolean,
): Promise<ReadResult> {
  let warned = false;
  for (;;) {
    if (stopped()) return { events: [], more: false };
    try {
      const result = await options.read(taskId, afterId, limit);
      if (result.events.length === 0 && !(await options.exists(taskId))) {
        throw (await options.wasDeleted(taskId))
          ? taskGone()
          : new AppError("not_found", "The task no longer exists.");
      }
      return result;
    } catch (error) {
      if (!(error instanceof AppError && error.retryable)) throw error;
      if (!warned) options.logger?.warn("store.follow_waiting", { taskId, error: errorMessage(error) });
      warned = true;
      await delay(options.retryMs);
    }
  }
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
