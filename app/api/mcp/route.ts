import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { getLogger, getTaskManager } from "@/lib/server/manager-instance";
import type { TaskManager } from "@/lib/tasks/task-manager";
import { errorResponse, otherMethods, preflight, readJson, route } from "../_lib/http";
import { acquireStreamSlot } from "../_lib/limits";
import { createMcpServer, followUpToolSchema, researchToolSchema } from "../_lib/mcp/create-mcp-server";
import { decodeMcpEventId, encodeMcpEventId, type McpEventId } from "../_lib/mcp/event-id";
import { progressNotification, toolError, waitForTask } from "../_lib/mcp/task-call";
import { TaskLogEventStore } from "../_lib/mcp/task-log-event-store";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/**
 * The MCP endpoint (README, "MCP"): Streamable HTTP, stateless. Each request
 * gets its own server and transport and no `Mcp-Session-Id` is issued, so no
 * process needs to have seen a client before: every process of the
 * deployment answers every request. A call that waits (`research` or
 * `follow_up` with `wait: true`) streams its notifications and result over
 * SSE, each event id naming the task and its log position
 * (`_lib/mcp/event-id.ts`); a client that lost the stream sends
 * `GET /api/mcp` with `Last-Event-ID` — to any process — and receives what
 * it missed from the task's log, then the rest live, then the result.
 *
 * Access, the cross-site refusal of POST (a browser page on another site is
 * refused; programs and same-origin pages are not), the JSON body limit and
 * the error form are the API's `route()`.
 */

const rpcIdSchema = z.union([z.string().max(200), z.number().int()]);

/** A single `tools/call` of a tool that may wait; other messages are the SDK's to check. */
const waitingCallSchema = z.looseObject({
  jsonrpc: z.literal("2.0"),
  id: rpcIdSchema,
  method: z.literal("tools/call"),
  params: z.looseObject({
    name: z.enum(["research", "follow_up"]),
    arguments: z.looseObject({ wait: z.literal(true) }),
    _meta: z.looseObject({ progressToken: z.union([z.string().max(200), z.number()]).optional() }).optional(),
  }),
});

/**
 * Where a waiting call starts, before the SDK sees it: its first (priming)
 * event id must already name the task when it can, so a client cut off
 * before any progress resumes the right task: the request's fingerprint,
 * computed as the tool will (`identify`, `identifyFollowUp`), creating nothing.
 */
async function waitingCallStart(manager: TaskManager, body: unknown): Promise<McpEventId | null> {
  const call = waitingCallSchema.safeParse(body);
  if (!call.success) return null;
  const { id, params } = call.data;
  // An invalid request, or a parent that cannot be followed up, gets its refusal from the tool itself.
  const idOrNull = (identified: Promise<{ id: string }>) =>
    identified.then(
      (value) => value.id,
      () => null,
    );
  let task: string | null = null;
  if (params.name === "research") {
    const parsed = researchToolSchema.safeParse(params.arguments);
    if (parsed.success) {
      const { wait: _wait, ...request } = parsed.data;
      task = await idOrNull(manager.identify(request));
    }
  } else {
    const parsed = followUpToolSchema.safeParse(params.arguments);
    if (parsed.success) {
      const { taskId, wait: _wait, ...body } = parsed.data;
      task = await idOrNull(manager.identifyFollowUp(taskId, body));
    }
  }
  return { task, after: 0, request: id, progress: params._meta?.progressToken };
}

/** True when the body holds a call that waits (it then streams, whatever else it holds). */
function hasWaitingCall(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((message) => {
    const call = z
      .looseObject({
        method: z.literal("tools/call"),
        params: z.looseObject({ arguments: z.looseObject({ wait: z.literal(true) }) }),
      })
      .safeParse(message);
    return call.success;
  });
}

/**
 * The response's body, with `onEnd` called once when it ends or the client
 * cancels it: a call that waits stops following its task when nobody reads
 * (the request's signal alone does not always tell, docs/ARCHITECTURE.md, "Exposure").
 */
function watched(response: Response, onEnd: () => void): Response {
  if (!response.body) {
    onEnd();
    return response;
  }
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          end();
        } else controller.enqueue(value);
      } catch (error) {
        end();
        controller.error(error);
      }
    },
    cancel(reason) {
      end();
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

export const POST = route(async (request, _context, requestId) => {
  const body = await readJson(request, z.unknown());
  const manager = await getTaskManager();
  const config = getConfig();
  const start = await waitingCallStart(manager, body);
  const eventStore = start ? new TaskLogEventStore(start) : null;
  const disconnected = new AbortController();
  const server = createMcpServer({ manager, request, requestId, eventStore, signal: disconnected.signal });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    // A call that waits streams (SSE); everything else is one JSON answer.
    enableJsonResponse: !hasWaitingCall(body),
    ...(eventStore ? { eventStore } : {}),
    retryInterval: config.SSE_RETRY_MS,
    keepAliveMs: config.SSE_HEARTBEAT_MS,
  });
  await server.connect(transport);
  const response = await transport.handleRequest(request, { parsedBody: body });
  return watched(response, () => {
    disconnected.abort();
    void server.close();
  });
});

/**
 * Resumes a call that waits, from the `Last-Event-ID` of its stream, on any
 * process. Without `Last-Event-ID` it is 405: this server sends nothing
 * outside a call (no session-wide stream), which MCP clients accept.
 */
export const GET = route(async (request, _context, requestId) => {
  const lastEventId = request.headers.get("last-event-id");
  if (!lastEventId) {
    return errorResponse(
      new AppError(
        "method_not_allowed",
        "GET /api/mcp only resumes a call's stream (send Last-Event-ID); this server opens no stream outside a call.",
      ),
      requestId,
      request,
      { Allow: "GET, POST, OPTIONS" },
    );
  }
  const decoded = decodeMcpEventId(lastEventId);
  if ("error" in decoded) throw new AppError("invalid_request", decoded.error);
  const from = decoded.id;
  const manager = await getTaskManager();
  const release = acquireStreamSlot(manager, request);
  const eventStore = new TaskLogEventStore(from);
  const config = getConfig();
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    eventStore,
    retryInterval: config.SSE_RETRY_MS,
    keepAliveMs: config.SSE_HEARTBEAT_MS,
  });
  await transport.start();
  let response: Response;
  try {
    response = await transport.handleRequest(request);
  } catch (error) {
    release();
    throw error;
  }
  const send = eventStore.resumed?.send;
  if (response.status !== 200 || !send) {
    release();
    return response;
  }
  const disconnected = new AbortController();
  void resume(manager, from, send, disconnected.signal, requestId).finally(() => void transport.close());
  return watched(response, () => {
    disconnected.abort();
    release();
  });
});

/**
 * The rest of a call after `from`: the task's events from the log, then
 * live, as the call would have sent them, then its result (answering the
 * call's JSON-RPC id). A call cut off before its task existed cannot be
 * resumed: the answer says to call again (an identical request joins the
 * same task, so nothing runs twice).
 */
async function resume(
  manager: TaskManager,
  from: McpEventId,
  send: (eventId: string, message: JSONRPCMessage) => Promise<void>,
  signal: AbortSignal,
  requestId: string,
): Promise<void> {
  const logger = getLogger().child({ requestId, ownerId: manager.ownerId });
  let position = { ...from };
  const answer = (result: unknown) =>
    send(encodeMcpEventId(position), { jsonrpc: "2.0", id: from.request, result } as JSONRPCMessage);
  logger.info("mcp.resumed", { taskId: from.task, from: from.after });
  const notStarted = () =>
    answer(
      toolError(
        new AppError(
          "conflict",
          "The connection was lost before this call had started its task. Call it again: an identical request joins the same task.",
        ),
        requestId,
      ),
    );
  try {
    if (from.task === null) {
      await notStarted();
      return;
    }
    // Cut off before the task was created (the process died at once): nothing to follow yet.
    if (
      from.after === 0 &&
      !(await manager.lookupTask(from.task)) &&
      !(await manager.wasDeleted(from.task))
    ) {
      await notStarted();
      return;
    }
    const result = await waitForTask({
      manager,
      taskId: from.task,
      cursor: from.after,
      signal,
      onEvent: async (event) => {
        position = { ...position, after: event.id };
        const notification = from.progress === undefined ? null : progressNotification(event, from.progress);
        if (notification) await send(encodeMcpEventId(position), { jsonrpc: "2.0", ...notification });
      },
    });
    if (result) await answer(result);
    logger.info("mcp.resume_ended", {
      taskId: from.task,
      lastEventId: position.after,
      answered: result !== null,
    });
  } catch (error) {
    if (signal.aborted) return;
    await answer(toolError(error, requestId)).catch((sendError: unknown) =>
      logger.warn("mcp.resume_answer_failed", { error: String(sendError) }),
    );
  }
}

/** The API's CORS preflight, also allowing the headers MCP clients send (a browser-based client on a CORS_ORIGINS page). */
export const OPTIONS = async (request: Request) => {
  const response = preflight(request);
  const allowed = response.headers.get("Access-Control-Allow-Headers");
  if (allowed)
    response.headers.set("Access-Control-Allow-Headers", `${allowed}, Mcp-Protocol-Version, Mcp-Session-Id`);
  return response;
};

export const { PUT, PATCH, DELETE } = otherMethods("GET, POST, OPTIONS");
