import { documentPagePath, parseCollectionDocumentRef } from "../../model/collection";
import type { SourceRef } from "../types";
import { reportPhrases } from "../../model/report-phrases";

/** The heading that starts an English report's sources list; the engine writes it, never the model. */
export const SOURCES_HEADING = "## Sources";

/**
 * The sources list: `1. [Title](url)` for web pages, `1. Title — documentRef`
 * for local documents. Numbers are the report's citation numbers. Its
 * heading and words are in `language` (report-phrases.ts; default English).
 */
export function sourcesSection(
  sources: readonly (SourceRef & { number: number })[],
  language?: string,
): string {
  if (sources.length === 0) return "";
  const phrases = reportPhrases(language);
  const lines = sources.map((source) => {
    const title =
      source.title.replace(/\s+/g, " ").trim() || source.url || source.documentRef || phrases.untitled;
    // A page that was never read is named, not linked: the report must not
    // present it as a source someone could verify by following the link.
    if (source.url && source.unreadable)
      return `${source.number}. ${title} — ${hostOf(source.url)} ${phrases.pageNotRead}`;
    if (source.url)
      return `${source.number}. [${escapeLinkText(title)}](${source.url.replace(/[()\s]/g, encodeURIComponent)})`;
    const inCollection = source.documentRef ? parseCollectionDocumentRef(source.documentRef) : undefined;
    if (inCollection) {
      // A collection's document links to the app's page of it, at the cited page.
      const label = source.page ? `${title}, ${phrases.page(source.page)}` : title;
      return `${source.number}. [${escapeLinkText(label)}](${documentPagePath(inCollection.collection, inCollection.id, source.page)})`;
    }
    return `${source.number}. ${title}${source.documentRef ? ` — ${source.documentRef}` : ""}`;
  });
  return `${phrases.sourcesHeading}\n\n${lines.join("\n")}\n`;
}

function escapeLinkText(text: string): string {
  return text.replace(/([[\]\\])/g, "\\$1");
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch (error) {
    void error; // Not a URL after all: show nothing rather than the raw text.
    return "unknown host";
  }
}
