import type { TaskEvent } from "../model/events";
import type { ReadResult, Unsubscribe } from "./types";

interface Listener {
  /** Id of the last event this listener has been given. */
  cursor: number;
  /** Still catching up from the store; live events are not delivered until it is done. */
  catchingUp: boolean;
  onEvents: (events: TaskEvent[]) => void;
  onError?: (error: unknown) => void;
}

export interface LogFollowerOptions {
  /** Reads events after a cursor from the store. */
  read: (afterId: number, limit: number) => Promise<ReadResult>;
  /** Most recent events kept in memory for listeners that join late. */
  bufferSize?: number;
  /** Events per read. */
  batchSize?: number;
  /** Called when the follower reports an error it cannot recover from. */
  onIdle?: () => void;
}

/**
 * Follows one task's log for every listener in this process.
 *
 * One follower per task reads each new event once, whatever the number of
 * listeners, and hands the same arrays to all of them (the SSE layer encodes
 * each batch once). New events arrive by `push` (this process appended them)
 * or by `poke` (a watcher or timer says the log may have grown; the follower
 * reads from its cursor). Listeners that join behind the buffer catch up from
 * the store first, so each one gets every event after its cursor exactly once,
 * in order.
 */
export class LogFollower {
  readonly #read: LogFollowerOptions["read"];
  readonly #bufferSize: number;
  readonly #batchSize: number;
  readonly #listeners = new Set<Listener>();
  /** Recent events, contiguous, ending at #lastId. */
  #buffer: TaskEvent[] = [];
  #lastId: number;
  #pulling = false;
  #pullAgain = false;
  #closed = false;

  constructor(startAfterId: number, options: LogFollowerOptions) {
    this.#read = options.read;
    this.#bufferSize = options.bufferSize ?? 4096;
    this.#batchSize = options.batchSize ?? 1000;
    this.#lastId = startAfterId;
  }

  get lastId(): number {
    return this.#lastId;
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  subscribe(afterId: number, onEvents: Listener["onEvents"], onError?: Listener["onError"]): Unsubscribe {
    const listener: Listener = { cursor: afterId, catchingUp: false, onEvents, onError };
    this.#listeners.add(listener);
    this.#bringUpToDate(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Events this process just appended (contiguous after the follower's cursor, or ignored). */
  push(events: TaskEvent[]): void {
    if (events.length === 0 || this.#closed) return;
    const first = events[0]!;
    if (first.id !== this.#lastId + 1) {
      // Not contiguous (the follower is behind): read from the store instead.
      this.poke();
      return;
    }
    this.#accept(events);
  }

  /** The log may have grown: read what is new. Calls are coalesced. */
  poke(): void {
    if (this.#closed) return;
    if (this.#pulling) {
      this.#pullAgain = true;
      return;
    }
    this.#pulling = true;
    void this.#pull();
  }

  /** Ends every listener with an error (e.g. the task was deleted). */
  fail(error: unknown): void {
    for (const listener of this.#listeners) listener.onError?.(error);
    this.#listeners.clear();
  }

  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    this.#buffer = [];
  }

  async #pull(): Promise<void> {
    try {
      do {
        this.#pullAgain = false;
        // Small first read (the first frames go out at once), then full batches.
        let limit = Math.min(64, this.#batchSize);
        for (;;) {
          const batch = await this.#read(this.#lastId, limit);
          limit = this.#batchSize;
          if (this.#closed) return;
          // A push may have advanced the cursor while the read was in flight.
          const fresh = batch.events.filter((event) => event.id > this.#lastId);
          if (fresh.length > 0) this.#accept(fresh);
          if (!batch.more) break;
        }
      } while (this.#pullAgain && !this.#closed);
    } catch (error) {
      this.fail(error);
    } finally {
      this.#pulling = false;
    }
  }

  #accept(events: TaskEvent[]): void {
    this.#lastId = events[events.length - 1]!.id;
    this.#buffer.push(...events);
    if (this.#buffer.length > this.#bufferSize)
      this.#buffer.splice(0, this.#buffer.length - this.#bufferSize);
    for (const listener of this.#listeners) {
      if (listener.catchingUp) continue;
      if (listener.cursor >= this.#lastId) continue;
      const deliver =
        events[0]!.id > listener.cursor ? events : events.filter((event) => event.id > listener.cursor);
      if (deliver.length === 0) continue;
      listener.cursor = this.#lastId;
      listener.onEvents(deliver);
    }
  }

  /** Gives a listener everything between its cursor and the live edge. */
  #bringUpToDate(listener: Listener): void {
    const bufferStart = this.#buffer.length > 0 ? this.#buffer[0]!.id : this.#lastId + 1;
    if (listener.cursor + 1 >= bufferStart) {
      const pending = this.#buffer.filter((event) => event.id > listener.cursor);
      if (pending.length > 0) {
        listener.cursor = pending[pending.length - 1]!.id;
        listener.onEvents(pending);
      }
      if (listener.cursor > this.#lastId) {
        // The listener is ahead of this follower (it saw events elsewhere): read up to it.
        this.poke();
      }
      return;
    }
    listener.catchingUp = true;
    void this.#catchUp(listener);
  }

  async #catchUp(listener: Listener): Promise<void> {
    // A small first read gets the first frames out quickly; then full batches.
    let limit = Math.min(64, this.#batchSize);
    try {
      for (;;) {
        if (!this.#listeners.has(listener)) return;
        const bufferStart = this.#buffer.length > 0 ? this.#buffer[0]!.id : this.#lastId + 1;
        if (listener.cursor + 1 >= bufferStart) break;
        const batch = await this.#read(listener.cursor, limit);
        limit = this.#batchSize;
        if (!this.#listeners.has(listener)) return;
        if (batch.events.length === 0) break;
        listener.cursor = batch.events[batch.events.length - 1]!.id;
        listener.onEvents(batch.events);
      }
      listener.catchingUp = false;
      // Hand over to live delivery. No second catch-up from here: if the store
      // had nothing between the cursor and the buffer, waiting for the next
      // batch is all there is to do (looping would spin).
      const pending = this.#buffer.filter((event) => event.id > listener.cursor);
      if (pending.length > 0) {
        listener.cursor = pending[pending.length - 1]!.id;
        listener.onEvents(pending);
      }
    } catch (error) {
      this.#listeners.delete(listener);
      listener.onError?.(error);
    }
  }
}
