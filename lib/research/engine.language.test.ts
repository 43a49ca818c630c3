import { beforeAll, describe, expect, it } from "vitest";
import { isChinese, reportPhrases } from "../model/report-phrases";
import { createPassageIndexCache, type PassageIndexCache } from "./corpus/passage-index";
import { createResearchEngine, runEngineInMemory } from "./index";
import { emptyReportBody } from "./providers/llm/offline";
import { SOURCES_HEADING } from "./report/sources-section";
import { whatsNewSection } from "./report/whats-new-section";
import { temporaryDirectory, testConfig, testRequest } from "./testing/fixtures";
import type { ResearchEngine } from "./types";

// The offline writer's and the engine's own phrases follow the request's
// language: Chinese for `zh` tags, English for every other tag.
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

describe("the report's own phrases in the request's language", () => {
  it("tells Chinese tags from the others", () => {
    for (const tag of ["zh", "zh-CN", "zh-Hans", "ZH-cn", "zh-TW"]) expect(isChinese(tag)).toBe(true);
    for (const tag of ["en", "en-US", "pt-BR", "zu", "zho-x", "fr"]) expect(isChinese(tag)).toBe(false);
    expect(reportPhrases("fr")).toBe(reportPhrases("en"));
    expect(reportPhrases(undefined)).toBe(reportPhrases("en"));
  });

  it("writes a Chinese offline report for zh: summary, sentences and sources heading", async () => {
    const run = await runEngineInMemory(
      engine,
      testRequest({ query: "Louisiana Purchase", language: "zh-CN" }),
    );
    const { report, sources } = run.result;
    expect(run.outputs.join("")).toBe(report);
    expect(report.startsWith("# Louisiana Purchase\n\n## 摘要\n\n本报告汇集了来自 ")).toBe(true);
    expect(report).toContain("以下发现均引自各来源，并按发现它们的问题分组。");
    expect(report).toContain("\n## 来源\n\n1. ");
    expect(report).not.toContain("## Summary");
    expect(report).not.toContain(SOURCES_HEADING);
    // The quoted findings stay in the language of the sources.
    expect(sources.length).toBeGreaterThan(0);
    expect(report).toContain(`${sources[0]!.number}. ${sources[0]!.title} — ${sources[0]!.documentRef}`);
  });

  it("keeps the English report for any other language, the same as with no language", async () => {
    const english = await runEngineInMemory(engine, testRequest({ query: "Louisiana Purchase" }));
    const french = await runEngineInMemory(
      engine,
      testRequest({ query: "Louisiana Purchase", language: "fr" }),
    );
    expect(french.result.report).toBe(english.result.report);
    expect(english.result.report).toMatch(
      /^# Louisiana Purchase\n\n## Summary\n\nThis report gathers \d+ findings/,
    );
  });

  it("finishes an interrupted Chinese report without writing its sources list twice", async () => {
    const request = testRequest({ query: "the Panama canal", depth: 1, breadth: 2, language: "zh" });
    const reference = await runEngineInMemory(engine, request);
    const sourcesAt = reference.result.report.indexOf("\n## 来源\n");
    expect(sourcesAt).toBeGreaterThan(0);
    // Cut after the heading of the sources list had been sent.
    const cutAfter = reference.outputs.findIndex((_, index) =>
      reference.outputs
        .slice(0, index + 1)
        .join("")
        .includes("\n## 来源\n"),
    );
    const records = new Map<string, unknown>();
    const outputs: string[] = [];
    await expect(
      runEngineInMemory(engine, request, {
        records,
        outputs,
        onOutput: () => {
          if (outputs.length === cutAfter + 1) throw new Interrupted("connection lost in the sources list");
        },
      }),
    ).rejects.toBeInstanceOf(Interrupted);
    const reportSoFar = outputs.join("");
    const resumed = await runEngineInMemory(engine, request, { records, reportSoFar });
    expect(reportSoFar + resumed.outputs.join("")).toBe(reference.result.report);
  });

  it("says that nothing was found in Chinese", () => {
    expect(emptyReportBody("anything at all", "zh")).toMatch(
      /^# Anything at all\n\n## 摘要\n\n没有找到与此问题相关的内容/,
    );
    expect(emptyReportBody("anything at all", "en")).toBe(emptyReportBody("anything at all"));
  });

  it("writes the What's new section in Chinese", () => {
    const empty = { since: "2026-03-01 12:00:05 UTC", sources: [], learnings: [] };
    expect(whatsNewSection(empty, { language: "zh" })).toBe(
      "## 新内容（自 2026-03-01 12:00:05 UTC 以来）\n\n自 2026-03-01 12:00:05 UTC 以来没有新内容。\n",
    );
    const some = { ...empty, learnings: [{ text: "A canal was dug.", citations: [2] }] };
    expect(whatsNewSection(some, { language: "zh-Hans" })).toContain(
      "没有新来源。\n\n新发现（1）：\n\n- A canal was dug. [2]\n",
    );
    expect(whatsNewSection(empty, { language: "en" })).toBe(
      "## What's new since 2026-03-01 12:00:05 UTC\n\nNothing new since 2026-03-01 12:00:05 UTC.\n",
    );
  });
});
