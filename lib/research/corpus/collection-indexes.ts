import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { collectionNameSchema } from "../../model/collection";
import { CollectionIndex, type CollectionReader } from "./collection-index";
import { decodeCollectionIndexFile, encodeCollectionIndexFile } from "./collection-index-file";

/** Options of `CollectionIndexes`. */
export interface CollectionIndexesOptions {
  /**
   * The cache directory (config `cacheDir`): each collection's index is
   * saved as `<cacheDir>/collections/<name>.idx` and loaded from there by a
   * fresh process. Default: none, every process builds its indexes from the
   * store.
   */
  cacheDir?: string;
  /**
   * How long after a sync changed an index its snapshot is written, ms: at
   * most one write per collection in that time, however many documents
   * arrive. Default 30 s.
   */
  snapshotDelayMs?: number;
  /** Receives warnings (a snapshot that cannot be read or written). Default `console.warn`. */
  warn?: (message: string) => void;
}

/** A collection's index and the state of its snapshot. */
class Entry {
  /** The index, once loaded from its snapshot or created empty. */
  readonly opened: Promise<CollectionIndex>;
  /** The index's version that the snapshot on disk holds; undefined: none known. */
  savedVersion: number | undefined;
  /** The pending write (see `snapshotDelayMs`). */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The snapshot being written. */
  writing: Promise<void> | undefined;

  constructor(open: (entry: Entry) => Promise<CollectionIndex>) {
    this.opened = open(this);
  }
}

/**
 * One index per collection for this process, kept in step with the store,
 * and (with `cacheDir`) saved there so that a restarted process loads it
 * instead of building it from every stored text.
 *
 * The snapshot is a cache, never the truth: once loaded, the index is synced
 * with the store's ready documents like any other (documents added or
 * removed since are added or discarded), and a snapshot that cannot be used
 * — missing, of another format or collection, damaged, truncated — is
 * rebuilt from the store, with a warning when it was there but unusable.
 * Snapshots are written after a sync changed an index, debounced
 * (`snapshotDelayMs`), atomically (write-file-atomic), from a copy taken
 * between syncs without making a search wait; `flush` writes what is
 * pending (at shutdown). Several processes sharing `cacheDir` each write
 * whole files: the last one written wins, and any is a valid start.
 */
export class CollectionIndexes {
  readonly #reader: CollectionReader;
  readonly #cacheDir: string | undefined;
  readonly #snapshotDelayMs: number;
  readonly #warn: (message: string) => void;
  readonly #entries = new Map<string, Entry>();
  /** Snapshot removals of dropped collections under way. */
  readonly #removals = new Set<Promise<void>>();

  constructor(reader: CollectionReader, options: CollectionIndexesOptions = {}) {
    const delay = options.snapshotDelayMs ?? 30_000;
    if (!Number.isFinite(delay) || delay < 0) {
      throw new Error(`snapshotDelayMs: expected a number of ms ≥ 0, got ${delay}`);
    }
    this.#reader = reader;
    this.#cacheDir = options.cacheDir;
    this.#snapshotDelayMs = delay;
    this.#warn = options.warn ?? ((message) => console.warn(message));
  }

  /** The collection's index, synced with the store's ready documents. */
  async get(collection: string): Promise<CollectionIndex> {
    let entry = this.#entries.get(collection);
    if (entry === undefined) {
      entry = new Entry((created) => this.#open(collection, created));
      this.#entries.set(collection, entry);
    }
    const index = await entry.opened;
    await index.sync();
    if (index.version !== entry.savedVersion) this.#schedule(collection, entry);
    return index;
  }

  /** Forgets a deleted collection and removes its snapshot. */
  async drop(collection: string): Promise<void> {
    const entry = this.#entries.get(collection);
    this.#entries.delete(collection);
    if (entry?.timer !== undefined) clearTimeout(entry.timer);
    const file = this.#snapshotFile(collection);
    if (file === undefined) return;
    const removal = (async () => {
      // A write under way would put the file back after the removal.
      await entry?.writing;
      try {
        await rm(file, { force: true });
      } catch (error) {
        this.#warn(`Could not remove the collection index snapshot ${file}: ${(error as Error).message}`);
      }
    })();
    this.#removals.add(removal);
    void removal.finally(() => this.#removals.delete(removal));
    await removal;
  }

  /** Writes every snapshot that is due now, and waits for the writes and removals under way. */
  async flush(): Promise<void> {
    const writes: Promise<void>[] = [...this.#removals];
    for (const [collection, entry] of this.#entries) {
      if (entry.timer !== undefined) {
        clearTimeout(entry.timer);
        entry.timer = undefined;
        writes.push(this.#write(collection, entry));
      } else if (entry.writing) {
        writes.push(entry.writing);
      }
    }
    await Promise.all(writes);
  }

  /** `<cacheDir>/collections/<name>.idx`; undefined without a cache or for a name that is not one. */
  #snapshotFile(collection: string): string | undefined {
    if (this.#cacheDir === undefined || !collectionNameSchema.safeParse(collection).success) return undefined;
    return path.join(this.#cacheDir, "collections", `${collection}.idx`);
  }

  async #open(collection: string, entry: Entry): Promise<CollectionIndex> {
    const file = this.#snapshotFile(collection);
    if (file === undefined) return new CollectionIndex(this.#reader, collection);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        this.#warn(`Could not read the collection index snapshot ${file}: ${(error as Error).message}`);
      }
      return new CollectionIndex(this.#reader, collection);
    }
    try {
      const decoded = decodeCollectionIndexFile(bytes, collection);
      if (!decoded.current) {
        this.#warn(`Not using the collection index snapshot ${file}: ${decoded.reason}; rebuilding it`);
        return new CollectionIndex(this.#reader, collection);
      }
      const index = CollectionIndex.fromSnapshot(this.#reader, decoded.snapshot);
      entry.savedVersion = index.version;
      return index;
    } catch (error) {
      this.#warn(`Ignoring the unreadable collection index snapshot ${file}: ${(error as Error).message}`);
      return new CollectionIndex(this.#reader, collection);
    }
  }

  #schedule(collection: string, entry: Entry): void {
    if (entry.timer !== undefined || this.#snapshotFile(collection) === undefined) return;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      void this.#write(collection, entry);
    }, this.#snapshotDelayMs);
    // A pending snapshot never keeps the process alive (shutdown flushes it).
    entry.timer.unref?.();
  }

  /** Writes the snapshot of `collection` if its index changed since the last one; never rejects. */
  #write(collection: string, entry: Entry): Promise<void> {
    // One write at a time; the one under way may have copied an older state.
    if (entry.writing) return entry.writing.then(() => this.#write(collection, entry));
    const file = this.#snapshotFile(collection);
    if (file === undefined) return Promise.resolve();
    const writing = (async () => {
      try {
        const index = await entry.opened;
        const version = index.version;
        if (version === entry.savedVersion) return;
        const snapshot = await index.snapshot();
        if (snapshot === undefined) {
          // A sync or vacuum changed the index meanwhile: the next quiet moment will do.
          this.#schedule(collection, entry);
          return;
        }
        // Dropped while the copy was taken: nothing to save.
        if (this.#entries.get(collection) !== entry) return;
        await mkdir(path.dirname(file), { recursive: true });
        await writeFileAtomic(file, encodeCollectionIndexFile(snapshot));
        entry.savedVersion = version;
      } catch (error) {
        this.#warn(`Could not write the collection index snapshot ${file}: ${(error as Error).message}`);
      } finally {
        entry.writing = undefined;
      }
    })();
    entry.writing = writing;
    return writing;
  }
}
