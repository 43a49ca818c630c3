import { z } from "zod";
import { errorBodySchema } from "@/lib/model/error-body";

/** An API call that failed, with a message fit to show a person. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** For a refusal by a limit: seconds until trying again makes sense (`Retry-After`). */
  readonly retryAfterSeconds?: number;
  /** For a refusal by a limit: the limit's variable (so the page can say it in the reader's language). */
  readonly limit?: string;

  constructor(
    message: string,
    status: number,
    code: string,
    options?: { cause?: unknown; retryAfterSeconds?: number; limit?: string },
  ) {
    super(message, options);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.limit = options?.limit;
  }

  /** True when the server could not be reached at all (no HTTP answer). */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

/** Capitalized and ending in a full stop, whatever the server sent. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return trimmed;
  const capitalized = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capitalized) ? capitalized : `${capitalized}.`;
}

function fallbackMessage(status: number): string {
  if (status === 401) return "You are signed out or your session expired. Reload the page to sign in again.";
  if (status === 403) return "The server refused the request.";
  if (status === 404) return "Not found.";
  if (status === 429) return "Too many requests right now. Wait a moment and try again.";
  if (status >= 500) return `The server had a problem (HTTP ${status}). Try again in a moment.`;
  return `The request failed (HTTP ${status}).`;
}

/**
 * What a person is told when a limit refuses them: the server's message
 * names the operator's variable, which means nothing to them.
 */
export function limitMessage(limit: string, retryAfterSeconds: number | undefined): string | undefined {
  const wait = retryAfterSeconds ? ` in about ${formatWait(retryAfterSeconds)}` : " in a moment";
  switch (limit) {
    case "RATE_LIMIT_TASKS_PER_MINUTE":
      return `You have started a lot of research in the last minute. You can start more${wait}; research already started keeps running.`;
    case "MAX_QUEUED_TASKS":
      return `Fathom is busy: too many research tasks are waiting for a worker. Try again${wait}.`;
    case "MAX_STORAGE_MB":
      return "The server has no room for new research right now. Reports you already have stay available; try again later.";
    case "MAX_SSE_CONNECTIONS_PER_CLIENT":
      return `You have too many Fathom pages streaming at once. Close some; this page reconnects by itself${wait}.`;
    case "MAX_SSE_CONNECTIONS":
      return `The server has too many open connections. This page reconnects by itself${wait}.`;
    default:
      return undefined;
  }
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  return `${Math.round(seconds / 60)} min`;
}

/** A proxy in front of Fathom may answer `{ error: "text" }`. */
const foreignErrorBodySchema = z.object({ error: z.string() });

/** Reads `{ error: { code, message } }` from a failed response; never shows raw JSON. */
export async function toApiError(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = fallbackMessage(response.status);
  const header = Number(response.headers.get("retry-after"));
  let retryAfterSeconds = Number.isFinite(header) && header > 0 ? header : undefined;
  let limit: string | undefined;
  // The API's own 401 text speaks to programs ("wrong API token"); a person needs to know to sign in.
  if (response.status === 401) return new ApiError(message, 401, "unauthorized");
  let body: unknown = null;
  try {
    body = await response.json();
  } catch (error) {
    // Not JSON (a proxy's HTML error page, an empty body): keep the generic sentence.
    void error;
  }
  const ours = errorBodySchema.safeParse(body);
  if (ours.success) {
    const error = ours.data.error;
    code = error.code;
    if (error.message.trim() !== "") message = sentence(error.message);
    retryAfterSeconds ??= error.retryAfterSeconds;
    if (error.limit) {
      limit = error.limit;
      message = limitMessage(error.limit, retryAfterSeconds) ?? message;
    }
  } else {
    const foreign = foreignErrorBodySchema.safeParse(body);
    if (foreign.success && foreign.data.error.trim() !== "") message = sentence(foreign.data.error);
  }
  return new ApiError(message, response.status, code, { retryAfterSeconds, ...(limit && { limit }) });
}
