import { beforeAll, describe, expect, it } from "vitest";
import { createPassageIndexCache, type PassageIndexCache } from "./corpus/passage-index";
import { createEngine } from "./engine";
import { createResearchEngine, runEngineInMemory } from "./index";
import type { LlmProvider, PlanInput } from "./providers/llm/llm-provider";
import type { SearchProvider } from "./providers/search/search-provider";
import { temporaryDirectory, testConfig, testRequest } from "./testing/fixtures";
import type { ParentResearch, ResearchEngine } from "./types";
import type { PageReader } from "./web/page-reader";

const parent: ParentResearch = {
  id: "p".repeat(32),
  query: "How did the United States acquire Louisiana?",
  learnings: ["The Louisiana territory was bought from France in 1803."],
  sources: [
    {
      number: 1,
      title: "Earlier source",
      url: "https://example.org/earlier",
      passages: ["The Louisiana territory was bought from France in 1803 for fifteen million dollars."],
    },
  ],
};

/** Providers that find one new page, cite every passage they read and quote each learning. */
function stubEngine(plans: PlanInput[]): ResearchEngine {
  const search: SearchProvider = {
    name: "searxng",
    async search() {
      return [{ title: "New source", url: "https://example.org/new", snippet: "s" }];
    },
  };
  const reader: PageReader = {
    async read(result) {
      return { ...result, passages: ["New Orleans was the port that mattered most to western farmers."] };
    },
  };
  const llm: LlmProvider = {
    name: "openai",
    async plan(input) {
      plans.push(input);
      return [{ query: "New Orleans port", goal: "Why New Orleans mattered" }];
    },
    async learn(input) {
      return {
        learnings: input.passages.map((passage) => ({ text: passage.text, passages: [passage.number] })),
        followUps: [],
      };
    },
    async writeReport(input) {
      for (const section of input.sections)
        for (const learning of section.learnings)
          await input.emit(`${learning.text} ${learning.citations.map((n) => `[${n}]`).join("")}\n`);
    },
  };
  return createEngine({ providers: () => ({ search, llm, reader }) });
}

describe("a follow-up's research", () => {
  it("plans from the parent's learnings and cites a parent source and a new one", async () => {
    const plans: PlanInput[] = [];
    const run = await runEngineInMemory(
      stubEngine(plans),
      testRequest({ query: "Why did New Orleans matter?", depth: 1, breadth: 1 }),
      { parent },
    );
    expect(plans[0]?.learnings[0]).toBe(parent.learnings[0]);
    expect(run.stepsRun[0]).toBe("parent");
    expect(run.progress[0]?.message).toContain("Following up “How did the United States acquire Louisiana?”");
    expect(run.progress.some((update) => update.message.includes(parent.learnings[0]!))).toBe(true);
    const urls = run.result.sources.map((source) => source.url);
    expect(urls).toEqual(expect.arrayContaining(["https://example.org/new", "https://example.org/earlier"]));
    for (const source of run.result.sources) expect(run.result.report).toContain(`[${source.number}]`);
    // The parent's passages are read again for the new question, in a section of their own.
    expect(run.stepsRun).toContain("learn:parent");
    expect(run.result.report).toContain("The Louisiana territory was bought from France in 1803 for fifteen");
  });

  it("starts a resumed run from the recorded parent, not from the parent as it is now", async () => {
    const records = new Map<string, unknown>();
    const request = testRequest({ query: "Why did New Orleans matter?", depth: 1, breadth: 1 });
    await runEngineInMemory(stubEngine([]), request, { parent, records });
    records.delete("report");
    records.delete("plan");
    const plans: PlanInput[] = [];
    const changed = { ...parent, learnings: ["Something else entirely."] };
    await runEngineInMemory(stubEngine(plans), request, { parent: changed, records });
    expect(plans[0]?.learnings[0]).toBe(parent.learnings[0]);
  });

  it("needs no parent: a task without one plans from nothing", async () => {
    const plans: PlanInput[] = [];
    const run = await runEngineInMemory(
      stubEngine(plans),
      testRequest({ query: "Why did New Orleans matter?", depth: 1, breadth: 1 }),
    );
    expect(plans[0]?.learnings).toEqual([]);
    expect(run.stepsRun).not.toContain("parent");
    expect(run.result.sources.map((source) => source.url)).toEqual(["https://example.org/new"]);
  });
});

describe("an offline follow-up over the State of the Union corpus", () => {
  const config = testConfig(temporaryDirectory());
  let indexes: PassageIndexCache;
  let engine: ResearchEngine;

  beforeAll(async () => {
    indexes = createPassageIndexCache({ cacheDir: config.cacheDir });
    engine = createResearchEngine({ config, indexes });
    await indexes.get((await import("./create-providers")).configuredCorpus(config));
  }, 60_000);

  it("cites sources of the parent's report and new ones", async () => {
    const first = await runEngineInMemory(engine, testRequest({ query: "Louisiana Purchase" }));
    const parentResearch: ParentResearch = {
      id: "a".repeat(32),
      query: "Louisiana Purchase",
      learnings: first.result.learnings,
      sources: first.result.sources,
    };
    const run = await runEngineInMemory(
      engine,
      testRequest({ query: "navigation of the Mississippi and New Orleans" }),
      {
        parent: parentResearch,
      },
    );
    const parentRefs = new Set(first.result.sources.map((source) => source.documentRef));
    const refs = run.result.sources.map((source) => source.documentRef);
    expect(refs.some((ref) => parentRefs.has(ref))).toBe(true);
    expect(refs.some((ref) => !parentRefs.has(ref))).toBe(true);
    expect(run.progress[0]?.message).toMatch(
      /^Following up “Louisiana Purchase”: starting from its \d+ learnings/,
    );
  }, 60_000);
});
