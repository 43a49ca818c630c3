import { getCollectionService } from "@/lib/server/manager-instance";
import { otherMethods, preflight, route } from "../../../../../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ name: string; id: string }> };

/** The file as it was uploaded, as a download. */
export const GET = route<Context>(async (_request, context, requestId) => {
  const { name, id } = await context.params;
  const service = await getCollectionService();
  const { document, bytes } = await service.original(name, id);
  const ascii = document.filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return new Response(Buffer.from(bytes), {
    status: 200,
    headers: {
      "Content-Type": document.mediaType ?? "application/octet-stream",
      "Content-Length": String(bytes.length),
      "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(document.filename)}`,
      "X-Content-Type-Options": "nosniff",
      // Never run as a page of this site, whatever the file holds.
      "Content-Security-Policy": "sandbox",
      "Cache-Control": "no-store",
      "X-Request-ID": requestId,
    },
  });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
