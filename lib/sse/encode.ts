import type { TaskEvent } from "../model/events";

const encoder = new TextEncoder();

/** One SSE frame: `id`, `event`, `data` (JSON on one line), blank line. */
export function encodeEvent(event: TaskEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** A frame without an id: it never moves a client's cursor (the `task` snapshot). */
export function encodeUnnumbered(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function encodeComment(text: string): string {
  return `: ${text.replace(/\n/g, " ")}\n\n`;
}

export function encodeRetry(ms: number): string {
  return `retry: ${ms}\n\n`;
}

const batchCache = new WeakMap<readonly TaskEvent[], Uint8Array>();

/**
 * The frames of a batch as one buffer. Every listener of a task receives the
 * same batch array, so the batch is encoded once however many clients follow it.
 */
export function encodeBatch(events: readonly TaskEvent[]): Uint8Array {
  let bytes = batchCache.get(events);
  if (!bytes) {
    let text = "";
    for (const event of events) text += encodeEvent(event);
    bytes = encoder.encode(text);
    batchCache.set(events, bytes);
  }
  return bytes;
}

export function encodeText(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Parses a Last-Event-ID / lastEventId value: a non-negative integer, or null when malformed. */
export function parseCursor(value: string | null | undefined): number | null | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  if (!/^\d{1,15}$/.test(value.trim())) return null;
  return Number(value.trim());
}
