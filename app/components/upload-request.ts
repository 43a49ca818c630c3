import { type DocumentView, uploadResultSchema } from "@/lib/model/collection";
import { ApiError, sentence, toApiError } from "./api-error";

/** What became of one uploaded file. */
export type UploadOutcome =
  | { kind: "accepted"; document: DocumentView }
  | { kind: "refused"; message: string };

export interface UploadCallbacks {
  /** Bytes of the request sent so far (the multipart envelope included). */
  onProgress: (loaded: number, total: number) => void;
  /** Every byte is sent; the server's answer is next. */
  onSent: () => void;
}

const UNREACHABLE = "The Fathom server can't be reached, so this file was not uploaded. Try it again.";

/**
 * Uploads one file as `multipart/form-data` (`file`) to a collection's
 * documents. One file per request, so each file has its own progress, its
 * own answer and its own refusal: a file the server refuses (too large, not
 * a document it reads) never costs the others. XMLHttpRequest, because only
 * it reports upload progress (`fetch` has none).
 *
 * Resolves with the document the server made of the file, or the reason it
 * refused it (from `rejected`, or the error body of a refusal); rejects only
 * with an `AbortError` when `signal` aborts it.
 */
export function uploadDocument(
  documentsUrl: string,
  file: File,
  callbacks: UploadCallbacks,
  signal?: AbortSignal,
): Promise<UploadOutcome> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", documentsUrl);
    request.setRequestHeader("Accept", "application/json");
    request.responseType = "text";
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) callbacks.onProgress(event.loaded, event.total);
    };
    request.upload.onload = () => callbacks.onSent();
    request.onerror = () => resolve({ kind: "refused", message: UNREACHABLE });
    request.ontimeout = () => resolve({ kind: "refused", message: UNREACHABLE });
    request.onabort = () => reject(new DOMException("The upload was cancelled.", "AbortError"));
    request.onload = () => {
      readAnswer(request, file.name).then(resolve, (error: unknown) =>
        resolve({ kind: "refused", message: error instanceof Error ? error.message : String(error) }),
      );
    };
    if (signal?.aborted) {
      reject(new DOMException("The upload was cancelled.", "AbortError"));
      return;
    }
    signal?.addEventListener("abort", () => request.abort(), { once: true });
    const form = new FormData();
    form.append("file", file, file.name);
    request.send(form);
  });
}

async function readAnswer(request: XMLHttpRequest, filename: string): Promise<UploadOutcome> {
  const headers = new Headers();
  for (const name of ["content-type", "retry-after"]) {
    const value = request.getResponseHeader(name);
    if (value !== null) headers.set(name, value);
  }
  // A refusal is read exactly as every other API error is (the message of its body, limits explained).
  const response = new Response(request.responseText === "" ? null : request.responseText, {
    status: request.status,
    headers,
  });
  if (!response.ok) {
    const error = await toApiError(response);
    return { kind: "refused", message: keepFilename(error.message, filename) };
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (cause) {
    throw new ApiError(
      "The server sent an answer this page could not read.",
      request.status,
      "bad_response",
      {
        cause,
      },
    );
  }
  const parsed = uploadResultSchema.safeParse(body);
  if (!parsed.success) {
    throw new ApiError("The server sent an answer this page could not read.", request.status, "bad_response");
  }
  const document = parsed.data.documents[0];
  if (document) return { kind: "accepted", document };
  const refusal = parsed.data.rejected[0];
  return {
    kind: "refused",
    message: refusal
      ? keepFilename(sentence(refusal.error.message), filename)
      : `The server did not take ${filename}.`,
  };
}

/**
 * A refusal names the file first ("notes.bin is not a supported document");
 * making it a sentence capitalized the name, which is then not the file's
 * name any more. Put the name back as it is.
 */
export function keepFilename(message: string, filename: string): string {
  const capitalized = filename.charAt(0).toUpperCase() + filename.slice(1);
  return capitalized !== filename && message.startsWith(capitalized)
    ? filename + message.slice(filename.length)
    : message;
}
