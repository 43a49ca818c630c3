import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createPassageIndexCache, type PassageIndexCache } from "./corpus/passage-index";
import { createResearchEngine, runEngineInMemory } from "./index";
import { SOURCES_HEADING } from "./report/sources-section";
import { temporaryDirectory, testConfig, testRequest } from "./testing/fixtures";
import type { ResearchEngine } from "./types";

// One index of the real default corpus (State of the Union addresses) for the whole file.
const dataDir = temporaryDirectory();
const config = testConfig(dataDir);
let indexes: PassageIndexCache;
let engine: ResearchEngine;

beforeAll(async () => {
  indexes = createPassageIndexCache({ cacheDir: config.cacheDir });
  engine = createResearchEngine({ config, indexes });
  await indexes.get((await import("./create-providers")).configuredCorpus(config));
}, 60_000);

class Interrupted extends Error {}

describe("offline research over the State of the Union corpus", () => {
  // Each answer checked by grepping the corpus: 1803 announces the cession of
  // Louisiana; 1898 the war with Spain; 1823 states what was later called the
  // Monroe Doctrine (which the 1823 text itself does not name); 1964 declares
  // "unconditional war on poverty"; 1965 names the Great Society.
  it.each([
    ["Louisiana Purchase", "sotu:1803-thomas-jefferson"],
    ["What did Jefferson say about the acquisition of Louisiana?", "sotu:1803-thomas-jefferson"],
    ["Why did the United States go to war with Spain over Cuba?", "sotu:1898-william-mckinley"],
    [
      "Which president declared that the American continents are not subjects for future colonization by European powers?",
      "sotu:1823-james-monroe",
    ],
    ["unconditional war on poverty", "sotu:1964-lyndon-b-johnson"],
    ["the Great Society", "sotu:1965-lyndon-b-johnson"],
  ])("cites the right address for %j", async (query, documentRef) => {
    const run = await runEngineInMemory(engine, testRequest({ query }));
    expect(run.result.sources.map((source) => source.documentRef)).toContain(documentRef);
    const source = run.result.sources.find((candidate) => candidate.documentRef === documentRef)!;
    expect(source.title).toMatch(/^State of the Union, \d{4} — /);
    expect(source.passages.length).toBeGreaterThan(0);
    expect(run.result.report).toContain(`${source.number}. ${source.title} — ${documentRef}`);
  });

  it("writes a well-formed report that streams as its outputs", async () => {
    const run = await runEngineInMemory(
      engine,
      testRequest({ query: "How was Louisiana acquired from France?" }),
    );
    const { report, sources, learnings } = run.result;
    expect(run.outputs.join("")).toBe(report);
    expect(run.outputs.length).toBeGreaterThan(5);
    expect(report.startsWith("# How was Louisiana acquired from France?\n\n## Summary\n\n")).toBe(true);
    expect(report).toContain(`\n${SOURCES_HEADING}\n\n1. `);
    // Every citation points into the sources list, and every source is cited.
    const cited = new Set([...report.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1])));
    expect([...cited].every((number) => number >= 1 && number <= sources.length)).toBe(true);
    expect(cited.size).toBe(sources.length);
    expect(sources.map((source) => source.number)).toEqual(sources.map((_, index) => index + 1));
    expect(learnings.length).toBeGreaterThan(0);
    // Progress comes from the plan: it only grows, and ends with the report.
    const percentages = run.progress.map((update) => update.percentage);
    expect(percentages).toEqual([...percentages].sort((a, b) => a - b));
    expect(run.progress.at(-1)).toMatchObject({ step: "report", percentage: 90 });
    expect(new Set(run.progress.map((update) => update.step))).toEqual(
      new Set(["plan", "search", "read", "learn", "report"]),
    );
    expect(run.sources.length).toBeGreaterThan(0);
    // The research tree: sub-questions, their searches and what each search taught, all connected.
    const tree = run.progress.flatMap((update) => (update.detail ? [update.detail] : []));
    const ids = new Set(tree.map((node) => node.id));
    expect(tree.filter((node) => node.kind === "question")).toHaveLength(9);
    expect(tree.filter((node) => node.kind === "search")).toHaveLength(9);
    expect(tree.filter((node) => node.kind === "learning").length).toBe(learnings.length);
    for (const node of tree) if (node.parentId) expect(ids.has(node.parentId)).toBe(true);
  });

  it("is deterministic: the same request gives the same report byte for byte", async () => {
    const request = testRequest({
      query: "tariff and the protection of American industry",
      depth: 2,
      breadth: 3,
    });
    const first = await runEngineInMemory(engine, request);
    const second = await runEngineInMemory(createResearchEngine({ config, indexes }), request);
    expect(second.result.report).toBe(first.result.report);
    expect(second.result.sources).toEqual(first.result.sources);
  });

  it("resumes after an interruption at any step without repeating finished steps", async () => {
    const request = testRequest({ query: "the purchase of Alaska from Russia", depth: 2, breadth: 2 });
    const reference = await runEngineInMemory(engine, request);
    const keys = reference.stepsRun;
    expect(keys[0]).toBe("plan");
    expect(keys.at(-1)).toBe("report");
    for (const k of [1, 4, Math.floor(keys.length / 2), keys.length - 1]) {
      const records = new Map<string, unknown>();
      let calls = 0;
      await expect(
        runEngineInMemory(engine, request, {
          records,
          beforeStep: () => {
            if (calls++ === k) throw new Interrupted(`stopped before step ${k}`);
          },
        }),
      ).rejects.toBeInstanceOf(Interrupted);
      expect([...records.keys()]).toEqual(keys.slice(0, k));
      const resumed = await runEngineInMemory(engine, request, { records });
      expect(resumed.stepsRun).toEqual(keys.slice(k));
      expect(resumed.result.report).toBe(reference.result.report);
      expect(resumed.outputs.join("")).toBe(reference.result.report);
    }
  });

  it("continues an interrupted report step from reportSoFar", async () => {
    const request = testRequest({ query: "the Panama canal", depth: 1, breadth: 3 });
    const reference = await runEngineInMemory(engine, request);
    for (const cutAfter of [1, 3, reference.outputs.length - 2]) {
      const records = new Map<string, unknown>();
      const outputs: string[] = [];
      await expect(
        runEngineInMemory(engine, request, {
          records,
          outputs,
          onOutput: () => {
            if (outputs.length === cutAfter) throw new Interrupted("connection lost mid-report");
          },
        }),
      ).rejects.toBeInstanceOf(Interrupted);
      expect(outputs.length).toBe(cutAfter);
      const reportSoFar = outputs.join("");
      const resumed = await runEngineInMemory(engine, request, { records, reportSoFar });
      expect(resumed.stepsRun).toEqual(["report"]);
      expect(resumed.result.report).toBe(reference.result.report);
      expect(reportSoFar + resumed.outputs.join("")).toBe(reference.result.report);
    }
  });

  it("writes the report from what it has when asked to finish early", async () => {
    const request = testRequest({ query: "railroads and the settlement of the West", depth: 2, breadth: 3 });
    let learned = 0;
    const run = await runEngineInMemory(engine, request, {
      finishRequested: () => learned >= 1,
      onProgress: (update) => {
        if (update.step === "learn") learned++;
      },
    });
    expect(run.stepsRun).toEqual(["plan", "search:1", "read:1", "learn:1", "report"]);
    expect(run.result.report).toMatch(/^# Railroads/);
    expect(run.progress.at(-1)?.message).toMatch(/so far/);
  });

  it("stops when the task is aborted", async () => {
    const controller = new AbortController();
    const request = testRequest({ query: "the gold standard" });
    await expect(
      runEngineInMemory(engine, request, {
        signal: controller.signal,
        beforeStep: (key) => {
          if (key === "read:1") controller.abort(new Interrupted("cancelled"));
        },
      }),
    ).rejects.toBeInstanceOf(Interrupted);
  });
});

describe("a corpus folder", () => {
  it("reports that nothing was found when the folder is empty", async () => {
    const corpus = temporaryDirectory("fathom-corpus-");
    const folderConfig = testConfig(temporaryDirectory(), { CORPUS_DIR: corpus });
    const run = await runEngineInMemory(
      createResearchEngine({ config: folderConfig }),
      testRequest({ query: "anything at all" }),
    );
    expect(run.result.sources).toEqual([]);
    expect(run.result.report).toMatch(/^# Anything at all\n\n## Summary\n\nNothing relevant was found/);
    expect(run.result.report).not.toContain(SOURCES_HEADING);
    expect(run.outputs.join("")).toBe(run.result.report);
  });

  it("searches .txt, .md, .html and .json documents", async () => {
    const corpus = temporaryDirectory("fathom-corpus-");
    mkdirSync(path.join(corpus, "notes"));
    writeFileSync(
      path.join(corpus, "lighthouses.txt"),
      "Lighthouses guide ships along dangerous coasts. The Fresnel lens made lighthouse beams visible for many miles.\n\nKeepers trimmed the wicks every night.",
    );
    writeFileSync(
      path.join(corpus, "notes", "bees.md"),
      "# Honey bees\n\nHoney bees communicate the direction of flowers with a waggle dance inside the hive.",
    );
    writeFileSync(
      path.join(corpus, "tides.html"),
      "<html><head><title>Tides</title></head><body><p>Tides are caused by the gravitational pull of the Moon and the Sun on the oceans of the Earth.</p></body></html>",
    );
    writeFileSync(
      path.join(corpus, "volcano.json"),
      JSON.stringify({
        title: "Volcanoes",
        url: "https://example.org/volcanoes",
        text: "Volcanoes erupt when magma rises through the crust of the Earth.",
      }),
    );
    const folderConfig = testConfig(temporaryDirectory(), { CORPUS_DIR: corpus });
    const folderEngine = createResearchEngine({ config: folderConfig });
    const bees = await runEngineInMemory(
      folderEngine,
      testRequest({ query: "How do honey bees communicate with a dance?", depth: 1 }),
    );
    expect(bees.result.sources[0]).toMatchObject({ title: "Honey bees", documentRef: "doc:notes/bees.md" });
    const tides = await runEngineInMemory(
      folderEngine,
      testRequest({ query: "What causes the tides of the oceans?", depth: 1 }),
    );
    expect(tides.result.sources[0]).toMatchObject({ title: "Tides", documentRef: "doc:tides.html" });
    const volcano = await runEngineInMemory(
      folderEngine,
      testRequest({ query: "Why do volcanoes erupt magma?", depth: 1 }),
    );
    expect(volcano.result.sources[0]).toMatchObject({
      title: "Volcanoes",
      url: "https://example.org/volcanoes",
    });
    expect(volcano.result.report).toContain("1. [Volcanoes](https://example.org/volcanoes)");
    const lens = await runEngineInMemory(
      folderEngine,
      testRequest({ query: "Fresnel lens of lighthouses", depth: 1 }),
    );
    expect(lens.result.sources[0]).toMatchObject({
      title: "Lighthouses",
      documentRef: "doc:lighthouses.txt",
    });
  });
});
