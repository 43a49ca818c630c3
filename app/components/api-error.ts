/**
 * The browser's words for API errors. The error type and the reading of an
 * error body are the client's (lib/client/api-error.ts); a page tells a
 * person to sign in again where the API's text speaks to programs.
 */
import { ApiError, type ErrorMessages, readApiError, sentence } from "@/lib/client/api-error";

export { ApiError, sentence };

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

/** Sentences for a person at a page, where the API's own speak to programs or operators. */
export const browserMessages: ErrorMessages = {
  unauthorized: "You are signed out or your session expired. Reload the page to sign in again.",
  limit: limitMessage,
  unreachable: "The Fathom server can't be reached. Check your connection; the page keeps trying.",
};

/** Reads `{ error: { code, message } }` from a failed response, in the page's words; never shows raw JSON. */
export function toApiError(response: Response): Promise<ApiError> {
  return readApiError(response, browserMessages);
}
