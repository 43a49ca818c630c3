import { getTaskManager } from "@/lib/server/manager-instance";
import { findTask } from "../../../_lib/find-task";
import { otherMethods, preflight, route, taskIdFrom } from "../../../_lib/http";
import { cursorFrom, streamTask } from "../../../_lib/stream";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/** The task's events after `Last-Event-ID` / `?lastEventId`, then live; 204 when nothing is left. */
export const GET = route<Context>(async (request, context, requestId) => {
  const id = taskIdFrom((await context.params).id);
  const cursor = cursorFrom(request);
  const manager = await getTaskManager();
  const task = await findTask(manager, id);
  return streamTask(request, manager, task, cursor, requestId);
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
