import { Readable } from "node:stream";
import busboy from "busboy";
import { z } from "zod";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { COLLECTION_LIMITS, uploadByUrlSchema } from "@/lib/model/collection";
import { redactorFor } from "@/lib/redact";
import { fetchDocument } from "@/lib/server/fetch-document";
import { getCollectionService, getLogger } from "@/lib/server/manager-instance";
import type { UploadedFile } from "@/lib/tasks/collection-service";
import { json, otherMethods, parseWith, preflight, readJson, route } from "../../../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ name: string }> };

/** The collection's documents with their status (a built-in one's as references). */
export const GET = route<Context>(async (request, context, requestId) => {
  const { name } = await context.params;
  const service = await getCollectionService();
  return json({ documents: await service.documents(name) }, 200, requestId, request);
});

/**
 * Adds documents: `multipart/form-data` with one or more `file` fields (and
 * optional `url` fields), or JSON `{urls: [...]}` fetched through the address
 * guard. Each document is stored and its indexing starts (202); a file that
 * cannot be taken is listed in `rejected` with the reason, the others kept.
 * When nothing was taken, the first refusal is the answer.
 */
export const POST = route<Context>(
  async (request, context, requestId) => {
    const { name } = await context.params;
    const service = await getCollectionService();
    const config = getConfig();
    const type = request.headers.get("content-type") ?? "";
    let files: UploadedFile[];
    let urls: string[];
    const rejected: { filename: string; error: { code: string; message: string } }[] = [];
    if (/^multipart\/form-data/i.test(type)) {
      const form = await readMultipart(request, config.MAX_UPLOAD_MB * 1024 * 1024);
      files = form.files;
      urls = form.urls;
      rejected.push(...form.rejected);
    } else {
      files = [];
      urls = (await readJson(request, uploadByUrlSchema)).urls;
    }
    for (const url of parseWith(z.array(z.url("each url must be an absolute http(s) URL")), urls)) {
      try {
        files.push(await fetchDocument(url, config));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        getLogger().warn("collection.fetch_failed", { collection: name, host: hostOf(url), requestId });
        rejected.push({
          filename: url,
          error: { code: error instanceof AppError ? error.code : "invalid_request", message },
        });
      }
    }
    if (files.length === 0 && rejected.length === 0) {
      throw new AppError(
        "invalid_request",
        'The upload carries no file: send `file` fields or {"urls": […]}.',
      );
    }
    const result = await service.upload(name, files, requestId);
    result.rejected.unshift(...rejected);
    // Refusals quote what a fetched server or a file said: the redactor sees them, as every error text.
    const redact = redactorFor(config);
    for (const entry of result.rejected) entry.error.message = redact(entry.error.message);
    if (result.documents.length === 0) {
      const first = result.rejected[0]!;
      throw new AppError(first.error.code as never, `${first.error.message}`, { details: result.rejected });
    }
    return json(result, 202, requestId, request);
  },
  { multipart: true },
);

/**
 * A file name as the person named it. Browsers (and curl) send it as raw
 * UTF-8 with a double quote escaped as `%22` (the HTML standard's multipart
 * encoding): `report "draft".pdf` arrives as `report %22draft%22.pdf`. The
 * `%0A`/`%0D` escapes of line breaks stay as they are: control characters are
 * no part of a stored name (lib/tasks/collection-service.ts cleans names).
 */
function browserFilename(name: string | undefined): string {
  return (name ?? "").replaceAll("%22", '"');
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "unknown";
  }
}

/**
 * Reads a multipart upload as it streams: a file over `maxBytes` is cut off
 * and refused (the rest of the upload goes on), more than the files allowed
 * per upload are refused, nothing is buffered beyond the limits.
 */
async function readMultipart(
  request: Request,
  maxBytes: number,
): Promise<{
  files: UploadedFile[];
  urls: string[];
  rejected: { filename: string; error: { code: string; message: string } }[];
}> {
  if (!request.body) throw new AppError("invalid_request", "The upload has no body.");
  const files: UploadedFile[] = [];
  const urls: string[] = [];
  const rejected: { filename: string; error: { code: string; message: string } }[] = [];
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: Object.fromEntries(request.headers),
      // Browsers send a file's name as raw UTF-8 bytes (busboy reads them as latin1 unless told).
      defParamCharset: "utf8",
      limits: { fileSize: maxBytes, files: COLLECTION_LIMITS.filesPerUpload, fields: 50, fieldSize: 8192 },
    });
  } catch (error) {
    throw new AppError("invalid_request", `Not a valid multipart upload: ${(error as Error).message}.`);
  }
  const limitMb = Math.round(maxBytes / 1024 / 1024);
  await new Promise<void>((resolve, reject) => {
    parser.on("file", (field, stream, info) => {
      const chunks: Buffer[] = [];
      let tooLarge = false;
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("limit", () => {
        tooLarge = true;
        chunks.length = 0;
      });
      stream.on("close", () => {
        const filename = browserFilename(info.filename) || field;
        if (tooLarge) {
          rejected.push({
            filename,
            error: {
              code: "payload_too_large",
              message: `${filename} is larger than ${limitMb} MB (MAX_UPLOAD_MB).`,
            },
          });
        } else {
          files.push({ filename, bytes: Buffer.concat(chunks), declaredType: info.mimeType });
        }
      });
    });
    parser.on("field", (field, value) => {
      if (field === "url") urls.push(value.trim());
    });
    parser.on("filesLimit", () =>
      rejected.push({
        filename: "(more files)",
        error: {
          code: "payload_too_large",
          message: `At most ${COLLECTION_LIMITS.filesPerUpload} files per upload; the rest were not read.`,
        },
      }),
    );
    parser.on("error", (error: Error) =>
      reject(new AppError("invalid_request", `Not a valid multipart upload: ${error.message}.`)),
    );
    parser.on("close", () => resolve());
    Readable.fromWeb(request.body as import("node:stream/web").ReadableStream).pipe(parser);
  });
  return { files, urls, rejected };
}

export const OPTIONS = async (request: Request) => preflight(request);

export const { PUT, PATCH, DELETE } = otherMethods("GET, POST, OPTIONS");
