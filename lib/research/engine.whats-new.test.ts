import { describe, expect, it } from "vitest";
import { createEngine } from "./engine";
import type { LlmProvider, WhatsNewInput } from "./providers/llm/llm-provider";
import { createOfflineLlm } from "./providers/llm/offline";
import type { SearchProvider, SearchResult } from "./providers/search/search-provider";
import { SOURCES_HEADING } from "./report/sources-section";
import { WHATS_NEW_HEADING } from "./report/whats-new-section";
import { runEngineInMemory } from "./run-in-memory";
import { testRequest } from "./testing/fixtures";
import type { PreviousRun, ResearchResult } from "./types";

const CANALS: SearchResult[] = [
  {
    title: "Canal history",
    url: "https://example.test/canals",
    snippet: "Canals",
    passages: ["The Erie Canal opened in 1825 and linked the Hudson River to Lake Erie."],
  },
  {
    title: "Canal engineering",
    url: "https://example.test/locks",
    snippet: "Locks",
    passages: ["The Erie Canal used 83 locks to climb 568 feet between the Hudson and Lake Erie."],
  },
];
const NEWS: SearchResult = {
  title: "Canal news",
  url: "https://example.test/news",
  snippet: "News",
  passages: ["The Erie Canal was enlarged between 1836 and 1862 to carry larger boats of grain."],
};

/** A web-like search whose results are whatever `results` holds when it is asked. */
function changingSearch(results: { current: SearchResult[] }): SearchProvider {
  return { name: "searxng", search: async () => structuredClone(results.current) };
}

function engineOver(results: { current: SearchResult[] }) {
  const search = changingSearch(results);
  return createEngine({
    providers: () => ({
      search,
      llm: createOfflineLlm({ search }),
      reader: {
        read: async (result) =>
          result.passages ? { title: result.title, url: result.url, passages: result.passages } : undefined,
      },
    }),
  });
}

/** The offline writer with a model-like summary of what is new (`answer` decides it; calls are counted). */
function summarizingEngineOver(
  results: { current: SearchResult[] },
  answer: (input: WhatsNewInput) => string,
) {
  const search = changingSearch(results);
  const calls: WhatsNewInput[] = [];
  const llm: LlmProvider = {
    ...createOfflineLlm({ search }),
    summarizeWhatsNew: async (input) => {
      calls.push(input);
      return answer(input);
    },
  };
  const engine = createEngine({
    providers: () => ({
      search,
      llm,
      reader: {
        read: async (result) =>
          result.passages ? { title: result.title, url: result.url, passages: result.passages } : undefined,
      },
    }),
  });
  return { engine, calls };
}

function previousOf(result: ResearchResult, finishedAt: string): PreviousRun {
  return { finishedAt, sources: result.sources, learnings: result.learnings };
}

const request = () => testRequest({ query: "Erie Canal history", breadth: 1, depth: 1 });

describe("what's new since the previous run", () => {
  it("lists the sources and learnings the previous run did not have, before the sources", async () => {
    const results = { current: CANALS };
    const engine = engineOver(results);
    const first = await runEngineInMemory(engine, request());
    expect(first.result.report).not.toContain(WHATS_NEW_HEADING);
    expect(first.result.whatsNew).toBeUndefined();

    results.current = [...CANALS, NEWS];
    const previous = previousOf(first.result, "2026-03-01T12:00:05.120Z");
    const second = await runEngineInMemory(engine, request(), { previous });
    const { report, sources, whatsNew } = second.result;
    expect(second.outputs.join("")).toBe(report);
    const at = report.indexOf(`\n${WHATS_NEW_HEADING}2026-03-01 12:00:05 UTC\n`);
    expect(at).toBeGreaterThan(0);
    expect(report.indexOf(`\n${SOURCES_HEADING}\n`)).toBeGreaterThan(at);
    const section = report.slice(at, report.indexOf(`\n${SOURCES_HEADING}\n`));
    const news = sources.find((source) => source.url === NEWS.url)!;
    expect(section).toContain(`New sources (1):\n\n- [${news.number}] Canal news — ${NEWS.url}`);
    expect(section).not.toContain(CANALS[0]!.url!);
    expect(section).toMatch(/New learnings \(\d+\):\n\n- .*enlarged between 1836 and 1862/);
    expect(whatsNew).toMatchObject({ since: "2026-03-01T12:00:05.120Z", sources: 1 });
    expect(whatsNew!.learnings).toBeGreaterThan(0);
  });

  it("says nothing is new when the results did not change", async () => {
    const results = { current: CANALS };
    const engine = engineOver(results);
    const first = await runEngineInMemory(engine, request());
    const again = await runEngineInMemory(engine, request(), {
      previous: previousOf(first.result, "2026-03-01T12:00:05Z"),
    });
    expect(again.result.report).toContain(
      `${WHATS_NEW_HEADING}2026-03-01 12:00:05 UTC\n\nNothing new since 2026-03-01 12:00:05 UTC.\n\n${SOURCES_HEADING}\n`,
    );
    expect(again.result.whatsNew).toMatchObject({ sources: 0, learnings: 0 });
  });

  it("writes the same section again when a run resumes inside it", async () => {
    const results = { current: [...CANALS, NEWS] };
    const engine = engineOver(results);
    const previous: PreviousRun = {
      finishedAt: "2026-03-01T12:00:05Z",
      sources: [{ title: "Canal history", url: CANALS[0]!.url! }],
      learnings: [],
    };
    const whole = await runEngineInMemory(engine, request(), { previous });
    const report = whole.result.report;
    // Interrupted in the middle of the section, and after its heading.
    for (const cut of [
      report.indexOf(WHATS_NEW_HEADING) + WHATS_NEW_HEADING.length + 3,
      report.indexOf("New learnings"),
    ]) {
      const records = new Map(whole.records);
      records.delete("report");
      const resumed = await runEngineInMemory(engine, request(), {
        previous,
        records,
        reportSoFar: report.slice(0, cut),
      });
      expect(resumed.result.report).toBe(report);
      expect(report.slice(0, cut) + resumed.outputs.join("")).toBe(report);
    }
  });

  it("opens the section with the writer's summary of the news, asked once with only what is new", async () => {
    const results = { current: CANALS };
    const { engine, calls } = summarizingEngineOver(results, (input) =>
      input.sources.map((source) => `${source.title} is new [${source.number}].`).join(" "),
    );
    const first = await runEngineInMemory(engine, request());
    results.current = [...CANALS, NEWS];
    const previous = previousOf(first.result, "2026-03-01T12:00:05Z");
    const second = await runEngineInMemory(engine, request(), { previous });
    const news = second.result.sources.find((source) => source.url === NEWS.url)!;
    expect(second.result.report).toContain(
      `${WHATS_NEW_HEADING}2026-03-01 12:00:05 UTC\n\nCanal news is new [${news.number}].\n\nNew sources (1):\n`,
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]!.sources.map((source) => source.url)).toEqual([NEWS.url]);
    expect(calls[0]!.since).toBe("2026-03-01 12:00:05 UTC");
    expect(second.stepsRun).toContain("whats-new-summary");

    // A resumed run writes the recorded summary again, without asking.
    const records = new Map(second.records);
    records.delete("report");
    const report = second.result.report;
    const cut = report.indexOf("New sources (1)");
    const resumed = await runEngineInMemory(engine, request(), {
      previous,
      records,
      reportSoFar: report.slice(0, cut),
    });
    expect(resumed.result.report).toBe(report);
    expect(calls).toHaveLength(1);
  });

  it("asks for no summary when nothing is new, and keeps the lists when the summary fails", async () => {
    const results = { current: CANALS };
    const quiet = summarizingEngineOver(results, () => "unused");
    const first = await runEngineInMemory(quiet.engine, request());
    const previous = previousOf(first.result, "2026-03-01T12:00:05Z");
    const again = await runEngineInMemory(quiet.engine, request(), { previous });
    expect(again.result.report).toContain("Nothing new since 2026-03-01 12:00:05 UTC.");
    expect(quiet.calls).toHaveLength(0);

    results.current = [...CANALS, NEWS];
    const failing = summarizingEngineOver(results, () => {
      throw new Error("the model is down");
    });
    const run = await runEngineInMemory(failing.engine, request(), { previous });
    expect(failing.calls).toHaveLength(1);
    expect(run.result.report).toMatch(/## What's new since 2026-03-01 12:00:05 UTC\n\nNew sources \(1\):\n/);
  });
});
