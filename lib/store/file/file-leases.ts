import type { FileHandle } from "node:fs/promises";
import fs from "node:fs/promises";
import writeFileAtomic from "write-file-atomic";
import { z } from "zod";
import type { NewRecord, TaskEvent } from "../../model/events";
import { parseJson } from "../../parse-json";
import { renewedInTime } from "../self-fencing";
import { leaseLost } from "../store-errors";
import type { AcquiredLease, Lease } from "../types";
import type { EpochJson, FileEpochs } from "./file-epochs";
import {
  exists,
  ignoreMissing,
  isCode,
  openIfExists,
  readText,
  storageError,
  syncDirectory,
} from "./file-io";
import type { FileLayout } from "./file-layout";
import { lastEventIdBefore, lastNewlineEnd } from "./segment-format";
import type { StorageRoot } from "./storage-root";
import { writeMark } from "./synced-mark";

/**
 * Leases of the file store: claiming the next epoch, the owner's heartbeat,
 * noticing an expired lease, and the checks every write under a lease makes.
 *
 * Liveness never compares clocks across hosts: a watcher notes the owner's
 * heartbeat counter and its own monotonic time; the lease is expired when the
 * counter has not changed for the lease time. The owner fences itself
 * (`lib/store/self-fencing.ts`), so a stale owner has stopped before anyone
 * takes over.
 */

const beatJsonSchema = z.object({ ownerId: z.string(), epoch: z.number().int(), beat: z.number().int() });

/** State of a lease this process holds, with its open segment. */
export interface Held {
  lease: Lease;
  lastRenewedAt: number;
  beat: number;
  handle: FileHandle | null;
  /** Bytes of the current segment known to be complete. */
  offset: number;
  nextEventId: number;
  /** Serializes this owner's flushes (ids follow call order); a release waits for it. */
  queue: Promise<void>;
  /** Appends made since the last flush started: the next flush writes them together. */
  pending: {
    records: NewRecord[];
    resolve: (events: TaskEvent[]) => void;
    reject: (error: unknown) => void;
  }[];
  /** `fsync` mode: bytes of the segment known to be on disk (and published in `synced-<N>`). */
  durable: number;
  /** `fsync` mode: the open `synced-<N>` file the durable offset is published in. */
  mark: FileHandle | null;
}

/** A watcher's last sight of another owner's heartbeat, on its own clock. */
interface Observation {
  epoch: number;
  beat: number;
  seenAt: number;
}

export interface FileLeasesOptions {
  layout: FileLayout;
  root: StorageRoot;
  epochs: FileEpochs;
  leaseTtlMs: number;
  durability: "none" | "fsync";
  now: () => number;
}

export class FileLeases {
  readonly #layout: FileLayout;
  readonly #root: StorageRoot;
  readonly #epochs: FileEpochs;
  readonly #ttl: number;
  readonly #durability: "none" | "fsync";
  readonly #now: () => number;
  readonly #held = new Map<string, Held>();
  readonly #observations = new Map<string, Observation>();

  constructor(options: FileLeasesOptions) {
    this.#layout = options.layout;
    this.#root = options.root;
    this.#epochs = options.epochs;
    this.#ttl = options.leaseTtlMs;
    this.#durability = options.durability;
    this.#now = options.now;
  }

  /** The lease this process holds on `taskId`, unchecked. */
  held(taskId: string): Held | undefined {
    return this.#held.get(taskId);
  }

  /**
   * Claims the task's next epoch. A task deleted before or during the claim
   * (by this process or another) gives null, never an error: its folder is
   * not made again, so the delete's removal cannot race a recreated folder.
   */
  async acquire(taskId: string, ownerId: string): Promise<AcquiredLease | null> {
    try {
      return await this.#acquire(taskId, ownerId);
    } catch (error) {
      if (await exists(this.#layout.statePath(taskId))) throw error;
      return null;
    }
  }

  async #acquire(taskId: string, ownerId: string): Promise<AcquiredLease | null> {
    await this.#root.ensure();
    if (!(await exists(this.#layout.statePath(taskId)))) return null;
    const epochs = await this.#epochs.list(taskId);
    const last = epochs[epochs.length - 1];
    let kind: AcquiredLease["kind"] = "new";
    let sealedAt = { offset: 0, lastEventId: 0 };
    if (last) {
      if (this.#held.has(taskId)) return null;
      if (await exists(this.#layout.releasedPath(taskId, last.epoch))) kind = "released";
      else if (await this.#isExpired(taskId, last.epoch)) kind = "expired";
      else return null;
      // The seal is measured before the claim exists. A stale owner can only
      // write in between if it paused between its own lease check and its
      // write for longer than the lease: such bytes lie past the seal and no
      // reader reads them afterwards, but a follower polling that very moment
      // could relay them. The owner's post-write check makes it stop there.
      sealedAt = await this.#segmentEnd(taskId, last);
    }
    const epoch = last ? last.epoch + 1 : await this.#epochs.firstEpoch(taskId);
    const claim: EpochJson = { epoch, ownerId, sealedAt };
    if (!(await this.#root.createExclusive(this.#layout.epochPath(taskId, epoch), JSON.stringify(claim))))
      return null;
    this.#epochs.claimed(taskId, epochs, claim);
    const lease: Lease = { taskId, ownerId, epoch };
    // A lease of an earlier incarnation of this task (deleted and created
    // again: epochs start over) must not keep its segment open.
    const previous = this.#held.get(taskId);
    if (previous) await this.drop(previous);
    const handle = await fs.open(this.#layout.segmentPath(taskId, epoch), "a");
    const held: Held = {
      lease,
      lastRenewedAt: this.#now(),
      beat: 0,
      handle,
      offset: 0,
      nextEventId: sealedAt.lastEventId + 1,
      queue: Promise.resolve(),
      pending: [],
      durable: 0,
      mark: null,
    };
    this.#held.set(taskId, held);
    try {
      if (this.#durability === "fsync") {
        held.mark = await fs.open(this.#layout.syncedPath(taskId, epoch), "w");
        await writeMark(held.mark, 0);
      }
      // The new segment's name must survive a power loss with its bytes.
      await syncDirectory(this.#layout.taskDir(taskId));
      await this.#writeBeat(held);
    } catch (error) {
      // The claim stands (a watcher sees no heartbeat and takes over after
      // the lease time), but this process gives the segment up at once.
      await this.drop(held);
      throw storageError("write the first heartbeat", error);
    }
    return { ...lease, kind };
  }

  async #isExpired(taskId: string, epoch: number): Promise<boolean> {
    const text = await readText(this.#layout.beatPath(taskId, epoch));
    const beat = (text === null ? null : parseJson(text, beatJsonSchema))?.beat ?? -1;
    const now = this.#now();
    const seen = this.#observations.get(taskId);
    if (!seen || seen.epoch !== epoch || seen.beat !== beat) {
      this.#observations.set(taskId, { epoch, beat, seenAt: now });
      return false;
    }
    return now - seen.seenAt >= this.#ttl;
  }

  /** Where a segment's complete records end, and the last event id up to there. */
  async #segmentEnd(taskId: string, claim: EpochJson): Promise<{ offset: number; lastEventId: number }> {
    const handle = await openIfExists(this.#layout.segmentPath(taskId, claim.epoch));
    if (!handle) return { offset: 0, lastEventId: claim.sealedAt.lastEventId };
    try {
      // fsync mode: the seal may only cover bytes that are on disk. The dead
      // owner's written-but-unsynced bytes are synced now (any descriptor of
      // the file flushes its data), before they become readable.
      if (this.#durability === "fsync") await handle.datasync();
      const { size } = await handle.stat();
      const offset = await lastNewlineEnd(handle, size);
      const lastEventId = (await lastEventIdBefore(handle, offset)) ?? claim.sealedAt.lastEventId;
      return { offset, lastEventId };
    } finally {
      await handle.close();
    }
  }

  async #writeBeat(held: Held): Promise<void> {
    const { taskId, epoch, ownerId } = held.lease;
    held.beat += 1;
    await writeFileAtomic(
      this.#layout.beatPath(taskId, epoch),
      JSON.stringify({ ownerId, epoch, beat: held.beat }),
      {
        fsync: false,
      },
    );
  }

  /** The lease this process holds for `lease`, still valid; otherwise `lease_lost`. */
  async check(lease: Lease): Promise<Held> {
    const held = this.#held.get(lease.taskId);
    if (!held || held.lease.epoch !== lease.epoch || held.lease.ownerId !== lease.ownerId) {
      throw leaseLost(lease, "not held by this process");
    }
    const [takenOver, ownClaim] = await Promise.all([
      this.isTakenOver(lease),
      exists(this.#layout.epochPath(lease.taskId, lease.epoch)),
    ]);
    if (takenOver || !ownClaim) {
      await this.drop(held);
      throw leaseLost(lease, takenOver ? "taken over" : "the task was deleted");
    }
    // Last, right before the caller writes: the deadline on this process's own clock.
    if (!renewedInTime(this.#now(), held.lastRenewedAt, this.#ttl)) {
      await this.drop(held);
      throw leaseLost(lease, "not renewed in time");
    }
    return held;
  }

  /** True once a newer epoch has been claimed. */
  isTakenOver(lease: Lease): Promise<boolean> {
    return exists(this.#layout.epochPath(lease.taskId, lease.epoch + 1));
  }

  /** Forgets a held lease and closes its segment. */
  async drop(held: Held): Promise<void> {
    if (this.#held.get(held.lease.taskId) === held) this.#held.delete(held.lease.taskId);
    const handle = held.handle;
    const mark = held.mark;
    held.handle = null;
    held.mark = null;
    await handle?.close().catch(ignoreMissing);
    await mark?.close().catch(ignoreMissing);
  }

  /** A deleted task: drop its lease here and forget what was seen of its heartbeats. */
  async forget(taskId: string): Promise<void> {
    const held = this.#held.get(taskId);
    if (held) await this.drop(held);
    this.#observations.delete(taskId);
  }

  async dropAll(): Promise<void> {
    for (const held of this.#held.values()) await this.drop(held);
  }

  async renew(lease: Lease): Promise<void> {
    const held = await this.check(lease);
    const started = this.#now();
    try {
      await this.#writeBeat(held);
    } catch (error) {
      throw storageError("renew lease", error);
    }
    held.lastRenewedAt = started;
  }

  async release(lease: Lease): Promise<void> {
    const held = this.#held.get(lease.taskId);
    if (!held || held.lease.epoch !== lease.epoch) return;
    await held.queue;
    await this.drop(held);
    await fs.writeFile(this.#layout.releasedPath(lease.taskId, lease.epoch), "").catch((error) => {
      if (!isCode(error, "ENOENT")) throw storageError("release lease", error);
    });
  }

  async isCurrent(lease: Lease): Promise<boolean> {
    try {
      await this.check(lease);
      return true;
    } catch {
      // check() only throws lease_lost (and drops the lease).
      return false;
    }
  }

  async currentOwner(taskId: string): Promise<{ ownerId: string; epoch: number } | null> {
    const epochs = await this.#epochs.list(taskId);
    const last = epochs[epochs.length - 1];
    if (!last) return null;
    if (await exists(this.#layout.releasedPath(taskId, last.epoch))) return null;
    return { ownerId: last.ownerId, epoch: last.epoch };
  }
}
