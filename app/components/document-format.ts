import type { DocumentStatus, DocumentType } from "@/lib/model/collection";

const typeLabels: Record<DocumentType, string> = {
  pdf: "PDF",
  docx: "Word",
  html: "HTML",
  markdown: "Markdown",
  text: "Text",
  csv: "CSV",
};

/** A document's type as people name it; "—" while it is not known yet (queued). */
export function documentTypeLabel(type: DocumentType | null): string {
  return type === null ? "—" : typeLabels[type];
}

const statusLabels: Record<DocumentStatus, string> = {
  queued: "Queued",
  indexing: "Indexing",
  ready: "Ready",
  failed: "Failed",
};

export function documentStatusLabel(status: DocumentStatus): string {
  return statusLabels[status];
}

/** True once a document's indexing is over, one way or the other. */
export function isSettled(status: DocumentStatus): boolean {
  return status === "ready" || status === "failed";
}

const units = ["KB", "MB", "GB"];

/** `512 bytes`, `1.4 KB`, `23 MB`: one decimal below 10, none above (1 KB = 1,024 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? "" : "s"}`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const rounded = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  return `${rounded.toLocaleString("en-US")} ${units[unit]}`;
}

/** `1 page`, `12 pages`; "—" when not known yet. */
export function countLabel(count: number | null, noun: string): string {
  if (count === null) return "—";
  return `${count.toLocaleString("en-US")} ${noun}${count === 1 ? "" : "s"}`;
}
