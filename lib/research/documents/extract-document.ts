import { documentTooLarge, unreadableDocument } from "./document-errors";
import { baseName, type DocumentType, mediaTypes } from "./document-types";
import { extractCsv } from "./extract-csv";
import { checkDocxArchive, extractDocx } from "./extract-docx";
import { extractHtml } from "./extract-html";
import { extractPdf, inspectPdf } from "./extract-pdf";
import { extractMarkdown, extractPlainText } from "./extract-plain-text";
import {
  type ExtractedPages,
  type ExtractionContext,
  type ExtractionLimits,
  resolveLimits,
} from "./extraction-context";
import { sniffDocument } from "./sniff-type";

/** An uploaded document's text, ready to be split into passages and cited by page. */
export interface ExtractedDocument {
  /** Sniffed from the bytes, never taken from the name (see `sniffDocument`). */
  type: DocumentType;
  /** The media type of `type`, e.g. `application/pdf`. */
  mediaType: string;
  /**
   * PDF: the document information's Title (or XMP dc:title); Word and
   * Markdown: the first heading (Markdown front matter's `title:` first);
   * HTML: the article's title or `<title>`; otherwise, or when that is empty
   * or a placeholder, the file name without its extension.
   */
  title: string;
  /**
   * The text, page by page: page n is `pages[n - 1]`. A PDF has its own
   * pages (one entry each, empty for a page without text). Other types have
   * no pages, so their text is cut between paragraphs into pages of about a
   * printed page (`PAGE_WORDS` words), which citations name the same way.
   * Paragraphs are separated by blank lines.
   */
  pages: string[];
  pageCount: number;
  /** Characters of all pages together. */
  characters: number;
}

/** What `extractDocument` reads. */
export interface DocumentInput {
  bytes: Uint8Array;
  /** The upload's file name: shown in messages and the fallback title; it never decides a binary type. */
  filename: string;
  /** The upload's Content-Type, used like the name's extension among text types. */
  declaredType?: string;
  /** Stops the extraction; it then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Pages done out of the total, for a progress bar. A PDF reports (0, n)
   * once its page count is known and (k, n) after each page; other types
   * report (n, n) once, when done.
   */
  onProgress?: (done: number, total: number) => void;
}

const extractors: Record<
  DocumentType,
  (bytes: Uint8Array, context: ExtractionContext) => Promise<ExtractedPages>
> = {
  pdf: extractPdf,
  docx: extractDocx,
  html: extractHtml,
  markdown: extractMarkdown,
  text: extractPlainText,
  csv: extractCsv,
};

/**
 * The text of an uploaded document (PDF, Word .docx, HTML, Markdown, plain
 * text or CSV), page by page. Every refusal is an `AppError` whose message
 * names the file and the problem: `unsupported_document` (415) for bytes of
 * another kind, `document_unreadable` (422) for a damaged, encrypted,
 * scanned or empty document, `document_too_large` (413) over a limit. An
 * abort rejects with the signal's reason.
 */
export async function extractDocument(
  input: DocumentInput,
  limits?: ExtractionLimits,
): Promise<ExtractedDocument> {
  const { bytes, filename, declaredType, signal, onProgress } = input;
  const context: ExtractionContext = {
    filename,
    declaredType,
    signal,
    onProgress,
    limits: resolveLimits(limits),
  };
  signal?.throwIfAborted();
  const sniffed = sniffDocument(bytes, filename, declaredType);
  if (sniffed.type === undefined) throw sniffed.refusal;
  const type = sniffed.type;
  const extracted = await extractors[type](bytes, context);
  const pages = extracted.pages;
  const characters = pages.reduce((sum, page) => sum + page.length, 0);
  // A PDF without text is refused as scanned, with its own message, by extractPdf.
  if (pages.every((page) => page.trim() === "")) throw unreadableDocument(filename, "has no text.");
  if (characters > context.limits.maxCharacters)
    throw documentTooLarge(
      filename,
      `has ${characters.toLocaleString("en")} characters of text; at most ${context.limits.maxCharacters.toLocaleString("en")} are accepted.`,
      { name: "maxCharacters", value: characters, max: context.limits.maxCharacters },
    );
  if (type !== "pdf") onProgress?.(pages.length, pages.length);
  return {
    type,
    mediaType: mediaTypes[type],
    title: cleanTitle(extracted.title) ?? (baseName(filename) || "Untitled"),
    pages,
    pageCount: pages.length,
    characters,
  };
}

const MAX_TITLE = 200;

/** A title with white space collapsed; undefined for an empty or placeholder one. */
export function cleanTitle(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // Word's PDF printer titles documents "Microsoft Word - name.docx".
  const title = raw
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^Microsoft (?:Word|PowerPoint|Excel) - /i, "")
    .replace(/\.(?:docx?|pptx?|xlsx?|pdf)$/i, "")
    .trim();
  if (title === "" || /^(?:untitled|title|document\s*\d*|slide\s*\d*)$/i.test(title)) return undefined;
  return title.length > MAX_TITLE ? `${title.slice(0, MAX_TITLE - 1).trimEnd()}…` : title;
}

/**
 * What can be told of an upload at once, before it is stored: its type (from
 * the bytes), and for a PDF or Word file whether it opens, is not encrypted,
 * scanned, too large or a zip bomb — without reading it all. Throws the
 * refusal `extractDocument` would end with; returns the type otherwise.
 */
export async function inspectDocument(
  input: Pick<DocumentInput, "bytes" | "filename" | "declaredType">,
  limits?: ExtractionLimits,
): Promise<{ type: DocumentType }> {
  const sniffed = sniffDocument(input.bytes, input.filename, input.declaredType);
  if (sniffed.type === undefined) throw sniffed.refusal;
  const resolved = resolveLimits(limits);
  if (sniffed.type === "pdf") await inspectPdf(input.bytes, input.filename, resolved);
  if (sniffed.type === "docx") checkDocxArchive(input.bytes, input.filename, resolved);
  return { type: sniffed.type };
}
