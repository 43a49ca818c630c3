import { taskActionSchema } from "@/lib/model/lifecycle";
import { taskView } from "@/lib/model/task-view";
import { getTaskManager } from "@/lib/server/manager-instance";
import { findTask } from "../../../_lib/find-task";
import { json, otherMethods, parseWith, preflight, route, taskIdFrom } from "../../../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string; action: string }> };

/** `POST /api/tasks/:id/{cancel,pause,resume,finish}`: 409 when the task's state forbids it. */
export const POST = route<Context>(async (request, context, requestId) => {
  const params = await context.params;
  const id = taskIdFrom(params.id);
  const action = parseWith(taskActionSchema, params.action);
  const manager = await getTaskManager();
  await findTask(manager, id);
  const task = await manager.control(id, action);
  return json(taskView(task, manager.queuePosition(id)), 200, requestId, request, { "X-Task-ID": id });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { GET, PUT, PATCH, DELETE } = otherMethods("POST, OPTIONS");
