import { describe, expect, it } from "vitest";
import { researchCreated, researchCreatedSchema } from "./research-created";
import { newTaskJson, type TaskJson } from "./task-json";
import {
  taskSnapshot,
  taskSnapshotSchema,
  taskSummary,
  taskSummarySchema,
  taskView,
  taskViewSchema,
} from "./task-view";

const task: TaskJson = newTaskJson({
  id: "0123456789abcdef0123456789abcdef",
  request: {
    query: "Louisiana Purchase",
    depth: 2,
    breadth: 3,
    language: "en",
    llm: { provider: "offline" },
    search: { provider: "local", maxResults: 5 },
  },
  priority: 0,
  now: "2024-01-01T00:00:00.000Z",
});
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
});
