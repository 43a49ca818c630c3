import type { ExportFormat } from "../model/export-format";
import { type ExportOptions, exportDocument, type ReportTask } from "./export-document";
import { contentDisposition, fileNameOf } from "./file-name";
import { toDocx } from "./to-docx";
import { toHtml } from "./to-html";
import { toJson } from "./to-json";
import { toPdf } from "./to-pdf";

/** A finished export: the bytes and how to serve them. */
export interface ExportedFile {
  body: Uint8Array<ArrayBuffer> | string;
  /** The media type, with `charset=utf-8` for text. */
  contentType: string;
  /** The ASCII file name (`the-louisiana-purchase.pdf`). */
  fileName: string;
  /** `attachment` with that name and the title in UTF-8. */
  contentDisposition: string;
}

export const exportMediaTypes: Record<ExportFormat, string> = {
  md: "text/markdown; charset=utf-8",
  html: "text/html; charset=utf-8",
  pdf: "application/pdf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  json: "application/json; charset=utf-8",
};

/**
 * A task's report in one format. The Markdown is parsed once
 * (`exportDocument`); the file is named after the report's title.
 */
export async function exportTask(
  task: ReportTask,
  format: ExportFormat,
  options: ExportOptions = {},
): Promise<ExportedFile> {
  const document = exportDocument(task, options);
  const body = await render(task, format, document);
  return {
    body,
    contentType: exportMediaTypes[format],
    fileName: fileNameOf(document.title, format),
    contentDisposition: contentDisposition(document.title, format),
  };
}

async function render(
  task: ReportTask,
  format: ExportFormat,
  document: ReturnType<typeof exportDocument>,
): Promise<Uint8Array<ArrayBuffer> | string> {
  switch (format) {
    case "md":
      return task.result.report;
    case "html":
      return toHtml(document);
    case "pdf":
      return toPdf(document);
    case "docx":
      return toDocx(document);
    case "json":
      return toJson(task, document.title);
  }
}
