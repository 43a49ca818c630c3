import { getTaskManager } from "@/lib/server/manager-instance";
import { findTask } from "../../../_lib/find-task";
import { json, otherMethods, preflight, route, taskIdFrom } from "../../../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/**
 * The task's webhook deliveries, oldest first: each run's ending and the
 * receiver's origin (never the rest of its URL), the status, every attempt
 * (time, HTTP status, error) and the next attempt.
 */
export const GET = route<Context>(async (request, context, requestId) => {
  const id = taskIdFrom((await context.params).id);
  const manager = await getTaskManager();
  await findTask(manager, id);
  const deliveries = await manager.deliveries(id);
  return json({ taskId: id, deliveries }, 200, requestId, request, { "X-Task-ID": id });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
