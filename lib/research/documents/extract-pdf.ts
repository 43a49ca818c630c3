import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { PDFDocumentProxy } from "pdfjs-dist/legacy/build/pdf.mjs";
import type { TextItem, TextMarkedContent } from "pdfjs-dist/types/src/display/api";
import { documentTooLarge, unreadableDocument } from "./document-errors";
import {
  type ExtractedPages,
  type ExtractionContext,
  unlessAborted,
  yieldToEventLoop,
} from "./extraction-context";

type Pdfjs = typeof import("pdfjs-dist/legacy/build/pdf.mjs");

let pdfjs: Promise<Pdfjs> | undefined;
let dataFolder: string | undefined;

/**
 * pdf.js's data files, read from disk when a document needs them: the
 * character maps without which text in CJK fonts that use a predefined CMap
 * (common in Chinese, Japanese and Korean PDFs) comes out empty, and the
 * standard fonts' metrics.
 */
/**
 * pdf.js's own folder: under `node_modules` in the working directory (where
 * the standalone server's traced files are too), else wherever Node resolves
 * it from there. Not from this module's URL: bundled, that resolves to a
 * module number, not a path.
 */
function pdfjsFolder(): string {
  const local = path.join(process.cwd(), "node_modules", "pdfjs-dist");
  if (existsSync(path.join(local, "package.json"))) return local;
  return path.dirname(
    createRequire(path.join(process.cwd(), "package.json")).resolve("pdfjs-dist/package.json"),
  );
}

function pdfjsData(): { cMapUrl: string; cMapPacked: true; standardFontDataUrl: string } {
  dataFolder ??= pdfjsFolder();
  return {
    cMapUrl: `${path.join(dataFolder, "cmaps")}${path.sep}`,
    cMapPacked: true,
    standardFontDataUrl: `${path.join(dataFolder, "standard_fonts")}${path.sep}`,
  };
}

/**
 * pdf.js, loaded once. In Node pdf.js never starts a worker thread: it runs
 * its "worker" in this thread, and importing the worker module first hands
 * it over directly (`globalThis.pdfjsWorker`) instead of letting pdf.js
 * import it by a path a bundler may have moved. The legacy build is the one
 * pdf.js documents for Node.
 */
function loadPdfjs(): Promise<Pdfjs> {
  pdfjs ??= (async () => {
    const [library] = await Promise.all([
      import("pdfjs-dist/legacy/build/pdf.mjs"),
      import("pdfjs-dist/legacy/build/pdf.worker.mjs"),
    ]);
    return library;
  })();
  return pdfjs;
}

/**
 * A PDF's text, one string per page (page n is `pages[n - 1]`), and its
 * Title. Pages are read one at a time, between turns of the event loop, so a
 * long PDF neither blocks the process nor outlives an abort by more than one
 * page. A PDF whose pages average under `SCANNED_CHARACTERS_PER_PAGE`
 * characters has no text layer worth the name (a scan) and is refused.
 */
export async function extractPdf(bytes: Uint8Array, context: ExtractionContext): Promise<ExtractedPages> {
  const { filename, signal, onProgress, limits } = context;
  const library = await loadPdfjs();
  signal?.throwIfAborted();
  const task = openPdf(library, bytes);
  try {
    let document: PDFDocumentProxy;
    try {
      document = await unlessAborted(task.promise, signal);
    } catch (error) {
      throw signal?.aborted ? signal.reason : openingError(filename, error);
    }
    const total = checkedPageCount(document, filename, limits);
    const title = await unlessAborted(pdfTitle(document), signal);
    onProgress?.(0, total);
    const pages: string[] = [];
    let characters = 0;
    let visible = 0;
    for (let number = 1; number <= total; number++) {
      await yieldToEventLoop(signal);
      let text: string;
      try {
        const page = await unlessAborted(document.getPage(number), signal);
        const content = await unlessAborted(page.getTextContent(), signal);
        page.cleanup();
        text = pageText(content.items);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw unreadableDocument(filename, `is damaged: page ${number} cannot be read.`, error);
      }
      pages.push(text);
      characters += text.length;
      visible += text.replace(/\s+/g, "").length;
      if (characters > limits.maxCharacters)
        throw documentTooLarge(
          filename,
          `has more than ${limits.maxCharacters.toLocaleString("en")} characters of text (the limit) by page ${number}.`,
          { name: "maxCharacters", value: characters, max: limits.maxCharacters },
        );
      onProgress?.(number, total);
    }
    if (visible < SCANNED_CHARACTERS_PER_PAGE * total)
      throw unreadableDocument(
        filename,
        "has no text layer — it looks scanned; OCR is not supported. Upload a PDF with selectable text.",
      );
    return title === undefined ? { pages } : { title, pages };
  } finally {
    // Frees the parsed document; never throws for a task that failed to open.
    await task.destroy();
  }
}

/** Opens a PDF for its text only. */
function openPdf(library: Awaited<ReturnType<typeof loadPdfjs>>, bytes: Uint8Array) {
  return library.getDocument({
    // pdf.js may transfer (detach) the buffer it is given: hand it a copy, and
    // a plain Uint8Array (it refuses a Node Buffer, which stores return).
    data: new Uint8Array(bytes),
    ...pdfjsData(),
    // Text only: no fonts to load, no canvas, no JavaScript, no eval.
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    enableXfa: false,
    isOffscreenCanvasSupported: false,
    isImageDecoderSupported: false,
    stopAtErrors: false,
    verbosity: library.VerbosityLevel.ERRORS,
  });
}

/** The document's page count, refused when it has none or more than `maxPages`. */
function checkedPageCount(
  document: PDFDocumentProxy,
  filename: string,
  limits: ExtractionContext["limits"],
): number {
  const total = document.numPages;
  if (total === 0) throw unreadableDocument(filename, "has no pages.");
  if (total > limits.maxPages)
    throw documentTooLarge(filename, `has ${total} pages; at most ${limits.maxPages} are accepted.`, {
      name: "maxPages",
      value: total,
      max: limits.maxPages,
    });
  return total;
}

/** Pages whose text `inspectPdf` reads: the first, the last and three between. */
const SAMPLED_PAGES = 5;

/**
 * What can be told of a PDF at once, without reading every page: it opens
 * (not damaged, not encrypted), has pages but not too many, and its sampled
 * pages have a text layer (not a scan). Throws the same refusals as
 * `extractPdf`; an upload is answered with them before any indexing starts.
 */
export async function inspectPdf(
  bytes: Uint8Array,
  filename: string,
  limits: ExtractionContext["limits"],
): Promise<void> {
  const library = await loadPdfjs();
  const task = openPdf(library, bytes);
  try {
    let document: PDFDocumentProxy;
    try {
      document = await task.promise;
    } catch (error) {
      throw openingError(filename, error);
    }
    const total = checkedPageCount(document, filename, limits);
    const sample = [
      ...new Set(
        Array.from(
          { length: SAMPLED_PAGES },
          (_, index) => 1 + Math.round((index * (total - 1)) / Math.max(1, SAMPLED_PAGES - 1)),
        ),
      ),
    ];
    let visible = 0;
    for (const number of sample) {
      try {
        const page = await document.getPage(number);
        visible += pageText((await page.getTextContent()).items).replace(/\s+/g, "").length;
        page.cleanup();
      } catch (error) {
        throw unreadableDocument(filename, `is damaged: page ${number} cannot be read.`, error);
      }
    }
    if (visible < SCANNED_CHARACTERS_PER_PAGE * sample.length)
      throw unreadableDocument(
        filename,
        "has no text layer — it looks scanned; OCR is not supported. Upload a PDF with selectable text.",
      );
  } finally {
    await task.destroy();
  }
}

/** Fewer visible characters than this per page, on average, is a scan. */
export const SCANNED_CHARACTERS_PER_PAGE = 3;

function openingError(filename: string, error: unknown): Error {
  const name = error instanceof Error ? error.name : "";
  if (name === "PasswordException")
    return unreadableDocument(filename, "is encrypted; upload a copy without a password.", error);
  return unreadableDocument(filename, "is damaged and cannot be read as a PDF.", error);
}

/** The document information's Title, else the XMP dc:title; undefined when absent. */
async function pdfTitle(document: PDFDocumentProxy): Promise<string | undefined> {
  const { info, metadata } = await document.getMetadata();
  const fromInfo = (info as { Title?: unknown } | undefined)?.Title;
  if (typeof fromInfo === "string" && fromInfo.trim() !== "") return fromInfo;
  const fromXmp = metadata?.get("dc:title");
  return typeof fromXmp === "string" && fromXmp.trim() !== "" ? fromXmp : undefined;
}

/**
 * A page's text: pdf.js's items in reading order, a line break where pdf.js
 * marks the end of a line, and a blank line where the gap to the next line
 * is much taller than the text (a paragraph break), which passage splitting
 * relies on.
 */
export function pageText(items: (TextItem | TextMarkedContent)[]): string {
  let text = "";
  let lineY: number | undefined;
  let lineHeight = 0;
  let atLineStart = true;
  for (const item of items) {
    if (!("str" in item)) continue;
    const y = item.transform[5] ?? 0;
    const height = item.height || Math.abs(item.transform[3] ?? 0);
    if (atLineStart && item.str !== "") {
      if (lineY !== undefined && lineY - y > 1.8 * Math.max(height, lineHeight, 1)) text += "\n";
      lineY = y;
      lineHeight = height;
      atLineStart = false;
    }
    text += item.str;
    if (item.hasEOL) {
      text += "\n";
      atLineStart = true;
    }
  }
  return text
    .split("\n")
    .map((line) => line.replace(/[ \t\u00a0]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
