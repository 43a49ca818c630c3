/**
 * Quality of the zero-configuration research (local search over the State of
 * the Union addresses + the offline writer): for each question of
 * bench/eval/sotu-questions.json, does the report's summary cite the address
 * that answers it, and how high does that address rank in the report's
 * sources list (mean reciprocal rank)? Figures for all questions, for the
 * held-out half (never looked at while tuning) and for the tuning half, so
 * overfitting shows as a gap between the two.
 *
 * Run alone with `npx tsx bench/answers.ts` (`--verbose`: one line per
 * question). In `npm run bench` it is the `answers` section.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseConfig } from "../lib/config";
import { createResearchEngine } from "../lib/research";
import { createPassageIndexCache } from "../lib/research/corpus/passage-index";
import { createSotuCorpus } from "../lib/research/corpus/sotu-corpus";
import {
  type AnswerEvalRun,
  evidenceProblems,
  loadEvalQuestions,
  type QuestionOutcome,
  runAnswerEval,
} from "../lib/research/testing/answer-eval";
import { figure, type SectionResult } from "./support";

export const QUESTIONS_FILE = path.join(__dirname, "eval", "sotu-questions.json");

/** Goals of the issue: the summary cites the right address ≥ 90 %, its MRR among the sources ≥ 0.85. */
export const ANSWER_GOALS = { summaryCites: 0.9, meanReciprocalRank: 0.85 } as const;

/**
 * The same figures measured on the engine before the ranking work (sources
 * numbered by first citation, summary from the two highest-scored findings).
 */
export const ANSWERS_BEFORE = {
  all: { summaryCites: 0.71, meanReciprocalRank: 0.73 },
  heldOut: { summaryCites: 0.66, meanReciprocalRank: 0.69 },
} as const;

/** Runs the evaluation on a fresh index (built in a temporary folder). */
export async function runAnswers(
  options: { onOutcome?: (outcome: QuestionOutcome, elapsedMs: number) => void } = {},
): Promise<AnswerEvalRun> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "fathom-bench-answers-"));
  try {
    const questions = await loadEvalQuestions(QUESTIONS_FILE);
    const corpus = createSotuCorpus();
    const problems = evidenceProblems(questions, await corpus.loadDocuments());
    if (problems.length > 0)
      throw new Error(`The evaluation set does not fit the corpus:\n${problems.join("\n")}`);
    const indexes = createPassageIndexCache({ cacheDir: dataDir });
    await indexes.get(corpus);
    const config = parseConfig({ TASK_STORAGE_DIR: path.join(dataDir, "tasks") });
    const engine = createResearchEngine({ config, indexes });
    const run = await runAnswerEval({ engine, questions, onOutcome: options.onOutcome });
    await indexes.settled();
    return run;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The bench section: the figures with their goals, the before figures as notes. */
export async function benchAnswers(): Promise<SectionResult> {
  const run = await runAnswers();
  const share = { op: ">=", target: ANSWER_GOALS.summaryCites } as const;
  const mrr = { op: ">=", target: ANSWER_GOALS.meanReciprocalRank } as const;
  // The before figures were measured on the first round's 65 questions (32 held out).
  const before = (value: number) => ({ note: `round 1 before the ranking work: ${value.toFixed(2)}` });
  return {
    figures: [
      figure(`summary cites the answer, all ${run.all.questions}`, run.all.summaryCites, "", {
        goal: share,
        ...before(ANSWERS_BEFORE.all.summaryCites),
      }),
      figure(`summary cites the answer, held-out ${run.heldOut.questions}`, run.heldOut.summaryCites, "", {
        goal: share,
        ...before(ANSWERS_BEFORE.heldOut.summaryCites),
      }),
      figure(`summary cites the answer, tuning ${run.tune.questions}`, run.tune.summaryCites, ""),
      figure("MRR of the answer among the sources, all", run.all.meanReciprocalRank, "", {
        goal: mrr,
        ...before(ANSWERS_BEFORE.all.meanReciprocalRank),
      }),
      figure("MRR of the answer among the sources, held-out", run.heldOut.meanReciprocalRank, "", {
        goal: mrr,
        ...before(ANSWERS_BEFORE.heldOut.meanReciprocalRank),
      }),
      figure("MRR of the answer among the sources, tuning", run.tune.meanReciprocalRank, ""),
      figure("summary leads with the answer (first citation), all", run.all.summaryLeads, ""),
      figure("report cites the answer at all, all", run.all.cited, ""),
      figure(
        `paraphrased ${run.paraphrased.questions}: summary cites / MRR`,
        run.paraphrased.summaryCites,
        "",
        { note: `MRR ${run.paraphrased.meanReciprocalRank.toFixed(2)}` },
      ),
      figure(
        `in the words of the address ${run.literal.questions}: summary cites / MRR`,
        run.literal.summaryCites,
        "",
        {
          note: `MRR ${run.literal.meanReciprocalRank.toFixed(2)}`,
        },
      ),
      ...[...run.rounds].map(([round, figures]) =>
        figure(
          `written in round ${round}, ${figures.questions}: summary cites / MRR`,
          figures.summaryCites,
          "",
          {
            note: `MRR ${figures.meanReciprocalRank.toFixed(2)}`,
          },
        ),
      ),
      figure("one research, mean", run.meanResearchMs, "ms"),
    ],
    notes: [
      `questions: ${path.relative(process.cwd(), QUESTIONS_FILE)} (request defaults: depth 2, breadth 3, 5 results)`,
      `missed by the summary: ${
        run.outcomes
          .filter((outcome) => !outcome.summaryCites)
          .map(
            (outcome) =>
              `${outcome.id}${outcome.split === "held-out" ? "*" : ""}${outcome.paraphrased ? "~" : ""}`,
          )
          .join(", ") || "none"
      } (* held-out, ~ paraphrased)`,
    ],
  };
}

function line(outcome: QuestionOutcome, elapsedMs: number): string {
  const mark = outcome.summaryCites ? (outcome.summaryLeads ? "lead" : "cite") : "MISS";
  return `${mark}  rank ${String(outcome.rank ?? "-").padStart(2)}  ${outcome.split.padEnd(8)} r${outcome.round} ${outcome.paraphrased ? "P" : " "} ${outcome.id.padEnd(28)} ${Math.round(elapsedMs)} ms  summary → ${outcome.summaryRefs.join(", ")}`;
}

if (/bench[\\/]answers\.ts$/.test(process.argv[1] ?? "")) {
  const verbose = process.argv.includes("--verbose");
  runAnswers({ onOutcome: verbose ? (outcome, ms) => console.log(line(outcome, ms)) : undefined }).then(
    (run) => {
      const { outcomes, rounds, ...figures } = run;
      void outcomes;
      const output = { ...figures, rounds: Object.fromEntries(rounds) };
      process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
