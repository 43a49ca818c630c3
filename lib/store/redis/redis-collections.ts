import type Redis from "ioredis";
import { z } from "zod";
import { AppError } from "../../errors";
import type { Logger } from "../../log";
import {
  type CollectionJson,
  collectionJsonSchema,
  type DocumentJson,
  documentJsonSchema,
} from "../../model/collection";
import { parseJson } from "../../parse-json";
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
  isCollectionName,
  isDocumentId,
} from "../collections/collection-records";
import type { CollectionStore } from "../collections/types";
import {
  createCollectionScript,
  deleteCollectionScript,
  deleteDocumentScript,
  putDocumentScript,
  putTextScript,
  updateDocumentScript,
} from "./redis-collection-scripts";
import type { RedisErrors } from "./redis-errors";
import type { RedisKeys, TypedKey } from "./redis-keys";
import { parseReply } from "./redis-replies";

export interface RedisCollectionsOptions {
  redis: Redis;
  keys: RedisKeys;
  errors: RedisErrors;
  logger?: Logger;
}

/** A delete that keeps finding the documents changed lists them again this many times before giving up. */
const MAX_DELETE_ATTEMPTS = 10;

const createdReply = z.tuple([z.number(), z.string()]);

/**
 * Collections in Redis (keys in `redis-keys.ts`, scripts in
 * `redis-collection-scripts.ts`). Every change is one script: a document
 * appears with its original, an update or a text of a deleted document
 * writes nothing, and a collection goes with all its keys at once.
 * Reads are plain commands on the connection the task store uses (fail-fast
 * while Redis is unreachable: a retryable `storage_error`).
 */
export class RedisCollections implements CollectionStore {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #errors: RedisErrors;
  readonly #logger?: Logger;

  constructor(options: RedisCollectionsOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#errors = options.errors;
    this.#logger = options.logger;
  }

  // ── collections ──────────────────────────────────────────────────────────

  async createCollection(
    collection: CollectionJson,
  ): Promise<{ created: boolean; collection: CollectionJson }> {
    const checked = checkCollection(collection);
    const key = this.#keys.collections;
    const reply = await this.#errors.call("create the collection", [[key, "hash"]], () =>
      createCollectionScript.run(this.#redis, [key], [checked.name, JSON.stringify(checked)]),
    );
    const [created, stored] = parseReply(reply, createdReply, "create collection");
    if (created === 1) return { created: true, collection: checked };
    return { created: false, collection: record(stored, collectionJsonSchema, `collection ${checked.name}`) };
  }

  async getCollection(name: string): Promise<CollectionJson | null> {
    assertCollectionName(name);
    const key = this.#keys.collections;
    const text = await this.#errors.call("read the collection", [[key, "hash"]], () =>
      this.#redis.hget(key, name),
    );
    return text === null ? null : record(text, collectionJsonSchema, `collection ${name}`);
  }

  async listCollections(): Promise<CollectionJson[]> {
    const key = this.#keys.collections;
    const all = await this.#errors.call("list collections", [[key, "hash"]], () => this.#redis.hgetall(key));
    const collections: CollectionJson[] = [];
    for (const [name, text] of Object.entries(all)) {
      const parsed = isCollectionName(name) ? parseJson(text, collectionJsonSchema) : null;
      if (parsed) collections.push(parsed);
      else this.#logger?.error("store.collection_record_damaged", { name: name.slice(0, 80) });
    }
    return collections.sort(byName);
  }

  async deleteCollection(name: string): Promise<boolean> {
    assertCollectionName(name);
    const documents = this.#keys.collection(name, "documents");
    const ready = this.#keys.collection(name, "ready");
    const fixed: TypedKey[] = [
      [this.#keys.collections, "hash"],
      [documents, "hash"],
      [ready, "set"],
    ];
    for (let attempt = 1; attempt <= MAX_DELETE_ATTEMPTS; attempt++) {
      // Every field counts for the script's check; only document ids have an original and a text.
      const ids = await this.#errors.call("delete the collection", fixed, () => this.#redis.hkeys(documents));
      const keys = [
        ...fixed.map(([key]) => key),
        ...ids
          .filter(isDocumentId)
          .flatMap((id) => [
            this.#keys.document(name, id, "original"),
            this.#keys.document(name, id, "text"),
          ]),
      ];
      const reply = await this.#errors.call("delete the collection", fixed, () =>
        deleteCollectionScript.run(this.#redis, keys, [name, ids.length, ...ids]),
      );
      const result = parseReply(reply, z.number(), "delete collection");
      if (result >= 0) return result === 1;
    }
    throw new AppError("storage_error", `Could not delete collection ${name}: its documents kept changing.`, {
      retryable: true,
    });
  }

  // ── documents ────────────────────────────────────────────────────────────

  async putDocument(
    document: DocumentJson,
    original: Uint8Array,
  ): Promise<{ created: boolean; document: DocumentJson }> {
    const checked = checkNewDocument(document, original);
    const { collection: name, id } = checked;
    // The common repeat (the same file uploaded again) answers without sending the bytes.
    const existing = await this.getDocument(name, id);
    if (existing) return { created: false, document: existing };
    const keys: TypedKey[] = [
      [this.#keys.collections, "hash"],
      [this.#keys.collection(name, "documents"), "hash"],
      [this.#keys.collection(name, "ready"), "set"],
      [this.#keys.document(name, id, "original"), "string"],
    ];
    const bytes = Buffer.from(original.buffer, original.byteOffset, original.byteLength);
    const reply = await this.#errors.call("store the document", keys, () =>
      putDocumentScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [name, id, JSON.stringify(checked), bytes, checked.status === "ready" ? 1 : 0],
      ),
    );
    const [created, stored] = parseReply(reply, createdReply, "put document");
    if (created === -1) throw new AppError("not_found", `No collection ${name}.`);
    if (created === 1) return { created: true, document: checked };
    return { created: false, document: record(stored, documentJsonSchema, `document ${id}`) };
  }

  async updateDocument(document: DocumentJson): Promise<boolean> {
    const checked = checkDocument(document);
    const { collection: name, id } = checked;
    const keys: TypedKey[] = [
      [this.#keys.collection(name, "documents"), "hash"],
      [this.#keys.collection(name, "ready"), "set"],
    ];
    const reply = await this.#errors.call("update the document", keys, () =>
      updateDocumentScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [id, JSON.stringify(checked), checked.status === "ready" ? 1 : 0],
      ),
    );
    return parseReply(reply, z.number(), "update document") === 1;
  }

  async getDocument(collection: string, id: string): Promise<DocumentJson | null> {
    const key = this.#keys.collection(collection, "documents");
    assertDocumentId(id);
    const text = await this.#errors.call("read the document", [[key, "hash"]], () =>
      this.#redis.hget(key, id),
    );
    return text === null ? null : record(text, documentJsonSchema, `document ${id}`);
  }

  async listDocuments(collection: string): Promise<DocumentJson[]> {
    const key = this.#keys.collection(collection, "documents");
    const all = await this.#errors.call("list documents", [[key, "hash"]], () => this.#redis.hgetall(key));
    const documents: DocumentJson[] = [];
    for (const [id, text] of Object.entries(all)) {
      const parsed = isDocumentId(id) ? parseJson(text, documentJsonSchema) : null;
      if (parsed) documents.push(parsed);
      else this.#logger?.error("store.collection_record_damaged", { collection, id: id.slice(0, 80) });
    }
    return documents.sort(byAge);
  }

  async countDocuments(collection: string): Promise<number> {
    const key = this.#keys.collection(collection, "documents");
    return this.#errors.call("count documents", [[key, "hash"]], () => this.#redis.hlen(key));
  }

  async deleteDocument(collection: string, id: string): Promise<boolean> {
    const keys: TypedKey[] = [
      [this.#keys.collection(collection, "documents"), "hash"],
      [this.#keys.collection(collection, "ready"), "set"],
      [this.#keys.document(collection, id, "original"), "string"],
      [this.#keys.document(collection, id, "text"), "string"],
    ];
    const reply = await this.#errors.call("delete the document", keys, () =>
      deleteDocumentScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [id],
      ),
    );
    return parseReply(reply, z.number(), "delete document") === 1;
  }

  async readOriginal(collection: string, id: string): Promise<Uint8Array | null> {
    const key = this.#keys.document(collection, id, "original");
    return this.#errors.call("read the original", [[key, "string"]], () => this.#redis.getBuffer(key));
  }

  async putText(collection: string, id: string, pages: readonly string[]): Promise<boolean> {
    const text = checkPages(pages);
    const keys: TypedKey[] = [
      [this.#keys.collection(collection, "documents"), "hash"],
      [this.#keys.document(collection, id, "text"), "string"],
    ];
    // JSON escapes lone surrogates, which a UTF-8 string would turn into U+FFFD.
    const reply = await this.#errors.call("store the text", keys, () =>
      putTextScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [id, JSON.stringify(text)],
      ),
    );
    return parseReply(reply, z.number(), "put text") === 1;
  }

  async readText(collection: string, id: string): Promise<string[] | null> {
    const key = this.#keys.document(collection, id, "text");
    const text = await this.#errors.call("read the text", [[key, "string"]], () => this.#redis.get(key));
    return text === null ? null : record(text, documentTextJsonSchema, `the text of document ${id}`).pages;
  }

  async readyDocumentIds(collection: string): Promise<string[]> {
    const key = this.#keys.collection(collection, "ready");
    const ids = await this.#errors.call("list ready documents", [[key, "set"]], () =>
      this.#redis.smembers(key),
    );
    return ids.filter(isDocumentId).sort();
  }

  /** The stored bytes (records, originals, texts), not Redis's overhead: `TaskStore.usedBytes` is that. */
  async usedBytes(): Promise<number> {
    const key = this.#keys.collections;
    return this.#errors.call("measure the collections", [[key, "hash"]], async () => {
      const collections = await this.#redis.hgetall(key);
      let total = 0;
      for (const [name, text] of Object.entries(collections)) {
        if (!isCollectionName(name)) continue;
        total += Buffer.byteLength(text);
        const documents = await this.#redis.hgetall(this.#keys.collection(name, "documents"));
        const pipeline = this.#redis.pipeline();
        for (const [id, json] of Object.entries(documents)) {
          if (!isDocumentId(id)) continue;
          total += Buffer.byteLength(json);
          pipeline.strlen(this.#keys.document(name, id, "original"));
          pipeline.strlen(this.#keys.document(name, id, "text"));
        }
        for (const [error, length] of (await pipeline.exec()) ?? []) {
          if (error) throw error;
          total += typeof length === "number" ? length : 0;
        }
      }
      return total;
    });
  }
}

/** A stored record read back; one that does not parse is a storage error (it was written checked). */
function record<T>(text: string, schema: z.ZodType<T>, what: string): T {
  const parsed = parseJson(text, schema);
  if (!parsed) throw new AppError("storage_error", `The stored record of ${what} is damaged.`);
  return parsed;
}
