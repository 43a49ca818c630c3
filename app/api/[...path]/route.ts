import { AppError } from "@/lib/errors";
import { errorResponse, newRequestId } from "../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Any `/api/*` path no route has: a JSON 404 (Next.js would answer its HTML page). */
async function notFound(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  const shown = path.length > 100 ? `${path.slice(0, 100)}…` : path;
  return errorResponse(new AppError("not_found", `No API endpoint ${shown}.`), newRequestId(), request);
}

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
export const OPTIONS = notFound;
