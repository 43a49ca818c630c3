import type { FileHandle } from "node:fs/promises";
import { type Checkpoint, checkpointSchema, type TaskEvent, taskEventSchema } from "../../model/events";

/**
 * The format of a task log's segments, newline-delimited JSON, and reading it.
 *
 * A segment is a sequence of lines, each one JSON record: an event
 * `{"id":…,"type":…,"data":…}` or a checkpoint `{"cp":{…}}`. Only bytes up to
 * the last `\n` count: a torn last line (a writer killed mid-write) is never
 * parsed. Lines that do not parse are skipped, never fatal.
 */

const CHUNK = 64 * 1024;
/** Read size of the binary search's probes (a line or two). */
const PROBE = 4 * 1024;
const NEWLINE = 0x0a;

export type LogRecord = { event: TaskEvent } | { checkpoint: Checkpoint };

export function encodeRecord(record: LogRecord): string {
  if ("event" in record) return `${JSON.stringify(record.event)}\n`;
  return `${JSON.stringify({ cp: record.checkpoint })}\n`;
}

/** Parses one line; null for a line that is not a valid record. */
export function parseRecord(line: string): LogRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // A damaged line (e.g. glued to a fragment by an old writer): not data.
    return null;
  }
  if (value && typeof value === "object" && "cp" in value) {
    const parsed = checkpointSchema.safeParse((value as { cp: unknown }).cp);
    return parsed.success ? { checkpoint: parsed.data as Checkpoint } : null;
  }
  const parsed = taskEventSchema.safeParse(value);
  return parsed.success ? { event: parsed.data } : null;
}

/** Fast id probe without a full parse: lines of events start with `{"id":N,`. */
export function probeEventId(line: Buffer): number | null {
  // 7 = '{"id":'.length + 1
  if (line.length < 8 || line[0] !== 0x7b || line[1] !== 0x22 || line[2] !== 0x69 || line[3] !== 0x64)
    return null;
  let id = 0;
  let index = 6;
  for (; index < line.length; index++) {
    const code = line[index]!;
    if (code < 0x30 || code > 0x39) break;
    id = id * 10 + (code - 0x30);
  }
  return index > 6 ? id : null;
}

export interface LineAt {
  offset: number;
  line: Buffer;
}

/** Complete lines in [start, end) of a file; `start` must be a line start. */
export async function* readLines(
  handle: FileHandle,
  start: number,
  end: number,
  chunkSize = CHUNK,
): AsyncGenerator<LineAt> {
  let position = start;
  let carry: Buffer | null = null;
  let carryOffset = start;
  const buffer = Buffer.allocUnsafe(chunkSize);
  while (position < end) {
    const length = Math.min(chunkSize, end - position);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    if (bytesRead === 0) break;
    let chunk = buffer.subarray(0, bytesRead);
    if (carry) {
      chunk = Buffer.concat([carry, chunk]);
    } else {
      carryOffset = position;
    }
    position += bytesRead;
    let lineStart = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, lineStart);
      if (newline === -1) break;
      // Copy: the read buffer is reused.
      yield { offset: carryOffset + lineStart, line: Buffer.from(chunk.subarray(lineStart, newline)) };
      lineStart = newline + 1;
    }
    if (lineStart < chunk.length) {
      carry = Buffer.from(chunk.subarray(lineStart));
      carryOffset += lineStart;
    } else {
      carry = null;
    }
  }
}

/** Offset just after the last `\n` at or before `size` (0 if none). */
export async function lastNewlineEnd(handle: FileHandle, size: number): Promise<number> {
  let end = size;
  const buffer = Buffer.allocUnsafe(CHUNK);
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const { bytesRead } = await handle.read(buffer, 0, end - start, start);
    const index = buffer.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (index !== -1) return start + index + 1;
    end = start;
  }
  return 0;
}

/** The id of the last event in [0, end), or null if the range holds none. */
export async function lastEventIdBefore(handle: FileHandle, end: number): Promise<number | null> {
  let windowEnd = end;
  let size = CHUNK;
  while (windowEnd > 0) {
    const start = Math.max(0, windowEnd - size);
    let best: number | null = null;
    // Lines fully inside [lineStart, windowEnd): skip the first partial line unless at 0.
    const first = start === 0 ? 0 : await nextLineStart(handle, start, windowEnd);
    if (first !== null) {
      for await (const { line } of readLines(handle, first, windowEnd)) {
        const id = probeEventId(line);
        if (id !== null && parseRecord(line.toString("utf8")) !== null) best = id;
      }
    }
    if (best !== null) return best;
    if (start === 0) return null;
    windowEnd = first ?? start;
    size *= 2;
  }
  return null;
}

/** Offset of the first line start strictly after `position` (null if none before `end`). */
async function nextLineStart(
  handle: FileHandle,
  position: number,
  end: number,
  chunkSize = CHUNK,
): Promise<number | null> {
  const buffer = Buffer.allocUnsafe(chunkSize);
  let cursor = position;
  while (cursor < end) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(chunkSize, end - cursor), cursor);
    if (bytesRead === 0) return null;
    const index = buffer.subarray(0, bytesRead).indexOf(NEWLINE);
    if (index !== -1) {
      // A line starting exactly at `position` counts only if the byte before is a newline.
      return cursor + index + 1;
    }
    cursor += bytesRead;
  }
  return null;
}

/** The first event id at or after a line start `position`, with that line's offset. */
async function firstEventFrom(
  handle: FileHandle,
  position: number,
  end: number,
): Promise<{ offset: number; id: number } | null> {
  // Small reads: a probe needs one line, not a chunk of the log.
  for await (const { offset, line } of readLines(handle, position, end, PROBE)) {
    const id = probeEventId(line);
    if (id !== null) return { offset, id };
  }
  return null;
}

/**
 * A line-start offset in [0, end) at or before the first event with id >
 * `afterId`: a binary search over byte offsets, so resuming in the middle of a
 * long log costs O(log size) small reads, not a scan.
 */
export async function seekAfter(handle: FileHandle, end: number, afterId: number): Promise<number> {
  let low = 0; // a line start whose first event id is <= afterId (or the file start)
  let high = end;
  while (high - low > PROBE) {
    const middle = Math.floor((low + high) / 2);
    const lineStart = await nextLineStart(handle, middle, end, PROBE);
    if (lineStart === null || lineStart >= high) {
      high = middle;
      continue;
    }
    const found = await firstEventFrom(handle, lineStart, end);
    if (found === null || found.id > afterId) {
      high = middle;
    } else {
      low = lineStart;
    }
  }
  return low;
}
