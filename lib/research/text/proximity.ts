import { termMatch } from "./question-match";

/**
 * How closely a text holds a query's words together, from 0 to 1: every
 * pair of distinct query terms found within `window` content words of each
 * other scores the weight of its lighter term, in full when adjacent and less
 * the farther apart (`(window − distance + 1) / window`); the sum is divided
 * by what all pairs would score side by side. A passage where "Russia" and
 * "Alaska" meet in one clause scores higher than one that names them pages
 * apart, which bag-of-words BM25 cannot tell.
 *
 * `sequence` is the text's content terms in order (`termSequence`); a word
 * matches a query term as the search does (same term, or one beginning the
 * other when at least five letters long).
 */
export function proximity(
  sequence: readonly (string | null)[],
  terms: readonly string[],
  weight: (term: string) => number,
  window = 8,
): number {
  if (terms.length < 2) return 0;
  const positions = terms.map(() => [] as number[]);
  const matching = new Map<string, number[]>();
  sequence.forEach((word, index) => {
    if (word === null) return;
    let found = matching.get(word);
    if (found === undefined) {
      found = terms.flatMap((term, termIndex) => (termMatch(term, word) > 0 ? [termIndex] : []));
      matching.set(word, found);
    }
    for (const termIndex of found) positions[termIndex]!.push(index);
  });
  let found = 0;
  let possible = 0;
  for (let first = 0; first < terms.length; first++) {
    for (let second = first + 1; second < terms.length; second++) {
      const pairWeight = Math.min(weight(terms[first]!), weight(terms[second]!));
      possible += pairWeight;
      const distance = nearest(positions[first]!, positions[second]!);
      if (distance <= window) found += (pairWeight * (window - distance + 1)) / window;
    }
  }
  return possible > 0 ? found / possible : 0;
}

/** The smallest gap between a position of `a` and one of `b` (both ascending); Infinity when either is empty. */
function nearest(a: readonly number[], b: readonly number[]): number {
  let best = Number.POSITIVE_INFINITY;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const gap = a[i]! - b[j]!;
    if (gap !== 0) best = Math.min(best, Math.abs(gap));
    if (gap < 0) i++;
    else j++;
  }
  return best;
}
