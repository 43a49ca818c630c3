import type { DocumentType } from "../../model/collection";

/** The kinds of document Fathom reads from an upload: the model's, which stored documents carry. */
export { type DocumentType, documentTypes } from "../../model/collection";

/** The media type reported for each kind (CSV covers tab-separated files too). */
export const mediaTypes: Record<DocumentType, string> = {
  pdf: "application/pdf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  html: "text/html",
  markdown: "text/markdown",
  text: "text/plain",
  csv: "text/csv",
};

/** What a person calls each kind, for messages. */
export const typeNames: Record<DocumentType, string> = {
  pdf: "a PDF",
  docx: "a Word document",
  html: "an HTML page",
  markdown: "a Markdown file",
  text: "a text file",
  csv: "a CSV file",
};

const extensions: Record<string, DocumentType> = {
  pdf: "pdf",
  docx: "docx",
  html: "html",
  htm: "html",
  xhtml: "html",
  md: "markdown",
  markdown: "markdown",
  mdown: "markdown",
  mkd: "markdown",
  txt: "text",
  text: "text",
  csv: "csv",
  tsv: "csv",
  tab: "csv",
};

const declaredTypes: Record<string, DocumentType> = {
  "application/pdf": "pdf",
  "application/x-pdf": "pdf",
  [mediaTypes.docx]: "docx",
  "text/html": "html",
  "application/xhtml+xml": "html",
  "text/markdown": "markdown",
  "text/x-markdown": "markdown",
  "text/plain": "text",
  "text/csv": "csv",
  "text/tab-separated-values": "csv",
  "application/csv": "csv",
};

/** The lower-cased extension of a file name ("report.PDF" → "pdf"), or "". */
export function extensionOf(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : "";
}

/** The file name without folders and without its extension, for a title. */
export function baseName(filename: string): string {
  const base = (filename.split(/[\\/]/).pop() ?? "").trim();
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

/** The type a file name claims, from its extension. */
export function typeFromName(filename: string): DocumentType | undefined {
  return extensions[extensionOf(filename)];
}

/** The type an upload's Content-Type claims (parameters such as `charset` ignored). */
export function typeFromDeclared(declaredType: string | undefined): DocumentType | undefined {
  if (declaredType === undefined) return undefined;
  const essence = declaredType.split(";")[0]?.trim().toLowerCase() ?? "";
  return declaredTypes[essence];
}

/** True when a name's extension is tab-separated (`.tsv`, `.tab`). */
export function isTabSeparatedName(filename: string, declaredType?: string): boolean {
  const extension = extensionOf(filename);
  return (
    extension === "tsv" ||
    extension === "tab" ||
    declaredType?.split(";")[0]?.trim().toLowerCase() === "text/tab-separated-values"
  );
}
