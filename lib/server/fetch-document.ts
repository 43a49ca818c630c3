import "server-only";
import type { Config } from "../config";
import { AppError } from "../errors";
import { safeFetch } from "../research/web/safe-fetch";
import type { UploadedFile } from "../tasks/collection-service";

/**
 * Fetches a document to add to a collection, through the address guard
 * (`FETCH_ALLOW_PRIVATE`), at most MAX_UPLOAD_MB. Its file name is the URL's
 * last path segment.
 */
export async function fetchDocument(url: string, config: Config): Promise<UploadedFile> {
  const maxBytes = config.MAX_UPLOAD_MB * 1024 * 1024;
  const page = await safeFetch(url, {
    allowPrivate: config.FETCH_ALLOW_PRIVATE,
    timeoutMs: Math.max(config.FETCH_TIMEOUT_MS, 60_000),
    maxBytes: maxBytes + 1,
    binary: true,
  });
  if (page.status < 200 || page.status >= 300) {
    throw new AppError("invalid_request", `${url} answered HTTP ${page.status}.`);
  }
  const bytes = page.bytes ?? new Uint8Array();
  if (page.truncated || bytes.length > maxBytes) {
    throw new AppError(
      "payload_too_large",
      `${url} is larger than ${config.MAX_UPLOAD_MB} MB (MAX_UPLOAD_MB).`,
      {
        limit: "MAX_UPLOAD_MB",
      },
    );
  }
  const last = decodeURIComponent(new URL(page.url).pathname.split("/").filter(Boolean).pop() ?? "");
  return {
    filename: last || new URL(page.url).hostname,
    bytes,
    declaredType: page.contentType,
    sourceUrl: page.url,
  };
}
