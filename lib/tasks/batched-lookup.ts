/**
 * Coalesces lookups of one key into one read, but only the lookups that ask
 * before that read starts: the read is scheduled for the next turn of the
 * event loop and every caller that asks meanwhile shares it. So no caller
 * gets an answer read before it asked (sharing a read already in flight
 * would: a write that completed before the caller asked could be missing).
 * A thousand requests for one task arriving together cost a few reads.
 *
 * Callers share the resolved value: they must not mutate it.
 */
export class BatchedLookup<T> {
  readonly #read: (key: string) => Promise<T>;
  readonly #schedule: (run: () => void) => void;
  /** Lookups whose read has not started yet, by key. */
  readonly #pending = new Map<string, Promise<T>>();

  /**
   * @param read reads one key.
   * @param schedule runs the read later (default: `setImmediate`, after the
   *   I/O callbacks of this turn, so requests parsed together share it).
   */
  constructor(read: (key: string) => Promise<T>, schedule: (run: () => void) => void = setImmediate) {
    this.#read = read;
    this.#schedule = schedule;
  }

  get(key: string): Promise<T> {
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = new Promise<T>((resolve, reject) => {
        this.#schedule(() => {
          // From here on, new callers start a new batch: this read may miss what they expect.
          this.#pending.delete(key);
          this.#read(key).then(resolve, reject);
        });
      });
      this.#pending.set(key, pending);
    }
    return pending;
  }
}
