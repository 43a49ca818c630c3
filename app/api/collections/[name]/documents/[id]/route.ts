import { documentView } from "@/lib/model/collection";
import { getCollectionService } from "@/lib/server/manager-instance";
import { json, otherMethods, preflight, route } from "../../../../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ name: string; id: string }> };

/** A document's metadata: status, pages, passages, links to its text, original and indexing events. */
export const GET = route<Context>(async (request, context, requestId) => {
  const { name, id } = await context.params;
  const service = await getCollectionService();
  return json(documentView(await service.document(name, id)), 200, requestId, request);
});

/** Removes the document (gone from searches at once). */
export const DELETE = route<Context>(async (_request, context, requestId) => {
  const { name, id } = await context.params;
  const service = await getCollectionService();
  await service.deleteDocument(name, id);
  return new Response(null, { status: 204, headers: { "X-Request-ID": requestId } });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH } = otherMethods("GET, DELETE, OPTIONS");
