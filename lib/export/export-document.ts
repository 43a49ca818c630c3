import { documentPagePath, parseCollectionDocumentRef } from "../model/collection";
import { reportPhrases } from "../model/report-phrases";
import { taskTitle } from "../model/request";
import type { SourceJson, TaskJson } from "../model/task-json";
import { type Block, inlineText, reportBlocks, withoutSourcesSection } from "./report-blocks";

/** A task that has a report: what every export is made from. */
export type ReportTask = Readonly<TaskJson> & {
  readonly result: NonNullable<TaskJson["result"]> & { readonly report: string };
};

export function hasReport(task: Readonly<TaskJson>): task is ReportTask {
  return typeof task.result?.report === "string" && task.result.report.length > 0;
}

/** Options of `exportDocument`. */
export interface ExportOptions {
  /**
   * The app's origin (`https://fathom.example`), which makes links to a
   * collection's document pages absolute: an exported file is read away
   * from the app. Without it those sources are named, not linked.
   */
  appUrl?: string;
}

/** A numbered source as the exports show it. */
export interface ExportSource {
  number: number;
  title: string;
  /** Where the source can be opened: its page, or the app's page of a collection document. */
  href?: string;
  /** What follows the title: the host of a page not read, the document reference, the page cited. */
  detail?: string;
}

/** The report, ready for any format: parsed once. */
export interface ExportDocument {
  /** The report's first `# ` heading, else the task's query. */
  title: string;
  /** The report without its trailing sources list (drawn from `sources`, with anchors). */
  blocks: Block[];
  sources: ExportSource[];
  /** The report's language tag (`en`, `pt-BR`). */
  language: string;
  /** The sources list's heading, in the report's language ("Sources", "来源"). */
  sourcesHeading: string;
  /** When the task finished (ISO), for the documents' metadata. */
  finishedAt: string | null;
}

export function exportDocument(task: ReportTask, options: ExportOptions = {}): ExportDocument {
  const parsed = reportBlocks(task.result.report);
  const heading = parsed.find((block) => block.kind === "heading" && block.level === 1);
  const title =
    (heading?.kind === "heading" ? inlineText(heading.inlines).trim() : "") || taskTitle(task.request);
  const language = "language" in task.request ? task.request.language : "en";
  const sources = task.result.sources.map((source) => exportSource(source, language, options));
  return {
    title,
    blocks: sources.length > 0 ? withoutSourcesSection(parsed) : parsed,
    sources,
    language,
    sourcesHeading: reportPhrases(language).sourcesHeading.replace(/^#+\s*/, ""),
    finishedAt: task.finishedAt,
  };
}

function exportSource(source: SourceJson, language: string, options: ExportOptions): ExportSource {
  const phrases = reportPhrases(language);
  const title =
    source.title.replace(/\s+/g, " ").trim() || source.url || source.documentRef || phrases.untitled;
  const page = source.page ? phrases.page(source.page) : undefined;
  if (source.url) {
    // A page that was never read is named, not linked (as in the report's own list).
    if (source.unreadable)
      return { number: source.number, title, detail: `${hostOf(source.url)} ${phrases.pageNotRead}` };
    const href = safeHref(source.url);
    return { number: source.number, title, ...(href && { href }), detail: source.url };
  }
  const inCollection = source.documentRef ? parseCollectionDocumentRef(source.documentRef) : undefined;
  if (inCollection && options.appUrl) {
    const href = safeHref(
      new URL(documentPagePath(inCollection.collection, inCollection.id, source.page), options.appUrl).href,
    );
    return { number: source.number, title, ...(href && { href }), ...(page && { detail: page }) };
  }
  const detail = [source.documentRef, page].filter(Boolean).join(", ");
  return { number: source.number, title, ...(detail && { detail }) };
}

/**
 * A link target an exported file may carry: absolute http(s) and mailto
 * only. A report's `javascript:` link, or a relative one that means nothing
 * outside the app, is shown as text.
 */
export function safeHref(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return ["http:", "https:", "mailto:"].includes(parsed.protocol) ? parsed.href : undefined;
  } catch (error) {
    void error; // Not an absolute URL: no link.
    return undefined;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch (error) {
    void error; // Not a URL after all: show nothing rather than the raw text.
    return "unknown host";
  }
}

/** The anchor of source `n` (HTML ids, PDF destinations, Word bookmarks: letters, digits and `_`). */
export function sourceAnchor(number: number): string {
  return `source_${number}`;
}
