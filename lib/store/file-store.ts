import { type FSWatcher, readFile, readFileSync, statSync, watch } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import fs from "node:fs/promises";
import path from "node:path";
import { nanoid } from "nanoid";
import writeFileAtomic from "write-file-atomic";
import { z } from "zod";
import { AppError, errorMessage } from "../errors";
import type { Logger } from "../log";
import type { Checkpoint, NewRecord, TaskEvent } from "../model/events";
import { replayEvents } from "../model/replay";
import { isFinished, isTaskId, type TaskJson, taskJsonSchema } from "../model/task-json";
import { parseJson } from "../parse-json";
import {
  encodeRecord,
  lastEventIdBefore,
  lastNewlineEnd,
  parseRecord,
  probeEventId,
  readLines,
  seekAfter,
} from "./file-log";
import { FollowerRegistry } from "./follower-registry";
import { pruneCache, splitListing } from "./snapshot-cache";
import { assertTaskId as assertId, leaseLost, taskGone } from "./store-errors";
import type {
  AcquiredLease,
  ControlAction,
  Lease,
  LogSnapshot,
  ReadResult,
  TaskStore,
  Unsubscribe,
} from "./types";

/**
 * The default store: tasks on a (possibly shared) filesystem volume.
 *
 * Layout under the root (every name derived from a validated task id):
 *
 *   <id>.json                 state snapshot, written atomically by the lease holder
 *   <id>/created.json         the snapshot at creation (recovery if <id>.json is damaged)
 *   <id>/epoch-<N>.json       claim of epoch N: created once, exclusively (link), never changed;
 *                             holds where segment N-1 ends (`sealedAt`), so records a stale
 *                             owner writes to an old segment after a takeover are never read
 *   <id>/log-<N>.ndjson       the log segment of epoch N; only owner N appends to it
 *   <id>/beat-<N>.json        owner N's heartbeat counter
 *   <id>/released-<N>         owner N gave the task up cleanly
 *   <id>/synced-<N>           DURABILITY=fsync: how far segment N is on disk (readers stop there)
 *   <id>/compacted.json       the first epoch kept after compaction (older epochs' files are gone),
 *                             or, for a task created again after a delete, the epoch after the deleted one's last
 *   <id>/control-<nanoid>     a control for the owner, left by any process
 *   .active/<id>              the task is not finished (the takeover scan lists only these)
 *   .deleted/<id>             tombstone of a deleted task (answers 410 instead of 404), with its last epoch
 *   .tmp/                     staging for exclusive creates
 *
 * Liveness never compares clocks across hosts: a watcher notes the owner's
 * heartbeat counter and its own monotonic time; the lease is expired when the
 * counter has not changed for the lease time. The owner stops writing once
 * its own monotonic clock says it has not renewed for 80% of the lease time,
 * so with clock rates that differ by less than 20% a stale owner has stopped
 * before anyone takes over.
 */

const epochJsonSchema = z.object({
  epoch: z.number().int().positive(),
  ownerId: z.string(),
  /** Where the previous epoch's segment ends, and its last event id. */
  sealedAt: z.object({ offset: z.number().int().nonnegative(), lastEventId: z.number().int().nonnegative() }),
});
type EpochJson = z.infer<typeof epochJsonSchema>;

const beatJsonSchema = z.object({ ownerId: z.string(), epoch: z.number().int(), beat: z.number().int() });

/** `<id>/compacted.json`: epochs below `firstEpoch` were removed with their segments. */
const compactedFileSchema = z.object({ firstEpoch: z.number().int().positive() });

/** `.deleted/<id>`: when the task was deleted and its last epoch. */
const tombstoneJsonSchema = z.object({ deletedAt: z.string(), lastEpoch: z.number().int().nonnegative() });

/** Per-epoch files of a task folder, with the epoch they belong to. */
const EPOCH_FILE = /^(?:epoch-(\d+)\.json|log-(\d+)\.ndjson|beat-(\d+)\.json|released-(\d+)|synced-(\d+))$/;

export interface FileStoreOptions {
  root: string;
  leaseTtlMs: number;
  pollMs: number;
  /**
   * `fsync`: an append returns, and its events reach any reader, only once
   * they are on disk (appends of one tick share one fsync). Every process on
   * the volume must use the same mode. Default `none` (see README, Decisions).
   */
  durability?: "none" | "fsync";
  logger?: Logger;
  /** Monotonic clock in ms (injected in tests). */
  now?: () => number;
}

/** State of a lease this process holds. */
interface Held {
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

interface Observation {
  epoch: number;
  beat: number;
  seenAt: number;
}

const SAFETY = 0.8;
const RESERVE_BYTES = 256 * 1024;
const ID_LIST_MAX_AGE_MS = 2000;
const LIST_SLICE = 256;

export class FileTaskStore implements TaskStore {
  readonly kind = "file" as const;
  readonly #root: string;
  readonly #ttl: number;
  readonly #pollMs: number;
  readonly #now: () => number;
  readonly #logger?: Logger;
  readonly #durability: "none" | "fsync";
  readonly #held = new Map<string, Held>();
  readonly #observations = new Map<string, Observation>();
  readonly #epochCache = new Map<string, EpochJson[]>();
  readonly #followers: FollowerRegistry;
  /** Parsed snapshots by id, with the size and mtime they were read at. */
  readonly #snapshots = new Map<string, { ino: number; mtimeMs: number; size: number; task: TaskJson }>();
  #ready: Promise<void> | null = null;
  #idList: { mtimeMs: number; at: number; ids: string[] } | null = null;

  constructor(options: FileStoreOptions) {
    this.#root = path.resolve(/*turbopackIgnore: true*/ options.root);
    this.#ttl = options.leaseTtlMs;
    this.#pollMs = options.pollMs;
    this.#now = options.now ?? (() => performance.now());
    this.#logger = options.logger;
    this.#durability = options.durability ?? "none";
    this.#followers = new FollowerRegistry({
      read: (taskId, afterId, limit) => this.read(taskId, afterId, limit),
      pollMs: options.pollMs,
      wakeUps: (taskId, follower) => this.#watch(taskId, () => follower.poke()),
      onPoll: (taskId) => void this.#endIfDeleted(taskId),
    });
  }

  get root(): string {
    return this.#root;
  }

  // ── paths (only ever built from validated ids) ──────────────────────────

  #taskDir(taskId: string): string {
    assertId(taskId);
    return path.join(/*turbopackIgnore: true*/ this.#root, taskId);
  }
  #statePath(taskId: string): string {
    assertId(taskId);
    return path.join(/*turbopackIgnore: true*/ this.#root, `${taskId}.json`);
  }
  #epochPath(taskId: string, epoch: number): string {
    return path.join(/*turbopackIgnore: true*/ this.#taskDir(taskId), `epoch-${epoch}.json`);
  }
  #segmentPath(taskId: string, epoch: number): string {
    return path.join(/*turbopackIgnore: true*/ this.#taskDir(taskId), `log-${epoch}.ndjson`);
  }
  #beatPath(taskId: string, epoch: number): string {
    return path.join(/*turbopackIgnore: true*/ this.#taskDir(taskId), `beat-${epoch}.json`);
  }
  #releasedPath(taskId: string, epoch: number): string {
    return path.join(/*turbopackIgnore: true*/ this.#taskDir(taskId), `released-${epoch}`);
  }
  #syncedPath(taskId: string, epoch: number): string {
    return path.join(/*turbopackIgnore: true*/ this.#taskDir(taskId), `synced-${epoch}`);
  }

  async #ensureRoot(): Promise<void> {
    this.#ready ??= (async () => {
      for (const folder of [
        this.#root,
        ...[".active", ".deleted", ".tmp"].map((name) =>
          path.join(/*turbopackIgnore: true*/ this.#root, name),
        ),
      ]) {
        await fs.mkdir(folder, { recursive: true });
      }
      await this.#keepReserve();
    })().catch((error) => {
      this.#ready = null;
      throw storageError(`create the storage folder ${this.#root}`, error);
    });
    return this.#ready;
  }

  /**
   * A little space held back for a full disk: when an append fails with
   * ENOSPC the reserve is freed, so the task can still record that it failed
   * (a status event, a `done` event, a small state file). Recreated later.
   */
  async #keepReserve(): Promise<void> {
    const reserve = path.join(/*turbopackIgnore: true*/ this.#root, ".tmp", "reserve");
    if (await exists(reserve)) return;
    await fs.writeFile(reserve, Buffer.alloc(RESERVE_BYTES)).catch((error) => {
      // No room for the reserve: the disk is already full, nothing to hold back.
      this.#logger?.warn("store.reserve_unavailable", { error: errorMessage(error) });
      return fs.unlink(reserve).catch(() => undefined);
    });
  }

  async #freeReserve(): Promise<void> {
    await fs.unlink(path.join(/*turbopackIgnore: true*/ this.#root, ".tmp", "reserve")).catch(ignoreMissing);
  }

  /** Runs `work`; if the storage folders vanished (an operator wiped the volume), recreates them and retries once. */
  async #withRoot<T>(work: () => Promise<T>): Promise<T> {
    await this.#ensureRoot();
    try {
      return await work();
    } catch (error) {
      if (!isCode(error, "ENOENT")) throw error;
      this.#ready = null;
      await this.#ensureRoot();
      return work();
    }
  }

  /** Writes `content` to `target` only if `target` does not exist (atomic, one winner). */
  async #createExclusive(target: string, content: string): Promise<boolean> {
    await this.#ensureRoot();
    const staging = path.join(
      /*turbopackIgnore: true*/ this.#root,
      ".tmp",
      `${path.basename(target)}.${nanoid(10)}`,
    );
    // write-file-atomic fsyncs the file's data (its default); the link is
    // made durable by syncing the folder that holds it.
    await writeFileAtomic(staging, content, { fsync: true });
    try {
      await fs.link(staging, target);
      await syncDirectory(path.dirname(target));
      return true;
    } catch (error) {
      if (isCode(error, "EEXIST")) return false;
      throw storageError(`create ${path.basename(target)}`, error);
    } finally {
      await fs
        .unlink(staging)
        .catch((error) => this.#logger?.warn("store.cleanup_failed", { error: errorMessage(error) }));
    }
  }

  // ── tasks ────────────────────────────────────────────────────────────────

  async createTask(task: TaskJson): Promise<{ created: boolean; task: TaskJson }> {
    const content = `${JSON.stringify(task)}\n`;
    // Active marker first: a crash after it leaves a marker without a task
    // (ignored by the scan), never a task nobody will run.
    await this.#withRoot(() =>
      fs.writeFile(path.join(/*turbopackIgnore: true*/ this.#root, ".active", task.id), ""),
    );
    await syncDirectory(path.join(/*turbopackIgnore: true*/ this.#root, ".active"));
    await fs.mkdir(this.#taskDir(task.id), { recursive: true });
    const created = await this.#createExclusive(this.#statePath(task.id), content);
    if (created) {
      await this.#keepReserve();
      const tombstone = path.join(/*turbopackIgnore: true*/ this.#root, ".deleted", task.id);
      const lastEpoch = tombstoneEpoch(await readText(tombstone));
      if (lastEpoch > 0) {
        // Created again after a delete: epochs continue above the deleted task's.
        await writeFileAtomic(
          path.join(/*turbopackIgnore: true*/ this.#taskDir(task.id), "compacted.json"),
          JSON.stringify({ firstEpoch: lastEpoch + 1 }),
        );
      }
      await fs.unlink(tombstone).catch(ignoreMissing);
      await writeFileAtomic(
        path.join(/*turbopackIgnore: true*/ this.#taskDir(task.id), "created.json"),
        content,
      );
      return { created: true, task };
    }
    const existing = await this.getTask(task.id);
    if (!existing) throw new AppError("storage_error", `Task ${task.id} exists but cannot be read.`);
    return { created: false, task: existing };
  }

  async getTask(taskId: string): Promise<TaskJson | null> {
    const text = await readText(this.#statePath(taskId));
    if (text === null) return null;
    const parsed = parseJson(text, taskJsonSchema);
    if (parsed) return parsed;
    this.#logger?.error("store.state_damaged", { taskId });
    return this.#recoverState(taskId);
  }

  /** A damaged snapshot: start from the creation snapshot and replay the log over it. */
  async #recoverState(taskId: string): Promise<TaskJson | null> {
    const createdText = await readText(
      path.join(/*turbopackIgnore: true*/ this.#taskDir(taskId), "created.json"),
    );
    const created = createdText === null ? null : parseJson(createdText, taskJsonSchema);
    if (!created) return null;
    const { events } = await this.readLog(taskId);
    return replayEvents(created, events);
  }

  async saveTask(lease: Lease, task: TaskJson): Promise<void> {
    const held = await this.#checkHeld(lease);
    try {
      // A snapshot that leaves the running states (finished, paused) is never
      // revisited by recovery, so it must not be ahead of the log after a
      // power loss: the log goes to disk first. Running snapshots are saved
      // every 500 ms without that cost; recovery trusts the log over them.
      if (task.status !== "running" && task.status !== "queued") await held.handle?.datasync();
      // fsync: the temp file's data is on disk before the rename. The rename
      // itself is not synced: a snapshot that comes back older after a power
      // loss is behind the log, which recovery handles.
      await writeFileAtomic(this.#statePath(task.id), `${JSON.stringify(task)}\n`, { fsync: true });
    } catch (error) {
      throw storageError("write task state", error);
    }
  }

  async deleteTask(taskId: string): Promise<void> {
    assertId(taskId);
    await this.#ensureRoot();
    // The tombstone keeps the last epoch: a task created again under the same
    // id continues above it, so an owner of the deleted task (a process that
    // was frozen through the delete) is fenced out of the new one.
    const lastEpoch = await this.#epochs(taskId).then(
      (epochs) => epochs.at(-1)?.epoch ?? 0,
      () => 0,
    );
    await writeFileAtomic(
      path.join(/*turbopackIgnore: true*/ this.#root, ".deleted", taskId),
      JSON.stringify({ deletedAt: new Date().toISOString(), lastEpoch }),
    );
    await fs.unlink(path.join(/*turbopackIgnore: true*/ this.#root, ".active", taskId)).catch(ignoreMissing);
    await fs.unlink(this.#statePath(taskId)).catch(ignoreMissing);
    await fs.rm(this.#taskDir(taskId), { recursive: true, force: true });
    const held = this.#held.get(taskId);
    if (held) await this.#drop(held);
    this.#epochCache.delete(taskId);
    this.#observations.delete(taskId);
    this.#followers.fail(taskId, taskGone());
  }

  /** True when the task was deleted (a tombstone remains). */
  async wasDeleted(taskId: string): Promise<boolean> {
    assertId(taskId);
    return exists(path.join(/*turbopackIgnore: true*/ this.#root, ".deleted", taskId));
  }

  /**
   * Creating or removing a task changes the root folder's mtime, so an
   * unchanged mtime means an unchanged list: a stat instead of listing
   * 10,000 names. Re-listed at least every ID_LIST_MAX_AGE_MS regardless, for
   * network filesystems whose attribute caches may lag.
   */
  async listTaskIds(): Promise<string[]> {
    const stat = await this.#withRoot(() => fs.stat(this.#root));
    const cached = this.#idList;
    if (cached && cached.mtimeMs === stat.mtimeMs && this.#now() - cached.at < ID_LIST_MAX_AGE_MS)
      return cached.ids;
    const at = this.#now();
    const names = await this.#withRoot(() => fs.readdir(this.#root));
    const ids = names
      .filter((name) => name.endsWith(".json"))
      .map((name) => name.slice(0, -5))
      .filter(isTaskId);
    this.#idList = { mtimeMs: stat.mtimeMs, at, ids };
    return ids;
  }

  /**
   * Cheap enough to call per request: a finished task's snapshot only changes
   * after it is made active again (retry, fresh run), so finished tasks that
   * are not in `.active` are served from the cache without a stat; everything
   * else is stat'ed and re-read only when its file was replaced.
   */
  async listTasks(): Promise<TaskJson[]> {
    const [ids, active] = await Promise.all([this.listTaskIds(), this.listActiveTaskIds()]);
    const { current: tasks, toRead: queue } = splitListing(ids, new Set(active), this.#snapshots);
    // Small synchronous reads in slices: for thousands of small files this is
    // several times faster than a thread-pool round trip per call, and the
    // event loop is given back between slices (leases must still be renewed).
    for (let index = 0; index < queue.length; index += LIST_SLICE) {
      if (index > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const id of queue.slice(index, index + LIST_SLICE)) {
        // Atomic writes replace the file, so the inode changes with every save.
        let stat: { ino: number; mtimeMs: number; size: number };
        let text: string;
        try {
          stat = statSync(this.#statePath(id));
          const cached = this.#snapshots.get(id);
          if (
            cached &&
            cached.ino === stat.ino &&
            cached.mtimeMs === stat.mtimeMs &&
            cached.size === stat.size
          ) {
            tasks.push(cached.task);
            continue;
          }
          text = readFileSync(this.#statePath(id), "utf8");
        } catch (error) {
          if (isCode(error, "ENOENT")) continue;
          throw error;
        }
        // A damaged snapshot takes the slow path (rebuilt from the log).
        const task = parseJson(text, taskJsonSchema) ?? (await this.getTask(id));
        if (!task) continue;
        this.#snapshots.set(id, { ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size, task });
        tasks.push(task);
      }
    }
    pruneCache(this.#snapshots, ids);
    return tasks;
  }

  async listActiveTaskIds(): Promise<string[]> {
    return (
      await this.#withRoot(() => fs.readdir(path.join(/*turbopackIgnore: true*/ this.#root, ".active")))
    ).filter(isTaskId);
  }

  async setActive(taskId: string, active: boolean): Promise<void> {
    assertId(taskId);
    await this.#ensureRoot();
    const marker = path.join(/*turbopackIgnore: true*/ this.#root, ".active", taskId);
    if (active) {
      await fs.writeFile(marker, "");
      // A queued task whose marker a power loss took back would never be run.
      await syncDirectory(path.dirname(marker));
    } else await fs.unlink(marker).catch(ignoreMissing);
  }

  // ── epochs and leases ────────────────────────────────────────────────────

  /**
   * Every epoch claim of a task that compaction kept, in order. Claims never
   * change, so known ones are cached (a cached list may still name compacted
   * epochs: their segments are gone, and readers skip missing segments).
   */
  async #epochs(taskId: string): Promise<EpochJson[]> {
    let known = this.#epochCache.get(taskId) ?? [];
    const newest = known.at(-1);
    if (newest) {
      // A task deleted and created again (same fingerprint) starts its epochs over.
      const text = await readText(this.#epochPath(taskId, newest.epoch));
      const claim = text === null ? null : parseJson(text, epochJsonSchema);
      if (!claim || claim.ownerId !== newest.ownerId || claim.sealedAt.offset !== newest.sealedAt.offset)
        known = [];
    }
    const epochs = [...known];
    const first = epochs.length > 0 ? epochs[0]!.epoch : await this.#firstEpoch(taskId);
    for (let next = first + epochs.length; ; next++) {
      const text = await readText(this.#epochPath(taskId, next));
      if (text === null) break;
      const parsed = parseJson(text, epochJsonSchema);
      if (!parsed) throw new AppError("storage_error", `Epoch claim ${next} of task ${taskId} is damaged.`);
      epochs.push(parsed);
    }
    this.#epochCache.set(taskId, epochs);
    return epochs;
  }

  /** The first epoch compaction kept (1 when the task was never compacted). */
  async #firstEpoch(taskId: string): Promise<number> {
    const text = await readText(path.join(/*turbopackIgnore: true*/ this.#taskDir(taskId), "compacted.json"));
    if (text === null) return 1;
    const parsed = parseJson(text, compactedFileSchema);
    if (!parsed) throw new AppError("storage_error", `The compaction record of task ${taskId} is damaged.`);
    return parsed.firstEpoch;
  }

  async #isExpired(taskId: string, epoch: number): Promise<boolean> {
    const text = await readText(this.#beatPath(taskId, epoch));
    const beat = (text === null ? null : parseJson(text, beatJsonSchema))?.beat ?? -1;
    const now = this.#now();
    const seen = this.#observations.get(taskId);
    if (!seen || seen.epoch !== epoch || seen.beat !== beat) {
      this.#observations.set(taskId, { epoch, beat, seenAt: now });
      return false;
    }
    return now - seen.seenAt >= this.#ttl;
  }

  async acquireLease(taskId: string, ownerId: string): Promise<AcquiredLease | null> {
    await this.#ensureRoot();
    if (!(await exists(this.#statePath(taskId)))) return null;
    await fs.mkdir(this.#taskDir(taskId), { recursive: true });
    const epochs = await this.#epochs(taskId);
    const last = epochs[epochs.length - 1];
    let kind: AcquiredLease["kind"] = "new";
    let sealedAt = { offset: 0, lastEventId: 0 };
    if (last) {
      if (this.#held.has(taskId)) return null;
      if (await exists(this.#releasedPath(taskId, last.epoch))) kind = "released";
      else if (await this.#isExpired(taskId, last.epoch)) kind = "expired";
      else return null;
      // The seal is measured before the claim exists. A stale owner can only
      // write in between if it paused between its own lease check and its
      // write for longer than the lease: such bytes lie past the seal and no
      // reader reads them afterwards, but a follower polling that very moment
      // could relay them. The owner's post-write check makes it stop there.
      sealedAt = await this.#segmentEnd(taskId, last);
    }
    const epoch = last ? last.epoch + 1 : await this.#firstEpoch(taskId);
    const claim: EpochJson = { epoch, ownerId, sealedAt };
    if (!(await this.#createExclusive(this.#epochPath(taskId, epoch), JSON.stringify(claim)))) return null;
    this.#epochCache.set(taskId, [...epochs, claim]);
    const lease: Lease = { taskId, ownerId, epoch };
    // A lease of an earlier incarnation of this task (deleted and created
    // again: epochs start over) must not keep its segment open.
    const previous = this.#held.get(taskId);
    if (previous) await this.#drop(previous);
    const handle = await fs.open(this.#segmentPath(taskId, epoch), "a");
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
        held.mark = await fs.open(this.#syncedPath(taskId, epoch), "w");
        await writeMark(held.mark, 0);
      }
      // The new segment's name must survive a power loss with its bytes.
      await syncDirectory(this.#taskDir(taskId));
      await this.#writeBeat(held);
    } catch (error) {
      // The claim stands (a watcher sees no heartbeat and takes over after
      // the lease time), but this process gives the segment up at once.
      await this.#drop(held);
      throw storageError("write the first heartbeat", error);
    }
    return { ...lease, kind };
  }

  /** Where a segment's complete records end, and the last event id up to there. */
  async #segmentEnd(taskId: string, claim: EpochJson): Promise<{ offset: number; lastEventId: number }> {
    const handle = await openIfExists(this.#segmentPath(taskId, claim.epoch));
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
      this.#beatPath(taskId, epoch),
      JSON.stringify({ ownerId, epoch, beat: held.beat }),
      {
        fsync: false,
      },
    );
  }

  /** The lease this process holds for `lease`, still valid; otherwise `lease_lost`. */
  async #checkHeld(lease: Lease): Promise<Held> {
    const held = this.#held.get(lease.taskId);
    if (!held || held.lease.epoch !== lease.epoch || held.lease.ownerId !== lease.ownerId) {
      throw leaseLost(lease, "not held by this process");
    }
    const [takenOver, ownClaim] = await Promise.all([
      exists(this.#epochPath(lease.taskId, lease.epoch + 1)),
      exists(this.#epochPath(lease.taskId, lease.epoch)),
    ]);
    if (takenOver || !ownClaim) {
      await this.#drop(held);
      throw leaseLost(lease, takenOver ? "taken over" : "the task was deleted");
    }
    // Last, right before the caller writes: the deadline on this process's own clock.
    if (this.#now() - held.lastRenewedAt > this.#ttl * SAFETY) {
      await this.#drop(held);
      throw leaseLost(lease, "not renewed in time");
    }
    return held;
  }

  async #drop(held: Held): Promise<void> {
    if (this.#held.get(held.lease.taskId) === held) this.#held.delete(held.lease.taskId);
    const handle = held.handle;
    const mark = held.mark;
    held.handle = null;
    held.mark = null;
    await handle?.close().catch(ignoreMissing);
    await mark?.close().catch(ignoreMissing);
  }

  async renewLease(lease: Lease): Promise<void> {
    const held = await this.#checkHeld(lease);
    const started = this.#now();
    try {
      await this.#writeBeat(held);
    } catch (error) {
      throw storageError("renew lease", error);
    }
    held.lastRenewedAt = started;
  }

  async releaseLease(lease: Lease): Promise<void> {
    const held = this.#held.get(lease.taskId);
    if (!held || held.lease.epoch !== lease.epoch) return;
    await held.queue;
    await this.#drop(held);
    await fs.writeFile(this.#releasedPath(lease.taskId, lease.epoch), "").catch((error) => {
      if (!isCode(error, "ENOENT")) throw storageError("release lease", error);
    });
  }

  async isLeaseCurrent(lease: Lease): Promise<boolean> {
    try {
      await this.#checkHeld(lease);
      return true;
    } catch {
      // #checkHeld only throws lease_lost (and drops the lease).
      return false;
    }
  }

  async currentOwner(taskId: string): Promise<{ ownerId: string; epoch: number } | null> {
    const epochs = await this.#epochs(taskId);
    const last = epochs[epochs.length - 1];
    if (!last) return null;
    if (await exists(this.#releasedPath(taskId, last.epoch))) return null;
    return { ownerId: last.ownerId, epoch: last.epoch };
  }

  // ── the log ──────────────────────────────────────────────────────────────

  /**
   * Appends are batched: the first append of a tick queues a flush behind the
   * previous one, and every append made until that flush starts joins it —
   * one write and, under DURABILITY=fsync, one fsync for all of them (group
   * commit). Events reach followers (and the caller) only after the flush.
   */
  async append(lease: Lease, records: NewRecord[]): Promise<TaskEvent[]> {
    const held = this.#held.get(lease.taskId);
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
      const events = results.flat();
      this.#followers.push(lease.taskId, events);
      for (const [index, item] of batch.entries()) item.resolve(results[index]!);
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
  }

  async #appendNow(lease: Lease, held: Held, batch: NewRecord[][]): Promise<TaskEvent[][]> {
    await this.#checkHeld(lease);
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
        // Published after the fsync: readers in other processes read the
        // open segment only up to here, so they never relay bytes that a
        // power loss could still take back.
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
      if (isCode(error, "ENOSPC")) await this.#freeReserve();
      throw storageError("append to the event log", error);
    }
    held.offset += bytes.length;
    held.nextEventId = nextId;
    if (await exists(this.#epochPath(lease.taskId, lease.epoch + 1))) {
      // Taken over while writing: whether these records count is decided by
      // where the new owner sealed this segment, so readers read, not push.
      this.#followers.poke(lease.taskId);
      await this.#drop(held);
      throw leaseLost(lease, "taken over during the write");
    }
    return results;
  }

  /** The readable extent of each segment: [epoch, end offset or null for "to the last newline"]. */
  async #segments(taskId: string): Promise<{ epoch: number; firstId: number; end: number | null }[]> {
    const epochs = await this.#epochs(taskId);
    return epochs.map((claim, index) => {
      const next = epochs[index + 1];
      return {
        epoch: claim.epoch,
        firstId: claim.sealedAt.lastEventId + 1,
        end: next ? next.sealedAt.offset : null,
      };
    });
  }

  async read(taskId: string, afterId: number, limit = 1000): Promise<ReadResult> {
    const segments = await this.#segments(taskId);
    const events: TaskEvent[] = [];
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index]!;
      const following = segments[index + 1];
      // Skip segments that end before the cursor.
      if (following && following.firstId <= afterId + 1) continue;
      const handle = await openIfExists(this.#segmentPath(taskId, segment.epoch));
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

  async #readableEnd(
    taskId: string,
    segment: { epoch: number; end: number | null },
    handle: FileHandle,
  ): Promise<number> {
    if (segment.end !== null) return segment.end;
    const { size } = await handle.stat();
    let end = await lastNewlineEnd(handle, size);
    // fsync mode: the owner's segment is readable only as far as it is on disk.
    if (this.#durability === "fsync") end = Math.min(end, await this.#durableEnd(taskId, segment.epoch));
    // A takeover sealed this segment after we listed epochs: honour its cut.
    const sealed = await readText(this.#epochPath(taskId, segment.epoch + 1));
    const claim = sealed ? parseJson(sealed, epochJsonSchema) : null;
    return claim ? Math.min(end, claim.sealedAt.offset) : end;
  }

  /** How much of segment `epoch` its owner has published as fsynced (0 when unknown). */
  async #durableEnd(taskId: string, epoch: number): Promise<number> {
    const held = this.#held.get(taskId);
    if (held && held.lease.epoch === epoch) return held.durable;
    const text = await readText(this.#syncedPath(taskId, epoch));
    const value = text === null ? Number.NaN : Number.parseInt(text.trim(), 10);
    return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  }

  async lastEventId(taskId: string): Promise<number> {
    const segments = await this.#segments(taskId);
    for (let index = segments.length - 1; index >= 0; index--) {
      const segment = segments[index]!;
      const handle = await openIfExists(this.#segmentPath(taskId, segment.epoch));
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
    const segments = await this.#segments(taskId);
    const checkpoints: Checkpoint[] = [];
    const events: TaskEvent[] = [];
    for (const segment of segments) {
      const handle = await openIfExists(this.#segmentPath(taskId, segment.epoch));
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

  /**
   * Removes whole segments whose events all lie below `beforeEventId`:
   * first the record of the new first epoch (so no reader looks for the old
   * claims), then the old epochs' files. Only the owner writes it, under its
   * lease. A reader with an old segment open keeps reading it (an unlinked
   * file stays readable while open); one that opens it after the unlink skips
   * it, as it skips any missing segment — and only cursors in removed runs,
   * which the stream refuses first, ever lead there.
   */
  async compact(lease: Lease, beforeEventId: number): Promise<void> {
    await this.#checkHeld(lease);
    const { taskId } = lease;
    const segments = await this.#segments(taskId);
    let firstEpoch = segments[0]?.epoch ?? 1;
    for (let index = 0; index + 1 < segments.length; index++) {
      // Segment `index` holds ids [its firstId, the next one's firstId).
      if (segments[index + 1]!.firstId > beforeEventId) break;
      firstEpoch = segments[index + 1]!.epoch;
    }
    if (firstEpoch > (await this.#firstEpoch(taskId))) {
      await writeFileAtomic(
        path.join(/*turbopackIgnore: true*/ this.#taskDir(taskId), "compacted.json"),
        JSON.stringify({ firstEpoch }),
        { fsync: true },
      );
    }
    this.#epochCache.set(
      taskId,
      (this.#epochCache.get(taskId) ?? []).filter((claim) => claim.epoch >= firstEpoch),
    );
    // Also what an earlier compaction left behind when it was interrupted.
    for (const name of await fs.readdir(this.#taskDir(taskId))) {
      const match = EPOCH_FILE.exec(name);
      const epoch = Number(match?.slice(1).find((group) => group !== undefined));
      if (match && epoch < firstEpoch) {
        await fs
          .unlink(path.join(/*turbopackIgnore: true*/ this.#taskDir(taskId), name))
          .catch(ignoreMissing);
      }
    }
    await syncDirectory(this.#taskDir(taskId));
  }

  subscribe(
    taskId: string,
    afterId: number,
    onEvents: (events: TaskEvent[]) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe {
    assertId(taskId);
    return this.#followers.subscribe(taskId, afterId, onEvents, onError);
  }

  /**
   * Change events of a task's folder. They are a latency optimization;
   * polling is the guarantee (network filesystems deliver no events from
   * other hosts).
   */
  #watch(taskId: string, onChange: () => void): () => void {
    let watcher: FSWatcher | null = null;
    try {
      watcher = watch(this.#taskDir(taskId), { persistent: false }, onChange);
      watcher.on("error", () => watcher?.close());
    } catch (error) {
      this.#logger?.debug("store.watch_unavailable", { taskId, error: errorMessage(error) });
    }
    return () => watcher?.close();
  }

  /**
   * A task deleted by another process: its followers here end with `gone`
   * rather than waiting forever (the deleting process ends its own at once).
   */
  async #endIfDeleted(taskId: string): Promise<void> {
    if (await exists(this.#statePath(taskId))) return;
    if (!(await exists(path.join(/*turbopackIgnore: true*/ this.#root, ".deleted", taskId)))) return;
    this.#followers.end(taskId, taskGone());
  }

  // ── controls ─────────────────────────────────────────────────────────────

  async sendControl(taskId: string, action: ControlAction): Promise<void> {
    const target = path.join(
      /*turbopackIgnore: true*/ this.#taskDir(taskId),
      `control-${Date.now()}-${nanoid(8)}.json`,
    );
    await writeFileAtomic(target, JSON.stringify({ action }));
  }

  async takeControls(taskId: string): Promise<ControlAction[]> {
    let names: string[];
    try {
      names = (await fs.readdir(this.#taskDir(taskId))).filter((name) => name.startsWith("control-")).sort();
    } catch (error) {
      if (isCode(error, "ENOENT")) return [];
      throw error;
    }
    const actions: ControlAction[] = [];
    for (const name of names) {
      const file = path.join(/*turbopackIgnore: true*/ this.#taskDir(taskId), name);
      const text = await readText(file);
      await fs.unlink(file).catch(ignoreMissing);
      const parsed = text
        ? parseJson(text, z.object({ action: z.enum(["cancel", "pause", "finish", "delete"]) }))
        : null;
      if (parsed) actions.push(parsed.action);
    }
    return actions;
  }

  async close(): Promise<void> {
    this.#followers.close();
    for (const held of this.#held.values()) await this.#drop(held);
  }
}

// ── helpers ──────────────────────────────────────────────────────────────

function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

function ignoreMissing(error: unknown): void {
  if (!isCode(error, "ENOENT")) throw error;
}

function storageError(what: string, error: unknown): AppError {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  const reason = code === "ENOSPC" ? "the disk is full" : errorMessage(error);
  return new AppError("storage_error", `Could not ${what}: ${reason}.`, { cause: error });
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    // access() only tells whether the file is there.
    return false;
  }
}

/**
 * The callback `readFile`, not `fs/promises`: the promise version opens a
 * FileHandle and takes several promise round trips per file, which a task
 * lookup per SSE request (a thousand at once in a reconnect storm) pays for.
 */
function readText(file: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    readFile(file, "utf8", (error, text) => {
      if (!error) resolve(text);
      else if (isCode(error, "ENOENT") || isCode(error, "ENOTDIR")) resolve(null);
      else reject(error);
    });
  });
}

/** Makes the names in `folder` (a create, link or rename) durable. */
async function syncDirectory(folder: string): Promise<void> {
  const handle = await fs.open(folder, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const MARK_WIDTH = 16;

/** Overwrites the fixed-width durable offset in place (one small write, never torn across a number). */
async function writeMark(mark: FileHandle, offset: number): Promise<void> {
  const text = `${String(offset).padStart(MARK_WIDTH, "0")}\n`;
  await mark.write(text, 0, "utf8");
}

async function openIfExists(file: string): Promise<FileHandle | null> {
  try {
    return await fs.open(file, "r");
  } catch (error) {
    if (isCode(error, "ENOENT")) return null;
    throw error;
  }
}

/** The last epoch a tombstone recorded; 0 for none or for a tombstone of an older format (a date). */
function tombstoneEpoch(text: string | null): number {
  if (text === null) return 0;
  return parseJson(text, tombstoneJsonSchema)?.lastEpoch ?? 0;
}
