// Exports of a finished task's report (docs/ARCHITECTURE.md, "Layers"): Markdown, HTML, PDF, Word, JSON.
export { type ExportOptions, hasReport, type ReportTask } from "./export-document";
export { type ExportedFile, exportMediaTypes, exportTask } from "./export-task";
