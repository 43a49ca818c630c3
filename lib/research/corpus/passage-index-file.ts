import os from "node:os";
import { crc32 } from "node:zlib";
import { z } from "zod";
import type { IndexedDocument } from "./corpus-document";
import type { PostingLists } from "./posting-lists";

/**
 * The persisted form of a passage index (the cache files under `CACHE_DIR`
 * and the index `npm run build` ships with the app):
 *
 * ```
 * "FTHMPIDX"                  8 bytes, identifies the file
 * header length               uint32, little-endian
 * header                      JSON (`PassageIndexFileHeaderJson`)
 * zero bytes                  up to a multiple of 8
 * body                        uint32 arrays in the header's byte order, then UTF-8 text:
 *   passageDocument[P]        the document of each passage
 *   passageTextEnd[P]         where each passage's text ends in the text (UTF-16 units)
 *   termEnd[T]                where each term ends in the text, after the passages
 *   fieldLength[P × F]        `PostingLists.fieldLength`
 *   postingStart[T × F + 1]   `PostingLists.postingStart`
 *   postingRecord[N]          `PostingLists.postingRecord`
 *   postingFrequency[N]       `PostingLists.postingFrequency`
 *   passagePage[P]            the page of each passage, only when the header says `pages: true`
 *   text[textBytes]           every passage's text, then every term
 * ```
 *
 * Loading it is reading one file and slicing it: no JSON of the postings to
 * parse, no validation of a large object. The header's CRC-32 of the body
 * and the exact length catch a damaged or truncated file.
 */
export interface PassageIndexContent {
  /** The version of the format and of the indexing (`INDEX_FORMAT`). */
  format: string;
  /** The corpus fingerprint the index was built for. */
  fingerprint: string;
  documents: IndexedDocument[];
  /** `[documentIndex, text]` of every passage; passage `i` is record `i` of `postings`. */
  passages: [number, string][];
  postings: PostingLists;
  /** The page (from 1) of each passage, when the index records pages (a collection's does). */
  pages?: Uint32Array;
}

const MAGIC = Buffer.from("FTHMPIDX", "latin1");
const PREFIX_BYTES = MAGIC.length + 4;

const count = z.number().int().nonnegative();

/** The header of a passage index file. */
const passageIndexFileHeaderSchema = z.object({
  format: z.string(),
  fingerprint: z.string(),
  /** `os.endianness()` of the writer: the body's arrays are in that byte order. */
  byteOrder: z.enum(["LE", "BE"]),
  /** CRC-32 of the body. */
  checksum: count,
  documents: z.array(z.object({ ref: z.string(), title: z.string(), url: z.string().optional() })),
  fields: z.array(z.string()),
  averageFieldLength: z.array(z.number()),
  passageCount: count,
  termCount: count,
  postingCount: count,
  textBytes: count,
  /** Whether the body has `passagePage`; absent in files written before it existed. */
  pages: z.boolean().optional(),
});
type PassageIndexFileHeaderJson = z.infer<typeof passageIndexFileHeaderSchema>;

/** What the header must say for the file to be used; anything else is a stale file. */
const headerIdentitySchema = z.object({ format: z.string(), fingerprint: z.string() });

/** Encodes an index as a passage index file. */
export function encodePassageIndexFile(content: PassageIndexContent): Buffer {
  const { passages, postings } = content;
  const fieldCount = postings.fields.length;
  if (passages.length !== postings.recordCount) {
    throw new Error(`${passages.length} passages but ${postings.recordCount} indexed records`);
  }
  if (postings.fieldLength.length !== passages.length * fieldCount) {
    throw new Error(`${postings.fieldLength.length} field lengths for ${passages.length} passages`);
  }
  if (content.pages !== undefined && content.pages.length !== passages.length) {
    throw new Error(`${content.pages.length} pages for ${passages.length} passages`);
  }
  const passageDocument = new Uint32Array(passages.length);
  const passageTextEnd = new Uint32Array(passages.length);
  const termEnd = new Uint32Array(postings.terms.length);
  let end = 0;
  passages.forEach(([document, text], index) => {
    passageDocument[index] = document;
    end += text.length;
    passageTextEnd[index] = end;
  });
  postings.terms.forEach((term, index) => {
    end += term.length;
    termEnd[index] = end;
  });
  const text = Buffer.from(passages.map(([, passageText]) => passageText).join("") + postings.terms.join(""));
  const arrays = [
    passageDocument,
    passageTextEnd,
    termEnd,
    postings.fieldLength,
    postings.postingStart,
    postings.postingRecord,
    postings.postingFrequency,
    ...(content.pages === undefined ? [] : [content.pages]),
  ];
  const body = Buffer.concat([
    ...arrays.map((array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength)),
    text,
  ]);
  const header = Buffer.from(
    JSON.stringify({
      format: content.format,
      fingerprint: content.fingerprint,
      byteOrder: os.endianness(),
      checksum: crc32(body),
      documents: content.documents,
      fields: [...postings.fields],
      averageFieldLength: [...postings.averageFieldLength],
      passageCount: passages.length,
      termCount: postings.terms.length,
      postingCount: postings.postingRecord.length,
      textBytes: text.length,
      ...(content.pages === undefined ? {} : { pages: true }),
    } satisfies PassageIndexFileHeaderJson),
  );
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix);
  prefix.writeUInt32LE(header.length, MAGIC.length);
  const padding = Buffer.alloc(alignTo8(PREFIX_BYTES + header.length) - (PREFIX_BYTES + header.length));
  return Buffer.concat([prefix, header, padding, body]);
}

/** The outcome of reading a passage index file that is intact. */
export type DecodedPassageIndexFile =
  | { current: true; content: PassageIndexContent }
  /** Intact but for another format version, corpus or byte order: not an error. */
  | { current: false; reason: string };

/**
 * Decodes a passage index file written by `encodePassageIndexFile`. Answers
 * `current: false` for a file made for another `expected` format or
 * fingerprint; throws, naming what is wrong, for anything that is not an
 * intact passage index file (foreign, truncated, damaged).
 */
export function decodePassageIndexFile(
  bytes: Buffer,
  expected: { format: string; fingerprint: string },
): DecodedPassageIndexFile {
  if (bytes.length < PREFIX_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error("not a passage index file");
  }
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  if (PREFIX_BYTES + headerLength > bytes.length) throw new Error("truncated header");
  const headerJson: unknown = JSON.parse(bytes.toString("utf8", PREFIX_BYTES, PREFIX_BYTES + headerLength));
  const identity = headerIdentitySchema.safeParse(headerJson);
  if (!identity.success) throw new Error(`bad header: ${z.prettifyError(identity.error)}`);
  if (identity.data.format !== expected.format) {
    return { current: false, reason: `written in format ${identity.data.format}` };
  }
  if (identity.data.fingerprint !== expected.fingerprint) {
    return { current: false, reason: "built from another version of the corpus" };
  }
  const parsed = passageIndexFileHeaderSchema.safeParse(headerJson);
  if (!parsed.success) throw new Error(`bad header: ${z.prettifyError(parsed.error)}`);
  const header = parsed.data;
  if (header.byteOrder !== os.endianness()) {
    return { current: false, reason: `written on a ${header.byteOrder} machine` };
  }

  const fieldCount = header.fields.length;
  const { passageCount, termCount, postingCount } = header;
  const sizes = {
    passageDocument: passageCount,
    passageTextEnd: passageCount,
    termEnd: termCount,
    fieldLength: passageCount * fieldCount,
    postingStart: termCount * fieldCount + 1,
    postingRecord: postingCount,
    postingFrequency: postingCount,
    passagePage: header.pages === true ? passageCount : 0,
  };
  const bodyStart = alignTo8(PREFIX_BYTES + headerLength);
  const arraysBytes = 4 * Object.values(sizes).reduce((sum, size) => sum + size, 0);
  const expectedLength = bodyStart + arraysBytes + header.textBytes;
  if (bytes.length !== expectedLength) {
    throw new Error(`expected ${expectedLength} bytes, got ${bytes.length} (truncated or damaged)`);
  }
  const body = bytes.subarray(bodyStart);
  if (crc32(body) !== header.checksum) throw new Error("checksum mismatch (damaged)");

  // Copies, not views: the file's buffer can then be collected.
  let offset = bodyStart;
  const take = (size: number) => {
    const start = bytes.byteOffset + offset;
    offset += 4 * size;
    return new Uint32Array(bytes.buffer.slice(start, start + 4 * size));
  };
  const passageDocument = take(sizes.passageDocument);
  const passageTextEnd = take(sizes.passageTextEnd);
  const termEnd = take(sizes.termEnd);
  const fieldLength = take(sizes.fieldLength);
  const postingStart = take(sizes.postingStart);
  const postingRecord = take(sizes.postingRecord);
  const postingFrequency = take(sizes.postingFrequency);
  const pages = header.pages === true ? take(sizes.passagePage) : undefined;
  const text = bytes.toString("utf8", offset, offset + header.textBytes);

  // The checksum vouches for the bytes; these checks vouch for the writer,
  // so that a search can never index out of bounds.
  const passages: [number, string][] = [];
  let start = 0;
  for (let index = 0; index < passageCount; index++) {
    const end = passageTextEnd[index]!;
    const document = passageDocument[index]!;
    if (end < start || end > text.length || document >= header.documents.length) {
      throw new Error(`passage ${index} is out of bounds`);
    }
    passages.push([document, text.slice(start, end)]);
    start = end;
  }
  const terms: string[] = [];
  for (let index = 0; index < termCount; index++) {
    const end = termEnd[index]!;
    if (end < start || end > text.length) throw new Error(`term ${index} is out of bounds`);
    terms.push(text.slice(start, end));
    start = end;
  }
  for (let key = 0; key + 1 < postingStart.length; key++) {
    if (postingStart[key]! > postingStart[key + 1]!) throw new Error("posting lists out of order");
  }
  if (postingStart[0] !== 0 || postingStart[postingStart.length - 1] !== postingCount) {
    throw new Error("posting lists do not add up");
  }
  for (const record of postingRecord) {
    if (record >= passageCount) throw new Error("a posting names no passage");
  }
  if (pages?.includes(0)) throw new Error("a passage is on page 0");

  const documents: IndexedDocument[] = header.documents.map(({ ref, title, url }) =>
    url === undefined ? { ref, title } : { ref, title, url },
  );
  return {
    current: true,
    content: {
      format: header.format,
      fingerprint: header.fingerprint,
      documents,
      passages,
      postings: {
        fields: header.fields,
        recordCount: passageCount,
        averageFieldLength: header.averageFieldLength,
        fieldLength,
        terms,
        postingStart,
        postingRecord,
        postingFrequency,
      },
      ...(pages === undefined ? {} : { pages }),
    },
  };
}

function alignTo8(value: number): number {
  return Math.ceil(value / 8) * 8;
}
