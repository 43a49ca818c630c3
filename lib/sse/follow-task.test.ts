import { describe, expect, it } from "vitest";
import type { TaskEvent } from "../model/events";
import { newTaskJson } from "../model/task-json";
import { MemoryTaskStore, MemoryVolume } from "../store/memory-store";
import { followTask } from "./follow-task";

const taskId = "0123456789abcdef0123456789abcdef";

async function storeWithTask() {
  const store = new MemoryTaskStore({ volume: new MemoryVolume(), leaseTtlMs: 10_000, now: () => 0 });
  const request = {
    query: "q",
    depth: 1,
    breadth: 1,
    language: "en",
    llm: { provider: "offline" as const },
    search: { provider: "local" as const, maxResults: 5 },
  };
  await store.createTask(newTaskJson({ id: taskId, request, priority: 0, now: new Date(0).toISOString() }));
  const lease = await store.acquireLease(taskId, "owner");
  if (!lease) throw new Error("no lease");
  return { store, lease };
}

describe("followTask", () => {
  it("hands over every event after the cursor once, in order, until done", async () => {
    const { store, lease } = await storeWithTask();
    await store.append(lease, [
      { event: { type: "progress", data: { percentage: 10 } } },
      { event: { type: "progress", data: { percentage: 20 } } },
    ]);
    const seen: TaskEvent[] = [];
    const following = followTask({
      store,
      taskId,
      afterId: 1,
      settleCheckMs: 60_000,
      checkSettled: async () => "running",
      onEvents: async (events) => {
        seen.push(...events);
        // A slow consumer: the next batch waits for this one.
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
    });
    await store.append(lease, [{ event: { type: "output", data: { text: "a" } } }]);
    await store.append(lease, [{ event: { type: "done", data: { status: "completed" } } }]);
    await expect(following).resolves.toEqual({ reason: "done", lastEventId: 4 });
    expect(seen.map((event) => event.id)).toEqual([2, 3, 4]);
  });

  it("ends on abort without waiting for the task, and when the task is found settled", async () => {
    const { store } = await storeWithTask();
    const controller = new AbortController();
    const aborted = followTask({
      store,
      taskId,
      afterId: 0,
      settleCheckMs: 60_000,
      checkSettled: async () => "running",
      onEvents: async () => {},
      signal: controller.signal,
    });
    controller.abort();
    await expect(aborted).resolves.toEqual({ reason: "aborted", lastEventId: 0 });
    const settled = followTask({
      store,
      taskId,
      afterId: 0,
      settleCheckMs: 10,
      checkSettled: async () => "settled",
      onEvents: async () => {},
    });
    await expect(settled).resolves.toEqual({ reason: "settled", lastEventId: 0 });
  });
});
