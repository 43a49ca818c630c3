import type { RecordedRequest } from "./types";

/** The fields a test can pick requests by. */
export type RequestFilter = Partial<
  Pick<RecordedRequest, "jsonMode" | "stream" | "step" | "status" | "path" | "model">
>;

/** The recorded requests that match every field of `filter`, e.g. `requestsWhere(server.requests, { jsonMode: "object" })`. */
export function requestsWhere(
  requests: readonly RecordedRequest[],
  filter: RequestFilter,
): RecordedRequest[] {
  const entries = Object.entries(filter) as [keyof RequestFilter, unknown][];
  return requests.filter((request) => entries.every(([key, value]) => request[key] === value));
}

/**
 * One line per request, for a single `toEqual` over a whole conversation:
 * `"report stream none 200"` — the step, `stream` or `once`, the JSON mode, the status.
 */
export function summarizeRequests(requests: readonly RecordedRequest[]): string[] {
  return requests.map(
    (request) =>
      `${request.step} ${request.stream ? "stream" : "once"} ${request.jsonMode} ${request.status ?? "pending"}`,
  );
}
