import { getCollectionService } from "@/lib/server/manager-instance";
import { json, otherMethods, preflight, route } from "../../../../../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ name: string; id: string }> };

/** The extracted text, one string per page (`pages[0]` is page 1). */
export const GET = route<Context>(async (request, context, requestId) => {
  const { name, id } = await context.params;
  const service = await getCollectionService();
  return json({ pages: await service.text(name, id) }, 200, requestId, request);
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
