/** Options of `ConnectionLimiter`. */
export interface ConnectionLimiterOptions {
  /** Open connections in all; 0: no limit. */
  max: number;
  /** Open connections per key; 0: no limit. */
  maxPerKey: number;
}

export type ConnectionDecision =
  | { allowed: true; release: () => void }
  | { allowed: false; reason: "total" | "per-key" };

/**
 * Counts open long-lived connections (SSE streams) of this process, in all
 * and per client key. `release` is idempotent, so the several ways a stream
 * can end (client gone, stream cancelled, task finished) may all call it.
 */
export class ConnectionLimiter {
  readonly #max: number;
  readonly #maxPerKey: number;
  readonly #perKey = new Map<string, number>();
  #open = 0;

  constructor(options: ConnectionLimiterOptions) {
    for (const [name, value] of Object.entries(options)) {
      if (!Number.isInteger(value) || value < 0) {
        throw new TypeError(`${name}: expected a non-negative integer, got ${value}`);
      }
    }
    this.#max = options.max;
    this.#maxPerKey = options.maxPerKey;
  }

  get open(): number {
    return this.#open;
  }

  openFor(key: string): number {
    return this.#perKey.get(key) ?? 0;
  }

  acquire(key: string): ConnectionDecision {
    if (this.#max > 0 && this.#open >= this.#max) return { allowed: false, reason: "total" };
    const mine = this.#perKey.get(key) ?? 0;
    if (this.#maxPerKey > 0 && mine >= this.#maxPerKey) return { allowed: false, reason: "per-key" };
    this.#open += 1;
    this.#perKey.set(key, mine + 1);
    let released = false;
    return {
      allowed: true,
      release: () => {
        if (released) return;
        released = true;
        this.#open -= 1;
        const left = (this.#perKey.get(key) ?? 1) - 1;
        if (left <= 0) this.#perKey.delete(key);
        else this.#perKey.set(key, left);
      },
    };
  }
}
