import { createCollectionSchema } from "@/lib/model/collection";
import { getCollectionService } from "@/lib/server/manager-instance";
import { json, otherMethods, preflight, readJson, route } from "../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Every collection: the built-in read-only ones first, then the users'. */
export const GET = route(async (request, _context, requestId) => {
  const service = await getCollectionService();
  return json({ collections: await service.list() }, 200, requestId, request);
});

/** Creates a collection `{name, description?}`; 409 when the name is taken. */
export const POST = route(async (request, _context, requestId) => {
  const input = await readJson(request, createCollectionSchema);
  const service = await getCollectionService();
  const collection = await service.create(input);
  return json(collection, 201, requestId, request, { Location: collection.links.self });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { PUT, PATCH, DELETE } = otherMethods("GET, POST, OPTIONS");
