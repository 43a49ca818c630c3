import type Redis from "ioredis";
import { z } from "zod";
import { AppError } from "../../errors";
import type { Logger } from "../../log";
import { replayEvents } from "../../model/replay";
import { type TaskJson, taskJsonSchema } from "../../model/task-json";
import { parseJson } from "../../parse-json";
import type { Lease, LogSnapshot } from "../types";
import type { RedisErrors } from "./redis-errors";
import { keyNames, type RedisKeys } from "./redis-keys";
import type { RedisLeases } from "./redis-leases";
import { parseReply } from "./redis-replies";
import { createScript, deleteScript, saveScript } from "./redis-scripts";

export interface RedisTasksOptions {
  redis: Redis;
  keys: RedisKeys;
  errors: RedisErrors;
  leases: RedisLeases;
  /** How long a deleted task's tombstone is kept, in ms. */
  tombstoneTtlMs: number;
  /** The whole log, to rebuild a damaged snapshot. */
  readLog: (taskId: string) => Promise<LogSnapshot>;
  logger?: Logger;
}

/**
 * A task's hash (its snapshot, created once, saved by the owner under its
 * lease, rebuilt from the log when damaged) and its tombstone. Creating and
 * deleting are one script each, over every key the task touches.
 */
export class RedisTasks {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #errors: RedisErrors;
  readonly #leases: RedisLeases;
  readonly #tombstoneTtlMs: number;
  readonly #readLog: RedisTasksOptions["readLog"];
  readonly #logger?: Logger;

  constructor(options: RedisTasksOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#errors = options.errors;
    this.#leases = options.leases;
    this.#tombstoneTtlMs = options.tombstoneTtlMs;
    this.#readLog = options.readLog;
    this.#logger = options.logger;
  }

  async create(task: TaskJson): Promise<{ created: boolean; task: TaskJson }> {
    const keys = this.#keys.everyKey(task.id);
    const reply = await this.#errors.call("create the task", keys, () =>
      createScript.run(this.#redis, keyNames(keys), [JSON.stringify(task), task.id]),
    );
    const [created, stored] = parseReply(reply, z.tuple([z.number(), z.string()]), "create");
    if (created === 1) return { created: true, task };
    const existing = parseJson(stored, taskJsonSchema) ?? (await this.#recover(task.id));
    if (!existing) throw new AppError("storage_error", `Task ${task.id} exists but cannot be read.`);
    return { created: false, task: existing };
  }

  async get(taskId: string): Promise<TaskJson | null> {
    const key = this.#keys.task("task", taskId);
    const [exists, text] = await this.#errors.call("read the task", [[key, "hash"]], async () => {
      const state = await this.#redis.hget(key, "state");
      return [state !== null || (await this.#redis.exists(key)) === 1, state] as const;
    });
    if (!exists) return null;
    const parsed = text === null ? null : parseJson(text, taskJsonSchema);
    if (parsed) return parsed;
    this.#logger?.error("store.state_damaged", { taskId });
    return this.#recover(taskId);
  }

  /** A damaged snapshot: start from the creation snapshot and replay the log over it. */
  async #recover(taskId: string): Promise<TaskJson | null> {
    const key = this.#keys.task("task", taskId);
    const text = await this.#errors.call("read the task", [[key, "hash"]], () =>
      this.#redis.hget(key, "created"),
    );
    const created = text === null ? null : parseJson(text, taskJsonSchema);
    if (!created) return null;
    const { events } = await this.#readLog(taskId);
    return replayEvents(created, events);
  }

  async exists(taskId: string): Promise<boolean> {
    const key = this.#keys.task("task", taskId);
    return (await this.#errors.call("read the task", [[key, "hash"]], () => this.#redis.exists(key))) === 1;
  }

  async save(lease: Lease, task: TaskJson): Promise<void> {
    if (task.id !== lease.taskId) {
      throw new AppError("invalid_request", `Expected task ${lease.taskId} (the lease's), got ${task.id}.`);
    }
    const held = this.#leases.check(lease);
    const keys = this.#keys.typed(lease.taskId, "task", "lease");
    const saved = await this.#leases.write(held, "write task state", keys, () =>
      saveScript.run(this.#redis, keyNames(keys), [held.value, JSON.stringify(task)]),
    );
    if (saved !== 1) throw this.#leases.lost(held, "taken over or expired");
  }

  /** Removes the task's keys in one script, leaving a tombstone that expires after `tombstoneTtlMs`. */
  async delete(taskId: string): Promise<void> {
    const keys = this.#keys.everyKey(taskId);
    await this.#errors.call("delete the task", keys, () =>
      deleteScript.run(this.#redis, keyNames(keys), [taskId, this.#tombstoneTtlMs]),
    );
    this.#leases.forget(taskId);
  }

  async wasDeleted(taskId: string): Promise<boolean> {
    const key = this.#keys.task("deleted", taskId);
    return (
      (await this.#errors.call("read the tombstone", [[key, "string"]], () => this.#redis.exists(key))) === 1
    );
  }
}
