import { z } from "zod";

/**
 * The formats a finished task's report can be downloaded in
 * (`GET /api/tasks/:id/export?format=…`), in the order the task page offers them.
 */
export const exportFormats = ["md", "html", "pdf", "docx", "json"] as const;
export type ExportFormat = (typeof exportFormats)[number];

export const exportFormatSchema = z.enum(exportFormats, {
  error: (issue) =>
    `format must be one of ${exportFormats.join(", ")}${issue.input === undefined ? "" : `, got ${JSON.stringify(issue.input)}`}`,
});

/** What the task page's buttons call each format. */
export const exportFormatLabels: Record<ExportFormat, string> = {
  md: "Markdown",
  html: "HTML",
  pdf: "PDF",
  docx: "Word",
  json: "JSON",
};

/** The path of a task's export in one format. */
export function exportPath(taskId: string, format: ExportFormat): string {
  return `/api/tasks/${taskId}/export?format=${format}`;
}
