import { type TaskListPage, taskListQuerySchema, taskSummary } from "@/lib/model/task-view";
import { getTaskManager } from "@/lib/server/manager-instance";
import { parseStatuses } from "@/lib/tasks/task-index";
import { json, otherMethods, parseWith, preflight, route } from "../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Tasks, newest first: `?status=running,queued&q=text&limit=50&cursor=…` → `{ tasks, total, nextCursor }`. */
export const GET = route(async (request, _context, requestId) => {
  const params = parseWith(taskListQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  const manager = await getTaskManager();
  const page = await manager.index.list({
    statuses: params.status ? parseStatuses(params.status) : undefined,
    text: params.q?.trim() || undefined,
    limit: params.limit ?? 50,
    cursor: params.cursor,
  });
  return json(
    {
      tasks: page.tasks.map((task) => taskSummary(task, manager.queuePosition(task.id))),
      total: page.total,
      nextCursor: page.nextCursor,
    } satisfies TaskListPage,
    200,
    requestId,
    request,
  );
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
