import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { checkProviders, createResearchEngine, modelName, runEngineInMemory } from "./index";
import {
  instantRuntime,
  startServer,
  streamAnswer,
  temporaryDirectory,
  testConfig,
  testRequest,
} from "./testing/fixtures";

const corpus = temporaryDirectory("fathom-corpus-");
writeFileSync(
  path.join(corpus, "canal.md"),
  "# The Erie Canal\n\nThe Erie Canal opened in 1825 and linked the Hudson River with Lake Erie.\n\nFreight costs between Buffalo and New York fell by ninety percent after the canal opened.",
);

const REPORT = [
  "# The Erie Canal\n\n",
  "## Summary\n\n",
  "The canal opened in 1825 [1] and cut freight costs [1].\n\n",
  "## Trade\n\n",
  "Costs fell by ninety percent [1].\n",
];

let server: Awaited<ReturnType<typeof startServer>>;
const prompts: string[] = [];

beforeAll(async () => {
  server = await startServer((_request, response, raw) => {
    const body = JSON.parse(raw) as { messages: { content: string }[] };
    const prompt = body.messages.map((message) => message.content).join("\n");
    prompts.push(prompt);
    if (prompt.includes("Plan the research")) {
      streamAnswer(response, [
        JSON.stringify({ queries: [{ query: "Erie Canal opening", researchGoal: "When it opened" }] }),
      ]);
    } else if (prompt.includes("Extract at most")) {
      streamAnswer(response, [
        JSON.stringify({
          learnings: [{ text: "The Erie Canal opened in 1825.", sources: [1, 99] }],
          followUpQuestions: [],
        }),
      ]);
    } else if (prompt.includes("The report was interrupted")) {
      const written = /<written>\n([\s\S]*)\n<\/written>/.exec(prompt)?.[1] ?? "";
      const full = REPORT.join("");
      // Repeats a little of the end of what was written, as models do; the engine drops the overlap.
      const from = Math.max(0, written.length - 20);
      streamAnswer(response, [full.slice(from, from + 30), full.slice(from + 30)]);
    } else {
      streamAnswer(response, [...REPORT, "\n## References\n\n1. made up\n"]);
    }
  });
});

afterAll(async () => {
  await server.close();
});

function engineConfig() {
  return testConfig(temporaryDirectory(), {
    CORPUS_DIR: corpus,
    OPENAI_BASE_URL: `${server.url}/v1`,
    OPENAI_MODEL: "llama3.1",
  });
}

describe("the engine with an OpenAI-compatible model", () => {
  const request = testRequest({
    query: "What did the Erie Canal change?",
    depth: 1,
    breadth: 2,
    llm: { provider: "openai", model: "llama3.1" },
  });

  it("plans, learns and streams a cited report from the model", async () => {
    const engine = createResearchEngine({ config: engineConfig(), runtime: instantRuntime() });
    const run = await runEngineInMemory(engine, request);
    expect(run.stepsRun).toEqual(["plan", "search:1", "read:1", "learn:1", "report"]);
    expect(run.result.learnings).toEqual(["The Erie Canal opened in 1825."]);
    expect(run.result.sources).toEqual([
      {
        number: 1,
        title: "The Erie Canal",
        documentRef: "doc:canal.md",
        passages: [expect.stringContaining("opened in 1825")],
      },
    ]);
    // The model's own reference list is cut; the engine's sources list follows the body.
    expect(run.result.report).toBe(`${REPORT.join("")}\n## Sources\n\n1. The Erie Canal — doc:canal.md\n`);
    expect(run.outputs.join("")).toBe(run.result.report);
  });

  it("continues an interrupted report from reportSoFar", async () => {
    const engine = createResearchEngine({ config: engineConfig(), runtime: instantRuntime() });
    const records = new Map<string, unknown>();
    const outputs: string[] = [];
    await expect(
      runEngineInMemory(engine, request, {
        records,
        outputs,
        onOutput: () => {
          if (outputs.length === 3) throw new Error("lost");
        },
      }),
    ).rejects.toThrow("lost");
    const reportSoFar = outputs.join("");
    const resumed = await runEngineInMemory(engine, request, { records, reportSoFar });
    expect(resumed.stepsRun).toEqual(["report"]);
    expect(resumed.result.report.startsWith(reportSoFar)).toBe(true);
    expect(reportSoFar + resumed.outputs.join("")).toBe(resumed.result.report);
    expect(resumed.result.report).toBe(
      `${REPORT.join("")}\n## Sources\n\n1. The Erie Canal — doc:canal.md\n`,
    );
    expect(prompts.at(-1)).toContain("The report was interrupted");
  });
});

describe("checkProviders and modelName", () => {
  const base = testConfig(temporaryDirectory());

  it("names the missing variable", () => {
    const openai = testRequest({ query: "q", llm: { provider: "openai" } });
    expect(() => checkProviders(openai, base)).toThrow(/OPENAI_API_KEY/);
    expect(() => checkProviders(openai, base)).toThrow(AppError);
    expect(() =>
      checkProviders(openai, testConfig(temporaryDirectory(), { OPENAI_API_KEY: "sk" })),
    ).not.toThrow();
    // Ollama, vLLM and other self-hosted endpoints need no key.
    expect(() =>
      checkProviders(
        openai,
        testConfig(temporaryDirectory(), { OPENAI_BASE_URL: "http://localhost:11434/v1" }),
      ),
    ).not.toThrow();
    expect(() => checkProviders(testRequest({ query: "q", search: { provider: "searxng" } }), base)).toThrow(
      /SEARXNG_URL/,
    );
    expect(() => checkProviders(testRequest({ query: "q", search: { provider: "tavily" } }), base)).toThrow(
      /TAVILY_API_KEY/,
    );
    try {
      checkProviders(openai, base);
    } catch (error) {
      expect(error).toMatchObject({ code: "provider_not_configured" });
    }
    expect(() => checkProviders(testRequest({ query: "q" }), base)).not.toThrow();
  });

  it("gives the model name of model-backed requests only", () => {
    expect(modelName(testRequest({ query: "q" }))).toBeUndefined();
    expect(modelName(testRequest({ query: "q", llm: { provider: "openai", model: "gpt-4o" } }))).toBe(
      "gpt-4o",
    );
  });
});
