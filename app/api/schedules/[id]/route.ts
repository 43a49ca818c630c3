import { schedulePatchSchema } from "@/lib/model/schedule";
import { getScheduleService } from "@/lib/server/manager-instance";
import { json, otherMethods, preflight, readJson, route } from "../../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

export const GET = route<Context>(async (request, context, requestId) => {
  const { id } = await context.params;
  const service = await getScheduleService();
  return json(await service.get(id), 200, requestId, request);
});

/** Changes any field of a create (`webhook: null` removes the webhook); 400 naming the field. */
export const PATCH = route<Context>(async (request, context, requestId) => {
  const { id } = await context.params;
  const patch = await readJson(request, schedulePatchSchema);
  const service = await getScheduleService();
  return json(await service.update(id, patch), 200, requestId, request);
});

/** Removes the schedule with its run records (its task and reports stay). */
export const DELETE = route<Context>(async (_request, context, requestId) => {
  const { id } = await context.params;
  const service = await getScheduleService();
  await service.delete(id);
  return new Response(null, { status: 204, headers: { "X-Request-ID": requestId } });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT } = otherMethods("GET, PATCH, DELETE, OPTIONS");
