import type Redis from "ioredis";
import { isTaskId, type TaskJson, taskJsonSchema } from "../../model/task-json";
import { parseJson } from "../../parse-json";
import { pruneCache, splitListing } from "../snapshot-cache";
import { assertTaskId } from "../store-errors";
import type { RedisErrors } from "./redis-errors";
import type { RedisKeys } from "./redis-keys";

export interface RedisListingOptions {
  redis: Redis;
  keys: RedisKeys;
  errors: RedisErrors;
  /** Reads one task the slow way (a damaged snapshot is rebuilt from the log). */
  getTask: (taskId: string) => Promise<TaskJson | null>;
}

/**
 * Listing tasks from the `tasks` and `active` sets, pipelined, with a cache
 * of parsed snapshots; and keeping the active set.
 */
export class RedisListing {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #errors: RedisErrors;
  readonly #getTask: RedisListingOptions["getTask"];
  /** Parsed snapshots of the last listing, by id, with the text they were parsed from. */
  readonly #snapshots = new Map<string, { text: string; task: TaskJson }>();

  constructor(options: RedisListingOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#errors = options.errors;
    this.#getTask = options.getTask;
  }

  async taskIds(): Promise<string[]> {
    const index = this.#keys.index;
    return this.#errors.call("list tasks", [[index, "set"]], async () => {
      const ids = (await this.#redis.smembers(index)).filter(isTaskId);
      if (ids.length === 0) return [];
      const pipeline = this.#redis.pipeline();
      for (const id of ids) pipeline.exists(this.#keys.task("task", id));
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
  async tasks(): Promise<TaskJson[]> {
    const [all, active] = await Promise.all([this.taskIds(), this.activeTaskIds()]);
    const { current: tasks, toRead: ids } = splitListing(all, new Set(active), this.#snapshots);
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hget(this.#keys.task("task", id), "state");
    const results = await this.#errors.call("list tasks", [], async () => (await pipeline.exec()) ?? []);
    for (const [index, id] of ids.entries()) {
      const [error, text] = results[index] ?? [null, null];
      if (error)
        throw await this.#errors.diagnose("list tasks", [[this.#keys.task("task", id), "hash"]], error);
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
      const task = parseJson(text, taskJsonSchema) ?? (await this.#getTask(id));
      if (!task) continue;
      this.#snapshots.set(id, { text, task });
      tasks.push(task);
    }
    pruneCache(this.#snapshots, all);
    return tasks;
  }

  async activeTaskIds(): Promise<string[]> {
    const key = this.#keys.active;
    const ids = await this.#errors.call("list active tasks", [[key, "set"]], () => this.#redis.smembers(key));
    return ids.filter(isTaskId);
  }

  async setActive(taskId: string, active: boolean): Promise<void> {
    assertTaskId(taskId);
    const key = this.#keys.active;
    await this.#errors.call("update the active set", [[key, "set"]], () =>
      active ? this.#redis.sadd(key, taskId) : this.#redis.srem(key, taskId),
    );
  }
}
