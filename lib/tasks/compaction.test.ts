import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../config";
import { silentLogger } from "../log";
import { streamStart } from "../model/stream-cursor";
import type { ResearchContext, ResearchEngine, ResearchResult } from "../research/types";
import { FileTaskStore } from "../store/file/file-store";
import { TaskManager } from "./task-manager";

const REPORT = ["# Report\n", "One.\n", "Two.\n"];

class SmallEngine implements ResearchEngine {
  async run(context: ResearchContext): Promise<ResearchResult> {
    await context.step("plan", async () => ["a"]);
    for (const line of REPORT) await context.output(line);
    return { report: REPORT.join(""), sources: [], learnings: [] };
  }
}

const roots: string[] = [];
const managers: TaskManager[] = [];
afterEach(async () => {
  for (const manager of managers.splice(0)) await manager.shutdown();
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

/** What a timeout reports about the task (set once it exists). */
let describeState: (() => Promise<unknown>) | null = null;
async function until<T>(probe: () => Promise<T | null | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(await describeState?.())}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("MAX_RUNS_KEPT", () => {
  it("keeps a task bounded under `fresh` in a loop: old runs compacted, ids increasing, old cursors 410", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fathom-compact-"));
    roots.push(dir);
    const config = parseConfig({
      TASK_STORAGE_DIR: dir,
      LEASE_TTL_MS: "400",
      LEASE_RENEW_MS: "100",
      TAKEOVER_SCAN_MS: "50",
      FOLLOW_POLL_MS: "20",
      MAX_RUNS_KEPT: "2",
    });
    const store = new FileTaskStore({ root: dir, leaseTtlMs: 400, pollMs: 20 });
    const manager = new TaskManager({ config, store, engine: new SmallEngine(), logger: silentLogger });
    managers.push(manager);
    manager.start();
    const body = { query: "compaction in a loop" };
    const { task } = await manager.submit(body, "r");
    const completed = (run: number) =>
      until(async () => {
        const current = await store.getTask(task.id);
        // Also let go of by its runner: a fresh request needs the lease.
        const settled =
          current?.status === "completed" && current.run === run && !manager.isRunningHere(task.id);
        return settled ? current : null;
      });
    let done = await completed(1);
    const firstRunEnd = done.lastEventId;
    describeState = async () => {
      const current = await store.getTask(task.id);
      const { events } = await store.read(task.id, 0, 1000);
      return {
        status: current?.status,
        run: current?.run,
        compacted: current?.compacted,
        files: fs.readdirSync(path.join(dir, task.id)),
        log: events.map((event) => [event.id, event.type, event.data.status ?? event.data.text]),
      };
    };
    const fileCounts: number[] = [];
    for (let run = 2; run <= 12; run++) {
      await manager.submit({ ...body, fresh: true }, "r");
      done = await completed(run);
      fileCounts.push(fs.readdirSync(path.join(dir, task.id)).length);
      if (run === 12) console.log(`files in the task folder after each run: ${fileCounts.join(", ")}`);
    }
    // Bounded: the file count stops growing once MAX_RUNS_KEPT runs are kept.
    expect(Math.max(...fileCounts.slice(3))).toBeLessThanOrEqual(Math.max(...fileCounts.slice(0, 3)) + 1);
    expect(done.compacted?.runs).toBe(10);
    // 2 per kept run at the last compaction, plus the current run's.
    expect(done.attempts.length).toBeLessThanOrEqual(5);
    expect((done.compacted?.attempts ?? 0) + done.attempts.length).toBe(12);
    const { events } = await store.read(task.id, 0, 100_000);
    expect(events[0]!.id).toBeGreaterThan(firstRunEnd);
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => events[0]!.id + index));
    expect((await manager.getTaskWithReport(task.id))?.result?.report).toBe(REPORT.join(""));
    await expect(streamStart(done, firstRunEnd, () => store.lastEventId(task.id))).rejects.toMatchObject({
      code: "gone",
      message: expect.stringContaining("compacted"),
    });
    expect(await streamStart(done, 0, () => store.lastEventId(task.id))).toEqual({
      kind: "stream",
      afterId: done.runStartEventId - 1,
    });
  }, 60_000);
});
