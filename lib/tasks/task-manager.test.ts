import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../config";
import { AppError } from "../errors";
import { createLogger, type Logger, silentLogger } from "../log";
import { researchRequestSchema } from "../model/request";
import { taskView } from "../model/task-view";
import type { ResearchContext, ResearchEngine, ResearchResult } from "../research/types";
import { MemoryTaskStore, MemoryVolume } from "../store/memory-store";
import { TaskManager } from "./task-manager";

/**
 * A small engine with the real step structure: plan, one search step per
 * sub-question, then a report streamed in lines. Gates let a test hold it
 * at a given step; counters tell which steps ran.
 */
class ScriptedEngine implements ResearchEngine {
  runs = 0;
  stepCalls: string[] = [];
  gate: Promise<void> | null = null;
  failTimes = 0;
  /** When set, the report waits for it after each line it wrote. */
  reportGate: Promise<void> | null = null;
  transientFailures = 0;
  /** When set, every step and the report "call" this model (100 tokens in, 20 out of which 5 reasoning). */
  model: { provider: string; model: string } | null = null;

  async #call(context: ResearchContext, step: string): Promise<void> {
    if (!this.model) return;
    await context.usage({ step, ...this.model, inputTokens: 100, outputTokens: 20, reasoningTokens: 5 });
  }

  async run(context: ResearchContext): Promise<ResearchResult> {
    this.runs += 1;
    const questions = await context.step("plan", async () => {
      this.stepCalls.push("plan");
      await this.#call(context, "plan");
      return ["alpha", "beta", "gamma"];
    });
    const learnings: string[] = [];
    for (const [index, question] of questions.entries()) {
      if (context.finishRequested()) break;
      const learned = await context.step(`search:${question}`, async () => {
        this.stepCalls.push(`search:${question}`);
        await this.#call(context, `search:${question}`);
        if (this.transientFailures > 0) {
          this.transientFailures -= 1;
          throw new AppError("provider_error", "busy", { retryable: true });
        }
        if (this.failTimes > 0) {
          this.failTimes -= 1;
          throw new AppError("provider_error", "the provider said no");
        }
        if (this.gate) await Promise.race([this.gate, abortable(context.signal)]);
        return `learned about ${question}`;
      });
      learnings.push(learned);
      await context.progress({ step: "search", percentage: ((index + 1) / 4) * 100, message: question });
    }
    await this.#call(context, "report");
    const lines = ["# Report\n", ...learnings.map((learning) => `- ${learning}\n`), "Done.\n"];
    const report = lines.join("");
    if (!report.startsWith(context.reportSoFar)) throw new Error("report prefix mismatch");
    let written = context.reportSoFar.length;
    for (const line of lines) {
      const end = report.indexOf(line, Math.max(written - line.length, 0)) + line.length;
      if (end <= written) continue;
      await context.output(report.slice(written, end));
      written = end;
      if (this.reportGate) await Promise.race([this.reportGate, abortable(context.signal)]);
    }
    return { report, sources: [], learnings };
  }
}

function abortable(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

const managers: TaskManager[] = [];
afterEach(async () => {
  for (const manager of managers.splice(0)) await manager.shutdown().catch(() => undefined);
});

/** A manager on the in-memory store; `volume` shared with another setup acts as a second process. */
function setup(env: Record<string, string> = {}, volume = new MemoryVolume(), logger: Logger = silentLogger) {
  const config = parseConfig({
    LEASE_TTL_MS: "400",
    LEASE_RENEW_MS: "100",
    TAKEOVER_SCAN_MS: "50",
    FOLLOW_POLL_MS: "20",
    ...env,
  });
  const store = new MemoryTaskStore({ volume, leaseTtlMs: config.LEASE_TTL_MS });
  const engine = new ScriptedEngine();
  const manager = new TaskManager({ config, store, engine, logger });
  managers.push(manager);
  return { manager, engine, store, volume };
}

async function until<T>(probe: () => Promise<T | null | undefined | false> | T, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function outputs(store: MemoryTaskStore, id: string, after = 0): Promise<string> {
  const { events } = await store.read(id, after, 100_000);
  return events
    .filter((event) => event.type === "output")
    .map((event) => String(event.data.text))
    .join("");
}

describe("TaskManager", () => {
  it("turns 50 simultaneous identical requests into one task and one run", async () => {
    const { manager, engine, store } = setup();
    manager.start();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => manager.submit({ query: "same question" }, "r")),
    );
    expect(new Set(results.map((result) => result.task.id)).size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    const id = results[0]!.task.id;
    const done = await until(async () => {
      const task = await store.getTask(id);
      return task?.status === "completed" ? task : null;
    });
    expect(engine.runs).toBe(1);
    expect(done.attempts).toHaveLength(1);
    expect((await manager.getTaskWithReport(id))?.result?.report).toBe(await outputs(store, id));
    expect(done.result?.report).toBeUndefined(); // stored once: in the log
  });

  it("applies defaults before fingerprinting", async () => {
    const { manager } = setup();
    const a = await manager.submit(researchRequestSchema.parse({ query: "  defaults   matter " }), "r");
    const b = await manager.submit(
      researchRequestSchema.parse({
        query: "defaults matter",
        depth: 2,
        breadth: 3,
        language: "en",
        fresh: false,
      }),
      "r",
    );
    expect(b.task.id).toBe(a.task.id);
    const c = await manager.submit({ query: "defaults matter", depth: 3 }, "r");
    expect(c.task.id).not.toBe(a.task.id);
  });

  it("continues a task from its last completed step after its owner vanished", async () => {
    const first = setup();
    first.engine.gate = new Promise(() => {}); // holds the first search forever
    first.manager.start();
    const { task } = await first.manager.submit({ query: "interrupted" }, "r");
    await until(() => first.engine.stepCalls.includes("search:alpha"));
    // The owner "dies": it stops renewing and never writes again.
    (first.manager as unknown as { shutdown: () => Promise<void> }).shutdown = async () => {};
    first.store.close();
    const second = setup({}, first.volume);
    second.manager.start();
    const done = await until(async () => {
      const current = await second.store.getTask(task.id);
      return current?.status === "completed" ? current : null;
    });
    expect(second.engine.stepCalls).toEqual(["search:alpha", "search:beta", "search:gamma"]);
    expect(done.attempts.map((attempt) => attempt.kind)).toEqual(["first", "takeover"]);
    expect(done.attempts[0]!.outcome).toBe("interrupted");
    expect((await second.manager.getTaskWithReport(task.id))?.result?.report).toBe(
      await outputs(second.store, task.id),
    );
  });

  it("retries transient step failures, fails on permanent ones, and retries the task on a new request", async () => {
    const { manager, engine, store } = setup({ STEP_MAX_RETRIES: "2" });
    engine.transientFailures = 1;
    engine.failTimes = 1;
    manager.start();
    const { task } = await manager.submit({ query: "flaky" }, "r");
    const failed = await until(async () => {
      const current = await store.getTask(task.id);
      return current?.status === "failed" ? current : null;
    });
    expect(failed.error?.message).toContain("the provider said no");
    expect(manager.metrics.retries).toBe(1);
    const again = await manager.submit({ query: "flaky" }, "r");
    expect(again.task.id).toBe(task.id);
    const done = await until(async () => {
      const current = await store.getTask(task.id);
      return current?.status === "completed" ? current : null;
    });
    expect(done.attempts.map((attempt) => attempt.outcome)).toEqual(["failed", "completed"]);
    expect(engine.stepCalls.filter((call) => call === "plan")).toHaveLength(1);
  });

  it("cancels, pauses, resumes and finishes now", async () => {
    const { manager, engine, store } = setup();
    let release: () => void = () => {};
    engine.gate = new Promise((resolve) => {
      release = resolve;
    });
    manager.start();
    const { task } = await manager.submit({ query: "controlled" }, "r");
    await until(() => engine.stepCalls.includes("search:alpha"));
    const paused = await manager.control(task.id, "pause");
    expect(paused.status).toBe("paused");
    await expect(manager.control(task.id, "pause")).rejects.toMatchObject({ code: "conflict" });
    const resumed = await manager.control(task.id, "resume");
    expect(resumed.status).toBe("queued");
    await until(async () => (await store.getTask(task.id))?.status === "running");
    await manager.control(task.id, "finish");
    release();
    const done = await until(async () => {
      const current = await store.getTask(task.id);
      return current?.status === "completed" ? current : null;
    });
    expect(done.result?.learnings.length).toBeLessThan(3);
    expect((await manager.getTaskWithReport(task.id))?.result?.report).toBe(await outputs(store, task.id));
    await expect(manager.control(task.id, "cancel")).rejects.toMatchObject({ code: "conflict" });

    engine.gate = new Promise(() => {});
    const other = await manager.submit({ query: "to cancel" }, "r");
    await until(() => engine.stepCalls.filter((call) => call === "search:alpha").length >= 2);
    const cancelled = await manager.control(other.task.id, "cancel");
    expect(cancelled.status).toBe("cancelled");
    expect((await manager.control(other.task.id, "cancel")).status).toBe("cancelled");
  });

  it("deletes a running task without taking it up again in between", async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "warn", format: "json", write: (line) => lines.push(line) });
    const { manager, engine, store } = setup({}, new MemoryVolume(), logger);
    engine.gate = new Promise(() => {});
    manager.start();
    const { task } = await manager.submit({ query: "deleted while running" }, "r");
    await until(() => engine.stepCalls.includes("search:alpha"));
    await manager.delete(task.id);
    // The runner's end asks for a scan; the task being deleted is not a candidate.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engine.runs).toBe(1);
    expect(await store.getTask(task.id)).toBeNull();
    expect(lines).toEqual([]);
  });

  it("keeps the report written so far when a paused task is cancelled", async () => {
    const { manager, engine, store } = setup();
    engine.reportGate = new Promise(() => {});
    manager.start();
    const { task } = await manager.submit({ query: "paused mid-report" }, "r");
    await until(async () => (await outputs(store, task.id)) !== "");
    expect((await manager.control(task.id, "pause")).status).toBe("paused");
    // Not running any more: the cancel is applied by whoever holds the lease, not by a runner.
    const cancelled = await manager.control(task.id, "cancel");
    expect(cancelled.status).toBe("cancelled");
    const written = await outputs(store, task.id);
    expect(written).toBe("# Report\n");
    expect((await manager.getTaskWithReport(task.id))?.result?.report).toBe(written);
  });

  it("runs at most MAX_CONCURRENT_TASKS at once and reports queue positions", async () => {
    const { manager, engine, store } = setup({ MAX_CONCURRENT_TASKS: "1" });
    let release: () => void = () => {};
    engine.gate = new Promise((resolve) => {
      release = resolve;
    });
    manager.start();
    const ids: string[] = [];
    for (const query of ["one", "two", "three"]) ids.push((await manager.submit({ query }, "r")).task.id);
    await until(() => manager.queuePosition(ids[2]!) === 2);
    expect(manager.queuePosition(ids[1]!)).toBe(1);
    expect(manager.runningCount).toBe(1);
    engine.gate = null;
    release();
    const finished = await until(async () => {
      const tasks = await Promise.all(ids.map((id) => store.getTask(id)));
      return tasks.every((task) => task?.status === "completed") ? tasks : null;
    }, 20_000);
    const starts = finished.map((task) => Date.parse(task!.startedAt!));
    const ends = finished.map((task) => Date.parse(task!.finishedAt!));
    expect(starts[1]).toBeGreaterThanOrEqual(ends[0]!);
    expect(starts[2]).toBeGreaterThanOrEqual(ends[1]!);
  });

  it("removes finished tasks older than the retention, by an injected clock", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const config = parseConfig({ MAX_TASK_AGE_HOURS: "1", TAKEOVER_SCAN_MS: "20" });
    const store = new MemoryTaskStore({ leaseTtlMs: 6000 });
    const manager = new TaskManager({
      config,
      store,
      engine: new ScriptedEngine(),
      logger: silentLogger,
      now: () => new Date(now),
    });
    managers.push(manager);
    manager.start();
    const { task } = await manager.submit({ query: "old news" }, "r");
    await until(async () => (await store.getTask(task.id))?.status === "completed");
    expect(await manager.sweep()).toBe(0);
    now += 2 * 3_600_000;
    expect(await manager.sweep()).toBe(1);
    expect(await store.getTask(task.id)).toBeNull();
    expect(await store.wasDeleted(task.id)).toBe(true);
  });

  it("sums model usage per attempt and per task, across a takeover, with its cost", async () => {
    const env = {
      MODEL_PRICES: '{"openai:gpt-test":{"input":1,"output":2},"gpt-test":{"input":9,"output":9}}',
    };
    const first = setup(env);
    first.engine.model = { provider: "openai", model: "gpt-test" };
    first.engine.gate = new Promise(() => {}); // holds the first search forever, after its model call
    first.manager.start();
    const { task } = await first.manager.submit({ query: "costly" }, "r");
    // Each call is in the snapshot before the engine goes on: plan, then the held search.
    await until(async () => (await first.store.getTask(task.id))?.usage?.calls === 2);
    (first.manager as unknown as { shutdown: () => Promise<void> }).shutdown = async () => {};
    first.store.close();

    const second = setup(env, first.volume);
    second.engine.model = { provider: "openai", model: "gpt-test" };
    second.manager.start();
    const done = await until(async () => {
      const current = await second.store.getTask(task.id);
      return current?.status === "completed" ? current : null;
    });
    const call = { inputTokens: 100, outputTokens: 20, reasoningTokens: 5, calls: 1 };
    const price = 0.00014; // 100 × 1 + 20 × 2 USD per million tokens (the provider:model price wins)
    const [interrupted, takeover] = done.attempts;
    expect(interrupted?.usage).toMatchObject({
      calls: 2,
      inputTokens: 200,
      totalTokens: 240,
      costUsd: 0.00028,
    });
    expect(Object.keys(interrupted?.usage?.byStep ?? {})).toEqual(["plan", "search:alpha"]);
    // The takeover repeats the interrupted step's call: it was paid for twice.
    expect(takeover?.usage).toMatchObject({ calls: 4, outputTokens: 80, reasoningTokens: 20 });
    expect(Object.keys(takeover?.usage?.byStep ?? {})).toEqual([
      "search:alpha",
      "search:beta",
      "search:gamma",
      "report",
    ]);
    expect(done.usage).toMatchObject({
      inputTokens: 600,
      outputTokens: 120,
      reasoningTokens: 30,
      calls: 6,
      totalTokens: 720,
      costUsd: 0.00084,
    });
    expect(done.usage?.byStep["search:alpha"]).toEqual({
      inputTokens: 200,
      outputTokens: 40,
      reasoningTokens: 10,
      calls: 2,
      costUsd: 0.00028,
    });
    expect(done.usage?.byStep.plan).toEqual({ ...call, costUsd: price });
    expect(done.usage?.byModel).toEqual({
      "openai:gpt-test": {
        inputTokens: 600,
        outputTokens: 120,
        reasoningTokens: 30,
        calls: 6,
        costUsd: 0.00084,
      },
    });
    // What GET /api/tasks/:id answers, and this process's counters (its own calls only).
    expect(taskView((await second.manager.getTaskWithReport(task.id))!).usage).toEqual(done.usage);
    expect(second.manager.metrics.usageByModel["openai:gpt-test"]).toMatchObject({
      calls: 4,
      costUsd: 0.00056,
    });
    // A watching page counts live: the progress event after each search carries the totals
    // (this engine announces no progress after its plan or its report).
    const { events } = await second.store.read(task.id, 0, 100_000);
    const announced = events.flatMap((event) =>
      event.type === "progress" && event.data.usage ? [(event.data.usage as { calls: number }).calls] : [],
    );
    expect(announced).toEqual([3, 4, 5]);
  });

  it("keeps each attempt's usage across a pause and resume; no price, no cost; no calls, no usage", async () => {
    const { manager, engine, store } = setup();
    engine.model = { provider: "anthropic", model: "claude-test" };
    engine.gate = new Promise(() => {});
    manager.start();
    const { task } = await manager.submit({ query: "paused spend" }, "r");
    await until(async () => (await store.getTask(task.id))?.usage?.calls === 2);
    expect((await manager.control(task.id, "pause")).status).toBe("paused");
    engine.gate = null;
    await manager.control(task.id, "resume");
    const done = await until(async () => {
      const current = await store.getTask(task.id);
      return current?.status === "completed" ? current : null;
    });
    expect(done.attempts.map((attempt) => [attempt.kind, attempt.usage?.calls])).toEqual([
      ["first", 2],
      ["resume", 4],
    ]);
    expect(done.usage?.calls).toBe(6);
    expect(done.usage?.byStep["search:alpha"]?.calls).toBe(2);
    expect(done.usage).not.toHaveProperty("costUsd");
    expect(done.usage?.byModel["anthropic:claude-test"]).not.toHaveProperty("costUsd");

    engine.model = null;
    const offline = await manager.submit({ query: "no model at all" }, "r");
    const finished = await until(async () => {
      const current = await store.getTask(offline.task.id);
      return current?.status === "completed" ? current : null;
    });
    expect(finished).not.toHaveProperty("usage");
    expect(finished.attempts[0]).not.toHaveProperty("usage");
  });
});
