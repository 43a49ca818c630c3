import { type LearningRecord, sourceKey } from "../research-records";
import type { Source } from "../types";

/** Options of `numberSources`. */
export interface NumberSourcesOptions {
  /**
   * Where the search ranked each source (by `sourceKey`, 1 = first) for the
   * question itself — its best rank among the top-level sub-questions'
   * searches. Sources missing from it were not found by those searches.
   * Default: none (relevance of the findings alone).
   */
  searchRanks?: ReadonlyMap<string, number>;
}

/**
 * The report's sources, numbered for its `[n]` citations: the most relevant
 * source first. A source's relevance is that of its best finding, plus a
 * little for each further finding (a document several findings come from is
 * more likely the one that answers); equal sources keep the order of their
 * first finding, so findings without relevance (a model's) are numbered in
 * the order they were made.
 *
 * When the findings carry relevance, the document-level evidence of the
 * search counts as much as a finding's: a source's score is its findings'
 * share of the best source's, plus `1 / rank` of the document in the
 * searches of the question's own sub-questions. A sentence matches a
 * question by a handful of words; the search ranks the document by all its
 * passages' words, weighed by rarity, which tells the answering address
 * from a later address of the same president more often than one sentence
 * does (README, "Offline answers").
 *
 * A pure function of the recorded findings and searches, in their recorded
 * order: a resumed report step numbers them exactly as the interrupted one did.
 */
export function numberSources(
  learnings: readonly LearningRecord[],
  options: NumberSourcesOptions = {},
): Map<string, Source> {
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
  const best = Math.max(0, ...scored.map(({ score }) => score));
  if (best > 0 && options.searchRanks !== undefined) {
    for (const item of scored) {
      const rank = options.searchRanks.get(item.key);
      item.score = item.score / best + (rank === undefined ? 0 : SEARCH_RANK_WEIGHT / rank);
    }
  }
  scored.sort((a, b) => b.score - a.score || a.entry.first - b.entry.first);
  const numbered = new Map<string, Source>();
  for (const [index, { key, entry }] of scored.entries()) {
    entry.source.number = index + 1;
    numbered.set(key, entry.source);
  }
  return numbered;
}

/** Weight of the search's `1 / rank` beside the findings' relevance (the best source's counts 1). */
const SEARCH_RANK_WEIGHT = 1;

/** The best relevance, plus a quarter of each other one. */
function sourceScore(relevances: readonly number[]): number {
  const sorted = [...relevances].sort((a, b) => b - a);
  return sorted.reduce((sum, relevance, index) => sum + (index === 0 ? relevance : 0.25 * relevance), 0);
}
