import { z } from "zod";
import { getTaskManager } from "@/lib/server/manager-instance";
import { json, otherMethods, parseWith, preflight, route } from "../_lib/http";
import { taskListPage } from "../_lib/task-list";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const listParamsSchema = z.strictObject({
  status: z.string().min(1).optional(),
  q: z.string().max(4000).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, "limit must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(1, "limit must be at least 1").max(200, "limit must be at most 200"))
    .optional(),
  cursor: z.string().max(1000).optional(),
  token: z.string().optional(),
});

/** Tasks, newest first: `?status=running,queued&q=text&limit=50&cursor=…` → `{ tasks, total, nextCursor }`. */
export const GET = route(async (request, _context, requestId) => {
  const params = parseWith(listParamsSchema, Object.fromEntries(new URL(request.url).searchParams));
  const manager = await getTaskManager();
  const { token: _token, ...query } = params;
  return json(await taskListPage(manager, query), 200, requestId, request);
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
