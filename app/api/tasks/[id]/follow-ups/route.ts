import { followUpsView } from "@/lib/model/follow-ups";
import { isIndexRequest } from "@/lib/model/request";
import { getTaskManager } from "@/lib/server/manager-instance";
import { findTask } from "../../../_lib/find-task";
import { json, otherMethods, preflight, route, taskIdFrom } from "../../../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/** The task's thread: the task it follows up, and its own follow-ups (oldest first). */
export const GET = route<Context>(async (request, context, requestId) => {
  const id = taskIdFrom((await context.params).id);
  const manager = await getTaskManager();
  const task = await findTask(manager, id);
  const parentId = isIndexRequest(task.request) ? undefined : task.request.parent;
  const parent = parentId === undefined ? null : await manager.lookupTask(parentId);
  const followUps = await manager.followUpsOf(id);
  return json(followUpsView(id, parent, followUps), 200, requestId, request, { "X-Task-ID": id });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
