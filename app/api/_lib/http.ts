import "server-only";
import { nanoid } from "nanoid";
import type { z } from "zod";
import { checkAccess, policyOf } from "@/app/_lib/access";
import { getConfig } from "@/lib/config";
import { AppError, type ErrorCode, isAppError } from "@/lib/errors";
import type { ErrorBody } from "@/lib/model/error-body";
import { isTaskId } from "@/lib/model/task-json";
import { redactorFor } from "@/lib/redact";
import { getLogger } from "@/lib/server/manager-instance";
import { assertJsonBody, assertNotCrossSite, isJsonMediaType, isUnsafeMethod } from "./cross-site";

/** The one table from error codes to HTTP statuses. */
const statusOf: Record<ErrorCode, number> = {
  invalid_request: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  // An uploaded document: not a type Fathom reads, unreadable as what it is, or over a limit.
  unsupported_document: 415,
  document_unreadable: 422,
  document_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  rate_limited: 429,
  overloaded: 503,
  insufficient_storage: 507,
  gone: 410,
  conflict: 409,
  provider_not_configured: 400,
  provider_error: 502,
  lease_lost: 503,
  storage_error: 503,
  internal: 500,
};

export const MAX_BODY_BYTES = 64 * 1024;

export function newRequestId(): string {
  return nanoid(16);
}

export function errorResponse(
  error: unknown,
  requestId: string,
  request?: Request,
  extraHeaders: Record<string, string> = {},
): Response {
  if (isAppError(error)) {
    const headers: Record<string, string> = { ...extraHeaders };
    if (error.retryAfterSeconds !== undefined)
      headers["Retry-After"] = String(Math.ceil(error.retryAfterSeconds));
    // A 401 names the scheme that would be accepted (RFC 9110 §11.6.1).
    if (error.code === "unauthorized") headers["WWW-Authenticate"] ??= 'Bearer realm="fathom"';
    // A message may quote what a provider or the store said: never a secret.
    const body: ErrorBody["error"] = {
      code: error.code,
      message: redactorFor(getConfig())(error.message),
    };
    if (error.limit) body.limit = error.limit;
    if (error.retryAfterSeconds !== undefined) body.retryAfterSeconds = Math.ceil(error.retryAfterSeconds);
    return json({ error: body }, statusOf[error.code], requestId, request, headers);
  }
  getLogger().error("http.unhandled", {
    requestId,
    error: error instanceof Error ? error.stack : String(error),
  });
  return json({ error: { code: "internal", message: "Internal error." } }, 500, requestId, request);
}

export function json(
  body: unknown,
  status: number,
  requestId: string,
  request?: Request,
  headers?: HeadersInit,
): Response {
  const response = Response.json(body, { status, headers });
  response.headers.set("X-Request-ID", requestId);
  response.headers.set("Cache-Control", "no-store");
  if (request) applyCors(request, response.headers);
  return response;
}

/** Options of `route()`. */
export interface RouteOptions {
  /** No access check (health, sign-in). The cross-site check still applies to changes. */
  public?: boolean;
  /**
   * True when this request creates or changes something although its method
   * is safe (`GET /api/research?query=…` starts a task). POST, DELETE, PUT
   * and PATCH always count as changes.
   */
  changes?: (request: Request) => boolean;
  /**
   * The route also takes `multipart/form-data` (uploads). Such bodies are
   * what a cross-site form can send, so the cross-site check alone guards them.
   */
  multipart?: boolean;
}

/**
 * Wraps a route handler: request id, cross-site check, body type, access
 * check, CORS, and errors turned into JSON with the status of their code.
 * Every check runs before the handler, so a refused request creates and
 * changes nothing. Route handlers stay thin.
 */
export function route<Context>(
  handler: (request: Request, context: Context, requestId: string) => Promise<Response>,
  options: RouteOptions = {},
): (request: Request, context: Context) => Promise<Response> {
  return async (request, context) => {
    const requestId = newRequestId();
    try {
      const config = getConfig();
      const changes = isUnsafeMethod(request.method) || options.changes?.(request) === true;
      if (changes) assertNotCrossSite(request, policyOf(config));
      const type = request.headers.get("content-type") ?? "";
      const multipart = /^multipart\/form-data\s*;/i.test(type);
      if (options.multipart && /^multipart\/form-data\s*$/i.test(type)) {
        // Set by hand (a common slip with fetch and axios), the type lacks the boundary the parts need.
        throw new AppError(
          "invalid_request",
          "Content-Type multipart/form-data needs its boundary parameter (multipart/form-data; boundary=…): let the HTTP client set the header for a FormData body.",
        );
      }
      if (!(options.multipart && multipart)) assertJsonBody(request);
      if (!options.public) checkAccess(request, config, changes);
      const response = await handler(request, context, requestId);
      if (!response.headers.has("X-Request-ID")) response.headers.set("X-Request-ID", requestId);
      applyCors(request, response.headers);
      return request.method === "HEAD" ? withoutBody(response) : response;
    } catch (error) {
      return errorResponse(error, requestId, request);
    }
  };
}

/**
 * The answer to a HEAD request: the GET handler's status and headers, its
 * body cancelled. Next.js answers HEAD with the GET handler and drops the
 * body without cancelling it, so an event stream would stay open for good:
 * its stream slot, its subscription and its heartbeat (docs/ARCHITECTURE.md,
 * "Exposure"). Cancelling runs the stream's own clean-up.
 */
async function withoutBody(response: Response): Promise<Response> {
  await response.body?.cancel();
  return new Response(null, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

const ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
type RouteMethod = (typeof ROUTE_METHODS)[number];

/**
 * Handlers answering 405 (JSON, with `Allow`) for the methods a route does
 * not have: Next.js would answer them with an empty body. Spread over a
 * route's exports: `export const { PUT, PATCH, DELETE } = otherMethods("GET, POST, OPTIONS")`.
 */
export function otherMethods(allow: string): Record<RouteMethod, (request: Request) => Promise<Response>> {
  const handler = async (request: Request) => {
    const requestId = newRequestId();
    return errorResponse(
      new AppError("method_not_allowed", `${request.method} is not allowed here; allowed: ${allow}.`),
      requestId,
      request,
      { Allow: allow },
    );
  };
  return Object.fromEntries(ROUTE_METHODS.map((method) => [method, handler])) as Record<
    RouteMethod,
    typeof handler
  >;
}

/** Answers CORS preflights for allowed origins. */
export function preflight(request: Request): Response {
  const headers = new Headers({ "X-Request-ID": newRequestId() });
  applyCors(request, headers);
  if (headers.has("Access-Control-Allow-Origin")) {
    headers.set("Access-Control-Allow-Methods", "GET, HEAD, POST, PATCH, DELETE, OPTIONS");
    headers.set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Last-Event-ID");
    headers.set("Access-Control-Max-Age", "600");
  }
  return new Response(null, { status: 204, headers });
}

function applyCors(request: Request, headers: Headers): void {
  const origin = request.headers.get("origin");
  const allowed = getConfig().CORS_ORIGINS;
  if (!origin || !allowed) return;
  const list = allowed.split(",").map((value) => value.trim());
  if (list.includes("*") || list.includes(origin)) {
    headers.set("Access-Control-Allow-Origin", origin);
    headers.set("Access-Control-Expose-Headers", "X-Task-ID, X-Request-ID, X-Model-Name");
    headers.append("Vary", "Origin");
  }
}

/** Reads a JSON body of at most MAX_BODY_BYTES and validates it. */
export async function readJson<T extends z.ZodType>(request: Request, schema: T): Promise<z.output<T>> {
  const type = request.headers.get("content-type");
  if (!isJsonMediaType(type)) {
    throw new AppError(
      "unsupported_media_type",
      `Expected a JSON body (Content-Type: application/json), got ${type ?? "no Content-Type"}.`,
    );
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const text = await readLimited(request);
  if (text.trim() === "") throw new AppError("invalid_request", "The body is empty: expected a JSON object.");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse errors say only where; the client needs to know what.
    throw new AppError("invalid_request", "The body is not valid JSON.");
  }
  return parseWith(schema, value);
}

export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
      return `${where}${issue.message}`;
    });
    throw new AppError("invalid_request", `Invalid request: ${problems.join("; ")}.`, {
      details: parsed.error.issues,
    });
  }
  return parsed.data;
}

async function readLimited(request: Request): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(): AppError {
  return new AppError("payload_too_large", `The body is larger than ${MAX_BODY_BYTES / 1024} KiB.`);
}

/** A task id from a URL, validated before it goes anywhere near the store. */
export function taskIdFrom(raw: string): string {
  const text: string = raw;
  if (!isTaskId(raw)) {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    throw new AppError("invalid_request", `"${shown}" is not a task id (32 lowercase hex characters).`);
  }
  return raw;
}

export const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  Connection: "keep-alive",
  "X-Accel-Buffering": "no",
  "Content-Encoding": "identity",
} as const;
