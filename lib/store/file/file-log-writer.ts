import { errorMessage } from "../../errors";
import type { Logger } from "../../log";
import type { NewRecord, TaskEvent } from "../../model/events";
import type { FollowerRegistry } from "../follower-registry";
import { leaseLost } from "../store-errors";
import type { Lease } from "../types";
import type { DiskReserve } from "./disk-reserve";
import { isCode, storageError } from "./file-io";
import type { FileLeases, Held } from "./file-leases";
import { encodeRecord } from "./segment-format";
import { writeMark } from "./synced-mark";

export interface FileLogWriterOptions {
  leases: FileLeases;
  reserve: DiskReserve;
  /** Gets this process's appends at once, and a poke when a takeover cut them off. */
  followers: FollowerRegistry;
  durability: "none" | "fsync";
  logger?: Logger;
}

/**
 * The owner's appends to its segment, with group commit: the first append
 * of a tick queues a flush behind the previous one, and every append made
 * until that flush starts joins it — one write and, under DURABILITY=fsync,
 * one fsync for all of them. Events reach followers (and the caller) only
 * after the flush.
 */
export class FileLogWriter {
  readonly #leases: FileLeases;
  readonly #reserve: DiskReserve;
  readonly #followers: FollowerRegistry;
  readonly #durability: "none" | "fsync";
  readonly #logger?: Logger;

  constructor(options: FileLogWriterOptions) {
    this.#leases = options.leases;
    this.#reserve = options.reserve;
    this.#followers = options.followers;
    this.#durability = options.durability;
    this.#logger = options.logger;
  }

  async append(lease: Lease, records: NewRecord[]): Promise<TaskEvent[]> {
    const held = this.#leases.held(lease.taskId);
    if (!held || held.lease.epoch !== lease.epoch || held.lease.ownerId !== lease.ownerId)
      throw leaseLost(lease, "not held by this process");
    return new Promise<TaskEvent[]>((resolve, reject) => {
      held.pending.push({ records, resolve, reject });
      if (held.pending.length > 1) return; // a flush is already queued and will take it
      const flush = held.queue.then(() => this.#flush(lease, held));
      held.queue = flush;
    });
  }

  /** Writes (and under `fsync`, syncs) every pending append of `held` at once. */
  async #flush(lease: Lease, held: Held): Promise<void> {
    const batch = held.pending.splice(0);
    if (batch.length === 0) return;
    try {
      const results = await this.#appendNow(
        lease,
        held,
        batch.map((item) => item.records),
      );
      this.#followers.push(lease.taskId, results.flat());
      for (const [index, item] of batch.entries()) item.resolve(results[index]!);
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
  }

  async #appendNow(lease: Lease, held: Held, batch: NewRecord[][]): Promise<TaskEvent[][]> {
    await this.#leases.check(lease);
    if (!held.handle) throw leaseLost(lease, "segment closed");
    const results: TaskEvent[][] = [];
    let text = "";
    let nextId = held.nextEventId;
    for (const records of batch) {
      const events: TaskEvent[] = [];
      for (const record of records) {
        if ("event" in record) {
          const event: TaskEvent = { id: nextId++, type: record.event.type, data: record.event.data };
          events.push(event);
          text += encodeRecord({ event });
        } else {
          text += encodeRecord({ checkpoint: record.checkpoint });
        }
      }
      results.push(events);
    }
    const bytes = Buffer.from(text, "utf8");
    try {
      let written = 0;
      while (written < bytes.length) {
        const result = await held.handle.write(bytes, written, bytes.length - written, held.offset + written);
        written += result.bytesWritten;
      }
      if (this.#durability === "fsync" && bytes.length > 0) {
        await held.handle.datasync();
        // Published after the fsync (lib/store/file/synced-mark.ts).
        held.durable = held.offset + bytes.length;
        if (held.mark) await writeMark(held.mark, held.durable);
      }
    } catch (error) {
      // Cut back to the last complete record so the next append is not glued to a fragment.
      await held.handle.truncate(held.offset).catch((truncateError) =>
        this.#logger?.error("store.truncate_failed", {
          taskId: lease.taskId,
          error: errorMessage(truncateError),
        }),
      );
      if (isCode(error, "ENOSPC")) await this.#reserve.free();
      throw storageError("append to the event log", error);
    }
    held.offset += bytes.length;
    held.nextEventId = nextId;
    if (await this.#leases.isTakenOver(lease)) {
      // Taken over while writing: whether these records count is decided by
      // where the new owner sealed this segment, so readers read, not push.
      this.#followers.poke(lease.taskId);
      await this.#leases.drop(held);
      throw leaseLost(lease, "taken over during the write");
    }
    return results;
  }
}
