import { promisify } from "node:util";
import { inflateRaw } from "node:zlib";
import mammoth from "mammoth";
import { documentTooLarge, unreadableDocument } from "./document-errors";
import {
  type ExtractedPages,
  type ExtractionContext,
  unlessAborted,
  yieldToEventLoop,
} from "./extraction-context";
import { htmlToBlocks } from "./html-blocks";
import { paginate } from "./paginate";
import {
  entryData,
  readZipDirectory,
  type ZipEntry,
  ZipEntryCountError,
  ZipFormatError,
} from "./zip-directory";

const inflateRawAsync = promisify(inflateRaw);

/** More entries than any Word document has; more is an archive bomb of its own. */
export const MAX_ZIP_ENTRIES = 10_000;

/**
 * The checks made before anything is inflated: a readable ZIP of at most
 * `MAX_ZIP_ENTRIES` entries, none encrypted, declared sizes within
 * `maxUncompressedBytes`, and a Word document part. Returns the entries.
 */
export function checkDocxArchive(
  bytes: Uint8Array,
  filename: string,
  limits: ExtractionContext["limits"],
): ZipEntry[] {
  const entries = readEntries(bytes, filename);
  if (entries.some((entry) => entry.encrypted))
    throw unreadableDocument(filename, "is encrypted; upload a copy without a password.");
  const declared = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  if (declared > limits.maxUncompressedBytes)
    throw documentTooLarge(
      filename,
      `would unpack to ${size(declared)}, more than the ${size(limits.maxUncompressedBytes)} accepted for a document (it may be a zip bomb).`,
      { name: "maxUncompressedBytes", value: declared, max: limits.maxUncompressedBytes },
    );
  if (!entries.some((entry) => entry.name === "word/document.xml"))
    throw unreadableDocument(filename, "is not a complete Word document (word/document.xml is missing).");
  return entries;
}

/**
 * A Word document's text, through mammoth's HTML (headings, paragraphs, list
 * items and table rows each a block; images are never decoded), split into
 * pages of about a printed page (`paginate`). The title is the first heading
 * (Word's "Title" style counts as one).
 *
 * Before mammoth inflates anything the ZIP is checked: at most
 * `MAX_ZIP_ENTRIES` entries, no encrypted entry, declared sizes within
 * `maxUncompressedBytes`; then each XML part mammoth reads is inflated once
 * with its declared size as a hard cap, so an entry that lies about its size
 * stops at the lie instead of filling memory.
 */
export async function extractDocx(bytes: Uint8Array, context: ExtractionContext): Promise<ExtractedPages> {
  const { filename, signal } = context;
  const entries = checkDocxArchive(bytes, filename, context.limits);
  for (const entry of entries) {
    if (!/\.(xml|rels)$/i.test(entry.name)) continue;
    await verifyEntrySize(bytes, entry, filename);
    await yieldToEventLoop(signal);
  }

  let html: string;
  try {
    const result = await unlessAborted(
      mammoth.convertToHtml(
        { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
        {
          // Images are left unread: only their place in the text matters, and it is dropped.
          convertImage: mammoth.images.imgElement(async () => ({ src: "" })),
          styleMap: ["p[style-name='Title'] => h1:fresh", "p[style-name='Subtitle'] => h2:fresh"],
          ignoreEmptyParagraphs: true,
        },
      ),
      signal,
    );
    html = result.value;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw unreadableDocument(filename, "is damaged and cannot be read as a Word document.", error);
  }
  await yieldToEventLoop(signal);
  const { blocks, firstHeading } = htmlToBlocks(html);
  const pages = paginate(blocks.join("\n\n"));
  return firstHeading === undefined ? { pages } : { title: firstHeading, pages };
}

function readEntries(bytes: Uint8Array, filename: string): ZipEntry[] {
  try {
    return readZipDirectory(bytes, MAX_ZIP_ENTRIES);
  } catch (error) {
    if (error instanceof ZipEntryCountError)
      throw documentTooLarge(
        filename,
        `holds ${error.count.toLocaleString("en")} files; a Word document holds far fewer than ${error.max.toLocaleString("en")} (it may be a zip bomb).`,
        { name: "zipEntries", value: error.count, max: error.max },
      );
    if (error instanceof ZipFormatError)
      throw unreadableDocument(filename, `is damaged: ${error.message}.`, error);
    throw error;
  }
}

/** Inflates one entry with its declared size as the cap: more output means the header lied. */
async function verifyEntrySize(bytes: Uint8Array, entry: ZipEntry, filename: string): Promise<void> {
  let data: Uint8Array;
  try {
    data = entryData(bytes, entry);
  } catch (error) {
    throw unreadableDocument(filename, `is damaged: ${(error as Error).message}.`, error);
  }
  if (entry.method === 0) {
    if (data.length !== entry.uncompressedSize)
      throw unreadableDocument(filename, `is damaged: ${entry.name} is not the size its header declares.`);
    return;
  }
  if (entry.method !== 8)
    throw unreadableDocument(
      filename,
      `is damaged or not from Word: ${entry.name} uses compression method ${entry.method}.`,
    );
  try {
    await inflateRawAsync(data, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_BUFFER_TOO_LARGE")
      throw unreadableDocument(
        filename,
        `is damaged: ${entry.name} unpacks to more than its header declares (a zip bomb?).`,
        error,
      );
    throw unreadableDocument(filename, `is damaged: ${entry.name} cannot be unpacked.`, error);
  }
}

function size(bytes: number): string {
  if (!Number.isFinite(bytes)) return "an impossible size";
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}
