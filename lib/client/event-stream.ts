import { createParser, type EventSourceMessage } from "eventsource-parser";
import { backoffDelay } from "../backoff";
import { parseEvent, type TypedEvent } from "../model/event-data";
import { type EventType, eventTypes } from "../model/events";
import { type TaskSnapshot, taskSnapshotSchema } from "../model/task-view";
import { ApiError, type ErrorMessages, readApiError } from "./api-error";

/** What `stream()` yields: the snapshot a connection starts with (no id), or an event of the log. */
export type StreamItem = { type: "task"; data: TaskSnapshot } | TypedEvent;

/** The state of a stream's connection, for a caller that shows it. */
export type StreamConnection =
  | { kind: "open"; lastEventId: number | null }
  | {
      kind: "retrying";
      /** Why the last connection ended or failed. */
      error: ApiError;
      /** Milliseconds until the next connection. */
      delayMs: number;
      /** 0-based count of retries since the last connection that delivered something. */
      attempt: number;
    };

/** Options of one `stream()` call. */
export interface StreamOptions {
  /** Resume after this event id (sent as `Last-Event-ID`). Default: from the start of the current run. */
  lastEventId?: number | null;
  /** Ends the stream (the iterator throws the signal's reason). */
  signal?: AbortSignal;
  /** Told when a connection opens and before each retry. */
  onConnection?: (state: StreamConnection) => void;
  /**
   * How long the server may stay unreachable (no answer, or 5xx/429), in ms,
   * counted from the first failure after the last connection that opened:
   * past it the iterator throws the last `ApiError`. A long quiet but healthy
   * connection does not count. Default: no limit.
   */
  giveUpAfterMs?: number;
  /** A connection with no byte (not even a `: ping`) for this long is dropped and resumed. Default 45 000. */
  idleTimeoutMs?: number;
}

/** What `streamTaskEvents` needs from the client. */
export interface StreamTransport {
  fetch: typeof fetch;
  url: (path: string) => string;
  headers: () => Record<string, string>;
  messages: ErrorMessages;
  /** Backoff of reconnects (lib/backoff.ts). */
  backoff: { baseMs: number; maxMs: number; random?: () => number };
  /** Waits `ms` or until `signal` aborts (then rejects with its reason). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A monotonic clock in ms. */
  now: () => number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 45_000;
const eventTypeSet: ReadonlySet<string> = new Set(eventTypes);

/**
 * A task's events as an async iterable (docs/ARCHITECTURE.md, "Wire format").
 *
 * - Each connection sends the cursor (`Last-Event-ID`) of the last event
 *   yielded, so a dropped connection, a server restart or a takeover resumes
 *   exactly after it. An event whose id is not above the cursor is never
 *   yielded (no event twice), whatever a server sends.
 * - A connection that ends without `done`, fails, or stays silent past
 *   `idleTimeoutMs` (heartbeats come at least every 15 s) is resumed after
 *   the backoff of lib/backoff.ts; a `Retry-After` of a limit is waited out.
 * - It ends after the `done` event, or when the server answers `204` (the
 *   task is finished and everything was seen). 4xx answers other than 429
 *   (unknown task, deleted, a cursor past the end) throw an `ApiError`.
 */
export async function* streamTaskEvents(
  transport: StreamTransport,
  taskId: string,
  options: StreamOptions = {},
): AsyncGenerator<StreamItem, void, undefined> {
  let cursor = options.lastEventId ?? null;
  let attempt = 0;
  /** When the current run of failures began (null while connected). */
  let failingSince: number | null = null;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const path = `/api/tasks/${encodeURIComponent(taskId)}/events`;

  const retry = async (error: ApiError): Promise<void> => {
    failingSince ??= transport.now();
    if (options.giveUpAfterMs !== undefined && transport.now() - failingSince >= options.giveUpAfterMs) {
      throw error;
    }
    const backoff = backoffDelay(attempt, transport.backoff);
    const delayMs = error.retryAfterSeconds ? Math.max(backoff, error.retryAfterSeconds * 1000) : backoff;
    options.onConnection?.({ kind: "retrying", error, delayMs, attempt });
    attempt += 1;
    await transport.sleep(delayMs, options.signal);
  };

  while (true) {
    options.signal?.throwIfAborted();
    // One controller per connection: the idle timer and the caller's signal both end it.
    const connection = new AbortController();
    const onAbort = () => connection.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    let idled = false;
    const armIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        idled = true;
        connection.abort(new Error("idle"));
      }, idleTimeoutMs);
    };
    let failure: ApiError | null = null;
    try {
      armIdle();
      let response: Response;
      try {
        response = await transport.fetch(transport.url(path), {
          headers: {
            Accept: "text/event-stream",
            ...transport.headers(),
            ...(cursor !== null ? { "Last-Event-ID": String(cursor) } : {}),
          },
          cache: "no-store",
          signal: connection.signal,
        });
      } catch (error) {
        options.signal?.throwIfAborted();
        failure = unreachable(transport.messages, error, idled);
        continue;
      }
      if (response.status === 204) {
        await response.body?.cancel();
        return;
      }
      if (!response.ok) {
        const refusal = await readApiError(response, transport.messages);
        if (!refusal.retryable) throw refusal;
        failure = refusal;
        continue;
      }
      failingSince = null;
      options.onConnection?.({ kind: "open", lastEventId: cursor });
      const queue: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (message) => queue.push(message) });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      try {
        while (true) {
          let chunk: ReadableStreamReadResult<string>;
          try {
            chunk = await reader.read();
          } catch (error) {
            options.signal?.throwIfAborted();
            failure = unreachable(transport.messages, error, idled);
            break;
          }
          if (chunk.done) {
            failure = new ApiError("The stream ended before the task did.", 0, "stream_ended");
            break;
          }
          armIdle();
          parser.feed(chunk.value);
          for (const message of queue.splice(0)) {
            // An abort while the caller held an item: nothing more is yielded.
            options.signal?.throwIfAborted();
            const item = toItem(message, cursor);
            if (!item) continue;
            if (item.type !== "task") {
              cursor = item.id;
              // Something new arrived: the server is alive, the backoff starts over.
              attempt = 0;
            }
            // A slow reader is not a silent server: the idle timer waits while the caller holds the item.
            clearTimeout(idleTimer);
            yield item;
            if (item.type === "done") return;
            armIdle();
          }
        }
      } finally {
        await reader.cancel().catch((error: unknown) => void error); // The connection is being dropped: nothing to report.
      }
    } finally {
      clearTimeout(idleTimer);
      options.signal?.removeEventListener("abort", onAbort);
      connection.abort();
      // Every `continue` and `break` above lands here with the failure to retry after.
      if (failure) await retry(failure);
    }
  }
}

function unreachable(messages: ErrorMessages, cause: unknown, idled: boolean): ApiError {
  const message = idled
    ? "The stream went silent; reconnecting."
    : (messages.unreachable ?? "The Fathom server can't be reached.");
  return new ApiError(message, 0, "unreachable", { cause });
}

/** A message of the wire as an item, or null when it is not one to yield (a repeat, an unknown type). */
function toItem(message: EventSourceMessage, cursor: number | null): StreamItem | null {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch (error) {
    throw new ApiError(`The server sent an event that is not JSON (${message.event}).`, 200, "bad_response", {
      cause: error,
    });
  }
  if (message.event === "task") {
    const parsed = taskSnapshotSchema.safeParse(data);
    if (!parsed.success)
      throw new ApiError("The server sent a task snapshot this client could not read.", 200, "bad_response", {
        cause: parsed.error,
      });
    return { type: "task", data: parsed.data };
  }
  if (!message.event || !eventTypeSet.has(message.event)) return null;
  const id = Number(message.id);
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new ApiError(`The server sent a ${message.event} event without a valid id.`, 200, "bad_response");
  }
  // Never an event twice: a server may only resume after the cursor, and this holds even if one does not.
  if (cursor !== null && id <= cursor) return null;
  const parsed = parseEvent({ id, type: message.event as EventType, data });
  if (!parsed.success)
    throw new ApiError(
      `The server sent an event this client could not read: ${parsed.error}`,
      200,
      "bad_response",
    );
  return parsed.event;
}
