import type { AppError } from "../../errors";
import { decodeText, looksLikeText } from "./decode-text";
import { mismatchedDocument, unreadableDocument, unsupportedDocument } from "./document-errors";
import { type DocumentType, extensionOf, typeFromDeclared, typeFromName, typeNames } from "./document-types";
import { looksLikeZip, readZipDirectory, ZipEntryCountError, ZipFormatError } from "./zip-directory";

/**
 * What an upload is, from its bytes. The name and the declared Content-Type
 * never decide a binary format; they only choose among the text formats
 * (HTML, Markdown, CSV, plain text), which bytes cannot tell apart reliably.
 *
 * The policy when name and content disagree (README, "How it works", "Your own documents"):
 * - the bytes are a PDF or a Word document whatever the name says: read as
 *   what they are ("notes.txt" that is a PDF is a PDF);
 * - the name (or Content-Type) promises a PDF or a Word document but the
 *   bytes are text — usually an HTML login or error page saved under the
 *   document's name: refused, because indexing it would put the wrong text
 *   into the collection under the document's name;
 * - a full HTML document (`<!doctype html>`, `<html>`) is HTML under any
 *   text name; otherwise a text name decides between Markdown, CSV and text;
 * - images, archives, executables, media, old Office files: refused.
 */
export type Sniffed = { type: DocumentType } | { type?: undefined; refusal: AppError };

/** The document type of the bytes, or undefined when Fathom does not read them. */
export function sniffType(
  bytes: Uint8Array,
  filename: string,
  declaredType?: string,
): DocumentType | undefined {
  return sniffDocument(bytes, filename, declaredType).type;
}

/** The type of the bytes, or the refusal to report, which names the file (see `Sniffed` for the policy). */
export function sniffDocument(bytes: Uint8Array, filename: string, declaredType?: string): Sniffed {
  if (bytes.length === 0) return refuse(unreadableDocument(filename, "is empty."));
  if (isPdf(bytes)) return { type: "pdf" };
  if (looksLikeZip(bytes)) return sniffZip(bytes, filename);
  const binary = binaryKind(bytes, filename);
  if (binary) return binary;
  if (!looksLikeText(bytes)) return refuse(unsupportedDocument(filename, "binary data"));

  const claimed = typeFromName(filename) ?? typeFromDeclared(declaredType);
  const head = decodeText(bytes.subarray(0, 4096)).text.replace(/^\uFEFF/, "");
  const fullHtml = /^\s*(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html[\s>])/i.test(head);
  if (!claimedTextType(claimed) && isSvg(head, filename))
    return refuse(unsupportedDocument(filename, "an SVG image"));
  const found = fullHtml ? "html" : (claimedTextType(claimed) ?? guessTextType(head));
  if (claimed === "pdf" || claimed === "docx") {
    return refuse(mismatchedDocument(filename, typeNames[claimed], typeNames[found]));
  }
  return { type: found };
}

function refuse(refusal: AppError): Sniffed {
  return { refusal };
}

function claimedTextType(claimed: DocumentType | undefined): DocumentType | undefined {
  return claimed === "pdf" || claimed === "docx" ? undefined : claimed;
}

/** A text file whose name says nothing: HTML when it starts with an HTML tag, else plain text. */
function guessTextType(head: string): DocumentType {
  if (/^\s*<(?:head|body|title|meta|div|p|h[1-6]|table|article|section)[\s>/]/i.test(head)) return "html";
  return "text";
}

/** An SVG image: XML text, but a picture, not a document. */
function isSvg(head: string, filename: string): boolean {
  return (
    extensionOf(filename) === "svg" ||
    /^\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<!doctype svg[^>]*>\s*)?<svg[\s>]/i.test(head)
  );
}

/**
 * "%PDF-" at the start, or within the first KiB (readers allow a little junk
 * before it) in a file that also ends like a PDF — a text file that merely
 * mentions "%PDF-" is not a PDF.
 */
function isPdf(bytes: Uint8Array): boolean {
  const head = latin1(bytes.subarray(0, 1024));
  const at = head.indexOf("%PDF-");
  if (at < 0) return false;
  if (/^[\s\uFEFF\u00EF\u00BB\u00BF]*$/.test(head.slice(0, at))) return true;
  return latin1(bytes.subarray(Math.max(0, bytes.length - 1024))).includes("%%EOF");
}

function sniffZip(bytes: Uint8Array, filename: string): Sniffed {
  let names: string[];
  try {
    names = readZipDirectory(bytes).map((entry) => entry.name);
  } catch (error) {
    if (error instanceof ZipEntryCountError)
      // Too many entries to be a Word document; extraction reports the limit.
      return { type: "docx" };
    if (error instanceof ZipFormatError)
      return refuse(
        typeFromName(filename) === "docx"
          ? unreadableDocument(filename, `is damaged: ${error.message}.`, error)
          : unsupportedDocument(filename, `a damaged ZIP archive (${error.message})`),
      );
    throw error;
  }
  const has = (prefix: string) => names.some((entry) => entry.startsWith(prefix));
  if (names.includes("[Content_Types].xml") && has("word/")) return { type: "docx" };
  const found = has("xl/")
    ? "an Excel workbook (.xlsx)"
    : has("ppt/")
      ? "a PowerPoint presentation (.pptx)"
      : names.includes("META-INF/container.xml") && names.includes("mimetype")
        ? "an EPUB or OpenDocument file"
        : names.includes("mimetype")
          ? "an OpenDocument file"
          : "a ZIP archive";
  const hint =
    found === "a ZIP archive"
      ? "Unpack it and upload the documents inside."
      : "Save it as PDF (File → Save As or Export) and upload that.";
  return refuse(unsupportedDocument(filename, found, hint));
}

/** Magic numbers of the binary formats people upload by mistake. */
const signatures: { found: string; test: (bytes: Uint8Array) => boolean; hint?: string }[] = [
  { found: "a PNG image", test: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47]) },
  { found: "a JPEG image", test: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  { found: "a GIF image", test: (b) => startsWith(b, [0x47, 0x49, 0x46, 0x38]) },
  { found: "a WebP image", test: (b) => ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP" },
  {
    found: "a TIFF image",
    test: (b) => startsWith(b, [0x49, 0x49, 0x2a, 0]) || startsWith(b, [0x4d, 0x4d, 0, 0x2a]),
  },
  {
    found: "a HEIC/AVIF image",
    test: (b) => ascii(b, 4, 8) === "ftyp" && /^(heic|heix|mif1|avif)/.test(ascii(b, 8, 12)),
  },
  { found: "a video or audio file", test: (b) => ascii(b, 4, 8) === "ftyp" },
  {
    found: "an audio file",
    test: (b) => ["ID3", "OggS", "fLaC"].some((magic) => ascii(b, 0, magic.length) === magic),
  },
  { found: "a video or audio file", test: (b) => ascii(b, 0, 4) === "RIFF" },
  { found: "an executable program", test: (b) => ascii(b, 0, 2) === "MZ" && !looksLikeText(b) },
  { found: "an executable program", test: (b) => startsWith(b, [0x7f, 0x45, 0x4c, 0x46]) },
  {
    found: "an executable program",
    test: (b) =>
      [
        [0xfe, 0xed, 0xfa],
        [0xce, 0xfa, 0xed],
        [0xcf, 0xfa, 0xed],
        [0xca, 0xfe, 0xba, 0xbe],
      ].some((m) => startsWith(b, m)),
  },
  { found: "a WebAssembly module", test: (b) => startsWith(b, [0, 0x61, 0x73, 0x6d]) },
  { found: "a gzip archive", test: (b) => startsWith(b, [0x1f, 0x8b]) },
  { found: "a 7-Zip archive", test: (b) => startsWith(b, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) },
  { found: "a RAR archive", test: (b) => ascii(b, 0, 4) === "Rar!" },
  { found: "an xz archive", test: (b) => startsWith(b, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]) },
  { found: "a bzip2 archive", test: (b) => ascii(b, 0, 3) === "BZh" && !looksLikeText(b) },
  { found: "a Zstandard archive", test: (b) => startsWith(b, [0x28, 0xb5, 0x2f, 0xfd]) },
  { found: "a tar archive", test: (b) => ascii(b, 257, 262) === "ustar" },
  {
    found: "an RTF document",
    test: (b) => ascii(b, 0, 5) === "{\\rtf",
    hint: "Save it as .docx or PDF and upload that.",
  },
];

function binaryKind(bytes: Uint8Array, filename: string): Sniffed | undefined {
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    // An OLE compound file: an old .doc/.xls/.ppt, or a password-protected
    // .docx/.xlsx, which Office wraps in one with an "EncryptedPackage" stream.
    if (containsUtf16(bytes, "EncryptedPackage"))
      return refuse(unreadableDocument(filename, "is password-protected; upload a copy without a password."));
    return refuse(
      unsupportedDocument(
        filename,
        "a legacy Office file (.doc, .xls or .ppt)",
        "Save it as .docx or PDF and upload that.",
      ),
    );
  }
  for (const signature of signatures) {
    if (signature.test(bytes)) return refuse(unsupportedDocument(filename, signature.found, signature.hint));
  }
  return undefined;
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((value, index) => bytes[index] === value);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return latin1(bytes.subarray(start, end));
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

function containsUtf16(bytes: Uint8Array, word: string): boolean {
  const pattern = Buffer.from(word, "utf16le");
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(pattern);
}
