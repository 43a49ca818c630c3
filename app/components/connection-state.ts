import type { ApiError } from "./api-error";

/**
 * The state of a page's event-stream connection, as the indicator shows it.
 * - `connecting`: the first connection is being opened.
 * - `live`: events are flowing.
 * - `reconnecting`: the stream broke; the next attempt is at `retryAt` (ms since the epoch).
 *   `refusal`: the server refused it with a limit (429/503), which the page names until the retry.
 * - `unreachable`: the server does not answer at all (or the browser is offline); retrying with backoff.
 * - `finished`: the task is over and every event was received.
 * - `gone`: the task does not exist (any more).
 */
export type ConnectionState =
  | { kind: "connecting" }
  | { kind: "live" }
  | { kind: "reconnecting"; retryAt: number; refusal?: ApiError }
  | { kind: "unreachable"; retryAt: number | null; offline: boolean }
  | { kind: "finished" }
  | {
      kind: "gone";
      message: string /** Deleted or expired (the page says so in its language). */;
      expired?: true;
    };
