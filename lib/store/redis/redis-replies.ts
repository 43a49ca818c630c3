import { z } from "zod";
import { AppError } from "../../errors";
import { type Checkpoint, checkpointSchema, eventTypes, type TaskEvent } from "../../model/events";
import { parseJson } from "../../parse-json";

/** Parsing what Redis answers: script replies, stream ids and stream entries. */

/** A stream entry id, `<ms>-<seq>`, as numbers. */
export type StreamId = readonly [number, number];

const storedEventSchema = z.object({ type: z.enum(eventTypes), data: z.record(z.string(), z.unknown()) });

/** XREAD's reply: [stream key, [entry id, fields][]][], or null when the block timed out. */
export const xreadReplySchema = z
  .array(z.tuple([z.string(), z.array(z.tuple([z.string(), z.array(z.string())]))]))
  .nullable();

export function parseStreamId(id: string): StreamId {
  const [ms, seq] = id.split("-");
  return [Number(ms), Number(seq ?? 0)];
}

export function compareIds(a: StreamId, b: StreamId): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** A stream entry: an event (<id>-0, field "e") or a checkpoint (<id>-<k>, field "c"). */
export function parseEntry(
  key: string,
  id: string,
  fields: string[],
): { event: TaskEvent } | { checkpoint: Checkpoint } {
  const [eventId, seq] = parseStreamId(id);
  const [field, value] = fields;
  if (seq === 0 && field === "e" && value !== undefined) {
    const parsed = parseJson(value, storedEventSchema);
    if (parsed && eventId > 0) return { event: { id: eventId, type: parsed.type, data: parsed.data } };
  } else if (seq > 0 && field === "c" && value !== undefined) {
    const parsed = parseJson(value, checkpointSchema);
    if (parsed) return { checkpoint: { run: parsed.run, key: parsed.key, result: parsed.result } };
  }
  throw new AppError(
    "storage_error",
    `Entry ${id} of Redis stream "${key}" is not a Fathom event or checkpoint.`,
  );
}

/** A script's reply checked against the shape it must have. */
export function parseReply<T>(reply: unknown, schema: z.ZodType<T>, what: string): T {
  const parsed = schema.safeParse(reply);
  if (!parsed.success) throw new AppError("storage_error", `Unexpected reply from Redis to ${what}.`);
  return parsed.data;
}
