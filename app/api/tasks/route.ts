import { taskListQuerySchema } from "@/lib/model/task-view";
import { getTaskManager } from "@/lib/server/manager-instance";
import { json, otherMethods, parseWith, preflight, route } from "../_lib/http";
import { taskListPage } from "../_lib/task-list";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Tasks, newest first: `?status=running,queued&q=text&limit=50&cursor=…` → `{ tasks, total, nextCursor }`. */
export const GET = route(async (request, _context, requestId) => {
  const params = parseWith(taskListQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  const manager = await getTaskManager();
  const { token: _token, ...query } = params;
  return json(await taskListPage(manager, query), 200, requestId, request);
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
