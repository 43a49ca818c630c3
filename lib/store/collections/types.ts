import type { CollectionJson, DocumentJson } from "../../model/collection";

/**
 * Where collections and their documents live, shared by every process of a
 * deployment: on the data volume (file store) or in Redis. Built-in
 * collections are not stored here.
 *
 * Every write is atomic (a reader never sees half a document) and
 * idempotent where it creates: a document's id is its content hash, so two
 * processes putting the same file create one document.
 */
export interface CollectionStore {
  /** Creates the collection unless one by that name exists (then returns that one, `created: false`). */
  createCollection(collection: CollectionJson): Promise<{ created: boolean; collection: CollectionJson }>;
  getCollection(name: string): Promise<CollectionJson | null>;
  /** Every stored collection, by name. */
  listCollections(): Promise<CollectionJson[]>;
  /** Removes the collection with all its documents; at once for readers (no half-deleted collection is visible). */
  deleteCollection(name: string): Promise<void>;

  /**
   * Stores a new document with its original bytes, unless the collection
   * already has one with this id (then returns that one, `created: false`).
   * Fails with `not_found` when the collection does not exist.
   */
  putDocument(
    document: DocumentJson,
    original: Uint8Array,
  ): Promise<{ created: boolean; document: DocumentJson }>;
  /** Replaces a document's metadata (status changes); a document deleted meanwhile stays deleted. */
  updateDocument(document: DocumentJson): Promise<void>;
  getDocument(collection: string, id: string): Promise<DocumentJson | null>;
  /** The collection's documents, oldest first. */
  listDocuments(collection: string): Promise<DocumentJson[]>;
  /** How many documents the collection has (cheap: for limits). */
  countDocuments(collection: string): Promise<number>;
  /** Removes the document, its original and its text. */
  deleteDocument(collection: string, id: string): Promise<void>;
  readOriginal(collection: string, id: string): Promise<Uint8Array | null>;

  /** Stores a document's extracted text, one string per page. */
  putText(collection: string, id: string, pages: readonly string[]): Promise<void>;
  readText(collection: string, id: string): Promise<string[] | null>;

  /**
   * Ids of the documents that are fully indexed (status `ready`), sorted.
   * Cheap enough to call per search and per research request: it is what a
   * search sees and what a task's fingerprint names.
   */
  readyDocumentIds(collection: string): Promise<string[]>;

  /** Bytes used by collections (originals and texts), for MAX_STORAGE_MB. */
  usedBytes?(): Promise<number>;
}
