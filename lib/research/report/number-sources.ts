import { type LearningRecord, sourceKey } from "../research-records";
import type { Source } from "../types";

/**
 * The report's sources, numbered for its `[n]` citations: the most relevant
 * source first. A source's relevance is that of its best finding, plus a
 * little for each further finding (a document several findings come from is
 * more likely the one that answers); equal sources keep the order of their
 * first finding, so findings without relevance (a model's) are numbered in
 * the order they were made.
 *
 * A pure function of the recorded findings, in their recorded order: a
 * resumed report step numbers them exactly as the interrupted one did.
 */
export function numberSources(learnings: readonly LearningRecord[]): Map<string, Source> {
  const gathered = new Map<string, { source: Source; relevances: number[]; first: number }>();
  for (const learning of learnings) {
    for (const ref of learning.sources) {
      const key = sourceKey(ref);
      let entry = gathered.get(key);
      if (entry === undefined) {
        entry = { source: { ...ref, number: 0, passages: [] }, relevances: [], first: gathered.size };
        gathered.set(key, entry);
      }
      entry.relevances.push(learning.relevance);
      for (const passage of learning.passages)
        if (!entry.source.passages.includes(passage)) entry.source.passages.push(passage);
    }
  }
  const scored = [...gathered].map(([key, entry]) => ({ key, entry, score: sourceScore(entry.relevances) }));
  scored.sort((a, b) => b.score - a.score || a.entry.first - b.entry.first);
  const numbered = new Map<string, Source>();
  for (const [index, { key, entry }] of scored.entries()) {
    entry.source.number = index + 1;
    numbered.set(key, entry.source);
  }
  return numbered;
}

/** The best relevance, plus a quarter of each other one. */
function sourceScore(relevances: readonly number[]): number {
  const sorted = [...relevances].sort((a, b) => b - a);
  return sorted.reduce((sum, relevance, index) => sum + (index === 0 ? relevance : 0.25 * relevance), 0);
}
