import { AppError } from "../../errors";

/**
 * The refusals of document extraction. Every message starts with the file's
 * name, so it reads well on its own in an upload list ("“q3.pdf” is
 * encrypted; upload a copy without a password").
 */

/** The name as a person sees it: no folders, quoted. */
export function quoted(filename: string): string {
  const base = filename.split(/[\\/]/).pop()?.trim() || "The document";
  return `“${base}”`;
}

/** Not a type Fathom reads (415). `found` says what the bytes are. */
export function unsupportedDocument(filename: string, found: string, hint?: string): AppError {
  return new AppError(
    "unsupported_document",
    `${quoted(filename)} is not a supported document type (found: ${found}). ` +
      (hint ?? "Upload a PDF, Word (.docx), HTML, Markdown, text or CSV file."),
    { details: { found } },
  );
}

/**
 * A name (or Content-Type) that promises a binary document over bytes that
 * are text (415): usually an error or login page saved in the document's place.
 */
export function mismatchedDocument(filename: string, promised: string, found: string): AppError {
  return new AppError(
    "unsupported_document",
    `${quoted(filename)} is named as ${promised} but contains ${found}` +
      (found.includes("HTML") ? ", often a login or error page saved in the document's place" : "") +
      ". Download the document again and upload that.",
    { details: { found } },
  );
}

/** A document of a supported type that cannot be read (422): damaged, encrypted, scanned, empty. */
export function unreadableDocument(filename: string, problem: string, cause?: unknown): AppError {
  return new AppError("document_unreadable", `${quoted(filename)} ${problem}`, { cause });
}

/** A document over one of the extraction limits (413). */
export function documentTooLarge(
  filename: string,
  problem: string,
  limit: { name: string; value: number; max: number },
): AppError {
  return new AppError("document_too_large", `${quoted(filename)} ${problem}`, { details: limit });
}
