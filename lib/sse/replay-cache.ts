import type { ReadResult } from "../store/types";
import { encodeEvent } from "./encode";

/**
 * One run of one task as a snapshot describes it. A cached replay is served
 * only to a request whose snapshot gives the same key: a new run (`fresh`,
 * retry) changes `run`, `firstEventId` and `lastEventId`; a task deleted and
 * created again under the same id (the same request) changes `createdAt`.
 */
export interface RunKey {
  taskId: string;
  /** The snapshot's `createdAt`. */
  createdAt: string;
  run: number;
  /** The run's first event (`runStartEventId`). */
  firstEventId: number;
  /** The snapshot's `lastEventId`: the run's last event. */
  lastEventId: number;
}

/**
 * The SSE frames of a finished run, encoded once, and where each frame
 * starts, so that resuming after any cursor is a slice (no copy).
 */
export class EncodedRun {
  readonly key: RunKey;
  readonly bytes: Uint8Array;
  /** offsets[i]: where the frame of event `firstEventId + i` starts; the last entry is `bytes.length`. */
  readonly #offsets: Uint32Array;

  constructor(key: RunKey, bytes: Uint8Array, offsets: Uint32Array) {
    if (offsets.length !== key.lastEventId - key.firstEventId + 2) {
      throw new RangeError(
        `expected ${key.lastEventId - key.firstEventId + 2} offsets, got ${offsets.length}`,
      );
    }
    this.key = key;
    this.bytes = bytes;
    this.#offsets = offsets;
  }

  /** The frames of the events with an id greater than `afterId` (clamped to the run). */
  framesAfter(afterId: number): Uint8Array {
    const index = Math.min(
      Math.max(afterId + 1, this.key.firstEventId) - this.key.firstEventId,
      this.#offsets.length - 1,
    );
    return this.bytes.subarray(this.#offsets[index]!);
  }

  /** Memory this entry holds (frames and index). */
  get cost(): number {
    return this.bytes.byteLength + this.#offsets.byteLength;
  }
}

export interface ReplayCacheOptions {
  /** Reads a task's events after a cursor (the store's `read`). */
  read: (taskId: string, afterId: number, limit: number) => Promise<ReadResult>;
  /**
   * Bytes of encoded frames kept across every task; least recently served
   * runs are evicted first. 0 disables the cache (every `get` is null).
   */
  maxBytes: number;
  /**
   * Largest run cached (default a quarter of `maxBytes`): one huge report
   * must not evict every other task. Larger runs are left to the live path.
   */
  maxRunBytes?: number;
  /** Events per store read while loading (default 1,000). */
  batchSize?: number;
}

/** A run that cannot be replayed from memory, remembered so that it is not read again for every request. */
const UNCACHEABLE_COST = 256;

interface Entry {
  key: RunKey;
  run: EncodedRun | null;
  cost: number;
}

/**
 * Per-process cache of finished runs as SSE bytes: a reconnect storm on a
 * finished task (a replica restarted, every client replays) reads and
 * encodes the log once instead of once per client.
 *
 * - Finished runs only, and only runs that end with their `done` event at
 *   the snapshot's `lastEventId`: such a run never changes (appends start a
 *   new run, with a new key). A finished run without `done` (its disk filled
 *   up) or whose log does not match the snapshot yet is `null`: the caller
 *   serves it the usual way.
 * - Every `get` carries the key of the snapshot the request just read; an
 *   entry of another key is replaced, never served.
 * - Concurrent `get`s of one key share one read (single flight).
 * - Memory is bounded by `maxBytes` with LRU eviction.
 */
export class ReplayCache {
  readonly #read: ReplayCacheOptions["read"];
  readonly #maxBytes: number;
  readonly #maxRunBytes: number;
  readonly #batchSize: number;
  /** By task id, least recently served first. */
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<EncodedRun | null>>();
  #bytes = 0;

  constructor(options: ReplayCacheOptions) {
    if (!Number.isInteger(options.maxBytes) || options.maxBytes < 0) {
      throw new TypeError(`maxBytes: expected a non-negative integer, got ${options.maxBytes}`);
    }
    const maxRunBytes = options.maxRunBytes ?? Math.floor(options.maxBytes / 4);
    if (!Number.isInteger(maxRunBytes) || maxRunBytes < 0 || maxRunBytes > 0xffff_ffff) {
      throw new TypeError(`maxRunBytes: expected an integer from 0 to 2^32 - 1, got ${maxRunBytes}`);
    }
    this.#read = options.read;
    this.#maxBytes = options.maxBytes;
    this.#maxRunBytes = Math.min(maxRunBytes, options.maxBytes);
    this.#batchSize = options.batchSize ?? 1000;
  }

  /** Bytes held now (never more than `maxBytes`). */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The encoded run of `key`, or null when it is not served from memory (see the class doc). */
  async get(key: RunKey): Promise<EncodedRun | null> {
    if (this.#maxBytes === 0) return null;
    const entry = this.#entries.get(key.taskId);
    if (entry && sameKey(entry.key, key)) {
      this.#entries.delete(key.taskId);
      this.#entries.set(key.taskId, entry);
      return entry.run;
    }
    const id = keyString(key);
    let loading = this.#loading.get(id);
    if (!loading) {
      loading = this.#load(key).finally(() => this.#loading.delete(id));
      this.#loading.set(id, loading);
    }
    return loading;
  }

  /** Drops what is cached of a task (it was deleted or changed here). */
  forget(taskId: string): void {
    const entry = this.#entries.get(taskId);
    if (!entry) return;
    this.#entries.delete(taskId);
    this.#bytes -= entry.cost;
  }

  async #load(key: RunKey): Promise<EncodedRun | null> {
    const run = await this.#encode(key);
    // The newest load of a task wins its slot; a request with the other key
    // reloads, so a race between two snapshots costs a read, never a wrong answer.
    this.forget(key.taskId);
    const cost = run ? run.cost : UNCACHEABLE_COST;
    if (cost > this.#maxBytes) return run;
    this.#entries.set(key.taskId, { key, run, cost });
    this.#bytes += cost;
    for (const [taskId, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(taskId);
      this.#bytes -= entry.cost;
    }
    return run;
  }

  /** Reads the run's events from the store and encodes them; null when the log does not hold exactly that finished run. */
  async #encode(key: RunKey): Promise<EncodedRun | null> {
    const count = key.lastEventId - key.firstEventId + 1;
    if (count < 1) return null;
    const offsets = new Uint32Array(count + 1);
    const chunks: Buffer[] = [];
    let total = 0;
    let cursor = key.firstEventId - 1;
    let lastType: string | undefined;
    while (cursor < key.lastEventId) {
      const { events, more } = await this.#read(
        key.taskId,
        cursor,
        Math.min(this.#batchSize, key.lastEventId - cursor),
      );
      let text = "";
      for (const event of events) {
        if (event.id > key.lastEventId) break;
        // Ids have no gaps; anything else means the log is not the snapshot's (compacted, replaced).
        if (event.id !== cursor + 1) return null;
        const frame = encodeEvent(event);
        offsets[event.id - key.firstEventId] = total;
        total += Buffer.byteLength(frame);
        text += frame;
        cursor = event.id;
        lastType = event.type;
      }
      if (total > this.#maxRunBytes) return null;
      chunks.push(Buffer.from(text, "utf8"));
      if (cursor < key.lastEventId && (!more || events.length === 0)) return null;
    }
    // A run that ended without `done` is served live (the stream ends when it is settled).
    if (lastType !== "done") return null;
    offsets[count] = total;
    return new EncodedRun(key, Buffer.concat(chunks, total), offsets);
  }
}

function sameKey(a: RunKey, b: RunKey): boolean {
  return (
    a.taskId === b.taskId &&
    a.createdAt === b.createdAt &&
    a.run === b.run &&
    a.firstEventId === b.firstEventId &&
    a.lastEventId === b.lastEventId
  );
}

function keyString(key: RunKey): string {
  return `${key.taskId}\n${key.createdAt}\n${key.run}\n${key.firstEventId}\n${key.lastEventId}`;
}
