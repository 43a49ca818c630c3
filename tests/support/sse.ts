import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface ReceivedEvent {
  id: number | null;
  event: string;
  data: any;
}

export interface ReadOptions {
  headers?: Record<string, string>;
  /** Stop (disconnect) after this many numbered events. */
  stopAfter?: number;
  /** Stop when this returns true for an event. */
  until?: (event: ReceivedEvent) => boolean;
  timeoutMs?: number;
  method?: string;
  body?: unknown;
}

export interface ReadResult {
  status: number;
  headers: Headers;
  events: ReceivedEvent[];
  /** Numbered events only. */
  numbered: ReceivedEvent[];
  /** The stream ended by itself (server closed it). */
  ended: boolean;
  /** The `retry:` field, if one was sent. */
  retry?: number;
}

/** Reads an SSE response with a real SSE parser, over fetch. */
export async function readSse(url: string, options: ReadOptions = {}): Promise<ReadResult> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`SSE read timed out: ${url}`)),
    options.timeoutMs ?? 60_000,
  );
  const response = await fetch(url, {
    method: options.method ?? "GET",
    headers: {
      Accept: "text/event-stream",
      ...(options.body ? { "Content-Type": "application/json" } : {}),
      ...options.headers,
    },
    body: options.body ? JSON.stringify(options.body) : undefined,
    signal: controller.signal,
  });
  const events: ReceivedEvent[] = [];
  const result: ReadResult = {
    status: response.status,
    headers: response.headers,
    events,
    numbered: [],
    ended: false,
  };
  if (response.status !== 200 || !response.body) {
    clearTimeout(timer);
    return result;
  }
  let stop = false;
  const parser = createParser({
    onRetry(interval: number) {
      result.retry = interval;
    },
    onEvent(message: EventSourceMessage) {
      if (stop) return;
      const event: ReceivedEvent = {
        id: message.id === undefined ? null : Number(message.id),
        event: message.event ?? "message",
        data: JSON.parse(message.data),
      };
      events.push(event);
      if (event.id !== null) result.numbered.push(event);
      if (options.stopAfter !== undefined && result.numbered.length >= options.stopAfter) stop = true;
      if (options.until?.(event)) stop = true;
    },
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  try {
    while (!stop) {
      const { done, value } = await reader.read();
      if (done) {
        result.ended = true;
        break;
      }
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    clearTimeout(timer);
    if (!result.ended) await reader.cancel().catch(() => undefined);
  }
  return result;
}

/** The concatenated `output` texts of events. */
export function outputText(events: ReceivedEvent[]): string {
  return events
    .filter((event) => event.event === "output")
    .map((event) => event.data.text as string)
    .join("");
}

export async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

export { waitFor } from "./server-free";
