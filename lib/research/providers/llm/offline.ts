import { isTimeWord } from "../../text/era-cues";
import { distinctKeyTerms, keyTerms } from "../../text/key-terms";
import {
  createQuestionMatcher,
  type MatchTarget,
  questionTerms,
  type TermProfile,
  termProfile,
} from "../../text/question-match";
import { reportPhrases } from "../../../model/report-phrases";
import { splitSentences } from "../../text/sentences";
import { QUESTION_STOPWORDS } from "../../text/stopwords";
import { contentTerms, tokenize } from "../../text/tokenize";
import type { SearchProvider } from "../search/search-provider";
import type {
  ExtractedLearning,
  LearnInput,
  LearnOutput,
  LlmProvider,
  PlanInput,
  ReportInput,
  SubQuestion,
} from "./llm-provider";

/** Options of the offline writer. */
export interface OfflineLlmOptions {
  /** Used for pseudo-relevance feedback when planning and for word rarity. */
  search: SearchProvider;
  /** Passages read for feedback when planning. Default 12. */
  feedbackPassages?: number;
  /** MMR trade-off between relevance (1) and novelty (0). Default 0.7. */
  lambda?: number;
}

/**
 * The extractive, model-free writer. Everything is a pure function of its
 * input and of the corpus: no clock, no randomness, stable sorts, so the
 * same request produces the same report byte for byte.
 *
 * - plan: the question's key terms, plus one sub-question per key term of
 *   the learnings already known (a follow-up's) and the best-matching
 *   passages (pseudo-relevance feedback);
 * - learn: the most relevant, non-redundant sentences (maximal marginal
 *   relevance), with follow-ups from the vocabulary of what was learned;
 * - report: quotes the learnings with their citations.
 */
export function createOfflineLlm(options: OfflineLlmOptions): LlmProvider {
  const lambda = options.lambda ?? 0.7;
  const feedbackPassages = options.feedbackPassages ?? 12;

  async function rarity(terms: readonly string[]): Promise<(term: string) => number> {
    const map = options.search.inverseDocumentFrequency
      ? await options.search.inverseDocumentFrequency([...new Set(terms)].sort())
      : new Map<string, number>();
    return (term) => map.get(term) ?? 1;
  }

  /** Rarity of question terms: in the corpus when the search knows it, else among the candidate sentences. */
  async function termWeights(
    terms: readonly string[],
    candidates: readonly Candidate[],
  ): Promise<(term: string) => number> {
    if (options.search.inverseDocumentFrequency) return rarity(terms);
    const containing = new Map<string, number>();
    for (const candidate of candidates)
      for (const term of candidate.terms) containing.set(term, (containing.get(term) ?? 0) + 1);
    return (term) => Math.log(1 + candidates.length / (containing.get(term) ?? 1));
  }

  async function expansions(texts: string[], exclude: Set<string>, count: number) {
    if (count <= 0 || texts.length === 0) return [];
    // Weigh only the strongest raw candidates by rarity (a rarity lookup is a search).
    const raw = keyTerms(texts, { exclude }).slice(0, 60);
    const idf = await rarity(raw.flatMap((candidate) => candidate.term.split(" ")));
    const weighed = keyTerms(texts, { exclude, idf });
    return distinctKeyTerms(weighed, count);
  }

  return {
    name: "offline",
    async plan(input: PlanInput): Promise<SubQuestion[]> {
      if (input.followUps.length > 0) {
        return input.followUps.slice(0, input.count).map((followUp) => ({ query: followUp, goal: followUp }));
      }
      const core = coreLabel(input.query);
      const questions: SubQuestion[] = [{ query: core, goal: core }];
      if (input.count <= 1) return questions;
      const results = await options.search.search(core, {
        maxResults: 8,
        language: input.language,
        signal: input.signal,
      });
      // What earlier research learned (a follow-up's parent) leads the feedback,
      // so the sub-questions grow from it; the search's passages fill the rest.
      const texts = [
        ...input.learnings.slice(0, Math.ceil(feedbackPassages / 2)),
        ...results.flatMap((result) => result.passages ?? [result.snippet]),
      ].slice(0, feedbackPassages);
      const exclude = new Set(contentTerms(input.query, QUESTION_STOPWORDS));
      for (const term of await expansions(texts, exclude, input.count - 1)) {
        const label = `${core}: ${term.surface}`;
        questions.push({ query: label, goal: label });
      }
      return questions;
    },

    async learn(input: LearnInput): Promise<LearnOutput> {
      const root = questionTerms(input.rootQuery);
      const node = questionTerms(input.query);
      const nodeOnly = {
        terms: node.terms.filter((term) => !root.terms.includes(term)),
        pairs: node.pairs.filter((pair) => !root.pairs.includes(pair)),
      };
      const candidates = candidateSentences(input);
      if (candidates.length === 0 || root.terms.length + nodeOnly.terms.length === 0)
        return { learnings: [], followUps: [] };

      // Rarity of each question word in the corpus, so that relevance means
      // the same in every node's call (the summary compares them); without a
      // corpus, rarity among the candidate sentences.
      const weight = await termWeights([...root.terms, ...nodeOnly.terms], candidates);
      const toRoot = createQuestionMatcher(root, { weight });
      const toNode = createQuestionMatcher(nodeOnly, { weight });
      const scored = candidates
        .map((candidate) => {
          const damping =
            Math.sqrt(Math.max(8, candidate.profile.sentence.terms.size) / 8) * (1 + 0.05 * candidate.rank);
          const relevance = toRoot.score(candidate.profile) / damping;
          // A node's own direction counts for choosing its findings, not for their relevance to the question.
          const selection = relevance + (0.6 * toNode.score(candidate.profile)) / damping;
          return { ...candidate, relevance, selection };
        })
        .filter((candidate) => candidate.selection > 0);
      const known = input.known.map((text) => new Set(contentTerms(text)));
      const chosen = selectByMmr(scored, input.count, lambda, known);
      const learnings: ExtractedLearning[] = chosen.map((candidate) => ({
        text: candidate.text,
        passages: [candidate.passage],
        relevance: Math.round(candidate.relevance * 1e6) / 1e6,
      }));
      const followUpTexts = chosen.map(
        (candidate) => input.passages.find((passage) => passage.number === candidate.passage)?.text ?? "",
      );
      const exclude = new Set([...root.terms, ...contentTerms(input.query, QUESTION_STOPWORDS)]);
      const followUps = (await expansions(followUpTexts, exclude, input.followUpCount)).map(
        (term) => `${input.goal}: ${term.surface}`,
      );
      return { learnings, followUps };
    },

    async writeReport(input: ReportInput): Promise<void> {
      const body = offlineReportBody(input);
      if (body.startsWith(input.prefix)) {
        const rest = body.slice(input.prefix.length);
        if (rest !== "") await input.emit(rest);
        return;
      }
      // The text already sent differs from what this version writes (the
      // engine changed between runs): it cannot be taken back, so the report
      // says so and is written again in full after it.
      await input.emit(`\n\n---\n\n${reportPhrases(input.language).rewritten}\n\n${body}`);
    },
  };
}

interface Candidate {
  text: string;
  /** The content terms of the sentence (for redundancy). */
  terms: ReadonlySet<string>;
  /** The sentence, its passage and its document's title, as matched against a question. */
  profile: MatchTarget;
  passage: number;
  /** Position of the sentence's passage among the passages (0 = best). */
  rank: number;
  order: number;
}

function candidateSentences(input: LearnInput): Candidate[] {
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const titles = new Map<string, TermProfile>();
  input.passages.forEach((passage, rank) => {
    let title = titles.get(passage.title);
    if (title === undefined) {
      title = termProfile(passage.title);
      titles.set(passage.title, title);
    }
    const context = termProfile(passage.text);
    for (const sentence of splitSentences(passage.text)) {
      if (sentence.length < 40 || sentence.length > 700) continue;
      const key = sentence.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      const profile = termProfile(sentence);
      candidates.push({
        text: sentence,
        terms: profile.terms,
        profile: { sentence: profile, passage: context, title },
        passage: passage.number,
        rank,
        order: candidates.length,
      });
    }
  });
  return candidates;
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const term of a) if (b.has(term)) shared++;
  return shared / (a.size + b.size - shared);
}

/**
 * Maximal marginal relevance: repeatedly takes the sentence with the best
 * `λ·relevance − (1−λ)·(similarity to what is already chosen or known)`
 * (similarity: Jaccard overlap of content words).
 * Near-duplicates of known learnings are skipped outright.
 */
function selectByMmr<T extends Candidate & { selection: number }>(
  candidates: T[],
  count: number,
  lambda: number,
  known: Set<string>[],
): T[] {
  const maxRelevance = Math.max(...candidates.map((candidate) => candidate.selection), 1e-9);
  const remaining = candidates.filter(
    (candidate) => !known.some((terms) => jaccard(candidate.terms, terms) > 0.6),
  );
  const chosen: T[] = [];
  while (chosen.length < count && remaining.length > 0) {
    let bestIndex = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    remaining.forEach((candidate, index) => {
      // A second sentence from an already quoted passage counts as half redundant:
      // findings from more sources make a better-founded report.
      const redundancy = Math.max(
        0,
        ...chosen.map((other) =>
          Math.max(jaccard(candidate.terms, other.terms), other.passage === candidate.passage ? 0.5 : 0),
        ),
        ...known.map((terms) => jaccard(candidate.terms, terms)),
      );
      const score = lambda * (candidate.selection / maxRelevance) - (1 - lambda) * redundancy;
      // Strictly greater: on a tie the earlier sentence wins (stable, deterministic).
      if (score > bestScore) {
        bestScore = score;
        bestIndex = index;
      }
    });
    const [best] = remaining.splice(bestIndex, 1);
    if (best === undefined) break;
    chosen.push(best);
  }
  return chosen;
}

/**
 * The question's key words, as written ("Louisiana Purchase"), with the
 * years and decades that set it ("1941", "1930s"): the search matches a year
 * against the titles of dated documents and reads the time a query is set
 * in from them (`eraCues`).
 */
function coreLabel(query: string): string {
  const surfaces = tokenize(query).map((token) => token.surface);
  const words = surfaces.filter(
    (surface, at) => contentTerms(surface, QUESTION_STOPWORDS).length > 0 || isTimeWord(surfaces, at),
  );
  const label = words.join(" ");
  return label === "" ? query.trim() : label.charAt(0).toUpperCase() + label.slice(1);
}

/** Title of a report: the question as asked (shortened when long). */
export function reportTitle(query: string): string {
  const clean = query.replace(/\s+/g, " ").trim();
  const title = clean.length <= 120 ? clean : `${clean.slice(0, clean.lastIndexOf(" ", 117))}…`;
  return title.charAt(0).toUpperCase() + title.slice(1);
}

function quote(text: string): string {
  const clean = text.replace(/\s+/g, " ").trim();
  const short = clean.length <= 420 ? clean : `${clean.slice(0, clean.lastIndexOf(" ", 417))}…`;
  return `“${short}”`;
}

function cite(numbers: number[]): string {
  return numbers.map((number) => `[${number}]`).join("");
}

/**
 * The offline report body: title, summary and one section per sub-question,
 * quoting the learnings; its own phrases in the request's language
 * (report-phrases.ts).
 */
export function offlineReportBody(input: ReportInput): string {
  const phrases = reportPhrases(input.language);
  const title = reportTitle(input.query);
  const all = input.sections.flatMap((section) => section.learnings);
  if (all.length === 0) return emptyReportBody(input.query, input.language);
  const sourceTitle = new Map(input.sources.map((source) => [source.number, source.title]));
  // Sources come numbered most relevant first: the summary quotes the best
  // finding of the first source, then points to the next most relevant one.
  const ranked = [...input.sources].sort((a, b) => a.number - b.number);
  const byRelevance = [...all]
    .map((learning, order) => ({ learning, order }))
    .sort((a, b) => b.learning.relevance - a.learning.relevance || a.order - b.order)
    .map(({ learning }) => learning);
  const leading = ranked[0];
  const first =
    (leading ? byRelevance.find((learning) => learning.citations.includes(leading.number)) : undefined) ??
    byRelevance[0];
  const seeAlso = ranked.find((source) => !first?.citations.includes(source.number));
  const lines: string[] = [`# ${title}`, "", phrases.summaryHeading, ""];
  const summary = [
    phrases.gathered({
      findings: all.length,
      sources: input.sources.length,
      questions: input.stats.questions,
      passages: input.stats.passages,
    }),
  ];
  if (first) {
    summary.push(
      phrases.mostRelevant(
        `*${sourceTitle.get(first.citations[0] ?? 0) ?? phrases.aSource}*`,
        quote(first.text),
        cite(first.citations),
      ),
    );
  }
  if (seeAlso) summary.push(phrases.seeAlso(`*${seeAlso.title}*`, cite([seeAlso.number])));
  summary.push(phrases.groupedBelow);
  lines.push(summary.join(" "), "");
  for (const section of input.sections) {
    if (section.learnings.length === 0) continue;
    lines.push(`## ${section.heading}`, "");
    for (const learning of section.learnings) {
      const from = sourceTitle.get(learning.citations[0] ?? 0);
      lines.push(`- ${from ? `*${from}*: ` : ""}${quote(learning.text)} ${cite(learning.citations)}`);
    }
    lines.push("");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/** The report when nothing was found: still a title and a summary that says so (in `language`). */
export function emptyReportBody(query: string, language?: string): string {
  const phrases = reportPhrases(language);
  return [`# ${reportTitle(query)}`, "", phrases.summaryHeading, "", phrases.nothingFound, ""].join("\n");
}
