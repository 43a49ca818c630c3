import { openApiDocument } from "@/lib/openapi/document";
import { json, otherMethods, preflight, route } from "../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/**
 * The OpenAPI 3.1 document of this API, generated from the model's schemas
 * (docs/ARCHITECTURE.md, "The API document"). Public like health: it shows
 * the shape of the API, never data, and tools read it before they have a token.
 */
export const GET = route(
  async (request, _context, requestId) => json(openApiDocument(), 200, requestId, request),
  { public: true },
);

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
