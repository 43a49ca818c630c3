/**
 * Reads a ZIP archive's central directory — names, methods and the sizes each
 * entry declares — without inflating anything. A DOCX is a ZIP: the sniffer
 * needs the names synchronously, and the zip-bomb check needs the declared
 * sizes before any byte is inflated. (JSZip, which mammoth uses, only reads
 * archives asynchronously and keeps the sizes private; the format's directory
 * is small enough to read here.)
 */

/** One entry of the central directory. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated; anything else is unusual in a DOCX. */
  method: number;
  /** Bit 0 of the flags: the entry is encrypted. */
  encrypted: boolean;
  compressedSize: number;
  /** As the archive declares it: a zip bomb may lie (see `verifyEntrySize`). */
  uncompressedSize: number;
  /** Where the entry's local header starts. */
  localHeaderOffset: number;
}

/** A structural problem: the bytes are not a readable ZIP archive. */
export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZipFormatError";
  }
}

const END_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_END_SIGNATURE = 0x06064b50;
const ENTRY_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const MAX_32 = 0xffffffff;

/** True when the bytes start like a ZIP archive (a local header or an empty archive). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6))
  );
}

/**
 * The central directory's entries, at most `maxEntries` of them (more throws:
 * an archive with a million tiny entries is a bomb of its own).
 */
export function readZipDirectory(bytes: Uint8Array, maxEntries = 10_000): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEndRecord(view);
  let count = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  let size = view.getUint32(end + 12, true);
  if (count === 0xffff || offset === MAX_32 || size === MAX_32) {
    const zip64 = readZip64End(view, end);
    count = zip64.count;
    offset = zip64.offset;
    size = zip64.size;
  }
  if (count > maxEntries) throw new ZipEntryCountError(count, maxEntries);
  if (offset + size > bytes.length) throw new ZipFormatError("the central directory lies outside the file");
  const entries: ZipEntry[] = [];
  let at = offset;
  for (let index = 0; index < count; index++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== ENTRY_SIGNATURE)
      throw new ZipFormatError("the central directory is damaged");
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    let compressedSize = view.getUint32(at + 20, true);
    let uncompressedSize = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let localHeaderOffset = view.getUint32(at + 42, true);
    const nameStart = at + 46;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > bytes.length) throw new ZipFormatError("the central directory is damaged");
    const name = new TextDecoder(flags & 0x800 ? "utf-8" : "latin1").decode(
      bytes.subarray(nameStart, extraStart),
    );
    // ZIP64: sizes and offset saturated at 0xFFFFFFFF live in extra field 0x0001, in this order.
    if (uncompressedSize === MAX_32 || compressedSize === MAX_32 || localHeaderOffset === MAX_32) {
      const extra = findExtra(view, extraStart, extraLength, 0x0001);
      let field = extra?.start ?? 0;
      const take = () => {
        if (!extra || field + 8 > extra.start + extra.length)
          throw new ZipFormatError("a ZIP64 entry lacks its sizes");
        const value = readUint64(view, field);
        field += 8;
        return value;
      };
      if (uncompressedSize === MAX_32) uncompressedSize = take();
      if (compressedSize === MAX_32) compressedSize = take();
      if (localHeaderOffset === MAX_32) localHeaderOffset = take();
    }
    entries.push({
      name,
      method,
      encrypted: (flags & 1) === 1,
      compressedSize,
      uncompressedSize,
      localHeaderOffset,
    });
    at = next;
  }
  return entries;
}

/** More entries than the reader accepts. */
export class ZipEntryCountError extends Error {
  constructor(
    readonly count: number,
    readonly max: number,
  ) {
    super(`the archive has ${count} entries (at most ${max})`);
    this.name = "ZipEntryCountError";
  }
}

/** The entry's compressed bytes (after its local header). */
export function entryData(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL_SIGNATURE)
    throw new ZipFormatError(`the local header of ${entry.name} is missing`);
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (start + entry.compressedSize > bytes.length)
    throw new ZipFormatError(`${entry.name} runs past the end of the file`);
  return bytes.subarray(start, start + entry.compressedSize);
}

function findEndRecord(view: DataView): number {
  // The end record is 22 bytes plus a comment of at most 65,535 bytes, at the very end.
  const last = view.byteLength - 22;
  const first = Math.max(0, last - 0xffff);
  for (let at = last; at >= first; at--) {
    if (
      view.getUint32(at, true) === END_SIGNATURE &&
      at + 22 + view.getUint16(at + 20, true) <= view.byteLength
    )
      return at;
  }
  throw new ZipFormatError("it has no central directory (truncated or not a ZIP archive)");
}

function readZip64End(view: DataView, end: number): { count: number; offset: number; size: number } {
  const locator = end - 20;
  if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR_SIGNATURE)
    throw new ZipFormatError("the ZIP64 directory locator is missing");
  const record = readUint64(view, locator + 8);
  if (record + 56 > view.byteLength || view.getUint32(record, true) !== ZIP64_END_SIGNATURE)
    throw new ZipFormatError("the ZIP64 directory record is missing");
  return {
    count: readUint64(view, record + 32),
    size: readUint64(view, record + 40),
    offset: readUint64(view, record + 48),
  };
}

function findExtra(
  view: DataView,
  start: number,
  length: number,
  id: number,
): { start: number; length: number } | undefined {
  let at = start;
  while (at + 4 <= start + length) {
    const fieldId = view.getUint16(at, true);
    const fieldLength = view.getUint16(at + 2, true);
    if (fieldId === id) return { start: at + 4, length: fieldLength };
    at += 4 + fieldLength;
  }
  return undefined;
}

/** A little-endian 64-bit size; values past 2^53 (no real file) become Infinity, which every limit refuses. */
function readUint64(view: DataView, at: number): number {
  const value = view.getBigUint64(at, true);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(value);
}
