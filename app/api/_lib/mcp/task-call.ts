import "server-only";
import type { CallToolResult, ProgressNotification } from "@modelcontextprotocol/sdk/types.js";
import { getConfig } from "@/lib/config";
import { AppError, isAppError } from "@/lib/errors";
import type { TaskEvent } from "@/lib/model/events";
import { researchCreated } from "@/lib/model/research-created";
import { streamStart } from "@/lib/model/stream-cursor";
import { isFinished, type TaskJson } from "@/lib/model/task-json";
import { taskSummary } from "@/lib/model/task-view";
import { redactorFor } from "@/lib/redact";
import { getLogger } from "@/lib/server/manager-instance";
import { sleep } from "@/lib/sleep";
import { followTask } from "@/lib/sse/follow-task";
import type { TaskManager } from "@/lib/tasks/task-manager";
import { findTask } from "../find-task";

/**
 * What the MCP tools answer (README, "MCP"): results, errors, and the wait
 * of a `research` or `follow_up` call — shared by the call itself and by its
 * resumption on any process, so both send the same notifications and the
 * same final result.
 */

/** The URI of a task's report as an MCP resource. */
export function reportUri(taskId: string): string {
  return `fathom://tasks/${taskId}/report`;
}

/** A tool result carrying JSON: as text (every client shows it) and as structured content. */
export function jsonResult(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value, null, 2) }], structuredContent: value };
}

/**
 * An error as a tool error whose text a person can act on. Every text passes
 * the redactor; an error that is not Fathom's own is logged and shown as
 * "Internal error." (as the HTTP API does).
 */
export function toolError(error: unknown, requestId: string): CallToolResult {
  const redact = redactorFor(getConfig());
  let text: string;
  if (isAppError(error)) {
    text = redact(error.message);
    if (error.limit) text += ` (limit: ${error.limit})`;
    if (error.retryAfterSeconds !== undefined)
      text += ` Retry after ${Math.ceil(error.retryAfterSeconds)} s.`;
  } else {
    getLogger().error("mcp.tool_failed", {
      requestId,
      error: redact(error instanceof Error ? (error.stack ?? error.message) : String(error)),
    });
    text = "Internal error.";
  }
  return { content: [{ type: "text", text }], isError: true };
}

/** What `research` and `follow_up` answer when they do not wait: the task and its links. */
export function createdResult(task: TaskJson, created: boolean, queuePosition?: number): CallToolResult {
  const answer = researchCreated(task, created, queuePosition);
  return jsonResult({
    taskId: answer.taskId,
    status: answer.status,
    created: answer.created,
    task: taskSummary(task, queuePosition),
    links: { ...answer.links, report: reportUri(task.id) },
  });
}

/**
 * The progress notification of a log event, or null for events a client
 * is not told about one by one (sources, report text, `done`). `progress` is
 * the event's id in the task's log: it grows with every notification, as
 * MCP requires, across reconnects and processes; the percentage is in the
 * message.
 */
export function progressNotification(
  event: TaskEvent,
  progressToken: string | number,
): ProgressNotification | null {
  const message = progressMessage(event);
  if (message === null) return null;
  return {
    method: "notifications/progress",
    params: { progressToken, progress: event.id, message },
  };
}

function progressMessage(event: TaskEvent): string | null {
  const data = event.data;
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
  if (event.type === "progress") {
    const percentage = typeof data.percentage === "number" ? `${Math.round(data.percentage)}%` : undefined;
    const what = text(data.message) ?? text(data.step);
    const parts = [percentage, what].filter((part) => part !== undefined);
    return parts.length > 0 ? parts.join(" · ") : null;
  }
  if (event.type === "status") {
    const status = text(data.status);
    if (!status) return null;
    const detail = text(data.message) ?? text(data.error);
    return detail ? `Task ${status}: ${detail}` : `Task ${status}`;
  }
  return null;
}

/** The final result of a finished task: its report, or a tool error saying why there is none. */
export function finishedResult(task: TaskJson): CallToolResult {
  const summary = {
    ...taskSummary(task),
    links: { self: `/api/tasks/${task.id}`, page: `/tasks/${task.id}`, report: reportUri(task.id) },
  };
  const report = task.status === "completed" ? task.result?.report : undefined;
  if (report !== undefined) {
    return {
      content: [{ type: "text", text: report }],
      structuredContent: { taskId: task.id, ...summary, sources: task.result?.sources ?? [] },
    };
  }
  const redact = redactorFor(getConfig());
  const reason =
    task.status === "failed"
      ? `Task ${task.id} failed: ${redact(task.error?.message ?? "no reason recorded")}.`
      : `Task ${task.id} is ${task.status}.`;
  return {
    content: [{ type: "text", text: reason }],
    structuredContent: { taskId: task.id, ...summary },
    isError: true,
  };
}

/** Options of `waitForTask`. */
export interface WaitOptions {
  manager: TaskManager;
  taskId: string;
  /** The client's position in the log; undefined or 0: the current run from its first event. */
  cursor: number | undefined;
  /** Gets every event after the cursor, in order, once. */
  onEvent: (event: TaskEvent) => Promise<void>;
  /** The client went away: stop following (the task goes on). */
  signal: AbortSignal;
}

/**
 * Follows a task from a cursor until it is finished and returns its final
 * result; null when the signal aborted first. A cursor the log cannot serve,
 * an unknown or deleted task: an AppError (a tool error for the client).
 */
export async function waitForTask(options: WaitOptions): Promise<CallToolResult | null> {
  const { manager, taskId, signal } = options;
  const config = getConfig();
  const task = await findTask(manager, taskId);
  const start = await streamStart(task, options.cursor, () => manager.store.lastEventId(taskId));
  if (start.kind === "finished")
    return finishedResult(await settledTask(manager, taskId, task.lastEventId, signal));
  const end = await followTask({
    store: manager.store,
    taskId,
    afterId: start.afterId,
    signal,
    settleCheckMs: config.SSE_HEARTBEAT_MS,
    onEvents: async (events) => {
      for (const event of events) await options.onEvent(event);
    },
    checkSettled: async (lastEventId) => {
      const current = await manager.getTask(taskId);
      if (!current) return "gone";
      return isFinished(current.status) && lastEventId >= current.lastEventId ? "settled" : "running";
    },
  });
  if (end.reason === "aborted") return null;
  if (end.reason === "gone") throw new AppError("gone", `Task ${taskId} was deleted.`);
  return finishedResult(await settledTask(manager, taskId, end.lastEventId, signal));
}

/**
 * The task once its snapshot shows it finished at or after `lastEventId`,
 * with its report. The owner appends `done` before it saves the snapshot, so
 * a follower may see the event a moment before the snapshot; if the owner
 * died in between, the next owner rebuilds the snapshot from the log.
 */
async function settledTask(
  manager: TaskManager,
  taskId: string,
  lastEventId: number,
  signal: AbortSignal,
): Promise<TaskJson> {
  const config = getConfig();
  const deadline = performance.now() + config.LEASE_TTL_MS * 4 + 10_000;
  for (;;) {
    const task = await manager.getTaskWithReport(taskId);
    if (!task) return findTask(manager, taskId);
    if (isFinished(task.status) && task.lastEventId >= lastEventId) return task;
    if (performance.now() > deadline) {
      throw new AppError(
        "storage_error",
        `Task ${taskId} ended in its log, but its state was not saved; ask get_task again shortly.`,
      );
    }
    await sleep(config.FOLLOW_POLL_MS, signal);
  }
}
