/**
 * When a claim of another process has expired, judged as task leases are
 * (docs/ARCHITECTURE.md, "Fencing"): on this process's own monotonic clock,
 * from the moment it first saw the claim, never by comparing wall clocks
 * across hosts. A claim is not renewed (an attempt is short), so a claim
 * seen for `leaseMs` without its outcome is expired. A process that starts
 * while a claim is out waits a whole lease from then: a restart delays a
 * retry, it never sends one twice.
 */
export class ClaimWatch {
  readonly #now: () => number;
  readonly #firstSeen = new Map<string, number>();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Notes that this process made the claim `key` itself (its lease starts now). */
  made(key: string): void {
    this.#firstSeen.set(key, this.#now());
  }

  /** True once the claim `key` has been seen for `leaseMs`. */
  expired(key: string, leaseMs: number): boolean {
    const now = this.#now();
    const seen = this.#firstSeen.get(key);
    if (seen === undefined) {
      this.#firstSeen.set(key, now);
      return false;
    }
    return now - seen >= leaseMs;
  }

  /** Forgets the claims whose keys start with `prefix` (their attempt was recorded). */
  forget(prefix: string): void {
    for (const key of this.#firstSeen.keys()) {
      if (key.startsWith(prefix)) this.#firstSeen.delete(key);
    }
  }
}
