import fs from "node:fs/promises";
import path from "node:path";
import { nanoid } from "nanoid";
import writeFileAtomic from "write-file-atomic";
import type { z } from "zod";
import { AppError, errorMessage } from "../../errors";
import type { Logger } from "../../log";
import {
  type CollectionJson,
  collectionJsonSchema,
  type DocumentJson,
  documentJsonSchema,
} from "../../model/collection";
import { parseJson } from "../../parse-json";
import {
  byAge,
  byName,
  checkCollection,
  checkDocument,
  checkNewDocument,
  checkPages,
  documentTextJsonSchema,
  isCollectionName,
  isDocumentId,
} from "../collections/collection-records";
import type { CollectionStore } from "../collections/types";
import { exists, isCode, isMissing, readText, storageError, syncDirectory, writeNewFile } from "./file-io";
import type { FileLayout } from "./file-layout";

export interface FileCollectionsOptions {
  layout: FileLayout;
  /** `fsync`: updates and deletes are on disk before they return, as creates always are. */
  durability: "none" | "fsync";
  logger?: Logger;
  /** Wall clock in ms, for the age of a crash's leftovers in `.staging`. Default `Date.now`. */
  clock?: () => number;
}

/** Creates that lose a race to a delete start over this many times before giving up. */
const MAX_ATTEMPTS = 5;
/** Files read at once when a collection's documents are listed. */
const READ_BATCH = 64;
/**
 * A staging folder older than this is a crashed writer's leftover. Staging
 * lives for the time of a few writes; the margin also covers clock skew
 * between hosts sharing the volume.
 */
const STAGING_MAX_AGE_MS = 3_600_000;

/**
 * Collections on the volume (the layout is in `file-layout.ts`). Two moves
 * make every change atomic for readers in any process:
 *
 * - A collection or a document is built whole in `collections/.staging/`
 *   and renamed into place. rename(2) of a folder onto a folder that is not
 *   empty fails, so of many creators exactly one wins; the others read the
 *   winner's. A reader sees the folder complete or not at all.
 * - A deleted collection or document is renamed into `collections/.trash/`
 *   first, so it vanishes at once, then removed. Writes into a document
 *   (metadata, text) go through its folder's path: once the folder is gone
 *   they fail with ENOENT instead of creating anything, so a deleted
 *   document is never resurrected.
 *
 * The ready markers live outside the document's folder (readyDocumentIds is
 * one readdir). An update marks before it checks that the document is still
 * there; a delete unmarks after its rename: whichever runs last removes a
 * marker the other left, so no marker outlives its document.
 *
 * Durability: every file's data is fsynced before the rename that publishes
 * it, and creates sync the folder they land in (as task creation does); with
 * DURABILITY=fsync, updates and deletes sync their folder too.
 */
export class FileCollections implements CollectionStore {
  readonly #layout: FileLayout;
  readonly #durable: boolean;
  readonly #logger?: Logger;
  readonly #clock: () => number;
  #prepared: Promise<void> | null = null;

  constructor(options: FileCollectionsOptions) {
    this.#layout = options.layout;
    this.#durable = options.durability === "fsync";
    this.#logger = options.logger;
    this.#clock = options.clock ?? Date.now;
  }

  // ── collections ──────────────────────────────────────────────────────────

  async createCollection(
    collection: CollectionJson,
  ): Promise<{ created: boolean; collection: CollectionJson }> {
    const checked = checkCollection(collection);
    const target = this.#layout.collectionDir(checked.name);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const existing = await this.getCollection(checked.name);
      if (existing) return { created: false, collection: existing };
      const outcome = await this.#publishFolder(checked.name, target, async (staging) => {
        await fs.mkdir(path.join(/*turbopackIgnore: true*/ staging, "documents"));
        await fs.mkdir(path.join(/*turbopackIgnore: true*/ staging, "ready"));
        await writeFileAtomic(
          path.join(/*turbopackIgnore: true*/ staging, "collection.json"),
          `${JSON.stringify(checked)}\n`,
        );
      });
      if (outcome === "created") return { created: true, collection: checked };
      // The collections folder itself is gone (an operator wiped the volume): create it again.
      if (outcome === "no-parent") this.#prepared = null;
      // "exists": another process won; read its collection (unless it was deleted again meanwhile).
    }
    throw busy(`create collection ${checked.name}`);
  }

  async getCollection(name: string): Promise<CollectionJson | null> {
    return this.#readRecord(
      this.#layout.collectionRecordPath(name),
      collectionJsonSchema,
      `collection ${name}`,
    );
  }

  async listCollections(): Promise<CollectionJson[]> {
    const names = (await this.#names(this.#layout.collectionsDir)).filter(isCollectionName);
    const collections: CollectionJson[] = [];
    await inBatches(names, async (name) => {
      const collection = await this.getCollection(name).catch((error) => this.#skipDamaged(error, { name }));
      if (collection) collections.push(collection);
    });
    return collections.sort(byName);
  }

  async deleteCollection(name: string): Promise<boolean> {
    const folder = this.#layout.collectionDir(name);
    return this.#discard(name, folder, this.#layout.collectionsDir);
  }

  // ── documents ────────────────────────────────────────────────────────────

  async putDocument(
    document: DocumentJson,
    original: Uint8Array,
  ): Promise<{ created: boolean; document: DocumentJson }> {
    const checked = checkNewDocument(document, original);
    const { collection: name, id } = checked;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const existing = await this.getDocument(name, id);
      if (existing) return { created: false, document: existing };
      if (!(await exists(this.#layout.collectionRecordPath(name)))) throw noCollection(name);
      const outcome = await this.#publishFolder(id, this.#layout.documentDir(name, id), async (staging) => {
        await writeNewFile(path.join(/*turbopackIgnore: true*/ staging, "original"), original);
        await writeFileAtomic(
          path.join(/*turbopackIgnore: true*/ staging, "document.json"),
          `${JSON.stringify(checked)}\n`,
        );
      });
      // The collection's folder went between the check and the rename: it was deleted.
      if (outcome === "no-parent") throw noCollection(name);
      if (outcome === "created") {
        if (checked.status === "ready") await this.#mark(name, id, true);
        return { created: true, document: checked };
      }
    }
    throw busy(`store document ${id}`);
  }

  async updateDocument(document: DocumentJson): Promise<boolean> {
    const checked = checkDocument(document);
    const { collection: name, id } = checked;
    const file = this.#layout.documentFile(name, id, "document.json");
    // Written through the document's folder: if a delete renamed it away, the
    // write fails (ENOENT) rather than creating a document again.
    if (!(await this.#replace(file, `${JSON.stringify(checked)}\n`))) return false;
    await this.#mark(name, id, checked.status === "ready");
    return true;
  }

  async getDocument(collection: string, id: string): Promise<DocumentJson | null> {
    const file = this.#layout.documentFile(collection, id, "document.json");
    return this.#readRecord(file, documentJsonSchema, `document ${id}`);
  }

  async listDocuments(collection: string): Promise<DocumentJson[]> {
    const ids = (await this.#names(this.#layout.documentsDir(collection))).filter(isDocumentId);
    const documents: DocumentJson[] = [];
    await inBatches(ids, async (id) => {
      const document = await this.getDocument(collection, id).catch((error) =>
        this.#skipDamaged(error, { collection, id }),
      );
      if (document) documents.push(document);
    });
    return (await this.#stillThere(collection)) ? documents.sort(byAge) : [];
  }

  async countDocuments(collection: string): Promise<number> {
    const ids = (await this.#names(this.#layout.documentsDir(collection))).filter(isDocumentId);
    return (await this.#stillThere(collection)) ? ids.length : 0;
  }

  async deleteDocument(collection: string, id: string): Promise<boolean> {
    const folder = this.#layout.documentDir(collection, id);
    const marker = this.#layout.readyMarker(collection, id);
    // Unmarked first, so searches stop naming it before its text goes…
    await this.#unlink(marker);
    const existed = await this.#discard(id, folder, path.dirname(folder));
    // …and again after the rename: an update that marked it meanwhile.
    await this.#unlink(marker);
    if (this.#durable) await this.#syncIfThere(path.dirname(marker));
    return existed;
  }

  async readOriginal(collection: string, id: string): Promise<Uint8Array | null> {
    const file = this.#layout.documentFile(collection, id, "original");
    try {
      return await fs.readFile(file);
    } catch (error) {
      if (isMissing(error)) return null;
      throw storageError(`read the original of document ${id}`, error);
    }
  }

  async putText(collection: string, id: string, pages: readonly string[]): Promise<boolean> {
    const text = checkPages(pages);
    const file = this.#layout.documentFile(collection, id, "text.json");
    return this.#replace(file, `${JSON.stringify(text)}\n`);
  }

  async readText(collection: string, id: string): Promise<string[] | null> {
    const file = this.#layout.documentFile(collection, id, "text.json");
    const text = await this.#readRecord(file, documentTextJsonSchema, `the text of document ${id}`);
    return text?.pages ?? null;
  }

  async readyDocumentIds(collection: string): Promise<string[]> {
    const ids = (await this.#names(this.#layout.readyDir(collection))).filter(isDocumentId);
    return (await this.#stillThere(collection)) ? ids.sort() : [];
  }

  async usedBytes(): Promise<number> {
    return folderBytes(this.#layout.collectionsDir);
  }

  // ── mechanics ────────────────────────────────────────────────────────────

  /**
   * Builds a folder in `.staging` with `build`, makes it durable and renames
   * it to `target`: "created", "exists" (someone else's is there) or
   * "no-parent" (the folder that would hold it is gone).
   */
  async #publishFolder(
    label: string,
    target: string,
    build: (staging: string) => Promise<void>,
  ): Promise<"created" | "exists" | "no-parent"> {
    await this.#prepare();
    const staging = this.#layout.collectionsScratch("staging", label, nanoid(10));
    try {
      await fs.mkdir(staging);
      await build(staging);
      await syncDirectory(staging);
    } catch (error) {
      await this.#remove(staging);
      throw storageError(`write ${label}`, error);
    }
    try {
      await fs.rename(staging, target);
    } catch (error) {
      await this.#remove(staging);
      if (isCode(error, "ENOTEMPTY") || isCode(error, "EEXIST")) return "exists";
      if (isMissing(error)) return "no-parent";
      throw storageError(`write ${label}`, error);
    }
    await syncDirectory(path.dirname(target));
    return "created";
  }

  /** Renames `folder` into `.trash` (gone for readers at once), then removes it. False when it was not there. */
  async #discard(label: string, folder: string, parent: string): Promise<boolean> {
    await this.#prepare();
    const trash = this.#layout.collectionsScratch("trash", label, nanoid(10));
    try {
      await fs.rename(folder, trash);
    } catch (error) {
      if (isMissing(error)) return false;
      throw storageError(`delete ${label}`, error);
    }
    if (this.#durable) await this.#syncIfThere(parent);
    await this.#remove(trash);
    return true;
  }

  /** Replaces an existing document's file atomically; false when its folder is gone. */
  async #replace(file: string, content: string): Promise<boolean> {
    try {
      await writeFileAtomic(file, content);
    } catch (error) {
      if (isMissing(error)) return false;
      throw storageError(`write ${path.basename(file)}`, error);
    }
    if (this.#durable) await this.#syncIfThere(path.dirname(file));
    return true;
  }

  /** Puts the document among the ready ones, or takes it out. */
  async #mark(collection: string, id: string, ready: boolean): Promise<void> {
    const marker = this.#layout.readyMarker(collection, id);
    if (!ready) {
      await this.#unlink(marker);
    } else {
      try {
        await fs.writeFile(marker, "");
      } catch (error) {
        if (isMissing(error)) return; // the collection is gone
        throw storageError(`mark document ${id} ready`, error);
      }
      // Deleted since its metadata was written: its delete may have unmarked before this mark.
      if (!(await exists(this.#layout.documentDir(collection, id)))) await this.#unlink(marker);
    }
    if (this.#durable) await this.#syncIfThere(path.dirname(marker));
  }

  /**
   * A listing of a collection read while it was renamed away may be partial
   * (its trash was being emptied): answered as for a missing collection.
   */
  async #stillThere(collection: string): Promise<boolean> {
    return exists(this.#layout.collectionRecordPath(collection));
  }

  async #readRecord<T>(file: string, schema: z.ZodType<T>, what: string): Promise<T | null> {
    let text: string | null;
    try {
      text = await readText(file);
    } catch (error) {
      throw storageError(`read ${what}`, error);
    }
    if (text === null) return null;
    const parsed = parseJson(text, schema);
    if (!parsed) throw new AppError("storage_error", `The stored record of ${what} is damaged.`);
    return parsed;
  }

  /** Names in a folder; none when it is missing. */
  async #names(folder: string): Promise<string[]> {
    try {
      return await fs.readdir(folder);
    } catch (error) {
      if (isMissing(error)) return [];
      throw storageError(`list ${path.basename(folder)}`, error);
    }
  }

  #skipDamaged(error: unknown, fields: Record<string, string>): null {
    this.#logger?.error("store.collection_record_damaged", { ...fields, error: errorMessage(error) });
    return null;
  }

  async #unlink(file: string): Promise<void> {
    try {
      await fs.unlink(file);
    } catch (error) {
      if (!isMissing(error)) throw storageError(`remove ${path.basename(file)}`, error);
    }
  }

  async #syncIfThere(folder: string): Promise<void> {
    try {
      await syncDirectory(folder);
    } catch (error) {
      if (!isMissing(error)) throw storageError(`sync ${path.basename(folder)}`, error);
    }
  }

  /** Removes a folder of `.staging` or `.trash`; a failure leaves it for the next sweep. */
  async #remove(folder: string): Promise<void> {
    // maxRetries: a writer that still had a file open in the folder may add to it while it goes.
    await fs.rm(folder, { recursive: true, force: true, maxRetries: 3 }).catch((error) => {
      this.#logger?.warn("store.collection_cleanup_failed", { error: errorMessage(error) });
    });
  }

  /**
   * Creates `.staging` and `.trash` (and the folders above) before the first
   * write of this process, and removes what crashed writers left there.
   */
  #prepare(): Promise<void> {
    this.#prepared ??= (async () => {
      await fs.mkdir(this.#layout.collectionStagingDir, { recursive: true });
      await fs.mkdir(this.#layout.collectionTrashDir, { recursive: true });
      await this.#sweep();
    })().catch((error) => {
      this.#prepared = null;
      throw storageError("create the collections folder", error);
    });
    return this.#prepared;
  }

  async #sweep(): Promise<void> {
    const trash = this.#layout.collectionTrashDir;
    for (const name of await fs.readdir(trash))
      await this.#remove(path.join(/*turbopackIgnore: true*/ trash, name));
    const staging = this.#layout.collectionStagingDir;
    for (const name of await fs.readdir(staging)) {
      const folder = path.join(/*turbopackIgnore: true*/ staging, name);
      const stat = await fs.stat(folder).catch(() => null);
      if (stat && this.#clock() - stat.mtimeMs > STAGING_MAX_AGE_MS) await this.#remove(folder);
    }
  }
}

function noCollection(name: string): AppError {
  return new AppError("not_found", `No collection ${name}.`);
}

/** A create that kept finding a folder in its way that it could not read (deleted each time, or damaged). */
function busy(what: string): AppError {
  return new AppError(
    "storage_error",
    `Could not ${what}: its folder kept disappearing or cannot be read; try again.`,
    { retryable: true },
  );
}

async function inBatches<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let index = 0; index < items.length; index += READ_BATCH) {
    await Promise.all(items.slice(index, index + READ_BATCH).map(work));
  }
}

/** Bytes of the files under `folder` (allocated blocks where the filesystem says, else sizes). */
async function folderBytes(folder: string): Promise<number> {
  let total = 0;
  const pending = [folder];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    let entries: import("node:fs").Dirent[];
    try {
      entries = await fs.readdir(current, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) continue; // removed during the walk
      throw storageError("measure the collections", error);
    }
    for (const entry of entries) {
      const full = path.join(/*turbopackIgnore: true*/ current, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile()) {
        const stat = await fs.stat(full).catch((error: unknown) => {
          if (isMissing(error)) return null;
          throw storageError("measure the collections", error);
        });
        if (stat) total += stat.blocks > 0 ? stat.blocks * 512 : stat.size;
      }
    }
  }
  return total;
}
