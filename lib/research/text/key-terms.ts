import { INDEX_STOPWORDS, QUESTION_STOPWORDS } from "./stopwords";
import { tokenize } from "./tokenize";

/** A candidate term (one word or two adjacent words) with its most common spelling. */
export interface KeyTerm {
  /** Normalized form: stemmed words joined by a space. */
  term: string;
  /** The spelling seen most often ("New Orleans"). */
  surface: string;
  score: number;
}

/** Options of `keyTerms`. */
export interface KeyTermOptions {
  /** Normalized terms to leave out (the question's own terms). */
  exclude?: ReadonlySet<string>;
  /** Inverse document frequency of a normalized word; default 1 for every word. */
  idf?: (term: string) => number;
  /** A term must occur in at least this many texts. Default 2 (1 when fewer than 3 texts). */
  minTexts?: number;
}

function isContent(lower: string): boolean {
  // Contractions of function words are function words: "it's", "that's", "we'll", "don't".
  if (/n['’]t$/u.test(lower)) return false;
  const base = lower.replace(/['’](s|re|ve|ll|d|m)$/u, "");
  return (
    lower.length >= 3 &&
    !INDEX_STOPWORDS.has(lower) &&
    !QUESTION_STOPWORDS.has(lower) &&
    !INDEX_STOPWORDS.has(base) &&
    !QUESTION_STOPWORDS.has(base) &&
    /^\p{L}/u.test(lower)
  );
}

/**
 * Pseudo-relevance feedback: the words and two-word phrases that the given
 * texts (the best-matching passages) share, weighted by how many texts hold
 * them and how rare they are overall. Deterministic: ties break on the term.
 */
export function keyTerms(texts: readonly string[], options: KeyTermOptions = {}): KeyTerm[] {
  const exclude = options.exclude ?? new Set<string>();
  const idf = options.idf ?? (() => 1);
  const minTexts = options.minTexts ?? (texts.length < 3 ? 1 : 2);
  const textCount = new Map<string, number>();
  const frequency = new Map<string, number>();
  const spellings = new Map<string, Map<string, number>>();
  const count = (term: string, surface: string, seen: Set<string>) => {
    frequency.set(term, (frequency.get(term) ?? 0) + 1);
    if (!seen.has(term)) {
      seen.add(term);
      textCount.set(term, (textCount.get(term) ?? 0) + 1);
    }
    let forms = spellings.get(term);
    if (forms === undefined) {
      forms = new Map();
      spellings.set(term, forms);
    }
    forms.set(surface, (forms.get(surface) ?? 0) + 1);
  };
  for (const text of texts) {
    const seen = new Set<string>();
    const tokens = tokenize(text);
    tokens.forEach((token, index) => {
      const lower = token.surface.toLowerCase();
      if (!isContent(lower)) return;
      count(token.term, token.surface, seen);
      const next = tokens[index + 1];
      if (next && isContent(next.surface.toLowerCase())) {
        // Only phrases whose words are adjacent in the text (no punctuation between them).
        count(`${token.term} ${next.term}`, `${token.surface} ${next.surface}`, seen);
      }
    });
  }
  const results: KeyTerm[] = [];
  for (const [term, texts] of textCount) {
    if (texts < minTexts) continue;
    const words = term.split(" ");
    if (words.some((word) => exclude.has(word))) continue;
    const rarity = words.reduce((sum, word) => sum + idf(word), 0) / words.length;
    // A phrase must recur to count; it then outranks its single words.
    const phraseBonus = words.length > 1 ? ((frequency.get(term) ?? 0) >= 2 ? 1.6 : 0) : 1;
    const surface = mostCommon(spellings.get(term)!);
    // Names (usually written capitalised) make better sub-topics than common words.
    const nameBonus = /^\p{Lu}/u.test(surface) ? 1.3 : 1;
    // Rarity counts twice: words every document uses make poor sub-topics.
    const score =
      texts * Math.log(1 + (frequency.get(term) ?? 0)) * rarity * rarity * phraseBonus * nameBonus;
    if (score <= 0) continue;
    results.push({ term, surface, score });
  }
  results.sort((a, b) => b.score - a.score || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
  return results;
}

/** Picks `count` key terms that do not overlap (a phrase and one of its words are the same topic). */
export function distinctKeyTerms(candidates: readonly KeyTerm[], count: number): KeyTerm[] {
  const chosen: KeyTerm[] = [];
  const usedWords = new Set<string>();
  for (const candidate of candidates) {
    if (chosen.length >= count) break;
    const words = candidate.term.split(" ");
    if (words.some((word) => usedWords.has(word))) continue;
    chosen.push(candidate);
    for (const word of words) usedWords.add(word);
  }
  return chosen;
}

function mostCommon(forms: Map<string, number>): string {
  let best = "";
  let bestCount = -1;
  for (const [form, count] of forms) {
    // Prefer the most frequent spelling; on a tie, the capitalised one, then the first in code order.
    const better =
      count > bestCount ||
      (count === bestCount && (/^\p{Lu}/u.test(form) && !/^\p{Lu}/u.test(best) ? true : form < best));
    if (better) {
      best = form;
      bestCount = count;
    }
  }
  return best;
}
