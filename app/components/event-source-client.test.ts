import { describe, expect, it } from "vitest";
import { type ClientTimers, EventSourceClient, type EventSourceLike } from "./event-source-client";

/** An EventSource the test drives: open it, fail it, send it events. */
class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  readonly #listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();

  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
  }

  open(): void {
    this.onopen?.(new Event("open"));
  }

  fail(): void {
    this.onerror?.(new Event("error"));
  }

  emit(type: string, data: string, lastEventId = ""): void {
    for (const listener of this.#listeners.get(type) ?? [])
      listener(new MessageEvent(type, { data, lastEventId }));
  }
}

/** A clock that moves only when the test says so. */
function manualTimers() {
  let now = 1_000_000;
  let nextId = 1;
  const pending = new Map<number, { at: number; callback: () => void }>();
  const timers: ClientTimers = {
    setTimeout: (callback, ms) => {
      const id = nextId++;
      pending.set(id, { at: now + ms, callback });
      return id;
    },
    clearTimeout: (handle) => {
      pending.delete(handle as number);
    },
    now: () => now,
  };
  return {
    timers,
    pending: () => pending.size,
    advance(ms: number) {
      now += ms;
      for (const [id, timer] of [...pending]) {
        if (timer.at <= now) {
          pending.delete(id);
          timer.callback();
        }
      }
    },
    get now() {
      return now;
    },
  };
}

function setup(random = () => 0.5) {
  FakeEventSource.instances = [];
  const clock = manualTimers();
  const received: string[] = [];
  const failures: { opened: boolean; url: string }[] = [];
  let opens = 0;
  const client = new EventSourceClient({
    events: { output: (data, id) => received.push(`${id}:${data}`) },
    onOpen: () => {
      opens += 1;
    },
    onError: (failure) => failures.push(failure),
    EventSource: FakeEventSource,
    timers: clock.timers,
    random,
  });
  const latest = () => FakeEventSource.instances.at(-1)!;
  return { client, clock, received, failures, latest, opens: () => opens };
}

describe("EventSourceClient", () => {
  it("delivers the current connection's events and reports a failure after opening, closing it", () => {
    const { client, received, failures, latest, opens } = setup();
    client.open("/events");
    latest().open();
    latest().emit("output", "hello", "1");
    expect(received).toEqual(["1:hello"]);
    expect(opens()).toBe(1);
    latest().fail();
    expect(failures).toEqual([{ opened: true, url: "/events" }]);
    expect(latest().closed).toBe(true);
    expect(client.connected).toBe(false);
  });

  it("reports a refusal before the connection opened as such", () => {
    const { client, failures, latest } = setup();
    client.open("/events?lastEventId=4");
    latest().fail();
    expect(failures).toEqual([{ opened: false, url: "/events?lastEventId=4" }]);
  });

  it("ignores events and errors of a connection it replaced", () => {
    const { client, received, failures } = setup();
    client.open("/a");
    const first = FakeEventSource.instances[0]!;
    client.open("/b");
    expect(first.closed).toBe(true);
    first.emit("output", "stale", "1");
    first.fail();
    expect(received).toEqual([]);
    expect(failures).toEqual([]);
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it("waits the backoff's growing delays, and the shortest again after a reset", () => {
    // random() = 1 - ε gives the top of each range: 1 s, 2 s, 4 s from a 1 s base.
    const { client, clock } = setup(() => 0.999_999);
    const delays: number[] = [];
    for (let n = 0; n < 3; n++) delays.push(client.retryLater(() => {}) - clock.now);
    expect(delays).toEqual([1000, 2000, 4000]);
    expect(client.attempt).toBe(3);
    client.resetBackoff();
    expect(client.retryLater(() => {}) - clock.now).toBe(1000);
  });

  it("keeps jitter within [half, all] of each ceiling", () => {
    const low = setup(() => 0);
    expect(low.client.retryLater(() => {}) - low.clock.now).toBe(500);
    expect(low.client.retryLater(() => {}) - low.clock.now).toBe(1000);
  });

  it("reconnects when the delay has passed, not before", () => {
    const { client, clock } = setup(() => 0.999_999);
    let reconnects = 0;
    client.retryLater(() => {
      reconnects += 1;
    });
    clock.advance(999);
    expect(reconnects).toBe(0);
    clock.advance(1);
    expect(reconnects).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  it("waits at least a server's Retry-After", () => {
    const { client, clock } = setup(() => 0.999_999);
    expect(client.retryLater(() => {}, 30_000) - clock.now).toBe(30_000);
    expect(client.attempt).toBe(1);
  });

  it("keeps one pending retry: a new one or an open replaces it", () => {
    const { client, clock } = setup();
    let reconnects = 0;
    client.retryLater(() => {
      reconnects += 1;
    });
    client.retryLater(() => {
      reconnects += 1;
    });
    expect(clock.pending()).toBe(1);
    client.open("/events");
    expect(clock.pending()).toBe(0);
    clock.advance(60_000);
    expect(reconnects).toBe(0);
  });

  it("counts a prompt retry as an attempt", () => {
    const { client } = setup();
    let reconnects = 0;
    client.retryNow(() => {
      reconnects += 1;
    });
    expect(reconnects).toBe(1);
    expect(client.attempt).toBe(1);
  });

  it("does nothing more once stopped", () => {
    const { client, clock, latest } = setup();
    client.open("/events");
    const source = latest();
    let reconnects = 0;
    client.retryLater(() => {
      reconnects += 1;
    });
    client.stop();
    expect(source.closed).toBe(true);
    clock.advance(60_000);
    expect(reconnects).toBe(0);
    client.open("/events");
    expect(FakeEventSource.instances).toHaveLength(1);
  });
});
