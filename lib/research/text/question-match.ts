import { QUESTION_STOPWORDS } from "./stopwords";
import { normalizeTerm } from "./tokenize";

/** The words of a text as a question is matched against them. */
export interface TermProfile {
  /** Distinct content terms (normalized; four-digit years kept). */
  terms: ReadonlySet<string>;
  /** Distinct pairs of content terms adjacent in the text once function words are left out ("pearl harbor"). */
  pairs: ReadonlySet<string>;
}

/** What a question asks about: its key terms and the phrases they form. */
export interface QuestionTerms {
  /** Distinct content terms, in order of first appearance. */
  terms: string[];
  /** Adjacent pairs of `terms` as written in the question ("axis evil" for "axis of evil"). */
  pairs: string[];
}

/**
 * The content terms of a text in order, repeats included: normalized words
 * that are not function words, numbers other than four-digit years kept out.
 * A break (punctuation between words) is marked `null` so pairs never span it.
 */
export function termSequence(text: string, extraStopwords?: ReadonlySet<string>): readonly (string | null)[] {
  if (extraStopwords !== undefined) return computeTermSequence(text, extraStopwords);
  let sequence = sequences.get(text);
  if (sequence === undefined) {
    // The same passages come back in every search and learning step of a research.
    if (sequences.size >= SEQUENCE_CACHE_SIZE) sequences.clear();
    sequence = computeTermSequence(text);
    sequences.set(text, sequence);
  }
  return sequence;
}

/** Texts whose term sequence is kept (a few researches' worth of passages). */
const SEQUENCE_CACHE_SIZE = 4096;
const sequences = new Map<string, readonly (string | null)[]>();

function computeTermSequence(text: string, extraStopwords?: ReadonlySet<string>): (string | null)[] {
  const sequence: (string | null)[] = [];
  const pattern = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*|[.,;:!?()"“”]/gu;
  for (const match of text.matchAll(pattern)) {
    const word = match[0];
    if (!/[\p{L}\p{N}]/u.test(word)) {
      if (sequence.at(-1) !== null) sequence.push(null);
      continue;
    }
    const lower = word.toLowerCase();
    const term = normalizeTerm(word);
    if (term === null || extraStopwords?.has(lower) || extraStopwords?.has(term)) continue;
    if (/^\d+$/.test(term) && !/^\d{4}$/.test(term)) continue;
    sequence.push(term);
  }
  return sequence;
}

function pairsOf(sequence: readonly (string | null)[]): string[] {
  const pairs: string[] = [];
  for (let index = 1; index < sequence.length; index++) {
    const first = sequence[index - 1];
    const second = sequence[index];
    if (first && second && first !== second) pairs.push(`${first} ${second}`);
  }
  return pairs;
}

/** The terms and adjacent pairs of a passage, sentence or title. */
export function termProfile(text: string): TermProfile {
  const sequence = termSequence(text);
  return {
    terms: new Set(sequence.filter((term): term is string => term !== null)),
    pairs: new Set(pairsOf(sequence)),
  };
}

/** The key terms and phrases of a question (words about how it is asked left out). */
export function questionTerms(query: string): QuestionTerms {
  // Function words do not break a phrase in a question: "the axis of evil" → "axis evil".
  const sequence = termSequence(query.replace(/[,;:!?()"“”]/g, " "), QUESTION_STOPWORDS);
  const terms = [...new Set(sequence.filter((term): term is string => term !== null))];
  return { terms, pairs: [...new Set(pairsOf(sequence))] };
}

/** Shortest word that matches longer words it begins (as the search does: "contract" finds "contractors"). */
const MIN_PREFIX = 5;
/** Credit of a word that only shares its beginning with a question term. */
const PREFIX_CREDIT = 0.8;

/**
 * 1 for the same term, `PREFIX_CREDIT` for another form of the same word,
 * one beginning the other (≥ 5 letters: "contract", "contractors";
 * "hawaii", "hawaiian"), else 0.
 */
export function termMatch(term: string, other: string): number {
  if (term === other) return 1;
  const [shorter, longer] = other.length < term.length ? [other, term] : [term, other];
  return shorter.length >= MIN_PREFIX && longer.startsWith(shorter) ? PREFIX_CREDIT : 0;
}

/** The best `termMatch` of `term` in `terms`. */
function presence(term: string, terms: ReadonlySet<string>): number {
  if (terms.has(term)) return 1;
  let best = 0;
  for (const other of terms) best = Math.max(best, termMatch(term, other));
  return best;
}

/** Options of `createQuestionMatcher`. */
export interface QuestionMatcherOptions {
  /** Weight of a question term (its rarity); terms missing from the map weigh 1. */
  weight: (term: string) => number;
  /** Credit for a term found in the surrounding passage but not the sentence. Default 0.25. */
  contextCredit?: number;
  /** Credit for a term found in the document's title only (a president, a year). Default 0.5. */
  titleCredit?: number;
  /** Bonus per question phrase found as such, times the phrase's mean term weight. Default 0.5. */
  phraseBonus?: number;
}

/** Where a candidate sentence lives: its own terms, its passage's and its document title's. */
export interface MatchTarget {
  sentence: TermProfile;
  passage?: TermProfile;
  title?: TermProfile;
}

/**
 * Scores how well a sentence answers a question: the rarity-weighted
 * question terms it holds (terms only in its passage or its document's title
 * count in part), a bonus for the question's phrases it holds word for word,
 * scaled up by the share of the question it covers. Pure and deterministic.
 */
export function createQuestionMatcher(question: QuestionTerms, options: QuestionMatcherOptions) {
  const contextCredit = options.contextCredit ?? 0.25;
  const titleCredit = options.titleCredit ?? 0.5;
  const phraseBonus = options.phraseBonus ?? 0.5;
  const weights = new Map(question.terms.map((term) => [term, options.weight(term)]));
  const total = [...weights.values()].reduce((sum, weight) => sum + weight, 0);
  return {
    /** 0 when nothing of the question is in the sentence itself. */
    score(target: MatchTarget): number {
      if (total <= 0) return 0;
      let inSentence = 0;
      let credited = 0;
      for (const [term, weight] of weights) {
        const found = presence(term, target.sentence.terms);
        if (found > 0) {
          inSentence += found * weight;
          credited += found * weight;
        } else if (target.title && presence(term, target.title.terms) > 0) credited += titleCredit * weight;
        else if (target.passage && presence(term, target.passage.terms) > 0)
          credited += contextCredit * weight;
      }
      if (inSentence === 0) return 0;
      let phrases = 0;
      for (const pair of question.pairs) {
        if (!target.sentence.pairs.has(pair)) continue;
        const [first, second] = pair.split(" ") as [string, string];
        phrases += (phraseBonus * ((weights.get(first) ?? 0) + (weights.get(second) ?? 0))) / 2;
      }
      const coverage = credited / total;
      return (credited + phrases) * (0.5 + coverage);
    },
  };
}
