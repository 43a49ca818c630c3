import type { FileHandle } from "node:fs/promises";
import type { Checkpoint, TaskEvent } from "../../model/events";
import { parseJson } from "../../parse-json";
import type { LogSnapshot, ReadResult } from "../types";
import { epochJsonSchema, type FileEpochs, type Segment } from "./file-epochs";
import { openIfExists, readText } from "./file-io";
import type { FileLayout } from "./file-layout";
import type { FileLeases } from "./file-leases";
import {
  lastEventIdBefore,
  lastNewlineEnd,
  parseRecord,
  probeEventId,
  readLines,
  seekAfter,
} from "./segment-format";
import { parseMark } from "./synced-mark";

export interface FileLogReaderOptions {
  layout: FileLayout;
  epochs: FileEpochs;
  /** This process's own lease, whose durable offset is known without reading its mark. */
  leases: FileLeases;
  durability: "none" | "fsync";
}

/**
 * Reading a task's log across its segments: each segment only up to where
 * the next epoch's claim sealed it (a stale owner's later bytes are never
 * read), the open one only up to its last newline and, under
 * DURABILITY=fsync, only as far as it is on disk.
 */
export class FileLogReader {
  readonly #layout: FileLayout;
  readonly #epochs: FileEpochs;
  readonly #leases: FileLeases;
  readonly #durability: "none" | "fsync";

  constructor(options: FileLogReaderOptions) {
    this.#layout = options.layout;
    this.#epochs = options.epochs;
    this.#leases = options.leases;
    this.#durability = options.durability;
  }

  async read(taskId: string, afterId: number, limit: number): Promise<ReadResult> {
    const segments = await this.#epochs.segments(taskId);
    const events: TaskEvent[] = [];
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index]!;
      const following = segments[index + 1];
      // Skip segments that end before the cursor.
      if (following && following.firstId <= afterId + 1) continue;
      const handle = await openIfExists(this.#layout.segmentPath(taskId, segment.epoch));
      if (!handle) continue;
      try {
        const end = await this.#readableEnd(taskId, segment, handle);
        const start = segment.firstId > afterId + 1 ? 0 : await seekAfter(handle, end, afterId);
        for await (const { line } of readLines(handle, start, end)) {
          // Lines before the cursor are skipped without parsing them.
          const probed = probeEventId(line);
          if (probed !== null && probed <= afterId) continue;
          const record = parseRecord(line.toString("utf8"));
          if (!record || !("event" in record) || record.event.id <= afterId) continue;
          events.push(record.event);
          if (events.length >= limit) return { events, more: true };
        }
      } finally {
        await handle.close();
      }
    }
    return { events, more: false };
  }

  async lastEventId(taskId: string): Promise<number> {
    const segments = await this.#epochs.segments(taskId);
    for (let index = segments.length - 1; index >= 0; index--) {
      const segment = segments[index]!;
      const handle = await openIfExists(this.#layout.segmentPath(taskId, segment.epoch));
      if (!handle) continue;
      try {
        const last = await lastEventIdBefore(handle, await this.#readableEnd(taskId, segment, handle));
        if (last !== null) return last;
      } finally {
        await handle.close();
      }
    }
    return 0;
  }

  async readLog(taskId: string): Promise<LogSnapshot> {
    const segments = await this.#epochs.segments(taskId);
    const checkpoints: Checkpoint[] = [];
    const events: TaskEvent[] = [];
    for (const segment of segments) {
      const handle = await openIfExists(this.#layout.segmentPath(taskId, segment.epoch));
      if (!handle) continue;
      try {
        const end = await this.#readableEnd(taskId, segment, handle);
        for await (const { line } of readLines(handle, 0, end)) {
          const record = parseRecord(line.toString("utf8"));
          if (!record) continue;
          if ("event" in record) events.push(record.event);
          else checkpoints.push(record.checkpoint);
        }
      } finally {
        await handle.close();
      }
    }
    return { checkpoints, events, lastEventId: events.at(-1)?.id ?? 0 };
  }

  async #readableEnd(taskId: string, segment: Segment, handle: FileHandle): Promise<number> {
    if (segment.end !== null) return segment.end;
    const { size } = await handle.stat();
    let end = await lastNewlineEnd(handle, size);
    // fsync mode: the owner's segment is readable only as far as it is on disk.
    if (this.#durability === "fsync") end = Math.min(end, await this.#durableEnd(taskId, segment.epoch));
    // A takeover sealed this segment after we listed epochs: honour its cut.
    const sealed = await readText(this.#layout.epochPath(taskId, segment.epoch + 1));
    const claim = sealed ? parseJson(sealed, epochJsonSchema) : null;
    return claim ? Math.min(end, claim.sealedAt.offset) : end;
  }

  /** How much of segment `epoch` its owner has published as fsynced (0 when unknown). */
  async #durableEnd(taskId: string, epoch: number): Promise<number> {
    const held = this.#leases.held(taskId);
    if (held && held.lease.epoch === epoch) return held.durable;
    return parseMark(await readText(this.#layout.syncedPath(taskId, epoch)));
  }
}
