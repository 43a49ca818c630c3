/** Machine-readable error codes; app/api/_lib/http.ts maps each to an HTTP status. */
export type ErrorCode =
  | "invalid_request"
  | "payload_too_large"
  | "unsupported_media_type"
  | "unsupported_document"
  | "document_unreadable"
  | "document_too_large"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "rate_limited"
  | "overloaded"
  | "insufficient_storage"
  | "gone"
  | "conflict"
  | "provider_not_configured"
  | "provider_error"
  | "lease_lost"
  | "storage_error"
  | "internal";

const brand = Symbol.for("fathom.AppError");

/** The one error type Fathom throws on purpose. `message` is safe to show to a client. */
export class AppError extends Error {
  readonly [brand] = true;
  readonly code: ErrorCode;
  readonly details?: unknown;
  /** True for failures worth retrying (a provider's 429/5xx, a network error). */
  readonly retryable: boolean;
  /** For refusals by a limit: when to try again, in seconds (sent as `Retry-After`). */
  readonly retryAfterSeconds?: number;
  /** For refusals by a limit: the name of the variable that sets it (in the JSON body as `limit`). */
  readonly limit?: string;

  constructor(
    code: ErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      details?: unknown;
      retryable?: boolean;
      retryAfterSeconds?: number;
      limit?: string;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.details = options?.details;
    this.retryable = options?.retryable ?? false;
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.limit = options?.limit;
  }
}

/**
 * Brand check rather than `instanceof`: Next.js may bundle this module more
 * than once (instrumentation and each route), and an error thrown by one copy
 * must still be recognized by another.
 */
export function isAppError(error: unknown): error is AppError {
  return (
    error instanceof Error &&
    (error as { [brand]?: unknown })[brand] === true &&
    typeof (error as { code?: unknown }).code === "string"
  );
}

/** A readable message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
