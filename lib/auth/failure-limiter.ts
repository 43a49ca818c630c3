/**
 * Counts failed sign-ins per client address in memory and refuses a client
 * after too many within a window, so the API token can't be guessed at
 * speed. Per process: N containers allow N times the limit, which is still
 * far too slow to guess a long random token — the limit only has to make
 * guessing a short one impractical.
 */
export interface FailureLimiterOptions {
  /** Failures allowed per client within `windowMs` before it is refused. */
  maxFailures: number;
  windowMs: number;
  /** Monotonic clock in ms (injected for tests). */
  now: () => number;
  /** Clients tracked at most; the oldest are forgotten first (memory bound). */
  maxClients?: number;
}

export class FailureLimiter {
  readonly #options: Required<FailureLimiterOptions>;
  /** Client → times of its recent failures, oldest first. Map order is insertion order. */
  readonly #failures = new Map<string, number[]>();

  constructor(options: FailureLimiterOptions) {
    if (!(options.maxFailures >= 1)) throw new Error(`maxFailures: expected ≥ 1, got ${options.maxFailures}`);
    if (!(options.windowMs > 0)) throw new Error(`windowMs: expected > 0, got ${options.windowMs}`);
    this.#options = { maxClients: 10_000, ...options };
  }

  #recent(client: string): number[] {
    const cutoff = this.#options.now() - this.#options.windowMs;
    const times = (this.#failures.get(client) ?? []).filter((time) => time > cutoff);
    if (times.length === 0) this.#failures.delete(client);
    return times;
  }

  /** Seconds until `client` may try again, or 0 when it may now. */
  retryAfterSeconds(client: string): number {
    const times = this.#recent(client);
    if (times.length < this.#options.maxFailures) return 0;
    const oldest = times[times.length - this.#options.maxFailures]!;
    return Math.max(1, Math.ceil((oldest + this.#options.windowMs - this.#options.now()) / 1000));
  }

  /** Records one failure of `client`. */
  fail(client: string): void {
    const times = this.#recent(client);
    times.push(this.#options.now());
    this.#failures.delete(client);
    this.#failures.set(client, times);
    while (this.#failures.size > this.#options.maxClients) {
      const oldest = this.#failures.keys().next().value;
      if (oldest === undefined) break;
      this.#failures.delete(oldest);
    }
  }

  /** Forgets `client`'s failures (after a successful sign-in). */
  succeed(client: string): void {
    this.#failures.delete(client);
  }
}
