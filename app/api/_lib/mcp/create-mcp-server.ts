import "server-only";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { CallToolResult, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { followUpBodySchema, researchRequestSchema } from "@/lib/model/request";
import { TASK_ID_PATTERN, taskStatuses } from "@/lib/model/task-json";
import { taskSummary, taskView } from "@/lib/model/task-view";
import { getLogger } from "@/lib/server/manager-instance";
import type { TaskManager } from "@/lib/tasks/task-manager";
import { findTask } from "../find-task";
import { acquireStreamSlot, admission } from "../limits";
import { taskListPage } from "../task-list";
import {
  createdResult,
  jsonResult,
  progressNotification,
  reportUri,
  toolError,
  waitForTask,
} from "./task-call";
import type { TaskLogEventStore } from "./task-log-event-store";

/** The version this server reports to MCP clients. */
const SERVER_INFO = { name: "fathom", version: "0.1.0" };

const taskIdSchema = z
  .string()
  .regex(TASK_ID_PATTERN, "taskId must be a task id (32 lowercase hex characters)")
  .describe("The task's id (32 lowercase hex characters).");

const waitSchema = z
  .boolean()
  .optional()
  .describe(
    "Wait for the task to finish: progress notifications while it runs (when the call has a progress token), then the report. Without it the call answers at once with the task's id, status and links.",
  );

/** `research`: the body of `POST /api/research` (the same schema, limits and defaults) and `wait`. */
export const researchToolSchema = researchRequestSchema.extend({ wait: waitSchema });

/** `follow_up`: the body of `POST /api/tasks/:id/follow-up`, the parent's id and `wait`. */
export const followUpToolSchema = followUpBodySchema.extend({ taskId: taskIdSchema, wait: waitSchema });

const listToolSchema = z.strictObject({
  status: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(`Comma-separated statuses to list (${taskStatuses.join(", ")}); all when absent.`),
  q: z.string().max(4000).optional().describe("Text to look for in the research questions."),
  limit: z
    .number()
    .int()
    .min(1, "limit must be at least 1")
    .max(200, "limit must be at most 200")
    .optional()
    .describe("Tasks per page, 1–200 (default 50)."),
  cursor: z.string().max(1000).optional().describe("`nextCursor` of the previous page."),
});

/** What the tools of one HTTP request work with. */
export interface McpServerContext {
  manager: TaskManager;
  /** The HTTP request: its client's limits (rate, streams) are the API's. */
  request: Request;
  requestId: string;
  /** Present when this request is a call that waits and may be resumed. */
  eventStore: TaskLogEventStore | null;
  /** Aborts when the client's connection ended: a waiting call stops following. */
  signal: AbortSignal;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** The text of a tool result (its first content). */
function text(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === "text" ? first.text : "";
}

/**
 * The MCP server of one HTTP request (README, "MCP"). Tools and resources
 * call the same services as the HTTP API — `TaskManager.submit` and
 * `followUp` with the API's admission check (fingerprint and join, rate and
 * queue limits, storage), `control` for cancelling (the lifecycle table),
 * the task list of `GET /api/tasks` — so the two can never disagree. Inputs
 * are the API's zod schemas; every error reaches the client as a tool error
 * with a redacted, readable text.
 */
export function createMcpServer(context: McpServerContext): McpServer {
  const { manager, request, requestId } = context;
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: {}, resources: {} },
    instructions:
      "Fathom runs deep research as background tasks. Call `research` with a question (wait: true streams progress and returns the report). Identical requests join one task; a task survives disconnects and restarts.",
  });

  const guarded =
    <Args>(handler: (args: Args, extra: Extra) => Promise<CallToolResult>) =>
    async (args: Args, extra: Extra): Promise<CallToolResult> => {
      try {
        return await handler(args, extra);
      } catch (error) {
        return toolError(error, requestId);
      }
    };

  /** Follows the task until it ends; every notification names its log position (`TaskLogEventStore`). */
  const wait = async (taskId: string, extra: Extra): Promise<CallToolResult> => {
    const release = acquireStreamSlot(manager, request);
    const signal = AbortSignal.any([context.signal, extra.signal]);
    const store = context.eventStore;
    if (store) store.position = { ...store.position, task: taskId };
    const progressToken = extra._meta?.progressToken;
    const logger = getLogger().child({ requestId, ownerId: manager.ownerId });
    logger.info("mcp.waiting", { taskId });
    let sent = 0;
    try {
      const result = await waitForTask({
        manager,
        taskId,
        cursor: undefined,
        signal,
        onEvent: async (event) => {
          if (store) store.position = { ...store.position, after: event.id };
          const notification =
            progressToken === undefined ? null : progressNotification(event, progressToken);
          if (notification) {
            await extra.sendNotification(notification);
            sent += 1;
          }
        },
      });
      logger.info("mcp.wait_ended", { taskId, notifications: sent, answered: result !== null });
      return result ?? toolError(new AppError("gone", "The client went away."), requestId);
    } catch (error) {
      if (signal.aborted) return toolError(new AppError("gone", "The client went away."), requestId);
      throw error;
    } finally {
      release();
    }
  };

  server.registerTool(
    "research",
    {
      title: "Research a question",
      description:
        "Starts deep research on a question, or joins the identical task that already exists (the same request is one task). Answers the task id, status and links; with wait: true, sends progress notifications and answers the report (markdown with numbered citations).",
      inputSchema: researchToolSchema,
    },
    guarded(async (args, extra) => {
      const { wait: shouldWait, ...body } = args;
      const { task, created } = await manager.submit(body, requestId, { admit: admission(manager, request) });
      if (!shouldWait) return createdResult(task, created, manager.queuePosition(task.id));
      return wait(task.id, extra);
    }),
  );

  server.registerTool(
    "follow_up",
    {
      title: "Ask a follow-up question",
      description:
        "Starts (or joins) research on a follow-up question of a completed research task: it starts from that task's learnings and sources. The same options as research for waiting.",
      inputSchema: followUpToolSchema,
    },
    guarded(async (args, extra) => {
      const { taskId, wait: shouldWait, ...body } = args;
      await findTask(manager, taskId);
      const { task, created } = await manager.followUp(taskId, body, requestId, {
        admit: admission(manager, request),
      });
      if (!shouldWait) return createdResult(task, created, manager.queuePosition(task.id));
      return wait(task.id, extra);
    }),
  );

  server.registerTool(
    "get_task",
    {
      title: "Get a task",
      description:
        "A task's status, progress, current step, attempts and, once completed, its report and sources.",
      inputSchema: z.strictObject({ taskId: taskIdSchema }),
      annotations: { readOnlyHint: true },
    },
    guarded(async ({ taskId }) => {
      const task = (await manager.getTaskWithReport(taskId)) ?? (await findTask(manager, taskId));
      return jsonResult(taskView(task, manager.queuePosition(taskId)));
    }),
  );

  server.registerTool(
    "list_tasks",
    {
      title: "List tasks",
      description: "Research tasks, newest first, a page at a time (as GET /api/tasks).",
      inputSchema: listToolSchema,
      annotations: { readOnlyHint: true },
    },
    guarded(async (args) => jsonResult({ ...(await taskListPage(manager, args)) })),
  );

  server.registerTool(
    "cancel_task",
    {
      title: "Cancel a task",
      description:
        "Cancels a queued, running, paused or failed task (a finished one cannot be cancelled: the answer says why).",
      inputSchema: z.strictObject({ taskId: taskIdSchema }),
      annotations: { destructiveHint: true, idempotentHint: true },
    },
    guarded(async ({ taskId }) => {
      await findTask(manager, taskId);
      const task = await manager.control(taskId, "cancel");
      return jsonResult({ ...taskSummary(task, manager.queuePosition(taskId)) });
    }),
  );

  server.registerResource(
    "report",
    new ResourceTemplate("fathom://tasks/{id}/report", {
      list: async () => {
        const page = await taskListPage(manager, { status: "completed", limit: 50 });
        return {
          resources: page.tasks.map((task) => ({
            uri: reportUri(task.id),
            name: task.query,
            mimeType: "text/markdown",
          })),
        };
      },
    }),
    {
      title: "Research report",
      description: "The report of a completed research task, in markdown (the 50 newest are listed).",
      mimeType: "text/markdown",
    },
    async (uri, variables) => {
      try {
        const id = variables.id;
        if (typeof id !== "string" || !TASK_ID_PATTERN.test(id)) {
          throw new AppError(
            "invalid_request",
            `${uri.href} does not name a task (32 lowercase hex characters).`,
          );
        }
        const task = (await manager.getTaskWithReport(id)) ?? (await findTask(manager, id));
        const report = task.status === "completed" ? task.result?.report : undefined;
        if (report === undefined) {
          throw new AppError("conflict", `Task ${id} is ${task.status}; only a completed task has a report.`);
        }
        return { contents: [{ uri: uri.href, mimeType: "text/markdown", text: report }] };
      } catch (error) {
        // A resource read has no tool-error form: a JSON-RPC error with the same redacted text.
        throw new Error(text(toolError(error, requestId)));
      }
    },
  );

  return server;
}
