import { INDEX_STOPWORDS } from "./stopwords";

/** A word of a text with its position, original spelling and normalized term. */
export interface Token {
  /** The word as written. */
  surface: string;
  /** Lower-cased, lightly stemmed form used for matching (see `normalizeTerm`). */
  term: string;
}

// Letters, digits and inner apostrophes/hyphens: "don't", "self-government".
const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

/** Splits text into words, keeping each word's spelling and normalized term. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(WORD)) {
    const surface = match[0];
    tokens.push({ surface, term: stemTerm(surface.toLowerCase().replace(/’/g, "'")) });
  }
  return tokens;
}

/**
 * A deliberately light stemmer: folds regular plurals ("purchases" →
 * "purchase", "treaties" → "treaty") and possessives so a question and a
 * passage meet, without the surprises of an aggressive stemmer.
 */
export function stemTerm(term: string): string {
  let value = term.endsWith("'s") ? term.slice(0, -2) : term;
  if (value.length > 4 && value.endsWith("ies")) value = `${value.slice(0, -3)}y`;
  else if (value.length > 3 && value.endsWith("s") && !/(ss|us|is|ous)$/.test(value))
    value = value.slice(0, -1);
  return value;
}

/**
 * The term the search index stores for a word, or null for words not worth
 * indexing (stopwords, single characters, numbers other than years).
 */
export function normalizeTerm(word: string): string | null {
  const lower = word.toLowerCase().replace(/’/g, "'");
  if (lower.length < 2 || INDEX_STOPWORDS.has(lower)) return null;
  if (/^[\d.,$%]+$/.test(lower) && !/^\d{4}$/.test(lower)) return null;
  return stemTerm(lower);
}

/** The distinct content terms of a text, in order of first appearance. */
export function contentTerms(text: string, extraStopwords?: ReadonlySet<string>): string[] {
  const seen = new Set<string>();
  for (const token of tokenize(text)) {
    const lower = token.surface.toLowerCase();
    if (extraStopwords?.has(lower) || extraStopwords?.has(token.term)) continue;
    const term = normalizeTerm(token.surface);
    if (term !== null && !/^\d+$/.test(term)) seen.add(term);
  }
  return [...seen];
}
