import {
  isIndexRequest,
  type ResearchRequestBody,
  researchQueryParamsSchema,
  researchRequestSchema,
} from "@/lib/model/request";
import { researchCreated } from "@/lib/model/research-created";
import type { TaskJson } from "@/lib/model/task-json";
import { modelName } from "@/lib/research";
import { getTaskManager } from "@/lib/server/manager-instance";
import { findTask } from "../_lib/find-task";
import { json, otherMethods, parseWith, preflight, readJson, route } from "../_lib/http";
import { admission } from "../_lib/limits";
import { cursorFrom, streamTask } from "../_lib/stream";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/**
 * Starts (or joins) the research task of a request. Answers the task's event
 * stream, or with `Accept: application/json` a 202 with the task id and links.
 * Everything that can refuse the request is checked before a task is created
 * or changed.
 */
async function start(request: Request, input: ResearchRequestBody, requestId: string): Promise<Response> {
  const cursor = cursorFrom(request);
  const manager = await getTaskManager();
  if (cursor !== undefined || request.method === "HEAD") {
    // A cursor means an EventSource reconnecting, not a new request: it
    // never creates, retries or restarts a task, and a cursor the task cannot
    // serve is refused before anything else happens. HEAD (a link checker,
    // a preview) only looks: the task's headers, or 404 before it exists.
    const task = await findTask(manager, (await manager.identify(input)).id);
    return streamTask(request, manager, task, cursor, requestId, taskHeaders(task));
  }
  const { task, created } = await manager.submit(input, requestId, { admit: admission(manager, request) });
  const headers = taskHeaders(task);
  const accept = request.headers.get("accept") ?? "";
  if (accept.includes("application/json") && !accept.includes("text/event-stream")) {
    return json(researchCreated(task, created, manager.queuePosition(task.id)), 202, requestId, request, {
      ...headers,
      Location: `/api/tasks/${task.id}`,
    });
  }
  return streamTask(request, manager, task, cursor, requestId, headers);
}

/** `X-Task-ID`, and `X-Model-Name` when the task uses a model. */
function taskHeaders(task: TaskJson): Record<string, string> {
  const model = isIndexRequest(task.request) ? undefined : modelName(task.request);
  return model ? { "X-Task-ID": task.id, "X-Model-Name": model } : { "X-Task-ID": task.id };
}

export const POST = route(async (request, _context, requestId) => {
  return start(request, await readJson(request, researchRequestSchema), requestId);
});

/**
 * The same for an `EventSource` (query parameters). Without a cursor it may
 * create a task, so it is a change: refused when a browser marks it cross-site
 * (an `<img src="/api/research?query=…">` on another site must start nothing).
 * With a cursor it is a reconnect, which never starts anything; HEAD never
 * starts anything either.
 */
export const GET = route(
  async (request, _context, requestId) => {
    const params = Object.fromEntries(new URL(request.url).searchParams);
    const body = parseWith(researchQueryParamsSchema, params);
    return start(request, parseWith(researchRequestSchema, body), requestId);
  },
  { changes: (request) => request.method !== "HEAD" && cursorFrom(request) === undefined },
);

export const OPTIONS = async (request: Request) => preflight(request);

export const { PUT, PATCH, DELETE } = otherMethods("GET, POST, OPTIONS");
