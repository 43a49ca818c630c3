import { describe, expect, it } from "vitest";
import { newTaskJson, type TaskJson } from "../model/task-json";
import { MemoryTaskStore } from "../store/memory-store";
import { createRunEndDeliveries } from "./run-end-deliveries";

const taskId = "a".repeat(32);
const now = new Date("2026-05-01T12:00:00.000Z");

function finishedTask(): TaskJson {
  const task = newTaskJson({
    id: taskId,
    request: { query: "solar power", depth: 1, breadth: 1 } as TaskJson["request"],
    priority: 0,
    now: now.toISOString(),
  });
  return { ...task, status: "completed", finishedAt: now.toISOString() };
}

describe("createRunEndDeliveries", () => {
  it("makes links absolute under the public address and names the run's schedule", async () => {
    const store = new MemoryTaskStore({ leaseTtlMs: 1000 }).schedules;
    const asked: string[] = [];
    const created = await createRunEndDeliveries(store, finishedTask(), {
      serverUrl: "https://hooks.example.com/fathom",
      now,
      baseUrl: "https://research.example.com/fathom",
      scheduleOf: async (task) => {
        asked.push(task.id);
        return "schedule-one";
      },
    });
    expect(created).toBe(1);
    expect(asked).toEqual([taskId]);
    const [delivery] = await store.listDeliveries(taskId);
    expect(delivery!.payload).toMatchObject({
      scheduleId: "schedule-one",
      links: {
        task: `https://research.example.com/fathom/api/tasks/${taskId}`,
        events: `https://research.example.com/fathom/api/tasks/${taskId}/events`,
        page: `https://research.example.com/fathom/tasks/${taskId}`,
      },
    });
  });

  it("keeps paths without a public address, and a run no schedule started has scheduleId null", async () => {
    const store = new MemoryTaskStore({ leaseTtlMs: 1000 }).schedules;
    await createRunEndDeliveries(store, finishedTask(), {
      serverUrl: "https://hooks.example.com/fathom",
      now,
      scheduleOf: async () => null,
    });
    const [delivery] = await store.listDeliveries(taskId);
    expect(delivery!.payload).toMatchObject({
      scheduleId: null,
      links: {
        task: `/api/tasks/${taskId}`,
        events: `/api/tasks/${taskId}/events`,
        page: `/tasks/${taskId}`,
      },
    });
  });

  it("does not look for the schedule when there is nobody to tell", async () => {
    const store = new MemoryTaskStore({ leaseTtlMs: 1000 }).schedules;
    let asked = 0;
    const created = await createRunEndDeliveries(store, finishedTask(), {
      now,
      scheduleOf: async () => {
        asked += 1;
        return null;
      },
    });
    expect({ created, asked }).toEqual({ created: 0, asked: 0 });
  });
});
