import { describe, expect, it } from "vitest";
import { researchCreated, researchCreatedSchema } from "./research-created";
import type { TaskJson } from "./task-json";
import {
  taskSnapshot,
  taskSnapshotSchema,
  taskSummary,
  taskSummarySchema,
  taskView,
  taskViewSchema,
} from "./task-view";
import { testTask } from "./testing/task-fixture";
import { addUsage } from "./usage";

const task: TaskJson = testTask({}, { request: { depth: 2, breadth: 3 } });
const finished: TaskJson = {
  ...task,
  status: "completed",
  result: { report: "# Report", sources: [], learnings: ["a learning"] },
};

// What the server builds is what the browser's schemas accept, queued or not, with a result or without.
describe("the API's views of a task", () => {
  it("parse under their schemas", () => {
    for (const [value, position] of [
      [task, 2],
      [finished, undefined],
    ] as const) {
      expect(taskViewSchema.parse(taskView(value, position))).toEqual(taskView(value, position));
      expect(taskSnapshotSchema.parse(taskSnapshot(value, position))).toEqual(taskSnapshot(value, position));
      expect(taskSummarySchema.parse(taskSummary(value, position))).toEqual(taskSummary(value, position));
      const created = researchCreated(value, true, position);
      expect(researchCreatedSchema.parse(created)).toEqual(created);
    }
  });

  it("leave the version out, and the result out of the snapshot", () => {
    expect(taskView(task)).not.toHaveProperty("version");
    expect(taskView(task, 3).queuePosition).toBe(3);
    expect(taskSnapshot(finished)).not.toHaveProperty("result");
    expect(taskSnapshot(finished).hasResult).toBe(true);
  });

  it("carry usage when the task has some: whole in the view and snapshot, totals in the list row", () => {
    const usage = addUsage(
      undefined,
      {
        step: "plan",
        provider: "openai",
        model: "gpt-4o-mini",
        inputTokens: 9,
        outputTokens: 3,
        reasoningTokens: 1,
      },
      0.25,
    );
    const used: TaskJson = { ...finished, usage };
    expect(taskViewSchema.parse(taskView(used)).usage).toEqual(usage);
    expect(taskSnapshotSchema.parse(taskSnapshot(used)).usage).toEqual(usage);
    expect(taskSummarySchema.parse(taskSummary(used)).usage).toEqual({
      inputTokens: 9,
      outputTokens: 3,
      reasoningTokens: 1,
      calls: 1,
      totalTokens: 12,
      costUsd: 0.25,
    });
    expect(taskSummary(finished)).not.toHaveProperty("usage");
  });
});
