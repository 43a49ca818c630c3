import type { CollectionJson, DocumentJson } from "../../model/collection";

/**
 * Where collections and their documents live, shared by every process of a
 * deployment: on the data volume (file store), in Redis, or in memory (tests).
 * Built-in collections (`BUILT_IN_COLLECTIONS`) are not stored here: their
 * names are refused. `lib/store/collections/contract.ts` is the suite every
 * implementation passes.
 *
 * Guarantees:
 * - Names and ids are checked before anything is read or written: a name
 *   that is not exactly a `collectionNameSchema` name, or an id that is not
 *   a document id, is refused with an `invalid_request` AppError and never
 *   becomes a path or a key.
 * - Creates are atomic create-if-absent across processes: of many
 *   simultaneous creators of one collection, or of one document (its id is
 *   its content hash), exactly one gets `created: true`; the others get the
 *   stored one.
 * - A reader sees a collection or a document whole or not at all: a new
 *   document appears with its original, a deleted collection disappears
 *   with every document at once (listing, counting and ready ids of a
 *   collection being deleted answer as for a missing one, never with part of it).
 * - Writes to a document deleted meanwhile (`updateDocument`, `putText`) write
 *   nothing and answer `false`: a deleted document stays deleted.
 *
 * Deliberately left out: ordering between writers of one document (its
 * metadata and text have one writer, the job that indexes it; two writers are
 * last-writer-wins), renaming collections, and moving documents between them.
 */
export interface CollectionStore {
  /**
   * Creates the collection unless one by that name exists (then returns that
   * one, `created: false`). A built-in collection's name is a `conflict`.
   */
  createCollection(collection: CollectionJson): Promise<{ created: boolean; collection: CollectionJson }>;
  getCollection(name: string): Promise<CollectionJson | null>;
  /** Every stored collection, by name. */
  listCollections(): Promise<CollectionJson[]>;
  /**
   * Removes the collection with all its documents, at once for readers (no
   * half-deleted collection is visible). False when there was none.
   */
  deleteCollection(name: string): Promise<boolean>;

  /**
   * Stores a new document with its original bytes, unless the collection
   * already has one with this id (then returns that one, `created: false`).
   * `document.id` must be `documentIdOf(original)` and `document.bytes` its
   * length (else `invalid_request`). Fails with `not_found` when the
   * collection does not exist.
   */
  putDocument(
    document: DocumentJson,
    original: Uint8Array,
  ): Promise<{ created: boolean; document: DocumentJson }>;
  /**
   * Replaces a document's metadata (status changes); a status of `ready` puts
   * it among `readyDocumentIds`, any other takes it out. False, and nothing
   * written, when the document does not exist (deleted meanwhile: it stays deleted).
   */
  updateDocument(document: DocumentJson): Promise<boolean>;
  getDocument(collection: string, id: string): Promise<DocumentJson | null>;
  /** The collection's documents, oldest first (`createdAt`, then id); none for a missing collection. */
  listDocuments(collection: string): Promise<DocumentJson[]>;
  /** How many documents the collection has (cheap: for limits); 0 for a missing collection. */
  countDocuments(collection: string): Promise<number>;
  /** Removes the document, its original and its text. False when there was none. */
  deleteDocument(collection: string, id: string): Promise<boolean>;
  readOriginal(collection: string, id: string): Promise<Uint8Array | null>;

  /**
   * Stores a document's extracted text, one string per page (replacing any
   * earlier text). False, and nothing written, when the document does not exist.
   */
  putText(collection: string, id: string, pages: readonly string[]): Promise<boolean>;
  readText(collection: string, id: string): Promise<string[] | null>;

  /**
   * Ids of the documents that are fully indexed (status `ready`), sorted.
   * Cheap enough to call per search and per research request: it is what a
   * search sees and what a task's fingerprint names. None for a missing collection.
   */
  readyDocumentIds(collection: string): Promise<string[]>;

  /**
   * Bytes the stored collections take (originals, texts and metadata), for
   * showing and budgeting. MAX_STORAGE_MB already counts them through the
   * task store's own figure (docs/ARCHITECTURE.md, "Collections").
   */
  usedBytes(): Promise<number>;
}
