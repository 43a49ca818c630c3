import "server-only";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { streamStart } from "@/lib/model/stream-cursor";
import { isFinished, type TaskJson } from "@/lib/model/task-json";
import { taskSnapshot } from "@/lib/model/task-view";
import { getLogger } from "@/lib/server/manager-instance";
import { parseCursor } from "@/lib/sse/encode";
import { createReplayStream } from "@/lib/sse/replay-stream";
import { createTaskEventStream } from "@/lib/sse/task-stream";
import type { TaskManager } from "@/lib/tasks/task-manager";
import { SSE_HEADERS } from "./http";
import { acquireStreamSlot } from "./limits";
import { connectionClosed, connectionOpened } from "./metrics";
import { getReplayCache } from "./replay-cache";

/** The client's cursor: the Last-Event-ID header, else `?lastEventId`. */
export function cursorFrom(request: Request): number | undefined {
  const header = request.headers.get("last-event-id");
  const query = new URL(request.url).searchParams.get("lastEventId");
  const raw = header ?? query;
  const cursor = parseCursor(raw);
  if (cursor === null) {
    const shown = (raw ?? "").length > 40 ? `${raw?.slice(0, 40)}…` : raw;
    throw new AppError(
      "invalid_request",
      `Last-Event-ID / lastEventId must be an event id (a whole number from 0, at most 15 digits); got "${shown}".`,
    );
  }
  return cursor;
}

/**
 * Streams a task from a cursor, or answers 204 when the task is finished and
 * the client has seen everything (so EventSource stops reconnecting). A
 * cursor the log cannot serve (compacted: 410; lost in a crash: 409; past
 * the end: 400) is refused with a JSON error; see `streamStart`.
 */
export async function streamTask(
  request: Request,
  manager: TaskManager,
  task: TaskJson,
  cursor: number | undefined,
  requestId: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const start = await streamStart(task, cursor, () => manager.store.lastEventId(task.id));
  if (start.kind === "finished") {
    return new Response(null, {
      status: 204,
      headers: { "X-Task-ID": task.id, "X-Request-ID": requestId, ...headers },
    });
  }
  const afterId = start.afterId;
  const config = getConfig();
  const headersOut = { ...SSE_HEADERS, "X-Task-ID": task.id, "X-Request-ID": requestId, ...headers };
  // A finished run never changes: replay it from the process's encoded copy
  // (one read for every client of a reconnect storm), checked against this
  // request's snapshot. Null: not servable from memory, served live below.
  const run =
    isFinished(task.status) && afterId < task.lastEventId
      ? await getReplayCache(manager).get({
          taskId: task.id,
          createdAt: task.createdAt,
          run: task.run,
          firstEventId: task.runStartEventId,
          lastEventId: task.lastEventId,
        })
      : null;
  const release = acquireStreamSlot(manager, request);
  if (run) {
    const replay = createReplayStream({
      run,
      afterId,
      snapshot: taskSnapshot(task, manager.queuePosition(task.id)),
      retryMs: config.SSE_RETRY_MS,
      logger: getLogger().child({ requestId, ownerId: manager.ownerId }),
      onOpen: connectionOpened,
      onClose: () => {
        release();
        connectionClosed();
      },
    });
    return new Response(replay, { status: 200, headers: headersOut });
  }
  const stream = createTaskEventStream({
    store: manager.store,
    taskId: task.id,
    afterId,
    snapshot: taskSnapshot(task, manager.queuePosition(task.id)),
    heartbeatMs: config.SSE_HEARTBEAT_MS,
    retryMs: config.SSE_RETRY_MS,
    logger: getLogger().child({ requestId, ownerId: manager.ownerId }),
    signal: request.signal,
    onOpen: connectionOpened,
    onClose: () => {
      release();
      connectionClosed();
    },
    checkSettled: async (lastEventId) => {
      const current = await manager.getTask(task.id);
      if (!current) return "gone";
      return isFinished(current.status) && lastEventId >= current.lastEventId ? "settled" : "running";
    },
  });
  return new Response(stream, { status: 200, headers: headersOut });
}
