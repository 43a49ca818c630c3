import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NewRecord, TaskEvent } from "../model/events";
import { newTaskJson, type TaskJson } from "../model/task-json";
import type { TaskStore } from "./types";

/**
 * The TaskStore contract, written once and run against every store
 * (file, redis). A store factory gets a lease time so expiry can be tested
 * quickly; `advance` moves the store's monotonic clock when it is injected
 * (or waits for real when not).
 */
export interface StoreHarness {
  /** A new, empty store. Two calls with the same `shared` key share data (two processes). */
  create(options: { leaseTtlMs: number; shared: string }): Promise<TaskStore>;
  /** Moves time forward for every store of this harness by `ms`. */
  advance(ms: number): Promise<void>;
  /** Overwrites the task's state snapshot with garbage, as a crash or a bad disk would. */
  damageSnapshot(shared: string, taskId: string): Promise<void>;
  cleanup?(): Promise<void>;
}

let counter = 0;

export function makeTask(overrides: Partial<TaskJson> = {}): TaskJson {
  counter += 1;
  const id = (overrides.id ?? `${Date.now().toString(16)}${counter.toString(16)}`.padEnd(32, "0")).slice(
    0,
    32,
  );
  const request: TaskJson["request"] = {
    query: `question ${counter}`,
    depth: 1,
    breadth: 1,
    language: "en",
    llm: { provider: "offline" },
    search: { provider: "local", maxResults: 5 },
  };
  return { ...newTaskJson({ id, request, priority: 0, now: new Date().toISOString() }), ...overrides };
}

const output = (text: string): NewRecord => ({ event: { type: "output", data: { text } } });

export function describeTaskStoreContract(name: string, harness: () => StoreHarness): void {
  describe(`TaskStore contract: ${name}`, () => {
    let h: StoreHarness;
    let shared: string;
    const stores: TaskStore[] = [];
    const open = async (leaseTtlMs = 1000) => {
      const store = await h.create({ leaseTtlMs, shared });
      stores.push(store);
      return store;
    };

    beforeEach(() => {
      h = harness();
      counter += 1;
      shared = `s${Date.now()}-${counter}`;
    });
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
      await h.cleanup?.();
    });

    it("creates a task once: concurrent creators get one winner", async () => {
      const [a, b] = [await open(), await open()];
      const task = makeTask();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          (index % 2 ? a : b).createTask({ ...task, priority: index }),
        ),
      );
      expect(results.filter((result) => result.created)).toHaveLength(1);
      const stored = await a.getTask(task.id);
      expect(stored?.id).toBe(task.id);
      for (const result of results) expect(result.task.priority).toBe(stored?.priority);
    });

    it("returns null for a missing task and remembers deleted ones", async () => {
      const store = await open();
      const task = makeTask();
      expect(await store.getTask(task.id)).toBeNull();
      await store.createTask(task);
      await store.deleteTask(task.id);
      expect(await store.getTask(task.id)).toBeNull();
      expect(await store.wasDeleted(task.id)).toBe(true);
      expect(await store.listTaskIds()).not.toContain(task.id);
    });

    it("gives a lease to exactly one of many contenders, with increasing epochs", async () => {
      const [a, b, c] = [await open(), await open(), await open()];
      const task = makeTask();
      await a.createTask(task);
      const leases = await Promise.all(
        [a, b, c].map((store, index) => store.acquireLease(task.id, `owner-${index}`)),
      );
      const winners = leases.filter((lease) => lease !== null);
      expect(winners).toHaveLength(1);
      expect(winners[0]!.epoch).toBe(1);
      expect(winners[0]!.kind).toBe("new");
      const winnerIndex = leases.findIndex((lease) => lease !== null);
      const owner = [a, b, c][winnerIndex]!;
      await owner.releaseLease(winners[0]!);
      const next = await b.acquireLease(task.id, "owner-b");
      expect(next?.epoch).toBe(2);
      expect(next?.kind).toBe("released");
    });

    it("numbers events from 1 without gaps across owners and reads from any cursor", async () => {
      const [a, b] = [await open(), await open()];
      const task = makeTask();
      await a.createTask(task);
      const first = (await a.acquireLease(task.id, "a"))!;
      const appended = await a.append(first, [
        output("one"),
        { checkpoint: { run: 1, key: "k1", result: { x: 1 } } },
        output("two"),
      ]);
      expect(appended.map((event) => event.id)).toEqual([1, 2]);
      await a.releaseLease(first);
      const second = (await b.acquireLease(task.id, "b"))!;
      const more = await b.append(second, [output("three")]);
      expect(more[0]!.id).toBe(3);
      const all = await a.read(task.id, 0);
      expect(all.events.map((event) => event.data.text)).toEqual(["one", "two", "three"]);
      expect((await a.read(task.id, 2)).events.map((event) => event.id)).toEqual([3]);
      expect((await a.read(task.id, 3)).events).toEqual([]);
      const limited = await b.read(task.id, 0, 2);
      expect(limited.events.map((event) => event.id)).toEqual([1, 2]);
      expect(limited.more).toBe(true);
      expect(await a.lastEventId(task.id)).toBe(3);
      const log = await b.readLog(task.id);
      expect(log.checkpoints).toEqual([{ run: 1, key: "k1", result: { x: 1 } }]);
      expect(log.lastEventId).toBe(3);
    });

    it("takes over an expired lease and fences the stale owner", async () => {
      const [a, b] = [await open(500), await open(500)];
      const task = makeTask();
      await a.createTask(task);
      const stale = (await a.acquireLease(task.id, "a"))!;
      await a.append(stale, [output("before")]);
      expect(await b.acquireLease(task.id, "b")).toBeNull(); // alive: first observation
      await h.advance(700);
      const fresh = await b.acquireLease(task.id, "b");
      expect(fresh?.kind).toBe("expired");
      expect(fresh?.epoch).toBe(2);
      await expect(a.append(stale, [output("stale")])).rejects.toMatchObject({ code: "lease_lost" });
      await expect(a.saveTask(stale, task)).rejects.toMatchObject({ code: "lease_lost" });
      await expect(a.renewLease(stale)).rejects.toMatchObject({ code: "lease_lost" });
      expect(await a.isLeaseCurrent(stale)).toBe(false);
      await b.append(fresh!, [output("after")]);
      const texts = (await a.read(task.id, 0)).events.map((event) => event.data.text);
      expect(texts).toEqual(["before", "after"]);
    });

    it("keeps a renewed lease alive", async () => {
      const [a, b] = [await open(500), await open(500)];
      const task = makeTask();
      await a.createTask(task);
      const lease = (await a.acquireLease(task.id, "a"))!;
      expect(await b.acquireLease(task.id, "b")).toBeNull();
      for (let index = 0; index < 4; index++) {
        await h.advance(200);
        await a.renewLease(lease);
        expect(await b.acquireLease(task.id, "b")).toBeNull();
      }
      expect(await a.isLeaseCurrent(lease)).toBe(true);
      expect(await b.currentOwner(task.id)).toEqual({ ownerId: "a", epoch: 1 });
    });

    it("delivers every event after the cursor exactly once, in order, to a subscriber on another store", async () => {
      const [a, b] = [await open(), await open()];
      const task = makeTask();
      await a.createTask(task);
      const lease = (await a.acquireLease(task.id, "a"))!;
      for (let index = 1; index <= 5; index++) await a.append(lease, [output(`e${index}`)]);
      const received: TaskEvent[] = [];
      const unsubscribe = b.subscribe(task.id, 2, (events) => received.push(...events));
      for (let index = 6; index <= 40; index++) await a.append(lease, [output(`e${index}`)]);
      const deadline = Date.now() + 5000;
      while (received.length < 38 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      unsubscribe();
      expect(received.map((event) => event.id)).toEqual(Array.from({ length: 38 }, (_, index) => index + 3));
    });

    it("lists every task with its latest snapshot", async () => {
      const [a, b] = [await open(), await open()];
      const first = makeTask();
      const second = makeTask();
      await a.createTask(first);
      await b.createTask(second);
      expect((await b.listTasks()).map((task) => task.id).sort()).toEqual([first.id, second.id].sort());
      const lease = (await a.acquireLease(first.id, "a"))!;
      await a.saveTask(lease, { ...first, progress: 55 });
      const listed = await b.listTasks();
      expect(listed.find((task) => task.id === first.id)?.progress).toBe(55);
      await a.deleteTask(second.id);
      expect((await b.listTasks()).map((task) => task.id)).toEqual([first.id]);
    });

    it("saves state only under the current lease", async () => {
      const store = await open();
      const task = makeTask();
      await store.createTask(task);
      const lease = (await store.acquireLease(task.id, "a"))!;
      await store.saveTask(lease, { ...task, status: "running", progress: 40 });
      expect((await store.getTask(task.id))?.progress).toBe(40);
      await expect(store.saveTask({ ...lease, epoch: lease.epoch + 5 }, task)).rejects.toMatchObject({
        code: "lease_lost",
      });
    });

    it("tracks the active set and passes controls to the owner", async () => {
      const [a, b] = [await open(), await open()];
      const task = makeTask();
      await a.createTask(task);
      expect(await b.listActiveTaskIds()).toContain(task.id);
      await b.setActive(task.id, false);
      expect(await a.listActiveTaskIds()).not.toContain(task.id);
      await b.sendControl(task.id, "cancel");
      await b.sendControl(task.id, "finish");
      expect(await a.takeControls(task.id)).toEqual(["cancel", "finish"]);
      expect(await a.takeControls(task.id)).toEqual([]);
    });

    it("compacts old runs away: their events and checkpoints go, ids keep increasing, stale owners are refused", async () => {
      const [a, b] = [await open(), await open()];
      const task = makeTask();
      await a.createTask(task);
      const status = (run: number): NewRecord => ({
        event: { type: "status", data: { status: "queued", run } },
      });
      // Three runs, each started by its own owner (as a fresh run is).
      let lease = (await a.acquireLease(task.id, "a"))!;
      await a.append(lease, [
        output("r1 a"),
        { checkpoint: { run: 1, key: "k", result: 1 } },
        output("r1 b"),
      ]);
      await a.releaseLease(lease);
      lease = (await a.acquireLease(task.id, "a"))!;
      const [run2] = await a.append(lease, [status(2), output("r2 a")]);
      await a.releaseLease(lease);
      lease = (await a.acquireLease(task.id, "a"))!;
      const [run3] = await a.append(lease, [status(3), { checkpoint: { run: 3, key: "k", result: 3 } }]);
      await a.append(lease, [output("r3 a")]);

      await a.compact(lease, run3!.id);
      await a.compact(lease, run3!.id); // idempotent
      for (const store of [a, b]) {
        const { events } = await store.read(task.id, 0);
        expect(events.map((event) => event.id)).toEqual([run3!.id, run3!.id + 1]);
        expect((await store.read(task.id, run2!.id)).events.map((event) => event.id)).toEqual([
          run3!.id,
          run3!.id + 1,
        ]);
        const log = await store.readLog(task.id);
        expect(log.checkpoints).toEqual([{ run: 3, key: "k", result: 3 }]);
        expect(log.events.map((event) => event.data.text ?? event.data.status)).toEqual(["queued", "r3 a"]);
        expect(await store.lastEventId(task.id)).toBe(run3!.id + 1);
      }
      const [next] = await a.append(lease, [output("r3 b")]);
      expect(next!.id).toBe(run3!.id + 2);
      await a.releaseLease(lease);
      // A new owner on another store continues the ids too.
      const later = (await b.acquireLease(task.id, "b"))!;
      const [after] = await b.append(later, [output("r3 c")]);
      expect(after!.id).toBe(run3!.id + 3);
      await expect(a.compact(lease, after!.id)).rejects.toMatchObject({ code: "lease_lost" });
      expect((await b.read(task.id, 0)).events.map((event) => event.data.text ?? null)).toEqual([
        null,
        "r3 a",
        "r3 b",
        "r3 c",
      ]);
    });

    it("ends a subscription on another store with an explicit error when the task is deleted", async () => {
      const [a, b] = [await open(), await open()];
      const task = makeTask();
      await a.createTask(task);
      const errors: unknown[] = [];
      b.subscribe(
        task.id,
        0,
        () => {},
        (error) => errors.push(error),
      );
      await a.deleteTask(task.id);
      const deadline = Date.now() + 5000;
      while (errors.length === 0 && Date.now() < deadline) {
        await h.advance(100);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(errors[0]).toMatchObject({ code: "gone" });
    });

    it("fences a re-created task's first owner above the deleted task's epochs", async () => {
      const store = await open();
      const task = makeTask();
      await store.createTask(task);
      const stale = (await store.acquireLease(task.id, "a"))!;
      await store.deleteTask(task.id);
      await store.createTask(task);
      const fresh = (await store.acquireLease(task.id, "a"))!;
      expect(fresh.epoch).toBeGreaterThan(stale.epoch);
      expect(fresh.kind).toBe("new");
      await expect(store.append(stale, [output("stale")])).rejects.toMatchObject({ code: "lease_lost" });
      await expect(store.saveTask(stale, task)).rejects.toMatchObject({ code: "lease_lost" });
      await store.append(fresh, [output("fresh")]);
      expect((await store.read(task.id, 0)).events.map((event) => event.data.text)).toEqual(["fresh"]);
    });

    it("rebuilds a damaged snapshot from the creation snapshot and the log", async () => {
      const [a, b] = [await open(), await open()];
      const task = makeTask();
      await a.createTask(task);
      const lease = (await a.acquireLease(task.id, "a"))!;
      await a.append(lease, [
        { event: { type: "status", data: { status: "running" } } },
        output("# Report"),
        { event: { type: "status", data: { status: "completed" } } },
        { event: { type: "done", data: { status: "completed", result: { sources: [], learnings: [] } } } },
      ]);
      await h.damageSnapshot(shared, task.id);
      const recovered = await b.getTask(task.id);
      expect(recovered?.status).toBe("completed");
      expect(recovered?.result?.reportLength).toBe("# Report".length);
      expect(recovered?.lastEventId).toBe(4);
      expect((await b.listTasks()).find((listed) => listed.id === task.id)?.status).toBe("completed");
    });

    it("refuses ids that are not task ids", async () => {
      const store = await open();
      for (const id of ["../../etc/passwd", "%2e%2e", "x".repeat(10_000), ""]) {
        await expect(store.getTask(id)).rejects.toMatchObject({ code: "invalid_request" });
      }
    });
  });
}
