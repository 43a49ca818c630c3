import { getCollectionService } from "@/lib/server/manager-instance";
import { json, otherMethods, preflight, route } from "../../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ name: string }> };

export const GET = route<Context>(async (request, context, requestId) => {
  const { name } = await context.params;
  const service = await getCollectionService();
  return json(await service.get(name), 200, requestId, request);
});

/** Removes a user collection with its documents (built-in ones are refused, 403). */
export const DELETE = route<Context>(async (_request, context, requestId) => {
  const { name } = await context.params;
  const service = await getCollectionService();
  await service.delete(name);
  return new Response(null, { status: 204, headers: { "X-Request-ID": requestId } });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH } = otherMethods("GET, DELETE, OPTIONS");
