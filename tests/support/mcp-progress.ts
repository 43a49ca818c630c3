import { readSse } from "./sse";

/**
 * The progress notifications an MCP call that waits must have sent for a
 * task's current run: one per `progress` event (with a percentage, message
 * or step) and per `status` event with a status, its `progress` being the
 * event's id — read from the task's own SSE stream at `baseUrl`.
 */
export async function expectedProgress(baseUrl: string, taskId: string): Promise<number[]> {
  const stream = await readSse(`${baseUrl}/api/tasks/${taskId}/events`, { timeoutMs: 60_000 });
  return stream.numbered
    .filter((event) => event.event === "progress" || (event.event === "status" && event.data.status))
    .filter(
      (event) =>
        event.event === "status" ||
        typeof event.data.percentage === "number" ||
        Boolean(event.data.message) ||
        Boolean(event.data.step),
    )
    .map((event) => event.id as number);
}
