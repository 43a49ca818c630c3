/**
 * Text extraction for uploaded documents: PDF, Word (.docx), HTML, Markdown,
 * plain text and CSV, sniffed from their bytes and read page by page.
 * `testing/` holds fixture generators for the suites only.
 */

export { type DocumentType, documentTypes, mediaTypes } from "./document-types";
export {
  type DocumentInput,
  type ExtractedDocument,
  extractDocument,
  inspectDocument,
} from "./extract-document";
export { defaultLimits, type ExtractionLimits } from "./extraction-context";
export { PAGE_CHARACTERS, PAGE_WORDS } from "./paginate";
export { type Sniffed, sniffDocument, sniffType } from "./sniff-type";
