import { scheduleRunsQuerySchema } from "@/lib/model/schedule";
import { getScheduleService } from "@/lib/server/manager-instance";
import { json, otherMethods, parseWith, preflight, route } from "../../../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/** `GET /api/schedules/:id/runs?limit=&cursor=`: run records, newest fire first. */
export const GET = route<Context>(async (request, context, requestId) => {
  const { id } = await context.params;
  const query = parseWith(scheduleRunsQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  const service = await getScheduleService();
  return json(await service.runs(id, query), 200, requestId, request);
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
