import type Redis from "ioredis";
import { AppError, errorMessage } from "../../errors";
import type { Logger } from "../../log";
import { isRedisUnavailable, isWrongType } from "./redis-connection";
import type { KeyType, TypedKey } from "./redis-keys";

/**
 * Turns what Redis throws into the AppErrors callers see: a key of the wrong
 * type is named (someone else wrote under the prefix), an unreachable server
 * is a retryable storage error, anything else a storage error with its
 * message.
 */
export class RedisErrors {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #logger?: Logger;

  constructor(redis: Redis, prefix: string, logger?: Logger) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#logger = logger;
  }

  /** Runs Redis commands for `what` (e.g. "read the task"); `keys` are the keys they touch, for the diagnosis. */
  async call<T>(what: string, keys: TypedKey[], run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw await this.diagnose(what, keys, error);
    }
  }

  async diagnose(what: string, keys: TypedKey[], error: unknown): Promise<AppError> {
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

  async #findWrongType(keys: TypedKey[]): Promise<{ key: string; actual: string; expected: KeyType } | null> {
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
}
