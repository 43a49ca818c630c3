import { followUpBodySchema } from "@/lib/model/request";
import { researchCreated } from "@/lib/model/research-created";
import { getTaskManager } from "@/lib/server/manager-instance";
import { findTask } from "../../../_lib/find-task";
import { json, otherMethods, preflight, readJson, route, taskIdFrom } from "../../../_lib/http";
import { admission } from "../../../_lib/limits";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/**
 * `POST /api/tasks/:id/follow-up {query, depth?, breadth?}`: starts (or
 * joins) the follow-up of a completed research task, whose research starts
 * from the task's learnings and sources. 202 with the new task; 404/410 for
 * an unknown or deleted task, 409 for one that is not completed, 400 for a
 * bad body.
 */
export const POST = route<Context>(async (request, context, requestId) => {
  const id = taskIdFrom((await context.params).id);
  const body = await readJson(request, followUpBodySchema);
  const manager = await getTaskManager();
  await findTask(manager, id);
  const { task, created } = await manager.followUp(id, body, requestId, {
    admit: admission(manager, request),
  });
  return json(researchCreated(task, created, manager.queuePosition(task.id)), 202, requestId, request, {
    "X-Task-ID": task.id,
    Location: `/api/tasks/${task.id}`,
  });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { GET, PUT, PATCH, DELETE } = otherMethods("POST, OPTIONS");
