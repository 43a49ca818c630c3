import { describe, expect, it } from "vitest";
import type { TaskJson } from "./task-json";
import { testTask } from "./testing/task-fixture";
import { afterAppend, assertControl, control, endRunningAttempts, requeue, settle } from "./transitions";

const now = "2026-01-01T00:00:10.000Z";

function task(overrides: Partial<TaskJson> = {}): TaskJson {
  return testTask({ id: "a".repeat(32), ...overrides }, { now: "2026-01-01T00:00:00.000Z" });
}

const running = () =>
  task({
    status: "running",
    lastEventId: 7,
    attempts: [
      {
        id: "attempt1",
        kind: "first",
        ownerId: "o",
        epoch: 1,
        startedAt: "2026-01-01T00:00:00.000Z",
        endedAt: null,
        durationMs: null,
        outcome: "running",
        error: null,
      },
    ],
  });

describe("transitions", () => {
  it("settles a completed run: status, done with the result summary, the attempt ended, the input untouched", () => {
    const before = running();
    const { task: after, records } = settle(before, {
      status: "completed",
      now,
      result: { report: "# R", sources: [], learnings: ["l"] },
    });
    expect(before.status).toBe("running");
    expect(after).toMatchObject({ status: "completed", finishedAt: now, progress: 100, error: null });
    expect(after.attempts[0]).toMatchObject({ outcome: "completed", endedAt: now, durationMs: 10_000 });
    expect(records.map((record) => ("event" in record ? record.event.type : "checkpoint"))).toEqual([
      "status",
      "done",
    ]);
    expect(records[1]).toEqual({
      event: {
        type: "done",
        data: { status: "completed", result: { sources: [], learnings: ["l"], reportLength: 3 } },
      },
    });
  });

  it("settles a failure with its error in the attempt and the events; a pause ends the attempt without done", () => {
    const failed = settle(running(), {
      status: "failed",
      now,
      error: { code: "provider_error", message: "boom" },
    });
    expect(failed.task.attempts[0]).toMatchObject({ outcome: "failed", error: "boom" });
    expect(failed.records[0]).toEqual({
      event: { type: "status", data: { status: "failed", error: "boom" } },
    });
    const paused = settle(running(), { status: "paused", now });
    expect(paused.task).toMatchObject({ status: "paused", finishedAt: null });
    expect(paused.records).toHaveLength(1);
  });

  it("refuses a transition the table forbids", () => {
    expect(() => settle(task({ status: "completed" }), { status: "paused", now })).toThrow(/Cannot/);
    expect(() => requeue(task({ status: "running" }), { newRun: true, now })).toThrow(/running/);
  });

  it("requeues: a retry keeps the steps' run, a new run drops them; both start a run at the status event", () => {
    const done = task({ status: "failed", run: 2, checkpointRun: 1, progress: 60, lastEventId: 40 });
    const retry = requeue(done, { newRun: false, now });
    expect(retry.task).toMatchObject({
      status: "queued",
      run: 3,
      checkpointRun: 1,
      progress: 60,
      error: null,
    });
    expect(retry.startsRun).toBe(true);
    const fresh = requeue(task({ status: "completed", run: 2, progress: 100 }), { newRun: true, now });
    expect(fresh.task).toMatchObject({ run: 3, checkpointRun: 3, progress: 0, result: null });
    const appended = afterAppend(retry.task, [{ id: 41, type: "status", data: {} }], retry.startsRun);
    expect(appended).toMatchObject({ lastEventId: 41, runStartEventId: 41 });
  });

  it("keeps the last completed run's sources and learnings for the next fresh run to compare with", () => {
    const result = {
      sources: [{ number: 1, title: "A", url: "https://a.test/", passages: ["text"] }],
      learnings: ["learned"],
      reportLength: 10,
    };
    const completed = task({ status: "completed", run: 2, finishedAt: "2026-01-01T00:00:05.000Z", result });
    const fresh = requeue(completed, { newRun: true, now });
    const previousRun = {
      run: 2,
      finishedAt: "2026-01-01T00:00:05.000Z",
      sources: [{ title: "A", url: "https://a.test/" }],
      learnings: ["learned"],
      reportLength: 10,
    };
    expect(fresh.task.previousRun).toEqual(previousRun);
    // A run that failed has nothing to compare with: the next one still compares with run 2.
    const failed = { ...fresh.task, status: "failed" as const, result: null, run: 3 };
    expect(requeue(failed, { newRun: true, now }).task.previousRun).toEqual(previousRun);
    expect(requeue(failed, { newRun: false, now }).task.previousRun).toEqual(previousRun);
  });

  it("applies controls: cancel is idempotent, resume only from paused, finish-now on a paused task queues it", () => {
    const cancelled = control(task({ status: "queued" }), "cancel", now);
    expect(cancelled.task.status).toBe("cancelled");
    expect(control(cancelled.task, "cancel", now).records).toEqual([]);
    expect(() => assertControl(task({ status: "running" }), "resume")).toThrow(
      /Cannot resume: the task is running/,
    );
    expect(() => assertControl(task({ status: "completed" }), "finish")).toThrow(/Cannot finish now/);
    const finishing = control(task({ status: "paused" }), "finish", now);
    expect(finishing.task).toMatchObject({ status: "queued", finishRequested: true });
    const resumed = control(task({ status: "paused" }), "resume", now);
    expect(resumed.task.status).toBe("queued");
  });

  it("ends only the attempts still running", () => {
    const value = running();
    value.attempts.push({ ...value.attempts[0]!, id: "old", outcome: "failed", endedAt: "x", error: "e" });
    endRunningAttempts(value, "interrupted", now);
    expect(value.attempts.map((attempt) => attempt.outcome)).toEqual(["interrupted", "failed"]);
  });
});
