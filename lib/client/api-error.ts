import { z } from "zod";
import { errorBodySchema } from "../model/error-body";

/**
 * An API call that failed, with a message fit to show a person. The one error
 * type of the client (lib/client): `status` is the HTTP status (0 when no
 * answer came at all), `code` the API's error code (`not_found`, `conflict`…)
 * or one of the client's own: `unreachable`, `bad_response`, `http_<status>`.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** For a refusal by a limit: seconds until trying again makes sense (`Retry-After`). */
  readonly retryAfterSeconds?: number;
  /** For a refusal by a limit: the limit's variable (so a page can say it in the reader's language). */
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

  /**
   * True when asking again later may succeed: no answer, a limit (429), or
   * a server that is starting, overloaded or behind a failing proxy (5xx).
   */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/**
 * What a reader of the errors is told where the server's own sentence speaks
 * to someone else: a 401 (the API's text speaks to programs) and a limit (the
 * API's text names the operator's variable). The browser passes sentences for
 * a person at a page; without them the server's message is kept.
 */
export interface ErrorMessages {
  /** The message of every 401. */
  unauthorized?: string;
  /** The message of a refusal by the limit named `limit`; `undefined` keeps the server's. */
  limit?: (limit: string, retryAfterSeconds: number | undefined) => string | undefined;
  /** The message when no answer came. */
  unreachable?: string;
}

/** Capitalized and ending in a full stop, whatever the server sent. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return trimmed;
  const capitalized = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capitalized) ? capitalized : `${capitalized}.`;
}

function fallbackMessage(status: number): string {
  if (status === 401) return "The server wants a valid API token (FATHOM_API_TOKEN).";
  if (status === 403) return "The server refused the request.";
  if (status === 404) return "Not found.";
  if (status === 429) return "Too many requests right now. Wait a moment and try again.";
  if (status >= 500) return `The server had a problem (HTTP ${status}). Try again in a moment.`;
  return `The request failed (HTTP ${status}).`;
}

/** A proxy in front of Fathom may answer `{ error: "text" }`. */
const foreignErrorBodySchema = z.object({ error: z.string() });

/** Reads `{ error: { code, message } }` from a failed response; never shows raw JSON. */
export async function readApiError(response: Response, messages: ErrorMessages = {}): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = fallbackMessage(response.status);
  const header = Number(response.headers.get("retry-after"));
  let retryAfterSeconds = Number.isFinite(header) && header > 0 ? header : undefined;
  let limit: string | undefined;
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
      message = messages.limit?.(error.limit, retryAfterSeconds) ?? message;
    }
  } else {
    const foreign = foreignErrorBodySchema.safeParse(body);
    if (foreign.success && foreign.data.error.trim() !== "") message = sentence(foreign.data.error);
  }
  if (response.status === 401) {
    return new ApiError(messages.unauthorized ?? message, 401, "unauthorized", { retryAfterSeconds });
  }
  return new ApiError(message, response.status, code, { retryAfterSeconds, ...(limit && { limit }) });
}
