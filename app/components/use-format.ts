import { useLocale, useTranslations } from "next-intl";
import type { DocumentStatus, DocumentType } from "@/lib/model/collection";
import type { TaskStatus } from "@/lib/model/task-json";
import { documentTypeLabel } from "./document-format";

/** The "format" messages' translator (from `useTranslations` or next-intl's `getTranslations`). */
export type FormatTranslator = ReturnType<typeof useTranslations<"format">>;

/** Things counted on the pages, each with its plural message. */
export type Counted = "page" | "passage" | "document" | "character" | "source";

/**
 * Counts, sizes and labels in the page's language (docs/ARCHITECTURE.md,
 * "Languages"): numbers by Intl with the page's locale, words from the
 * messages. The English forms are those of document-format.ts.
 */
export function formatters(t: FormatTranslator, locale: string) {
  const number = new Intl.NumberFormat(locale);
  return {
    /** `1 page`, `12 pages`; "—" when not known yet. */
    count(noun: Counted, count: number | null): string {
      return count === null ? "—" : t(`count.${noun}`, { count });
    },
    /** `512 bytes`, `1.4 KB`, `23 MB` (1 KB = 1,024 bytes). */
    bytes(bytes: number): string {
      if (bytes < 1024) return t("bytes", { count: bytes });
      const units = ["KB", "MB", "GB"] as const;
      let value = bytes / 1024;
      let unit = 0;
      while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
      }
      const rounded = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
      return `${number.format(rounded)} ${units[unit]}`;
    },
    documentType(type: DocumentType | null): string {
      return type === "text" ? t("documentTypeText") : documentTypeLabel(type);
    },
    documentStatus(status: DocumentStatus): string {
      return t(`documentStatus.${status}`);
    },
    taskStatus(status: TaskStatus): string {
      return t(`taskStatus.${status}`);
    },
    number(value: number): string {
      return number.format(value);
    },
  };
}

export type Formatters = ReturnType<typeof formatters>;

/** `formatters` for a client component. */
export function useFormat(): Formatters {
  return formatters(useTranslations("format"), useLocale());
}
