import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createPassageIndexCache, type PassageIndexCache } from "./corpus/passage-index";
import { createSotuCorpus } from "./corpus/sotu-corpus";
import { createResearchEngine, runEngineInMemory } from "./index";
import {
  type EvalQuestion,
  evidenceProblems,
  loadEvalQuestions,
  scoreResult,
  summaryOf,
} from "./testing/answer-eval";
import { temporaryDirectory, testConfig, testRequest } from "./testing/fixtures";
import type { ResearchEngine } from "./types";

// The evaluation set of `npm run bench -- --only=answers`; a handful of its
// questions run here as a behaviour test of the zero-configuration engine.
const QUESTIONS_FILE = path.join(__dirname, "..", "..", "bench", "eval", "sotu-questions.json");
const SAMPLE = [
  "tripoli-war",
  "california-gold",
  "battleship-maine",
  "war-austria-hungary",
  "pearl-harbor",
  "inf-treaty",
];

const dataDir = temporaryDirectory();
const config = testConfig(dataDir);
const corpus = createSotuCorpus();
let indexes: PassageIndexCache;
let engine: ResearchEngine;
let questions: EvalQuestion[];

beforeAll(async () => {
  questions = await loadEvalQuestions(QUESTIONS_FILE);
  indexes = createPassageIndexCache({ cacheDir: config.cacheDir });
  engine = createResearchEngine({ config, indexes });
  await indexes.get(corpus);
}, 60_000);

describe("answers of the offline engine", () => {
  it("has an evaluation set whose every answer is in its address", async () => {
    expect(questions.length).toBeGreaterThanOrEqual(40);
    expect(evidenceProblems(questions, await corpus.loadDocuments())).toEqual([]);
    expect(new Set(questions.map((question) => question.split))).toEqual(new Set(["tune", "held-out"]));
  });

  it.each(SAMPLE)("leads the summary with the address that answers %s", async (id) => {
    const question = questions.find((candidate) => candidate.id === id)!;
    const run = await runEngineInMemory(engine, testRequest({ query: question.question }));
    const outcome = scoreResult(question, run.result);
    expect(outcome.summaryRefs[0]).toBe(question.expected);
    expect(outcome.rank).toBe(1);
    // Source [1] is quoted in the summary and listed first.
    const first = run.result.sources.find((source) => source.number === 1)!;
    expect(summaryOf(run.result.report)).toContain(`*${first.title}*`);
    expect(run.result.report).toContain(`\n1. ${first.title} — ${question.expected}\n`);
  });
});

// Questions set in a time that their words alone do not name (not in the
// evaluation set): the search reads the year, decade or period and prefers
// the addresses of that time (`eraCues`, README "How it works").
const TIMED_QUESTIONS: [string, number, number][] = [
  ["What did the president report about the Navy in 1898?", 1898, 1899],
  ["How did farm prices change in the 1920s?", 1920, 1930],
  ["What did the president say about trusts in the 1900s?", 1900, 1910],
  ["What was said about the national debt during the Civil War?", 1861, 1866],
];

describe("questions set in a time", () => {
  it.each(TIMED_QUESTIONS)("leads the sources with an address of that time: %s", async (query, from, to) => {
    const run = await runEngineInMemory(engine, testRequest({ query }));
    const first = run.result.sources.find((source) => source.number === 1)!;
    const year = Number(/^sotu:(\d{4})-/.exec(first.documentRef ?? "")?.[1]);
    expect(year).toBeGreaterThanOrEqual(from);
    expect(year).toBeLessThanOrEqual(to);
  });
});

// Presidents called by a nickname the addresses' titles do not use (not in
// the evaluation set): the search adds the full name (`withPresidentNames`).
const NICKNAMED: [string, string][] = [
  ["What did LBJ say about Medicare?", "lyndon-b-johnson"],
  ["What did FDR say about Social Security?", "franklin-d-roosevelt"],
  ["What did Ike say about the interstate highways?", "dwight-d-eisenhower"],
];

describe("questions that call a president by a nickname", () => {
  it.each(NICKNAMED)("leads the sources with that president's address: %s", async (query, president) => {
    const run = await runEngineInMemory(engine, testRequest({ query }));
    const first = run.result.sources.find((source) => source.number === 1)!;
    expect(first.documentRef).toMatch(new RegExp(`^sotu:\\d{4}-${president}$`));
  });
});
