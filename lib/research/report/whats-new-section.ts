import { sourceKey } from "../research-records";
import type { PreviousRun, Source } from "../types";
import { reportPhrases } from "../../model/report-phrases";

/** The start of the heading of an English report's "What's new" section; the engine writes it, never the model. */
export const WHATS_NEW_HEADING = "## What's new since ";

/** What a run found that its previous run had not. */
export interface WhatsNew {
  /** The previous run's end, as the heading shows it ("2026-03-01 12:00:05 UTC"). */
  since: string;
  /** This run's sources whose identity (url, document and page) the previous run did not cite. */
  sources: Source[];
  /** This run's learnings whose text the previous run did not have. */
  learnings: { text: string; citations: number[] }[];
}

/**
 * Compares a run's numbered sources and learnings with the previous run's:
 * by source identity (`sourceKey`) and by learning text, with no model, so
 * the same recorded steps always give the same lists (a model's summary of
 * them is a recorded step of its own: see the engine's `writeReport`).
 */
export function whatsNewSince(
  previous: PreviousRun,
  sources: readonly Source[],
  learnings: readonly { text: string; citations: number[] }[],
): WhatsNew {
  const seenSources = new Set(previous.sources.map(sourceKey));
  const seenLearnings = new Set(previous.learnings.map((text) => text.trim()));
  const newLearnings = new Map<string, number[]>();
  for (const learning of learnings) {
    if (seenLearnings.has(learning.text.trim()) || newLearnings.has(learning.text)) continue;
    newLearnings.set(learning.text, learning.citations);
  }
  return {
    since: displayTime(previous.finishedAt),
    sources: sources.filter((source) => !seenSources.has(sourceKey(source))),
    learnings: [...newLearnings].map(([text, citations]) => ({ text, citations })),
  };
}

/** Whether a run found anything its previous run had not. */
export function hasNews(whatsNew: WhatsNew): boolean {
  return whatsNew.sources.length > 0 || whatsNew.learnings.length > 0;
}

/**
 * The section (ends with a newline): new sources by their citation number,
 * then new learnings with their citations, or "Nothing new since …"; its
 * words in `language` (report-phrases.ts; default English). A model's
 * `summary` of the news (one paragraph), when given, comes first.
 */
export function whatsNewSection(
  whatsNew: WhatsNew,
  { summary = "", language }: { summary?: string; language?: string } = {},
): string {
  const phrases = reportPhrases(language);
  const heading = `${phrases.whatsNewHeadingStart}${whatsNew.since}${phrases.whatsNewHeadingEnd}

`;
  if (!hasNews(whatsNew)) {
    return `${heading}${phrases.nothingNewSince(whatsNew.since)}
`;
  }
  const opening = summary.trim() === "" ? "" : `${summary.trim()}\n\n`;
  const parts: string[] = [];
  if (whatsNew.sources.length > 0) {
    const lines = whatsNew.sources.map((source) => {
      const title = source.title.replace(/\s+/g, " ").trim() || phrases.untitled;
      const where = source.url ?? source.documentRef;
      return `- [${source.number}] ${title}${where ? ` — ${where}` : ""}`;
    });
    parts.push(`${phrases.newSources(whatsNew.sources.length)}\n\n${lines.join("\n")}\n`);
  } else {
    parts.push(`${phrases.noNewSources}\n`);
  }
  if (whatsNew.learnings.length > 0) {
    const lines = whatsNew.learnings.map(({ text, citations }) => {
      const cited = citations.length > 0 ? ` ${citations.map((number) => `[${number}]`).join("")}` : "";
      return `- ${text.replace(/\s+/g, " ").trim()}${cited}`;
    });
    parts.push(`${phrases.newLearnings(whatsNew.learnings.length)}\n\n${lines.join("\n")}\n`);
  } else {
    parts.push(`${phrases.noNewLearnings}\n`);
  }
  return heading + opening + parts.join("\n");
}

/** "2026-03-01T12:00:05.120Z" → "2026-03-01 12:00:05 UTC" (the text as is when it is no date). */
function displayTime(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return `${new Date(time).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
