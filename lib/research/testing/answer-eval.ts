import { readFile } from "node:fs/promises";
import { z } from "zod";
import { normalizeRequest, researchRequestSchema } from "../../model/request";
import type { CorpusDocument } from "../corpus/corpus-document";
import { runEngineInMemory } from "../run-in-memory";
import type { ResearchEngine, ResearchResult } from "../types";

/**
 * The evaluation of the offline engine's answers (the bench's `answers`
 * section and the answer test): questions whose answer lives in one known
 * document, run through the real engine with the request defaults, scored
 * on whether the report's summary cites that document and where it ranks
 * among the report's sources. Test and bench code only.
 */

/** One question of an evaluation set (`bench/eval/*.json`). */
export const evalQuestionSchema = z.strictObject({
  /** Short stable name, for tables. */
  id: z.string().regex(/^[a-z0-9-]+$/, "id must be kebab-case"),
  question: z.string().min(1),
  /** The documentRef of the document that answers it. */
  expected: z.string().min(1),
  /** A verbatim phrase of that document (white space collapsed) that answers the question. */
  evidence: z.string().min(10),
  /** `tune`: may be looked at while improving the engine; `held-out`: only measured. */
  split: z.enum(["tune", "held-out"]),
  /** The wording differs from the document's beyond names. */
  paraphrased: z.boolean(),
  /**
   * When the question was written: 1 (default) with the first ranking work;
   * 2 and 3 later, by hand from the texts, without running the engine on it —
   * so their figures show how the engine does on questions nobody tuned it
   * with.
   */
  round: z.number().int().min(1).optional(),
});
export type EvalQuestion = z.infer<typeof evalQuestionSchema>;

const evalSetSchema = z.strictObject({
  about: z.string(),
  questions: z.array(evalQuestionSchema).min(1),
});

/** Reads and checks an evaluation set (unique ids). */
export async function loadEvalQuestions(file: string): Promise<EvalQuestion[]> {
  const parsed = evalSetSchema.safeParse(JSON.parse(await readFile(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  const ids = new Set<string>();
  for (const question of parsed.data.questions) {
    if (ids.has(question.id)) throw new Error(`${file}: question id "${question.id}" appears twice`);
    ids.add(question.id);
  }
  return parsed.data.questions;
}

/**
 * The questions whose expected document is missing from `documents` or does
 * not contain its evidence (empty when the set fits the corpus).
 */
export function evidenceProblems(
  questions: readonly EvalQuestion[],
  documents: readonly CorpusDocument[],
): string[] {
  const byRef = new Map(documents.map((document) => [document.ref, document]));
  const problems: string[] = [];
  for (const question of questions) {
    const document = byRef.get(question.expected);
    if (document === undefined) problems.push(`${question.id}: no document ${question.expected}`);
    else if (!collapse(document.text).includes(collapse(question.evidence)))
      problems.push(`${question.id}: ${question.expected} does not contain its evidence`);
  }
  return problems;
}

const collapse = (text: string) => text.replace(/\s+/g, " ").trim();

/** The summary of a report: the text under `## Summary`, up to the next `## ` heading. */
export function summaryOf(report: string): string {
  const start = report.indexOf("\n## Summary\n");
  if (start < 0) return "";
  const body = report.slice(start + "\n## Summary\n".length);
  const end = body.search(/^## /m);
  return end < 0 ? body : body.slice(0, end);
}

/** The distinct `[n]` citation numbers of a text, in order of first appearance. */
export function citationNumbers(text: string): number[] {
  return [...new Set([...text.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1])))];
}

/** How one report did on one question. */
export interface QuestionOutcome {
  id: string;
  split: EvalQuestion["split"];
  paraphrased: boolean;
  round: number;
  /** The summary cites the expected document. */
  summaryCites: boolean;
  /** The summary's first citation is the expected document. */
  summaryLeads: boolean;
  /** 1-based position of the expected document in the sources list, or null when absent. */
  rank: number | null;
  /** Where the summary's citations point (documentRefs, in order). */
  summaryRefs: string[];
}

/** Scores a finished research against the document that answers it. */
export function scoreResult(question: EvalQuestion, result: ResearchResult): QuestionOutcome {
  const refOf = new Map(result.sources.map((source) => [source.number, source.documentRef ?? source.url]));
  const summaryRefs = citationNumbers(summaryOf(result.report)).map((number) => refOf.get(number) ?? "?");
  // The sources list in the order the report prints it (by number).
  const listed = [...result.sources].sort((a, b) => a.number - b.number);
  const position = listed.findIndex((source) => source.documentRef === question.expected);
  return {
    id: question.id,
    split: question.split,
    paraphrased: question.paraphrased,
    round: question.round ?? 1,
    summaryCites: summaryRefs.includes(question.expected),
    summaryLeads: summaryRefs[0] === question.expected,
    rank: position < 0 ? null : position + 1,
    summaryRefs,
  };
}

/** The figures of a group of outcomes. */
export interface EvalFigures {
  questions: number;
  /** Share of questions whose summary cites the expected document (0–1). */
  summaryCites: number;
  /** Share whose summary's first citation is the expected document (0–1). */
  summaryLeads: number;
  /** Mean reciprocal rank of the expected document among the sources (absent counts 0). */
  meanReciprocalRank: number;
  /** Share of questions whose report cites the expected document at all (0–1). */
  cited: number;
}

/** Aggregates outcomes into figures. */
export function evalFigures(outcomes: readonly QuestionOutcome[]): EvalFigures {
  const count = outcomes.length;
  const share = (test: (outcome: QuestionOutcome) => boolean) =>
    count === 0 ? 0 : outcomes.filter(test).length / count;
  return {
    questions: count,
    summaryCites: share((outcome) => outcome.summaryCites),
    summaryLeads: share((outcome) => outcome.summaryLeads),
    meanReciprocalRank:
      count === 0
        ? 0
        : outcomes.reduce((sum, outcome) => sum + (outcome.rank ? 1 / outcome.rank : 0), 0) / count,
    cited: share((outcome) => outcome.rank !== null),
  };
}

/** Options of `runAnswerEval`. */
export interface AnswerEvalOptions {
  engine: ResearchEngine;
  questions: readonly EvalQuestion[];
  /** Request fields beyond the query (default: none, i.e. the request defaults). */
  request?: Record<string, unknown>;
  /** Called after each question. */
  onOutcome?: (outcome: QuestionOutcome, elapsedMs: number) => void;
}

/** What an evaluation run measured. */
export interface AnswerEvalRun {
  outcomes: QuestionOutcome[];
  all: EvalFigures;
  tune: EvalFigures;
  heldOut: EvalFigures;
  paraphrased: EvalFigures;
  /** The questions in the words of their address (not paraphrased). */
  literal: EvalFigures;
  /** The questions of each writing round (`round`), by round. */
  rounds: Map<number, EvalFigures>;
  /** Mean time of one research (ms). */
  meanResearchMs: number;
}

/**
 * Runs every question, one after the other, through `engine` with the
 * offline writer and local search (the zero-configuration default) and the
 * request defaults for everything else.
 */
export async function runAnswerEval(options: AnswerEvalOptions): Promise<AnswerEvalRun> {
  const outcomes: QuestionOutcome[] = [];
  let totalMs = 0;
  for (const question of options.questions) {
    const request = normalizeRequest(
      researchRequestSchema.parse({ ...options.request, query: question.question }),
      { llmProvider: "offline", searchProvider: "local", models: {}, collection: "sotu" },
    );
    const started = performance.now();
    const run = await runEngineInMemory(options.engine, request);
    const elapsedMs = performance.now() - started;
    totalMs += elapsedMs;
    const outcome = scoreResult(question, run.result);
    outcomes.push(outcome);
    options.onOutcome?.(outcome, elapsedMs);
  }
  return {
    outcomes,
    all: evalFigures(outcomes),
    tune: evalFigures(outcomes.filter((outcome) => outcome.split === "tune")),
    heldOut: evalFigures(outcomes.filter((outcome) => outcome.split === "held-out")),
    paraphrased: evalFigures(outcomes.filter((outcome) => outcome.paraphrased)),
    literal: evalFigures(outcomes.filter((outcome) => !outcome.paraphrased)),
    rounds: new Map(
      [...new Set(outcomes.map((outcome) => outcome.round))]
        .sort((a, b) => a - b)
        .map((round) => [round, evalFigures(outcomes.filter((outcome) => outcome.round === round))]),
    ),
    meanResearchMs: outcomes.length === 0 ? 0 : totalMs / outcomes.length,
  };
}
