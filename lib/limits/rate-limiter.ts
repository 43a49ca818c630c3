/** Options of `RateLimiter`. */
export interface RateLimiterOptions {
  /** Admissions per key per minute; 0 turns the limiter off. */
  perMinute: number;
  /** Monotonic clock in ms. Default `performance.now`. */
  now?: () => number;
  /** Keys remembered at most (the least recently used is forgotten first). Default 10,000. */
  maxKeys?: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * A token bucket per key: `perMinute` tokens, refilled continuously, so a
 * client may burst up to the whole minute's allowance and then one every
 * `60 / perMinute` seconds. Memory is bounded by `maxKeys`; a forgotten key
 * starts with a full bucket, which only ever errs towards admitting.
 */
export class RateLimiter {
  readonly #perMinute: number;
  readonly #now: () => number;
  readonly #maxKeys: number;
  /** Insertion order is recency order (a key is re-inserted on use). */
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: RateLimiterOptions) {
    if (!Number.isInteger(options.perMinute) || options.perMinute < 0) {
      throw new TypeError(`perMinute: expected a non-negative integer, got ${options.perMinute}`);
    }
    this.#perMinute = options.perMinute;
    this.#now = options.now ?? (() => performance.now());
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /** Takes one token for `key`, or says how long until one is available. */
  take(key: string): RateDecision {
    if (this.#perMinute === 0) return { allowed: true };
    const now = this.#now();
    const perMs = this.#perMinute / 60_000;
    const bucket = this.#buckets.get(key) ?? { tokens: this.#perMinute, at: now };
    this.#buckets.delete(key);
    bucket.tokens = Math.min(this.#perMinute, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value as string);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
  }
}
