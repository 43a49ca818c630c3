import { createHash } from "node:crypto";
import { z } from "zod";
import { AppError } from "../../errors";
import {
  BUILT_IN_COLLECTIONS,
  type CollectionJson,
  collectionJsonSchema,
  collectionNameSchema,
  DOCUMENT_ID_PATTERN,
  type DocumentJson,
  documentJsonSchema,
} from "../../model/collection";

/**
 * What every collection store checks and stores the same way: names and ids
 * before they become a path or a key, the records handed in, the stored text
 * format, and the order of a listing.
 */

/** A document's stored text: `<id>/text.json` on the volume, a string key in Redis. */
export const documentTextJsonSchema = z.object({ pages: z.array(z.string()) });
export type DocumentTextJson = z.infer<typeof documentTextJsonSchema>;

/** A document's id for its bytes: the first 32 hex digits of their SHA-256 (the model's definition). */
export function documentIdOf(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 32);
}

/**
 * True for exactly a collection name. The schema trims, so the parsed value
 * must also equal the input: " a" or "a\n" are not "a".
 */
export function isCollectionName(name: unknown): name is string {
  const parsed = collectionNameSchema.safeParse(name);
  return parsed.success && parsed.data === name;
}

export function isDocumentId(id: unknown): id is string {
  return typeof id === "string" && DOCUMENT_ID_PATTERN.test(id);
}

/** Refuses anything that is not exactly a collection name (`invalid_request`). */
export function assertCollectionName(name: unknown): asserts name is string {
  if (!isCollectionName(name)) {
    throw new AppError("invalid_request", `Not a collection name: ${describe(name)}.`);
  }
}

export function assertDocumentId(id: unknown): asserts id is string {
  if (!isDocumentId(id)) {
    throw new AppError("invalid_request", `Not a document id: ${describe(id)} (expected 32 hex digits).`);
  }
}

/** The collection to store, checked (its name exactly, and not a built-in one). */
export function checkCollection(collection: CollectionJson): CollectionJson {
  assertCollectionName(collection?.name);
  const parsed = collectionJsonSchema.safeParse(collection);
  if (!parsed.success) {
    throw new AppError(
      "invalid_request",
      `Not a collection: ${parsed.error.issues[0]?.message ?? "invalid"}.`,
    );
  }
  if (BUILT_IN_COLLECTIONS.includes(parsed.data.name)) {
    throw new AppError("conflict", `"${parsed.data.name}" is a built-in collection.`);
  }
  return parsed.data;
}

/** The document to store, checked (its collection's name and its id exactly). */
export function checkDocument(document: DocumentJson): DocumentJson {
  assertCollectionName(document?.collection);
  assertDocumentId(document.id);
  const parsed = documentJsonSchema.safeParse(document);
  if (!parsed.success) {
    throw new AppError("invalid_request", `Not a document: ${parsed.error.issues[0]?.message ?? "invalid"}.`);
  }
  return parsed.data;
}

/** A new document with its original: the id must be the bytes' hash and `bytes` their length. */
export function checkNewDocument(document: DocumentJson, original: Uint8Array): DocumentJson {
  const checked = checkDocument(document);
  if (!(original instanceof Uint8Array)) {
    throw new AppError("invalid_request", "Expected the document's original as bytes.");
  }
  const id = documentIdOf(original);
  if (checked.id !== id) {
    throw new AppError("invalid_request", `Document id ${checked.id} is not its content's hash (${id}).`);
  }
  if (checked.bytes !== original.byteLength) {
    throw new AppError(
      "invalid_request",
      `Document ${checked.id} says ${checked.bytes} bytes, its original has ${original.byteLength}.`,
    );
  }
  return checked;
}

/** Pages of text to store, checked. */
export function checkPages(pages: readonly string[]): DocumentTextJson {
  if (!Array.isArray(pages) || !pages.every((page) => typeof page === "string")) {
    throw new AppError("invalid_request", "Expected the text as an array of strings, one per page.");
  }
  return { pages: [...pages] };
}

/** Oldest first: by creation time, then by id (documents created in the same millisecond). */
export function byAge(a: DocumentJson, b: DocumentJson): number {
  return compare(Date.parse(a.createdAt), Date.parse(b.createdAt)) || compare(a.id, b.id);
}

export function byName(a: CollectionJson, b: CollectionJson): number {
  return compare(a.name, b.name);
}

function compare<T extends string | number>(a: T, b: T): number {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  if (Number.isNaN(a)) return 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : 1;
}

/** An invalid name or id for a message: quoted and cut short (it may be long or hold control characters). */
function describe(value: unknown): string {
  if (typeof value !== "string") return `a ${typeof value}`;
  const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return shown;
}
