import { describe, expect, it } from "vitest";
import type { TaskEvent } from "../model/events";
import type { ReadResult } from "../store/types";
import { encodeEvent } from "./encode";
import { ReplayCache, type RunKey } from "./replay-cache";

const TASK = "a".repeat(32);
const CREATED = "2025-01-01T00:00:00.000Z";

/** A log of `outputs` output events (some with non-ASCII text) then `done`, from `firstId`. */
function run(firstId: number, outputs: number, seed = "x"): TaskEvent[] {
  const events: TaskEvent[] = [];
  for (let index = 0; index < outputs; index++) {
    events.push({ id: firstId + index, type: "output", data: { text: `${seed}${index} — é ✓ ` } });
  }
  events.push({ id: firstId + outputs, type: "done", data: { status: "completed" } });
  return events;
}

/** A store read over in-memory logs, counting its calls. */
function fakeStore(logs: Map<string, TaskEvent[]>) {
  const calls: { taskId: string; afterId: number; limit: number }[] = [];
  return {
    calls,
    read: async (taskId: string, afterId: number, limit: number): Promise<ReadResult> => {
      calls.push({ taskId, afterId, limit });
      await Promise.resolve();
      const after = (logs.get(taskId) ?? []).filter((event) => event.id > afterId);
      return { events: after.slice(0, limit), more: after.length > limit };
    },
  };
}

function keyOf(events: TaskEvent[], overrides: Partial<RunKey> = {}): RunKey {
  return {
    taskId: TASK,
    createdAt: CREATED,
    run: 1,
    firstEventId: events[0]!.id,
    lastEventId: events[events.length - 1]!.id,
    ...overrides,
  };
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");
const frames = (events: TaskEvent[], afterId: number) =>
  events
    .filter((event) => event.id > afterId)
    .map(encodeEvent)
    .join("");

describe("ReplayCache", () => {
  it("slices the run at every cursor into exactly the frames after it", async () => {
    // Run 2 of a task: events 1–5 belong to run 1 and are never part of the slice.
    const events = [...run(1, 4, "old"), ...run(6, 40)];
    const current = events.filter((event) => event.id >= 6);
    const store = fakeStore(new Map([[TASK, events]]));
    const cache = new ReplayCache({ read: store.read, maxBytes: 1 << 20, batchSize: 7 });
    const encoded = await cache.get(keyOf(current, { run: 2 }));
    expect(encoded).not.toBeNull();
    for (let afterId = 5; afterId <= current.at(-1)!.id; afterId++) {
      expect(text(encoded!.framesAfter(afterId))).toBe(frames(current, afterId));
    }
    // A cursor before the run starts at the run (as the live path does).
    expect(text(encoded!.framesAfter(0))).toBe(frames(current, 5));
    expect(text(encoded!.framesAfter(current.at(-1)!.id))).toBe("");
  });

  it("reads once for many simultaneous requests, and not again while the key holds", async () => {
    const events = run(1, 2500);
    const store = fakeStore(new Map([[TASK, events]]));
    const cache = new ReplayCache({ read: store.read, maxBytes: 1 << 24 });
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.get(keyOf(events))));
    expect(new Set(results).size).toBe(1);
    expect(store.calls).toHaveLength(3);
    await cache.get(keyOf(events));
    expect(store.calls).toHaveLength(3);
  });

  it("never serves another run: a new run, a re-created task or a moved end reload", async () => {
    const first = run(1, 9);
    const logs = new Map([[TASK, first]]);
    const store = fakeStore(logs);
    const cache = new ReplayCache({ read: store.read, maxBytes: 1 << 20 });
    const one = await cache.get(keyOf(first));
    expect(text(one!.framesAfter(0))).toBe(frames(first, 0));

    // `fresh` / retry: a new run appended after the first one.
    const second = run(12, 5, "second");
    logs.set(TASK, [...first, { id: 11, type: "status", data: { status: "queued" } }, ...second]);
    const two = await cache.get(keyOf(second, { run: 2, firstEventId: 11 }));
    expect(text(two!.framesAfter(10))).toBe(frames(logs.get(TASK)!, 10));
    expect(cache.size).toBe(1);

    // Deleted, then created again by the same request: same id, same shape, other text.
    const recreated = run(1, 10, "again");
    logs.set(TASK, recreated);
    const three = await cache.get(keyOf(recreated, { createdAt: "2025-02-01T00:00:00.000Z" }));
    expect(text(three!.framesAfter(0))).toBe(frames(recreated, 0));
    expect(cache.size).toBe(1);
  });

  it("forgets a deleted task", async () => {
    const events = run(1, 3);
    const store = fakeStore(new Map([[TASK, events]]));
    const cache = new ReplayCache({ read: store.read, maxBytes: 1 << 20 });
    await cache.get(keyOf(events));
    expect(cache.bytes).toBeGreaterThan(0);
    cache.forget(TASK);
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
    const calls = store.calls.length;
    await cache.get(keyOf(events));
    expect(store.calls.length).toBeGreaterThan(calls);
  });

  it("leaves runs that do not end with done at the snapshot's last event to the live path", async () => {
    const events = run(1, 5);
    const withoutDone = events.slice(0, -1);
    const logs = new Map([[TASK, withoutDone]]);
    const store = fakeStore(logs);
    const cache = new ReplayCache({ read: store.read, maxBytes: 1 << 20 });
    // Finished without `done` (its disk filled up): null, and remembered as such.
    expect(await cache.get(keyOf(withoutDone))).toBeNull();
    const calls = store.calls.length;
    expect(await cache.get(keyOf(withoutDone))).toBeNull();
    expect(store.calls.length).toBe(calls);
    // The snapshot is ahead of the log (the log was compacted or replaced): null.
    expect(await cache.get(keyOf(events))).toBeNull();
    // A gap in the ids: null.
    logs.set(
      TASK,
      events.filter((event) => event.id !== 3),
    );
    expect(await cache.get(keyOf(events, { createdAt: "other" }))).toBeNull();
  });

  it("keeps within its byte budget, evicting the least recently served run", async () => {
    const ids = ["1", "2", "3"].map((digit) => digit.repeat(32));
    const events = run(1, 50);
    const logs = new Map(ids.map((id) => [id, events]));
    const store = fakeStore(logs);
    const probe = new ReplayCache({ read: store.read, maxBytes: 1 << 20 });
    const cost = (await probe.get(keyOf(events, { taskId: ids[0]! })))!.cost;

    const cache = new ReplayCache({ read: store.read, maxBytes: cost * 2, maxRunBytes: cost * 2 });
    await cache.get(keyOf(events, { taskId: ids[0]! }));
    await cache.get(keyOf(events, { taskId: ids[1]! }));
    // Serving the first again makes the second the least recently served.
    await cache.get(keyOf(events, { taskId: ids[0]! }));
    await cache.get(keyOf(events, { taskId: ids[2]! }));
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBeLessThanOrEqual(cost * 2);
    const calls = store.calls.length;
    await cache.get(keyOf(events, { taskId: ids[0]! }));
    expect(store.calls.length).toBe(calls);
    await cache.get(keyOf(events, { taskId: ids[1]! }));
    expect(store.calls.length).toBeGreaterThan(calls);
  });

  it("does not keep a run larger than maxRunBytes, and keeps nothing with a budget of 0", async () => {
    const events = run(1, 200);
    const store = fakeStore(new Map([[TASK, events]]));
    const small = new ReplayCache({ read: store.read, maxBytes: 1 << 20, maxRunBytes: 1000 });
    expect(await small.get(keyOf(events))).toBeNull();
    expect(small.bytes).toBeLessThan(1000);

    const off = new ReplayCache({ read: store.read, maxBytes: 0 });
    const calls = store.calls.length;
    expect(await off.get(keyOf(events))).toBeNull();
    expect(store.calls.length).toBe(calls);
  });

  it("does not remember a failed read", async () => {
    const events = run(1, 3);
    let fail = true;
    const store = fakeStore(new Map([[TASK, events]]));
    const cache = new ReplayCache({
      read: (taskId, afterId, limit) => {
        if (fail) return Promise.reject(new Error("disk on fire"));
        return store.read(taskId, afterId, limit);
      },
      maxBytes: 1 << 20,
    });
    await expect(cache.get(keyOf(events))).rejects.toThrow("disk on fire");
    fail = false;
    expect(await cache.get(keyOf(events))).not.toBeNull();
  });

  it("validates its options", () => {
    const read = fakeStore(new Map()).read;
    expect(() => new ReplayCache({ read, maxBytes: -1 })).toThrow(/maxBytes: expected/);
    expect(() => new ReplayCache({ read, maxBytes: 10, maxRunBytes: 1.5 })).toThrow(/maxRunBytes: expected/);
  });
});
