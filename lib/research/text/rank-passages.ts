import { QUESTION_STOPWORDS } from "./stopwords";
import { contentTerms } from "./tokenize";

/**
 * The `limit` passages that best match a query (sum of the rarity of the
 * query's words each holds, damped by length), best first; ties keep text
 * order. Used to keep the relevant part of a long web page.
 */
export function rankPassages(passages: readonly string[], query: string, limit: number): string[] {
  const queryTerms = contentTerms(query, QUESTION_STOPWORDS);
  const termSets = passages.map((passage) => new Set(contentTerms(passage)));
  const containing = new Map<string, number>();
  for (const terms of termSets)
    for (const term of queryTerms) if (terms.has(term)) containing.set(term, (containing.get(term) ?? 0) + 1);
  const scored = passages.map((text, index) => {
    const terms = termSets[index]!;
    let score = 0;
    for (const term of queryTerms) {
      if (terms.has(term)) score += Math.log(1 + passages.length / (containing.get(term) ?? 1));
    }
    return { text, index, score: score / Math.sqrt(Math.max(20, terms.size) / 20) };
  });
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  return scored.slice(0, limit).map(({ text }) => text);
}
