import type Redis from "ioredis";
import { z } from "zod";
import { AppError, errorMessage } from "../../errors";
import { renewedInTime } from "../self-fencing";
import { leaseLost } from "../store-errors";
import type { AcquiredLease, AcquireKind, Lease } from "../types";
import type { RedisErrors } from "./redis-errors";
import { keyNames, type RedisKeys, type TypedKey } from "./redis-keys";
import { parseReply } from "./redis-replies";
import { acquireScript, releaseScript, renewScript } from "./redis-scripts";

/**
 * Leases of the Redis store. Acquiring is one script — if the lease key is
 * absent, bump the epoch in the task hash and `SET lease "<epoch>:<ownerId>"
 * PX ttl` — so each epoch has exactly one winner. Redis's own expiry is the
 * lease clock: no host's clock is compared with another's. A task created
 * again after a delete continues the deleted one's epochs (kept in its
 * tombstone). Kinds: "new" (never owned), "released" (the last owner released
 * it), "expired" (the lease key vanished by expiry).
 *
 * The owner also fences itself (`lib/store/self-fencing.ts`). An owner that
 * cannot reach Redis for a write or renewal gives the lease up (`lease_lost`)
 * rather than guess whether the write happened; when Redis is back the lease
 * key expires and a process takes the task over from the log.
 */

/** A lease this process holds. */
export interface Held {
  lease: Lease;
  /** The lease key's value: "<epoch>:<ownerId>". */
  value: string;
  lastRenewedAt: number;
  /** Serializes this owner's appends, so ids follow call order and release waits for them. */
  queue: Promise<unknown>;
}

export interface RedisLeasesOptions {
  redis: Redis;
  keys: RedisKeys;
  errors: RedisErrors;
  leaseTtlMs: number;
  now: () => number;
}

export class RedisLeases {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #errors: RedisErrors;
  readonly #ttl: number;
  readonly #now: () => number;
  readonly #held = new Map<string, Held>();

  constructor(options: RedisLeasesOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#errors = options.errors;
    this.#ttl = options.leaseTtlMs;
    this.#now = options.now;
  }

  /** The lease this process holds on `taskId`, unchecked. */
  held(taskId: string): Held | undefined {
    return this.#held.get(taskId);
  }

  /** Forgets this process's lease on `taskId` (the task was deleted, or the store closes). */
  forget(taskId: string): void {
    this.#held.delete(taskId);
  }

  forgetAll(): void {
    this.#held.clear();
  }

  async acquire(taskId: string, ownerId: string): Promise<AcquiredLease | null> {
    const keys = this.#keys.typed(taskId, "task", "lease");
    const started = this.#now();
    const reply = await this.#errors.call("acquire the lease", keys, () =>
      acquireScript.run(this.#redis, keyNames(keys), [ownerId, this.#ttl]),
    );
    const [epoch, kind] = parseReply(reply, z.tuple([z.number(), z.string()]), "acquire");
    if (epoch === 0) return null;
    const lease: Lease = { taskId, ownerId, epoch };
    this.#held.set(taskId, {
      lease,
      value: `${lease.epoch}:${lease.ownerId}`,
      lastRenewedAt: started,
      queue: Promise.resolve(),
    });
    return { ...lease, kind: z.enum(["new", "released", "expired"]).parse(kind) satisfies AcquireKind };
  }

  /** The lease this process holds for `lease`, within its self-fencing time; otherwise `lease_lost`. */
  check(lease: Lease): Held {
    const held = this.#held.get(lease.taskId);
    if (!held || held.lease.epoch !== lease.epoch || held.lease.ownerId !== lease.ownerId) {
      throw leaseLost(lease, "not held by this process");
    }
    if (!renewedInTime(this.#now(), held.lastRenewedAt, this.#ttl))
      throw this.lost(held, "not renewed in time");
    return held;
  }

  /** Forgets a lease this process can no longer prove, and says why. */
  lost(held: Held, why: string): AppError {
    if (this.#held.get(held.lease.taskId) === held) this.#held.delete(held.lease.taskId);
    return leaseLost(held.lease, why);
  }

  /**
   * A write under a lease. If Redis cannot be reached, whether the write
   * happened is unknown and the lease cannot be renewed either: the owner
   * gives the lease up (`lease_lost`) and a later takeover continues from
   * whatever the log holds.
   */
  async write<T>(held: Held, what: string, keys: TypedKey[], run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const failure = await this.#errors.diagnose(what, keys, error);
      if (failure.retryable) {
        this.lost(held, "Redis is unavailable");
        throw new AppError(
          "lease_lost",
          `Lease ${held.lease.epoch} of task ${held.lease.taskId} was given up: could not ${what}, Redis is unavailable (${errorMessage(error)}).`,
          { cause: error },
        );
      }
      throw failure;
    }
  }

  async renew(lease: Lease): Promise<void> {
    const held = this.check(lease);
    const keys = this.#keys.typed(lease.taskId, "lease");
    const started = this.#now();
    const renewed = await this.write(held, "renew the lease", keys, () =>
      renewScript.run(this.#redis, keyNames(keys), [held.value, this.#ttl]),
    );
    if (renewed !== 1) throw this.lost(held, "taken over or expired");
    held.lastRenewedAt = started;
  }

  async release(lease: Lease): Promise<void> {
    const held = this.#held.get(lease.taskId);
    if (!held || held.lease.epoch !== lease.epoch) return;
    await held.queue;
    if (this.#held.get(lease.taskId) === held) this.#held.delete(lease.taskId);
    const keys = this.#keys.typed(lease.taskId, "task", "lease");
    await this.#errors.call("release the lease", keys, () =>
      releaseScript.run(this.#redis, keyNames(keys), [held.value, lease.epoch, lease.ownerId]),
    );
  }

  async isCurrent(lease: Lease): Promise<boolean> {
    let held: Held;
    try {
      held = this.check(lease);
    } catch {
      // check() only throws lease_lost (and forgets the lease).
      return false;
    }
    const key = this.#keys.task("lease", lease.taskId);
    const value = await this.#errors.call("read the lease", [[key, "string"]], () => this.#redis.get(key));
    if (value === held.value) return true;
    this.lost(held, "taken over or expired");
    return false;
  }

  async currentOwner(taskId: string): Promise<{ ownerId: string; epoch: number } | null> {
    const key = this.#keys.task("task", taskId);
    const [epoch, owner, released] = await this.#errors.call("read the owner", [[key, "hash"]], () =>
      this.#redis.hmget(key, "epoch", "owner", "released"),
    );
    if (!owner || !epoch || epoch === released) return null;
    return { ownerId: owner, epoch: Number(epoch) };
  }
}
