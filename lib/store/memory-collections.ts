import { AppError } from "../errors";
import {
  type CollectionJson,
  collectionJsonSchema,
  type DocumentJson,
  documentJsonSchema,
} from "../model/collection";
import {
  assertCollectionName,
  assertDocumentId,
  byAge,
  byName,
  checkCollection,
  checkDocument,
  checkNewDocument,
  checkPages,
  documentTextJsonSchema,
} from "./collections/collection-records";
import type { CollectionStore } from "./collections/types";

/** One stored collection of a `MemoryVolume`. Records are kept as JSON text, as on a disk. */
export interface MemoryCollection {
  collection: string;
  documents: Map<string, { document: string; original: Uint8Array; text: string | null }>;
  ready: Set<string>;
}

/**
 * Collections in memory, for tests where a real disk or Redis adds nothing.
 * Every operation runs to completion without an await, so each is atomic as
 * the contract asks; readers get copies, never the stored objects.
 */
export class MemoryCollections implements CollectionStore {
  readonly #collections: Map<string, MemoryCollection>;

  /** `collections` is shared by the stores of one `MemoryVolume` (several "processes"). */
  constructor(collections: Map<string, MemoryCollection>) {
    this.#collections = collections;
  }

  async createCollection(
    collection: CollectionJson,
  ): Promise<{ created: boolean; collection: CollectionJson }> {
    const checked = checkCollection(collection);
    const existing = this.#collections.get(checked.name);
    if (existing) return { created: false, collection: parse(existing.collection, collectionJsonSchema) };
    this.#collections.set(checked.name, {
      collection: JSON.stringify(checked),
      documents: new Map(),
      ready: new Set(),
    });
    return { created: true, collection: structuredClone(checked) };
  }

  async getCollection(name: string): Promise<CollectionJson | null> {
    assertCollectionName(name);
    const stored = this.#collections.get(name);
    return stored ? parse(stored.collection, collectionJsonSchema) : null;
  }

  async listCollections(): Promise<CollectionJson[]> {
    return [...this.#collections.values()]
      .map((stored) => parse(stored.collection, collectionJsonSchema))
      .sort(byName);
  }

  async deleteCollection(name: string): Promise<boolean> {
    assertCollectionName(name);
    return this.#collections.delete(name);
  }

  async putDocument(
    document: DocumentJson,
    original: Uint8Array,
  ): Promise<{ created: boolean; document: DocumentJson }> {
    const checked = checkNewDocument(document, original);
    const collection = this.#collections.get(checked.collection);
    if (!collection) throw new AppError("not_found", `No collection ${checked.collection}.`);
    const existing = collection.documents.get(checked.id);
    if (existing) return { created: false, document: parse(existing.document, documentJsonSchema) };
    collection.documents.set(checked.id, {
      document: JSON.stringify(checked),
      original: new Uint8Array(original),
      text: null,
    });
    if (checked.status === "ready") collection.ready.add(checked.id);
    return { created: true, document: structuredClone(checked) };
  }

  async updateDocument(document: DocumentJson): Promise<boolean> {
    const checked = checkDocument(document);
    const collection = this.#collections.get(checked.collection);
    const stored = collection?.documents.get(checked.id);
    if (!collection || !stored) return false;
    stored.document = JSON.stringify(checked);
    if (checked.status === "ready") collection.ready.add(checked.id);
    else collection.ready.delete(checked.id);
    return true;
  }

  async getDocument(collection: string, id: string): Promise<DocumentJson | null> {
    const stored = this.#document(collection, id);
    return stored ? parse(stored.document, documentJsonSchema) : null;
  }

  async listDocuments(collection: string): Promise<DocumentJson[]> {
    assertCollectionName(collection);
    const documents = this.#collections.get(collection)?.documents.values() ?? [];
    return [...documents].map((stored) => parse(stored.document, documentJsonSchema)).sort(byAge);
  }

  async countDocuments(collection: string): Promise<number> {
    assertCollectionName(collection);
    return this.#collections.get(collection)?.documents.size ?? 0;
  }

  async deleteDocument(collection: string, id: string): Promise<boolean> {
    assertCollectionName(collection);
    assertDocumentId(id);
    const stored = this.#collections.get(collection);
    stored?.ready.delete(id);
    return stored?.documents.delete(id) ?? false;
  }

  async readOriginal(collection: string, id: string): Promise<Uint8Array | null> {
    const stored = this.#document(collection, id);
    return stored ? new Uint8Array(stored.original) : null;
  }

  async putText(collection: string, id: string, pages: readonly string[]): Promise<boolean> {
    const text = checkPages(pages);
    const stored = this.#document(collection, id);
    if (!stored) return false;
    stored.text = JSON.stringify(text);
    return true;
  }

  async readText(collection: string, id: string): Promise<string[] | null> {
    const text = this.#document(collection, id)?.text;
    return text ? parse(text, documentTextJsonSchema).pages : null;
  }

  async readyDocumentIds(collection: string): Promise<string[]> {
    assertCollectionName(collection);
    return [...(this.#collections.get(collection)?.ready ?? [])].sort();
  }

  async usedBytes(): Promise<number> {
    let total = 0;
    for (const stored of this.#collections.values()) {
      total += Buffer.byteLength(stored.collection);
      for (const document of stored.documents.values()) {
        total += Buffer.byteLength(document.document) + document.original.byteLength;
        if (document.text) total += Buffer.byteLength(document.text);
      }
    }
    return total;
  }

  #document(collection: string, id: string) {
    assertCollectionName(collection);
    assertDocumentId(id);
    return this.#collections.get(collection)?.documents.get(id);
  }
}

/** A record read back, checked like one read from disk. */
function parse<T>(text: string, schema: { parse(value: unknown): T }): T {
  return schema.parse(JSON.parse(text));
}
