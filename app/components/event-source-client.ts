import { backoffDelay } from "./backoff";

/** The part of the browser's `EventSource` the client uses (tests pass a fake). */
export interface EventSourceLike {
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}
export type EventSourceConstructor = new (url: string) => EventSourceLike;

/** Timers and clock, injected so tests never wait on the wall clock. */
export interface ClientTimers {
  setTimeout: (callback: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
  /** Milliseconds since the epoch (what `retryAt` is expressed in). */
  now: () => number;
}

export interface EventSourceClientOptions {
  /** Handlers of named events (`data`, and the event's id or ""); only the current connection's events arrive. */
  events: Record<string, (data: string, lastEventId: string) => void>;
  /** The current connection opened (its response headers arrived). */
  onOpen?: () => void;
  /**
   * The current connection failed, after opening (`opened`) or before. The
   * client has closed it already: an `EventSource`'s own retry would hide
   * why it failed and ignore the backoff. The owner decides what comes next.
   */
  onError: (failure: { opened: boolean; url: string }) => void;
  /** Default: the browser's `EventSource`, looked up when a connection opens. */
  EventSource?: EventSourceConstructor;
  /** Default: the global timers and `Date.now`. */
  timers?: ClientTimers;
  /** Uniform random numbers in [0, 1) for the backoff's jitter. Default `Math.random`. */
  random?: () => number;
}

const globalTimers: ClientTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/**
 * One `EventSource` at a time, with reconnects on the one backoff
 * (app/components/backoff.ts). The task page and the task list both follow
 * their streams through it; each decides for itself what a failure means
 * (the task page asks the task's JSON, the list refetches its first page).
 *
 * Invariants: at most one connection and one pending retry exist; opening a
 * connection cancels a pending retry; events and errors of a connection that
 * was replaced or closed are ignored. Constructing the client touches no
 * browser API, so it can be created during a server render.
 */
export class EventSourceClient {
  readonly #options: EventSourceClientOptions;
  readonly #timers: ClientTimers;
  #source: EventSourceLike | null = null;
  #retry: unknown = null;
  #attempt = 0;
  #stopped = false;

  constructor(options: EventSourceClientOptions) {
    this.#options = options;
    this.#timers = options.timers ?? globalTimers;
  }

  /** Failed attempts since the last `resetBackoff()`: the next delay grows with it. */
  get attempt(): number {
    return this.#attempt;
  }

  /** True while a connection is open or opening. */
  get connected(): boolean {
    return this.#source !== null;
  }

  /** Opens a connection to `url`, replacing the current one and any pending retry. */
  open(url: string): void {
    if (this.#stopped) return;
    this.cancelRetry();
    this.close();
    const Source = this.#options.EventSource ?? globalThis.EventSource;
    const source = new Source(url);
    this.#source = source;
    let opened = false;
    source.onopen = () => {
      if (this.#source !== source) return;
      opened = true;
      this.#options.onOpen?.();
    };
    source.onerror = () => {
      if (this.#source !== source) return;
      this.close();
      this.#options.onError({ opened, url });
    };
    for (const [type, handler] of Object.entries(this.#options.events)) {
      source.addEventListener(type, (event) => {
        if (this.#source === source) handler(event.data, event.lastEventId);
      });
    }
  }

  /** Closes the current connection, if any (a pending retry stays). */
  close(): void {
    const source = this.#source;
    if (!source) return;
    this.#source = null;
    source.onopen = null;
    source.onerror = null;
    source.close();
  }

  /**
   * Calls `reconnect` after the next backoff delay, or after `minDelayMs` if
   * that is longer (a server's `Retry-After`). Returns when, in ms since the
   * epoch, for the indicator's countdown.
   */
  retryLater(reconnect: () => void, minDelayMs = 0): number {
    this.cancelRetry();
    const delay = Math.max(minDelayMs, backoffDelay(this.#attempt, this.#options.random));
    this.#attempt += 1;
    this.#retry = this.#timers.setTimeout(() => {
      this.#retry = null;
      if (!this.#stopped) reconnect();
    }, delay);
    return this.#timers.now() + delay;
  }

  /** Counts a failed attempt and calls `reconnect` at once (the first failure after a healthy stream). */
  retryNow(reconnect: () => void): void {
    this.cancelRetry();
    this.#attempt += 1;
    if (!this.#stopped) reconnect();
  }

  cancelRetry(): void {
    if (this.#retry !== null) {
      this.#timers.clearTimeout(this.#retry);
      this.#retry = null;
    }
  }

  /** The stream is healthy again: the next failure waits the shortest delay. */
  resetBackoff(): void {
    this.#attempt = 0;
  }

  /** Closes everything for good; later calls to `open` do nothing. */
  stop(): void {
    this.#stopped = true;
    this.cancelRetry();
    this.close();
  }
}
