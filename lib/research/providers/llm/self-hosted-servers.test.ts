/**
 * What self-hosted and routing model servers (Ollama, vLLM, llama.cpp's
 * server, LM Studio, text-generation-inference, LocalAI, OpenRouter) do that
 * OpenAI does not, driven through the production writer and the AI SDK
 * clients against a local server speaking the OpenAI wire with those quirks.
 * Waits between retries are recorded, not slept.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  type ModelServer,
  type ModelServerQuirks,
  startModelServer,
  THINKING_MARKER,
} from "../../../../tests/support/model-servers";
import { parseConfig } from "../../../config";
import { type ClientRuntime, ProviderError } from "../provider-http";
import type { CitedLearning, LlmProvider } from "./llm-provider";
import { createModelLlm } from "./model-llm";
import { languageModel, modelProvider } from "./model-providers";
import { adaptedFetch } from "./request-quirks";

const QUESTION = "How did the United States acquire Louisiana?";
const PASSAGES = [
  {
    number: 1,
    title: "Jefferson's message of 1803",
    text: "The treaty with France ceded Louisiana to the United States for fifteen million dollars. ".repeat(
      8,
    ),
  },
  {
    number: 2,
    title: "Madison's message of 1809",
    text: "New Orleans gave the western states a free outlet for their produce to the sea. ".repeat(8),
  },
  {
    number: 3,
    title: "Monroe's message of 1817",
    text: "The boundaries of Louisiana were settled with Spain after long negotiation. ".repeat(8),
  },
];

const servers: ModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(quirks: ModelServerQuirks): Promise<ModelServer> {
  const server = await startModelServer({ wire: "openai", quirks });
  servers.push(server);
  return server;
}

interface Writer {
  llm: LlmProvider;
  /** The waits the writer asked for between retries, in ms. */
  waits: number[];
  reasoning: string[];
}

/** The production writer for an openai-compatible server, configured as an operator would. */
function writer(environment: Record<string, string>, model = "research-model", maxRetries = 2): Writer {
  const config = parseConfig(environment);
  const waits: number[] = [];
  const runtime: ClientRuntime = {
    fetch: globalThis.fetch,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
    now: Date.now,
  };
  const llm = createModelLlm({
    provider: "openai-compatible",
    model,
    languageModel: (structured, quirks) =>
      languageModel(config, "openai-compatible", model, {
        fetch: adaptedFetch(runtime.fetch, quirks),
        structured,
      }),
    endpoint: modelProvider("openai-compatible").endpoint(config),
    maxRetries,
    runtime,
  });
  return { llm, waits, reasoning: [] };
}

function writerFor(server: ModelServer, model?: string, maxRetries?: number): Writer {
  return writer({ OPENAI_COMPATIBLE_BASE_URL: server.baseURL }, model, maxRetries);
}

/** Plan, learn over the fixed passages, write the report: what a research asks of its writer. */
async function research({ llm, reasoning }: Writer) {
  const onReasoning = (text: string) => reasoning.push(text);
  const plan = await llm.plan({
    query: QUESTION,
    count: 2,
    learnings: [],
    followUps: [],
    language: "en",
    onReasoning,
  });
  const learned = await llm.learn({
    rootQuery: QUESTION,
    query: plan[0]!.query,
    goal: plan[0]!.goal,
    passages: PASSAGES,
    known: [],
    count: 3,
    followUpCount: 1,
    language: "en",
    onReasoning,
  });
  const learnings: CitedLearning[] = learned.learnings.map((learning, index) => ({
    text: learning.text,
    citations: learning.passages,
    relevance: 10 - index,
  }));
  let report = "";
  await llm.writeReport({
    query: QUESTION,
    language: "en",
    sections: [{ heading: plan[0]!.query, learnings }],
    sources: PASSAGES.map((passage) => ({ number: passage.number, title: passage.title })),
    stats: { questions: plan.length, passages: PASSAGES.length },
    prefix: "",
    emit: async (text) => {
      report += text;
    },
    onReasoning,
  });
  return { plan, learned, report };
}

/** A whole report: title, summary, findings with citations, no reasoning, nothing repeated. */
function expectWholeReport(report: string): void {
  expect(report.startsWith("# ")).toBe(true);
  expect(report.split("\n").filter((line) => line.startsWith("# "))).toHaveLength(1);
  expect(report.split("## Summary")).toHaveLength(2);
  expect(report).toContain("## Findings");
  expect(report).toMatch(/\[[1-3]\]/);
  expect(report).not.toContain(THINKING_MARKER);
  expect(report).not.toMatch(/<\/?think>|OPENROUTER|error/i);
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe("self-hosted model servers: what Fathom copes with", () => {
  it("Ollama: reasoning in `reasoning` deltas, and no API key configured sends no Authorization", async () => {
    const server = await serve({ reasoningField: "reasoning" });
    // An empty key is no key.
    const run = writer({ OPENAI_COMPATIBLE_BASE_URL: server.baseURL, OPENAI_COMPATIBLE_API_KEY: "" });
    const { report, learned } = await research(run);
    expectWholeReport(report);
    expect(learned.learnings.length).toBeGreaterThan(0);
    expect(run.reasoning.join("\n")).toContain(THINKING_MARKER);
    expect(server.requests.length).toBeGreaterThan(0);
    for (const request of server.requests) expect(request.headers.authorization).toBeUndefined();
  });

  it("Ollama: a model that is not pulled fails at once with the server's reason, not a retry storm", async () => {
    const server = await serve({ knownModels: ["qwen3:8b"] });
    const run = writerFor(server, "llama3.3:70b");
    const error = await failure(research(run));
    expect(error.message).toBe(
      'openai-compatible answered HTTP 404: model "llama3.3:70b" not found, try pulling it first',
    );
    expect(error.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
    expect(run.waits).toEqual([]);
  });

  it("llama.cpp: role-only first delta with null content, a choice-less last chunk with timings, reasoning_content", async () => {
    const server = await serve({ llamaCppChunks: true, reasoningField: "reasoning_content" });
    const run = writerFor(server);
    const { report } = await research(run);
    expectWholeReport(report);
    expect(run.reasoning.join("\n")).toContain(THINKING_MARKER);
  });

  it("llama.cpp: a JSON schema its grammar converter refuses is asked for in JSON mode instead", async () => {
    const server = await serve({ refuseSchemaGrammar: true });
    const { report, learned } = await research(writerFor(server));
    expectWholeReport(report);
    expect(learned.learnings.length).toBeGreaterThan(0);
    const structured = server.requests.filter(
      (request) => request.step === "plan" || request.step === "learn",
    );
    expect(structured[0]).toMatchObject({ jsonMode: "schema", status: 400 });
    expect(structured.slice(1).map((request) => request.jsonMode)).toEqual(
      structured.slice(1).map(() => "object"),
    );
  });

  it.each([
    ["vllm", "vLLM: 400, the message at the top of the body, the completion counted too"],
    ["tgi", "text-generation-inference: 422 input validation error"],
    ["llama.cpp", "llama.cpp: 400 exceed_context_size_error"],
  ] as const)("%s context-length refusal (%s) is answered with fewer passages", async (style, _shape) => {
    const server = await serve({ contextErrorStyle: style, contextLimitTokens: 500 });
    const { report, learned } = await research(writerFor(server));
    expectWholeReport(report);
    expect(learned.learnings.length).toBeGreaterThan(0);
    const learn = server.requests.filter((request) => request.step === "learn");
    expect(learn[0]!.status).toBe(style === "tgi" ? 422 : 400);
    expect(learn.at(-1)!.status).toBe(200);
  });

  it("vLLM: an error inside the report's stream is continued after the text that came, not kept in the report", async () => {
    const server = await serve({ midStreamErrorOnce: { afterChars: 150, style: "vllm" } });
    const { report } = await research(writerFor(server));
    expectWholeReport(report);
    expect(server.requests.some((request) => request.step === "continuation")).toBe(true);
  });

  it("OpenRouter: a mid-stream error chunk with finish_reason error is a broken stream, continued", async () => {
    const server = await serve({ midStreamErrorOnce: { afterChars: 150, style: "openrouter" } });
    const { report } = await research(writerFor(server));
    expectWholeReport(report);
    expect(server.requests.some((request) => request.step === "continuation")).toBe(true);
  });

  it.each([
    ["vllm", "The engine encountered an unexpected error: CUDA out of memory."],
    ["openrouter", "Provider disconnected unexpectedly"],
    ["tgi", "Request failed during generation: Server error: CUDA out of memory. Tried to allocate 2.00 GiB"],
  ] as const)("%s: an error inside a structured answer's stream is retried", async (style, message) => {
    const quirks: ModelServerQuirks = { midStreamErrorOnce: { afterChars: 20, style, step: "plan" } };
    const run = writerFor(await serve(quirks));
    const { report } = await research(run);
    expectWholeReport(report);
    expect(run.waits).toHaveLength(1);

    // Without retries the failure is the server's own message, said as what it is.
    const error = await failure(research(writerFor(await serve(quirks), undefined, 0)));
    expect(error.message).toBe(`openai-compatible reported an error in its answer: ${message}`);
    expect(error.retryable).toBe(true);
  });

  it('finish_reason "error" without an error object is a failed answer, retried, not a whole one', async () => {
    const server = await serve({ finishReason: "error" });
    const run = writerFor(server);
    const error = await failure(research(run));
    expect(error.message).toBe('openai-compatible ended its answer with an error (finish_reason "error")');
    expect(error.retryable).toBe(true);
    expect(run.waits).toHaveLength(2);
  });

  it("OpenRouter: 402 out of credits fails at once with the server's reason", async () => {
    const server = await serve({ outOfCredits: true });
    const run = writerFor(server);
    const error = await failure(research(run));
    expect(error.message).toMatch(/^openai-compatible answered HTTP 402: Insufficient credits\./);
    expect(error.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
    expect(run.waits).toEqual([]);
  });

  it("OpenRouter: `: OPENROUTER PROCESSING` comment lines before the data are ignored", async () => {
    const server = await serve({
      sseComments: ["OPENROUTER PROCESSING", "OPENROUTER PROCESSING"],
      reasoningField: "reasoning",
    });
    const { report } = await research(writerFor(server));
    expectWholeReport(report);
  });

  it("TGI / LocalAI: finish_reason eos_token, no [DONE], JSON in fences with prose around it", async () => {
    const server = await serve({
      finishReason: "eos_token",
      noDone: true,
      refuseJsonSchema: true,
      refuseJsonObject: true,
    });
    const { report, learned } = await research(writerFor(server));
    expectWholeReport(report);
    expect(learned.learnings.length).toBeGreaterThan(0);
    const answered = server.requests.filter((request) => request.status === 200 && request.step === "learn");
    expect(answered.map((request) => request.jsonMode)).toEqual(["none"]);
  });

  it("a report cut by the output token cap (finish_reason length) is continued, not silently truncated", async () => {
    const server = await serve({ lengthCapOnce: { afterChars: 150 } });
    const { report } = await research(writerFor(server));
    expectWholeReport(report);
    expect(server.requests.some((request) => request.step === "continuation")).toBe(true);
  });

  it("a server that answers a streamed request with one JSON body (it does not stream) still gives the whole report", async () => {
    const server = await serve({ ignoresStream: true });
    const { report, plan } = await research(writerFor(server));
    expectWholeReport(report);
    expect(plan.length).toBeGreaterThan(0);
  });

  for (const style of ["openrouter", "openai"] as const) {
    it(`${style}: a 429 without Retry-After waits until the reset time the service gave`, async () => {
      const server = await serve({ rateLimitResetOnce: { style, resetSeconds: 75 } });
      const run = writerFor(server);
      const { report } = await research(run);
      expectWholeReport(report);
      expect(run.waits).toHaveLength(1);
      // The reset is 75 s away (OpenRouter's is a time, so a little less by the time it is read).
      expect(run.waits[0]).toBeGreaterThan(70_000);
      expect(run.waits[0]).toBeLessThanOrEqual(75_000);
    });
  }

  it("Ollama: a prompt cut silently at num_ctx is noticed by its usage, asked again over fewer passages, and remembered", async () => {
    const server = await serve({ truncatesPromptTo: 450 });
    const { learned } = await research(writerFor(server));
    const learns = server.requests.filter((request) => request.step === "learn");
    expect(learns.map((request) => request.truncated === true)).toEqual([true, false]);
    // Every learning cites a passage the model saw whole.
    const sent = JSON.stringify(learns[1]!.body);
    for (const learning of learned.learnings)
      for (const number of learning.passages) expect(sent).toContain(`[${number}] `);
    // The next research on this server keeps within the window from its first call.
    const before = server.requests.length;
    await research(writerFor(server));
    expect(server.requests.slice(before).filter((request) => request.truncated)).toEqual([]);
  });

  it("a follow-up's plan whose earlier learnings overflow the window is asked again with fewer of them", async () => {
    const server = await serve({ contextLimitTokens: 400 });
    const learnings = Array.from(
      { length: 30 },
      (_, index) =>
        `Learning ${index}: a treaty ceded a long stretch of territory along the river to the Union.`,
    );
    const plan = await writerFor(server).llm.plan({
      query: QUESTION,
      count: 2,
      learnings,
      followUps: [],
      language: "en",
    });
    expect(plan.length).toBeGreaterThan(0);
    const statuses = server.requests
      .filter((request) => request.step === "plan")
      .map((request) => request.status);
    expect(statuses[0]).toBe(400);
    expect(statuses.at(-1)).toBe(200);
  });

  it("an empty structured answer is asked for again", async () => {
    const server = await serve({ emptyAnswers: { times: 1 } });
    const { report, plan } = await research(writerFor(server));
    expectWholeReport(report);
    expect(plan.length).toBeGreaterThan(0);
  });

  it("an empty report is asked for again, not kept as a report without a body", async () => {
    const server = await serve({ emptyAnswers: { times: 1, steps: ["report"] } });
    const run = writerFor(server);
    const { report } = await research(run);
    expectWholeReport(report);
    expect(server.requests.filter((request) => request.step === "report")).toHaveLength(2);
    expect(run.waits).toHaveLength(1);

    const silent = await serve({ emptyAnswers: { times: 1000, steps: ["report"] } });
    const error = await failure(research(writerFor(silent)));
    expect(error.message).toBe("openai-compatible returned an empty report");
  });

  it("structured answers that stay empty fail with a message that says so", async () => {
    const server = await serve({ emptyAnswers: { times: 1000 } });
    const run = writerFor(server);
    const error = await failure(research(run));
    expect(error.message).toBe("openai-compatible did not return a usable answer: the answer was empty");
    expect(error.retryable).toBe(true);
    expect(run.waits).toHaveLength(2);
  });

  it("nginx's HTML error page in front of the server: retried with backoff, reported by its title", async () => {
    const recovering = await serve({ htmlErrors: { status: 502, times: 2 } });
    const run = writerFor(recovering);
    const { report } = await research(run);
    expectWholeReport(report);
    expect(run.waits).toHaveLength(2);
    expect(run.waits[1]!).toBeGreaterThan(run.waits[0]!);

    const down = await serve({ htmlErrors: { status: 503, times: 1000 } });
    const error = await failure(research(writerFor(down)));
    expect(error.message).toBe("openai-compatible answered HTTP 503: 503 Service Temporarily Unavailable");
    expect(error.retryable).toBe(true);
  });

  it.each([
    ["with /v1", "/v1"],
    ["with /v1/", "/v1/"],
    ["as the bare origin", ""],
    ["as the origin with a slash", "/"],
  ])("a base URL given %s reaches /v1/chat/completions", async (_name, suffix) => {
    const server = await serve({});
    const run = writer({ OPENAI_COMPATIBLE_BASE_URL: `${server.url}${suffix}` });
    const { report } = await research(run);
    expectWholeReport(report);
    expect(new Set(server.requests.map((request) => request.path))).toEqual(
      new Set(["/v1/chat/completions"]),
    );
  });
});
