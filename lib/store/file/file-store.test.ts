import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { describeTaskStoreContract, makeTask } from "../contract";
import { FileTaskStore } from "./file-store";

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

function fileHarness(durability: "none" | "fsync" = "none") {
  let clock = 0;
  const dirs = new Map<string, string>();
  return {
    async create({ leaseTtlMs, shared }: { leaseTtlMs: number; shared: string }) {
      let root = dirs.get(shared);
      if (!root) {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "fathom-store-"));
        roots.push(root);
        dirs.set(shared, root);
      }
      return new FileTaskStore({ root, leaseTtlMs, pollMs: 20, now: () => clock, durability });
    },
    async advance(ms: number) {
      clock += ms;
    },
    async damageSnapshot(shared: string, taskId: string) {
      fs.writeFileSync(path.join(dirs.get(shared)!, `${taskId}.json`), '{"version":1,"id":"');
    },
  };
}

describeTaskStoreContract("file", () => fileHarness());
describeTaskStoreContract("file, DURABILITY=fsync", () => fileHarness("fsync"));

describe("FileTaskStore with DURABILITY=fsync", () => {
  const output = (text: string) => ({ event: { type: "output" as const, data: { text } } });

  it("fsyncs before an append returns, one fsync for the appends of one tick", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "fathom-fsync-"));
    roots.push(root);
    const store = new FileTaskStore({ root, leaseTtlMs: 1000, pollMs: 20, durability: "fsync" });
    const task = makeTask();
    await store.createTask(task);
    const lease = (await store.acquireLease(task.id, "a"))!;
    const probe = await fsp.open(path.join(root, `${task.id}.json`), "r");
    const prototype = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const datasync = vi.spyOn(prototype, "datasync");
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, index) => store.append(lease, [output(`e${index}`)])),
      );
      expect(results.flat().map((event) => event.id)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      // Fifty appends in one tick: one write, one fsync.
      expect(datasync.mock.calls.length).toBe(1);
      const synced = Number(fs.readFileSync(path.join(root, task.id, "synced-1"), "utf8"));
      expect(synced).toBe(fs.statSync(path.join(root, task.id, "log-1.ndjson")).size);
    } finally {
      datasync.mockRestore();
      await store.close();
    }
  });

  it("never lets a reader in another process see bytes the owner has not fsynced", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "fathom-fsync-read-"));
    roots.push(root);
    const owner = new FileTaskStore({ root, leaseTtlMs: 1000, pollMs: 20, durability: "fsync" });
    const reader = new FileTaskStore({ root, leaseTtlMs: 1000, pollMs: 20, durability: "fsync" });
    const task = makeTask();
    await owner.createTask(task);
    const lease = (await owner.acquireLease(task.id, "a"))!;
    await owner.append(lease, [output("durable")]);
    // Written but not (yet) fsynced: what the owner's write leaves until its fsync returns.
    fs.appendFileSync(
      path.join(root, task.id, "log-1.ndjson"),
      `${JSON.stringify({ id: 2, type: "output", data: { text: "in flight" } })}\n`,
    );
    expect((await reader.read(task.id, 0)).events.map((event) => event.data.text)).toEqual(["durable"]);
    expect(await reader.lastEventId(task.id)).toBe(1);
    await Promise.all([owner.close(), reader.close()]);
  });
});

describe("FileTaskStore on disk", () => {
  it("ignores a torn last line at every byte offset, and the next append is not glued to it", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "fathom-torn-"));
    roots.push(root);
    const writer = new FileTaskStore({ root, leaseTtlMs: 1000, pollMs: 20 });
    const task = makeTask();
    await writer.createTask(task);
    const lease = (await writer.acquireLease(task.id, "a"))!;
    for (let index = 1; index <= 3; index++)
      await writer.append(lease, [{ event: { type: "output", data: { text: `part ${index} ✓` } } }]);
    await writer.close();
    const segment = path.join(root, task.id, "log-1.ndjson");
    const full = fs.readFileSync(segment);
    const lastStart = full.subarray(0, full.length - 1).lastIndexOf(0x0a) + 1;
    for (let cut = lastStart; cut < full.length; cut++) {
      fs.writeFileSync(segment, full.subarray(0, cut));
      fs.rmSync(path.join(root, task.id, "epoch-2.json"), { force: true });
      fs.rmSync(path.join(root, task.id, "log-2.ndjson"), { force: true });
      fs.writeFileSync(path.join(root, task.id, "released-1"), "");
      const reader = new FileTaskStore({ root, leaseTtlMs: 1000, pollMs: 20 });
      const before = await reader.read(task.id, 0);
      expect(before.events.map((event) => event.id)).toEqual([1, 2]);
      const next = (await reader.acquireLease(task.id, "b"))!;
      const [appended] = await reader.append(next, [{ event: { type: "output", data: { text: "again" } } }]);
      expect(appended!.id).toBe(3);
      const after = await reader.read(task.id, 0);
      expect(after.events.map((event) => event.data.text)).toEqual(["part 1 ✓", "part 2 ✓", "again"]);
      await reader.close();
    }
  });

  it("never shows records a stale owner wrote after the takeover sealed its segment", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "fathom-fence-"));
    roots.push(root);
    let clock = 0;
    const a = new FileTaskStore({ root, leaseTtlMs: 100, pollMs: 20, now: () => clock });
    const b = new FileTaskStore({ root, leaseTtlMs: 100, pollMs: 20, now: () => clock });
    const task = makeTask();
    await a.createTask(task);
    const stale = (await a.acquireLease(task.id, "a"))!;
    await a.append(stale, [{ event: { type: "output", data: { text: "kept" } } }]);
    expect(await b.acquireLease(task.id, "b")).toBeNull();
    clock += 150;
    const fresh = (await b.acquireLease(task.id, "b"))!;
    // The stale owner's write races past every check and lands in its old segment.
    fs.appendFileSync(
      path.join(root, task.id, "log-1.ndjson"),
      `${JSON.stringify({ id: 2, type: "output", data: { text: "stale" } })}\n`,
    );
    await b.append(fresh, [{ event: { type: "output", data: { text: "new" } } }]);
    const reader = new FileTaskStore({ root, leaseTtlMs: 100, pollMs: 20 });
    const texts = (await reader.read(task.id, 0)).events.map((event) => event.data.text);
    expect(texts).toEqual(["kept", "new"]);
    await Promise.all([a.close(), b.close(), reader.close()]);
  });

  it("resumes from the middle of a long log by seeking, not scanning", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "fathom-seek-"));
    roots.push(root);
    const store = new FileTaskStore({ root, leaseTtlMs: 1000, pollMs: 20 });
    const task = makeTask();
    await store.createTask(task);
    const lease = (await store.acquireLease(task.id, "a"))!;
    const batch = Array.from({ length: 500 }, (_, index) => ({
      event: { type: "output" as const, data: { text: `t${index}` } },
    }));
    for (let round = 0; round < 20; round++) {
      await store.append(lease, [
        ...batch,
        { checkpoint: { run: 1, key: `k${round}`, result: "x".repeat(3000) } },
      ]);
    }
    for (const cursor of [0, 1, 4999, 5000, 7777, 9999]) {
      const { events } = await store.read(task.id, cursor, 3);
      expect(events.map((event) => event.id)).toEqual(
        [cursor + 1, cursor + 2, cursor + 3].filter((id) => id <= 10000),
      );
    }
    expect((await store.read(task.id, 10000)).events).toEqual([]);
    await store.close();
  });
});

describe("FileTaskStore: a delete racing a claim", () => {
  it("deletes a task whole while another process claims it at the same moment", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "fathom-delete-race-"));
    roots.push(root);
    const deleter = new FileTaskStore({ root, leaseTtlMs: 1000, pollMs: 20 });
    const claimer = new FileTaskStore({ root, leaseTtlMs: 1000, pollMs: 20 });
    let won = 0;
    for (let round = 0; round < 60; round++) {
      const task = makeTask();
      await deleter.createTask(task);
      const first = (await deleter.acquireLease(task.id, "a"))!;
      await deleter.append(first, [{ event: { type: "output", data: { text: "x" } } }]);
      await deleter.releaseLease(first);
      // Each round starts the two a different few milliseconds apart, either
      // first, so the claim meets every step of the delete.
      const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const claim = later(round % 5).then(() => claimer.acquireLease(task.id, "b"));
      const deleted = later(Math.floor(round / 5) % 5).then(() => deleter.deleteTask(task.id));
      await expect(deleted).resolves.toBeUndefined();
      const lease = await claim;
      won += lease ? 1 : 0;
      // A claim that won before the delete is let go of without an error.
      if (lease) await claimer.releaseLease(lease);
      expect(await deleter.getTask(task.id)).toBeNull();
      expect(fs.existsSync(path.join(root, task.id))).toBe(false);
    }
    console.log(`delete racing a claim: the claim won ${won} of 60 rounds`);
    await deleter.close();
    await claimer.close();
  });
});
