import { DOCUMENT_ID_PATTERN } from "../../model/collection";
import { INDEX_FORMAT } from "./passage-index";
import { decodePassageIndexFile, encodePassageIndexFile } from "./passage-index-file";
import type { PostingLists } from "./posting-lists";

/**
 * Version of a collection snapshot: this file's layout, and through
 * `INDEX_FORMAT` the passage cutting and term normalization. A snapshot of
 * another version is ignored and the index rebuilt.
 */
export const COLLECTION_INDEX_FORMAT = `fathom-collection-index-1/${INDEX_FORMAT}`;

/** A document of a collection snapshot. */
export interface CollectionSnapshotDocument {
  id: string;
  title: string;
}

/**
 * What a collection's in-memory index is made of, as persisted in
 * `CACHE_DIR` (`CollectionIndexes`). Passage `i` is record `i` of `postings`.
 */
export interface CollectionIndexSnapshot {
  /** The collection's name: a snapshot found under another name is not used. */
  collection: string;
  /** Every indexed document, including those without a passage. */
  documents: CollectionSnapshotDocument[];
  /** `[documentIndex, page (from 1), text]` of every passage. */
  passages: [number, number, string][];
  postings: PostingLists;
}

/**
 * Encodes a snapshot as a passage index file (`passage-index-file.ts`: a
 * header checked with zod, binary arrays, a CRC-32, an exact length) whose
 * documents are the collection's (`ref` = document id) and whose passages
 * carry their page.
 */
export function encodeCollectionIndexFile(snapshot: CollectionIndexSnapshot): Buffer {
  const pages = new Uint32Array(snapshot.passages.length);
  snapshot.passages.forEach(([, page], index) => {
    pages[index] = page;
  });
  return encodePassageIndexFile({
    format: COLLECTION_INDEX_FORMAT,
    fingerprint: fingerprintOf(snapshot.collection),
    documents: snapshot.documents.map(({ id, title }) => ({ ref: id, title })),
    passages: snapshot.passages.map(([document, , text]) => [document, text]),
    postings: snapshot.postings,
    pages,
  });
}

/** The outcome of reading an intact collection snapshot. */
export type DecodedCollectionIndexFile =
  | { current: true; snapshot: CollectionIndexSnapshot }
  /** Intact, but of another format version, collection or byte order. */
  | { current: false; reason: string };

/**
 * Decodes a snapshot written by `encodeCollectionIndexFile` for
 * `collection`. Throws, naming what is wrong, for anything that is not an
 * intact snapshot (foreign, truncated, damaged).
 */
export function decodeCollectionIndexFile(bytes: Buffer, collection: string): DecodedCollectionIndexFile {
  const decoded = decodePassageIndexFile(bytes, {
    format: COLLECTION_INDEX_FORMAT,
    fingerprint: fingerprintOf(collection),
  });
  if (!decoded.current) return decoded;
  const { content } = decoded;
  const pages = content.pages;
  if (pages === undefined) throw new Error("a collection snapshot without pages");
  const documents = content.documents.map(({ ref, title }) => {
    if (!DOCUMENT_ID_PATTERN.test(ref)) throw new Error(`not a document id: ${JSON.stringify(ref)}`);
    return { id: ref, title };
  });
  return {
    current: true,
    snapshot: {
      collection,
      documents,
      passages: content.passages.map(([document, text], index) => [document, pages[index]!, text]),
      postings: content.postings,
    },
  };
}

function fingerprintOf(collection: string): string {
  return `collection:${collection}`;
}
