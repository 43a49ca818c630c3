import type Redis from "ioredis";
import { z } from "zod";
import type { Checkpoint, NewRecord, TaskEvent } from "../../model/events";
import type { FollowerRegistry } from "../follower-registry";
import { assertTaskId, leaseLost } from "../store-errors";
import type { Lease, LogSnapshot, ReadResult } from "../types";
import type { RedisErrors } from "./redis-errors";
import { keyNames, type RedisKeys } from "./redis-keys";
import type { RedisLeases } from "./redis-leases";
import { parseEntry, parseReply, parseStreamId } from "./redis-replies";
import { appendScript, compactScript } from "./redis-scripts";

export interface RedisLogOptions {
  redis: Redis;
  keys: RedisKeys;
  errors: RedisErrors;
  leases: RedisLeases;
  /** Gets this process's appends at once. */
  followers: FollowerRegistry;
  /** Stream entries per XRANGE when reading a whole log. */
  readLogChunk: number;
}

/**
 * A task's log as a Redis Stream whose entry ids are the event ids (events
 * `<id>-0`, checkpoints `<lastEventId>-<k>`). Every append is one script
 * that checks the lease and takes the next ids from the task hash's counter,
 * so fencing is atomic with the write.
 */
export class RedisLog {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #errors: RedisErrors;
  readonly #leases: RedisLeases;
  readonly #followers: FollowerRegistry;
  readonly #readLogChunk: number;

  constructor(options: RedisLogOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#errors = options.errors;
    this.#leases = options.leases;
    this.#followers = options.followers;
    this.#readLogChunk = options.readLogChunk;
  }

  async append(lease: Lease, records: NewRecord[]): Promise<TaskEvent[]> {
    const held = this.#leases.held(lease.taskId);
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
    const held = this.#leases.check(lease);
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
    const keys = this.#keys.typed(lease.taskId, "task", "lease", "log");
    const reply = await this.#leases.write(held, "append to the event log", keys, () =>
      appendScript.run(this.#redis, keyNames(keys), args),
    );
    const lastId = parseReply(reply, z.number().int(), "append");
    if (lastId < 0) throw this.#leases.lost(held, "taken over or expired");
    let nextId = lastId - eventCount + 1;
    const events: TaskEvent[] = [];
    for (const record of records) {
      if ("event" in record) events.push({ id: nextId++, type: record.event.type, data: record.event.data });
    }
    this.#followers.push(lease.taskId, events);
    return events;
  }

  async read(taskId: string, afterId: number, limit: number): Promise<ReadResult> {
    const key = this.#keys.task("log", taskId);
    const events: TaskEvent[] = [];
    // Events after N start at stream id <N+1>-0; checkpoints in between are skipped.
    let start = `${Math.max(0, Math.floor(afterId)) + 1}-0`;
    for (;;) {
      const count = limit - events.length + 1;
      const entries = await this.#errors.call("read the event log", [[key, "stream"]], () =>
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
    assertTaskId(taskId);
    const key = this.#keys.task("log", taskId);
    // Checkpoints are <lastEventId>-<k>: the newest entry's first part is the last event id either way.
    const entries = await this.#errors.call("read the event log", [[key, "stream"]], () =>
      this.#redis.xrevrange(key, "+", "-", "COUNT", 1),
    );
    const newest = entries[0];
    return newest ? parseStreamId(newest[0])[0] : 0;
  }

  async readLog(taskId: string): Promise<LogSnapshot> {
    const key = this.#keys.task("log", taskId);
    const checkpoints: Checkpoint[] = [];
    const events: TaskEvent[] = [];
    let start = "-";
    for (;;) {
      const entries = await this.#errors.call("read the event log", [[key, "stream"]], () =>
        this.#redis.xrange(key, start, "+", "COUNT", this.#readLogChunk),
      );
      for (const [id, fields] of entries) {
        const record = parseEntry(key, id, fields);
        if ("event" in record) events.push(record.event);
        else checkpoints.push(record.checkpoint);
      }
      if (entries.length < this.#readLogChunk) break;
      start = `(${entries[entries.length - 1]![0]}`;
    }
    return { checkpoints, events, lastEventId: events.at(-1)?.id ?? 0 };
  }

  /** XTRIM MINID under the lease, in one script: a stale owner's compaction is refused. */
  async compact(lease: Lease, beforeEventId: number): Promise<void> {
    const held = this.#leases.check(lease);
    const keys = this.#keys.typed(lease.taskId, "lease", "log");
    const removed = await this.#leases.write(held, "compact the event log", keys, () =>
      compactScript.run(this.#redis, keyNames(keys), [held.value, Math.max(1, Math.floor(beforeEventId))]),
    );
    if (parseReply(removed, z.number().int(), "compact") < 0)
      throw this.#leases.lost(held, "taken over or expired");
  }
}
