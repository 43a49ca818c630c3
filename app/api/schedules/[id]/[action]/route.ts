import { scheduleActionSchema } from "@/lib/model/schedule";
import { getScheduleService } from "@/lib/server/manager-instance";
import { json, otherMethods, parseWith, preflight, route } from "../../../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string; action: string }> };

/**
 * `POST /api/schedules/:id/{pause,resume}` answers the schedule;
 * `POST /api/schedules/:id/run` fires it now (a claimed fire) and answers
 * 202 with the fire's run record, 409 while its previous run still runs.
 */
export const POST = route<Context>(async (request, context, requestId) => {
  const params = await context.params;
  const action = parseWith(scheduleActionSchema, params.action);
  const service = await getScheduleService();
  if (action === "run") {
    const run = await service.runNow(params.id);
    const headers: Record<string, string> = run.taskId ? { "X-Task-ID": run.taskId } : {};
    return json({ run }, 202, requestId, request, headers);
  }
  const schedule = action === "pause" ? await service.pause(params.id) : await service.resume(params.id);
  return json(schedule, 200, requestId, request);
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { GET, PUT, PATCH, DELETE } = otherMethods("POST, OPTIONS");
