import { isAppError } from "@/lib/errors";
import { taskView } from "@/lib/model/task-view";
import { getTaskManager } from "@/lib/server/manager-instance";
import { findTask } from "../../_lib/find-task";
import { json, otherMethods, preflight, route, taskIdFrom } from "../../_lib/http";
import { getReplayCache } from "../../_lib/replay-cache";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/** The task's state; when completed it includes `result.report` and `result.sources`. */
export const GET = route<Context>(async (request, context, requestId) => {
  const id = taskIdFrom((await context.params).id);
  const manager = await getTaskManager();
  const task = (await manager.getTaskWithReport(id)) ?? (await findTask(manager, id));
  return json(taskView(task, manager.queuePosition(id)), 200, requestId, request, { "X-Task-ID": id });
});

/** Removes the task and its files; a running task is cancelled first and its streams end. */
export const DELETE = route<Context>(async (_request, context, requestId) => {
  const id = taskIdFrom((await context.params).id);
  const manager = await getTaskManager();
  await findTask(manager, id);
  await manager.delete(id).catch((error: unknown) => {
    if (isAppError(error) && error.code === "not_found") return;
    throw error;
  });
  // Its bytes are never served again (the next snapshot differs); free them now.
  getReplayCache(manager).forget(id);
  return new Response(null, { status: 204, headers: { "X-Request-ID": requestId, "X-Task-ID": id } });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH } = otherMethods("GET, DELETE, OPTIONS");
