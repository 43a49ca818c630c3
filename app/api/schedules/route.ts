import { getScheduleService } from "@/lib/server/manager-instance";
import { json, otherMethods, preflight, readJson, route } from "../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Every schedule, oldest first, with its next fire and its newest run. */
export const GET = route(async (request, _context, requestId) => {
  const service = await getScheduleService();
  return json({ schedules: await service.list() }, 200, requestId, request);
});

/**
 * Creates a schedule `{name, request, cron, timezone, enabled?, missed?, webhook?}`:
 * 201 with its next fires; 400 naming the field for an invalid expression, an
 * unknown zone or one that fires too often; 507 past MAX_SCHEDULES.
 */
export const POST = route(async (request, _context, requestId) => {
  const service = await getScheduleService();
  const input = await readJson(request, service.createSchema());
  const schedule = await service.create(input);
  return json(schedule, 201, requestId, request, { Location: schedule.links.self });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { PUT, PATCH, DELETE } = otherMethods("GET, POST, OPTIONS");
