import type { Config } from "../config";
import { AppError, errorMessage, isAppError } from "../errors";
import type { Logger } from "../log";
import {
  BUILT_IN_COLLECTIONS,
  type CollectionJson,
  type CollectionView,
  collectionLinks,
  collectionNameSchema,
  type DocumentJson,
  type DocumentType,
  documentIdSchema,
  documentView,
  type UploadResult,
} from "../model/collection";
import { fingerprint } from "../model/fingerprint";
import type { IndexRequest } from "../model/request";
import { documentIdOf } from "../store/collections/collection-records";
import type { CollectionStore } from "../store/collections/types";
import type { TaskManager } from "./task-manager";

/** A file as uploaded: its name, bytes and the type the client declared. */
export interface UploadedFile {
  filename: string;
  bytes: Uint8Array;
  declaredType?: string;
  /** Where it was fetched from, for documents added by URL. */
  sourceUrl?: string;
}

/** A built-in collection: its description and its documents (from the loaded corpus). */
export interface BuiltInCollection {
  name: string;
  description: string;
  documents(): Promise<{ ref: string; title: string; url?: string }[]>;
}

/** Options of `CollectionService`. */
export interface CollectionServiceOptions {
  config: Config;
  manager: TaskManager;
  logger: Logger;
  /**
   * The document type the bytes are; throws the refusal (an AppError naming
   * the problem) of bytes that cannot be indexed: not a document, damaged,
   * encrypted, scanned, a zip bomb.
   */
  inspect: (input: {
    bytes: Uint8Array;
    filename: string;
    declaredType?: string;
  }) => Promise<{ type: DocumentType }>;
  /** The built-in collections this server has (`sotu`, and `corpus` with CORPUS_DIR). */
  builtIns: readonly BuiltInCollection[];
  /** Called when a collection is deleted (its index is dropped). */
  onDeleted?: (name: string) => void;
  now?: () => Date;
}

/**
 * Collections and their documents, as the API offers them: the built-in
 * read-only ones and the users' own, uploads that store the file and start
 * the task that indexes it, and the limits that keep a deployment bounded.
 */
export class CollectionService {
  readonly #options: CollectionServiceOptions;
  readonly #store: CollectionStore;

  constructor(options: CollectionServiceOptions) {
    this.#options = options;
    this.#store = options.manager.store.collections;
  }

  #now(): string {
    return (this.#options.now?.() ?? new Date()).toISOString();
  }

  #builtIn(name: string): BuiltInCollection | undefined {
    return this.#options.builtIns.find((collection) => collection.name === name);
  }

  async list(): Promise<CollectionView[]> {
    const builtIns = await Promise.all(this.#options.builtIns.map((builtIn) => this.#builtInView(builtIn)));
    const stored = await this.#store.listCollections();
    const views = await Promise.all(stored.map((collection) => this.#view(collection)));
    return [...builtIns, ...views];
  }

  async get(name: string): Promise<CollectionView> {
    const builtIn = this.#builtIn(name);
    if (builtIn) return this.#builtInView(builtIn);
    return this.#view(await this.#collection(name));
  }

  async create(input: { name: string; description?: string }): Promise<CollectionView> {
    if (BUILT_IN_COLLECTIONS.includes(input.name)) {
      throw new AppError("conflict", `${input.name} is the name of a built-in collection; choose another.`);
    }
    const count = (await this.#store.listCollections()).length;
    if (count >= this.#options.config.MAX_COLLECTIONS) {
      throw new AppError(
        "insufficient_storage",
        `This server holds at most ${this.#options.config.MAX_COLLECTIONS} collections (MAX_COLLECTIONS); delete one first.`,
        { limit: "MAX_COLLECTIONS" },
      );
    }
    const { created, collection } = await this.#store.createCollection({
      name: input.name,
      description: input.description ?? "",
      createdAt: this.#now(),
    });
    if (!created) throw new AppError("conflict", `A collection named ${input.name} exists already.`);
    this.#options.logger.info("collection.created", { collection: input.name });
    return this.#view(collection);
  }

  async delete(name: string): Promise<void> {
    this.#assertWritable(name);
    await this.#collection(name);
    await this.#store.deleteCollection(name);
    this.#options.onDeleted?.(name);
    this.#options.logger.info("collection.deleted", { collection: name });
  }

  /** The documents of a collection, oldest first (a built-in collection's as references). */
  async documents(name: string): Promise<unknown[]> {
    const builtIn = this.#builtIn(name);
    if (builtIn) return builtIn.documents();
    await this.#collection(name);
    return (await this.#store.listDocuments(name)).map(documentView);
  }

  async document(name: string, id: string): Promise<DocumentJson> {
    this.#assertWritable(name, "Built-in documents have no page of their own");
    // An id from a URL: a malformed one is the client's mistake (400), never a thrown ZodError (500).
    if (!documentIdSchema.safeParse(id).success) {
      const shown = id.length > 40 ? `${id.slice(0, 40)}…` : id;
      throw new AppError("invalid_request", `"${shown}" is not a document id (32 lowercase hex characters).`);
    }
    const document = await this.#store.getDocument(name, id);
    if (!document) throw new AppError("not_found", `Collection ${name} has no document ${id}.`);
    return document;
  }

  async text(name: string, id: string): Promise<string[]> {
    await this.document(name, id);
    const pages = await this.#store.readText(name, id);
    if (!pages)
      throw new AppError("conflict", "The document's text is not extracted yet; wait until it is indexed.");
    return pages;
  }

  async original(name: string, id: string): Promise<{ document: DocumentJson; bytes: Uint8Array }> {
    const document = await this.document(name, id);
    const bytes = await this.#store.readOriginal(name, id);
    if (!bytes) throw new AppError("not_found", `Collection ${name} has no document ${id}.`);
    return { document, bytes };
  }

  async deleteDocument(name: string, id: string): Promise<void> {
    await this.document(name, id);
    await this.#store.deleteDocument(name, id);
    this.#options.logger.info("collection.document_deleted", { collection: name, document: id });
  }

  /**
   * Stores each file as a document and starts the task that indexes it. A
   * file that cannot be taken is refused on its own, with the reason; the
   * others are kept. Refuses the whole upload only when nothing was taken.
   */
  async upload(name: string, files: readonly UploadedFile[], requestId: string): Promise<UploadResult> {
    this.#assertWritable(name);
    await this.#collection(name);
    const { config } = this.#options;
    const result: UploadResult = { documents: [], rejected: [] };
    let count = await this.#store.countDocuments(name);
    for (const file of files) {
      const filename = cleanFilename(file.filename);
      try {
        if (file.bytes.length === 0) throw new AppError("invalid_request", `${filename} is empty.`);
        if (file.bytes.length > config.MAX_UPLOAD_MB * 1024 * 1024) {
          throw new AppError(
            "payload_too_large",
            `${filename} is larger than ${config.MAX_UPLOAD_MB} MB (MAX_UPLOAD_MB).`,
            { limit: "MAX_UPLOAD_MB" },
          );
        }
        await this.#options.inspect({ bytes: file.bytes, filename, declaredType: file.declaredType });
        const id = documentIdOf(file.bytes);
        const existing = await this.#store.getDocument(name, id);
        if (!existing && count >= config.MAX_COLLECTION_DOCUMENTS) {
          throw new AppError(
            "insufficient_storage",
            `Collection ${name} holds at most ${config.MAX_COLLECTION_DOCUMENTS} documents (MAX_COLLECTION_DOCUMENTS).`,
            { limit: "MAX_COLLECTION_DOCUMENTS" },
          );
        }
        const job: IndexRequest = { kind: "index", collection: name, document: id };
        const document: DocumentJson = existing ?? {
          id,
          collection: name,
          title: filename.replace(/\.[a-z0-9]{1,5}$/i, ""),
          filename,
          ...(file.sourceUrl ? { sourceUrl: file.sourceUrl } : {}),
          type: null,
          mediaType: null,
          bytes: file.bytes.length,
          pages: null,
          characters: null,
          passages: null,
          status: "queued",
          error: null,
          job: fingerprint(job),
          createdAt: this.#now(),
          indexedAt: null,
        };
        const stored = existing
          ? { created: false, document: existing }
          : await this.#store.putDocument(document, file.bytes);
        if (stored.created) count++;
        // The same file again joins its indexing; one whose indexing failed is tried again.
        const retry = stored.document.status === "failed";
        if (retry) await this.#store.updateDocument({ ...stored.document, status: "queued", error: null });
        await this.#options.manager.submitRequest(job, requestId, { fresh: retry });
        const current = (await this.#store.getDocument(name, id)) ?? stored.document;
        result.documents.push(documentView(current));
        this.#options.logger.info("collection.document_added", {
          collection: name,
          document: id,
          created: stored.created,
          requestId,
        });
      } catch (error) {
        if (!isAppError(error) || error.code === "internal" || error.code === "storage_error") throw error;
        result.rejected.push({ filename, error: { code: error.code, message: errorMessage(error) } });
      }
    }
    return result;
  }

  async #collection(name: string): Promise<CollectionJson> {
    const parsed = collectionNameSchema.safeParse(name);
    const collection = parsed.success ? await this.#store.getCollection(parsed.data) : null;
    if (!collection) throw new AppError("not_found", `There is no collection named ${name}.`);
    return collection;
  }

  #assertWritable(name: string, message = "Built-in collections are read-only"): void {
    if (BUILT_IN_COLLECTIONS.includes(name)) {
      throw new AppError("forbidden", `${message}: ${name} is built in.`);
    }
  }

  async #view(collection: CollectionJson): Promise<CollectionView> {
    return {
      name: collection.name,
      description: collection.description,
      builtIn: false,
      documents: await this.#store.countDocuments(collection.name),
      createdAt: collection.createdAt,
      links: collectionLinks(collection.name),
    };
  }

  async #builtInView(builtIn: BuiltInCollection): Promise<CollectionView> {
    return {
      name: builtIn.name,
      description: builtIn.description,
      builtIn: true,
      documents: (await builtIn.documents()).length,
      createdAt: null,
      links: collectionLinks(builtIn.name),
    };
  }
}

/** A file name without folders or control characters, at most 200 characters. */
export function cleanFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const clean = base
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .trim()
    .slice(0, 200);
  return clean === "" || clean === "." || clean === ".." ? "document" : clean;
}
