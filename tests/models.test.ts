import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ModelServer,
  type ModelServerQuirks,
  requestsWhere,
  startModelServer,
  THINKING_MARKER,
  type Wire,
} from "./support/model-servers";
import { startServer, type TestServer } from "./support/server";
import { getJson, outputText, readSse } from "./support/sse";

/**
 * One research per model provider and per server behaviour, through the real
 * server and the production AI SDK clients, against local servers that speak
 * each service's wire format. Every case is a model name: a router in front
 * of the model servers sends each request to the server of its model, so one
 * Fathom server reaches them all with one base URL per provider.
 */

interface Case {
  provider: "openai" | "anthropic" | "google" | "azure" | "openai-compatible";
  model: string;
  wire: Wire;
  quirks?: ModelServerQuirks;
}

const CASES = {
  openai: { provider: "openai", model: "gpt-4o-mini", wire: "openai" },
  anthropic: { provider: "anthropic", model: "claude-sonnet-4-5", wire: "anthropic" },
  anthropicTool: { provider: "anthropic", model: "claude-3-5-haiku-latest", wire: "anthropic" },
  google: { provider: "google", model: "gemini-2.5-flash", wire: "google" },
  azure: {
    provider: "azure",
    model: "research-deployment",
    wire: "azure",
    quirks: { azurePromptFilter: true },
  },
  ollamaThink: {
    provider: "openai-compatible",
    model: "qwen3:8b",
    wire: "openai",
    quirks: { thinkInContent: true },
  },
  vllmReasoning: {
    provider: "openai-compatible",
    model: "deepseek-r1-distill",
    wire: "openai",
    quirks: { reasoningField: "reasoning_content" },
  },
  openrouterReasoning: {
    provider: "openai-compatible",
    model: "deepseek/deepseek-r1",
    wire: "openai",
    quirks: { reasoningField: "reasoning" },
  },
  lmStudio: {
    provider: "openai-compatible",
    model: "lmstudio-model",
    wire: "openai",
    quirks: { refuseJsonObject: true },
  },
  noSchema: {
    provider: "openai-compatible",
    model: "deepseek-chat",
    wire: "openai",
    quirks: { refuseJsonSchema: true },
  },
  noJsonAtAll: {
    provider: "openai-compatible",
    model: "plain-text-model",
    wire: "openai",
    quirks: { refuseJsonSchema: true, refuseJsonObject: true },
  },
  rateLimited: {
    provider: "openai-compatible",
    model: "busy-model",
    wire: "openai",
    quirks: { rateLimitOnce: { retryAfterSeconds: 1 } },
  },
  geminiRateLimited: {
    provider: "google",
    model: "gemini-busy",
    wire: "google",
    quirks: { rateLimitOnce: { retryAfterSeconds: 1 } },
  },
  smallContext: {
    provider: "openai-compatible",
    model: "small-context-model",
    wire: "openai",
    quirks: { contextLimitTokens: 1500 },
  },
  cutStream: {
    provider: "openai-compatible",
    model: "flaky-stream-model",
    wire: "openai",
    quirks: { cutReportOnce: { afterChars: 150 } },
  },
  noStreamOptions: { provider: "openai-compatible", model: "strict-proxy-model", wire: "openai" },
  noTemperature: { provider: "openai-compatible", model: "o-style-reasoner", wire: "openai" },
  leaky: { provider: "openai-compatible", model: "leaky-model", wire: "openai", quirks: { echoKey: true } },
  ollamaNoKey: {
    provider: "openai-compatible",
    model: "qwen3:14b",
    wire: "openai",
    quirks: { reasoningField: "reasoning" },
  },
  ollamaNotPulled: {
    provider: "openai-compatible",
    model: "llama3.3:70b",
    wire: "openai",
    quirks: { knownModels: ["qwen3:8b"] },
  },
  llamaCpp: {
    provider: "openai-compatible",
    model: "ggml-org/gpt-oss-20b-GGUF",
    wire: "openai",
    quirks: { llamaCppChunks: true, reasoningField: "reasoning_content", refuseSchemaGrammar: true },
  },
  vllmMidStreamError: {
    provider: "openai-compatible",
    model: "Qwen/Qwen3-8B",
    wire: "openai",
    quirks: { midStreamErrorOnce: { afterChars: 150, style: "vllm" }, contextErrorStyle: "vllm" },
  },
  openrouterMidStreamError: {
    provider: "openai-compatible",
    model: "meta-llama/llama-3.3-70b-instruct",
    wire: "openai",
    quirks: {
      midStreamErrorOnce: { afterChars: 150, style: "openrouter" },
      sseComments: ["OPENROUTER PROCESSING"],
      reasoningField: "reasoning",
    },
  },
  tgi: {
    provider: "openai-compatible",
    model: "tgi",
    wire: "openai",
    quirks: { finishReason: "eos_token", noDone: true, refuseJsonSchema: true, refuseJsonObject: true },
  },
  lengthCap: {
    provider: "openai-compatible",
    model: "capped-output-model",
    wire: "openai",
    quirks: { lengthCapOnce: { afterChars: 150 } },
  },
  nginxBadGateway: {
    provider: "openai-compatible",
    model: "behind-nginx-model",
    wire: "openai",
    quirks: { htmlErrors: { status: 502, times: 1 } },
  },
  emptyOnce: {
    provider: "openai-compatible",
    model: "quiet-model",
    wire: "openai",
    quirks: { emptyAnswers: { times: 1 } },
  },
} satisfies Record<string, Case>;
type CaseName = keyof typeof CASES;

const COMPATIBLE_KEY = "sk-canaryCOMPAT0a1b2c3d4e5f6g7h8i9";
const QUERY = "How did the United States acquire Louisiana?";

/** The error body of a server that refuses a field this request has, else undefined. */
function refusedField(model: string, body: string): Record<string, unknown> | undefined {
  const json = JSON.parse(body || "{}") as Record<string, unknown>;
  if (model === CASES.noStreamOptions.model && json.stream_options !== undefined) {
    return {
      message: "Unrecognized request argument supplied: stream_options",
      type: "invalid_request_error",
      param: null,
      code: null,
    };
  }
  if (model === CASES.noTemperature.model && json.temperature !== undefined) {
    return {
      message: "Unsupported parameter: 'temperature' is not supported with this model.",
      type: "invalid_request_error",
      param: "temperature",
      code: "unsupported_parameter",
    };
  }
  return undefined;
}

interface Forwarded {
  model: string;
  status: number;
  at: number;
}

describe("models: every provider and the server behaviours people meet", () => {
  const servers = new Map<CaseName, ModelServer>();
  const forwarded: Forwarded[] = [];
  let router: http.Server;
  let routerUrl: string;
  let fathom: TestServer;

  const modelOf = (path: string, body: string): string | undefined => {
    const google = /\/models\/([^/:]+):/.exec(path);
    if (google) return decodeURIComponent(google[1]!);
    try {
      return (JSON.parse(body) as { model?: string }).model;
    } catch {
      return undefined;
    }
  };

  beforeAll(async () => {
    for (const [name, entry] of Object.entries(CASES) as [CaseName, Case][]) {
      servers.set(name, await startModelServer({ wire: entry.wire, quirks: entry.quirks }));
    }
    const byModel = new Map([...servers].map(([name, server]) => [CASES[name].model, server]));
    // The router: a request goes to the server of its model, unchanged.
    router = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks);
        const model = modelOf(request.url ?? "", body.toString("utf8")) ?? "";
        const target = byModel.get(model);
        // Servers that refuse a field of the request (the real messages of an older
        // Azure deployment and of OpenAI's reasoning models).
        const refusal = refusedField(model, body.toString("utf8"));
        if (target && refusal) {
          forwarded.push({ model, status: 400, at: Date.now() });
          response.writeHead(400, { "content-type": "application/json" });
          response.end(JSON.stringify({ error: refusal }));
          return;
        }
        if (!target) {
          response.writeHead(404, { "content-type": "application/json" });
          response.end(JSON.stringify({ error: { message: `The model ${model} does not exist` } }));
          return;
        }
        const upstream = http.request(
          `${target.url}${request.url}`,
          { method: request.method, headers: { ...request.headers, host: new URL(target.url).host } },
          (answer) => {
            forwarded.push({ model, status: answer.statusCode ?? 0, at: Date.now() });
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
            // A model server that cuts its answer cuts the router's too.
            answer.on("aborted", () => response.destroy());
            answer.on("error", () => response.destroy());
          },
        );
        upstream.on("error", () => response.destroy());
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => router.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(router.address() as AddressInfo).port}`;
    routerUrl = url;
    fathom = await startServer({
      env: {
        OPENAI_BASE_URL: `${url}/v1`,
        OPENAI_API_KEY: "sk-openai-test",
        ANTHROPIC_BASE_URL: `${url}/v1`,
        ANTHROPIC_API_KEY: "sk-ant-test",
        GOOGLE_BASE_URL: `${url}/v1beta`,
        GOOGLE_GENERATIVE_AI_API_KEY: "google-test",
        AZURE_BASE_URL: `${url}/openai/v1`,
        AZURE_API_KEY: "azure-test",
        AZURE_MODEL: "research-deployment",
        OPENAI_COMPATIBLE_BASE_URL: `${url}/v1`,
        OPENAI_COMPATIBLE_API_KEY: COMPATIBLE_KEY,
        MODEL_PRICES: JSON.stringify({ "gpt-4o-mini": { input: 0.15, output: 0.6 } }),
        MAX_CONCURRENT_TASKS: "20",
        RATE_LIMIT_TASKS_PER_MINUTE: "0",
        STEP_MAX_RETRIES: "1",
      },
    });
  });

  afterAll(async () => {
    await fathom?.stop();
    await new Promise<void>((resolve) => (router ? router.close(() => resolve()) : resolve()));
    await Promise.all([...servers.values()].map((server) => server.close()));
  });

  /** Runs one research with the case's provider and model; returns the stream and the finished task. */
  async function research(name: CaseName, server: TestServer = fathom) {
    const { provider, model } = CASES[name];
    const stream = await readSse(`${server.url}/api/research`, {
      method: "POST",
      body: { query: QUERY, depth: 1, breadth: 2, llm: { provider, model } },
      timeoutMs: 120_000,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("x-model-name")).toBe(model);
    const id = stream.headers.get("x-task-id")!;
    const { body: task } = await getJson(`${server.url}/api/tasks/${id}`);
    return { stream, task, server: servers.get(name)! };
  }

  /** Completed, the report is what was streamed, no reasoning in it, every citation points to a source. */
  function expectCleanReport(run: Awaited<ReturnType<typeof research>>): void {
    const { stream, task } = run;
    expect(task.error ?? null).toBeNull();
    expect(task.status).toBe("completed");
    const report: string = task.result.report;
    expect(outputText(stream.events)).toBe(report);
    expect(report.startsWith("# ")).toBe(true);
    expect(report).toContain("## Summary");
    expect(report).not.toContain(THINKING_MARKER);
    expect(report).not.toMatch(/<\/?think>/);
    const sources = task.result.sources.length;
    expect(sources).toBeGreaterThan(0);
    const cited = [...report.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]));
    expect(cited.length).toBeGreaterThan(0);
    for (const number of cited) expect(number).toBeGreaterThanOrEqual(1);
    for (const number of cited) expect(number).toBeLessThanOrEqual(sources);
    expect(report).toContain("## Sources");
    expect(task.result.learnings.length).toBeGreaterThan(0);
    for (const learning of task.result.learnings) expect(learning).not.toContain(THINKING_MARKER);
  }

  /** The structured steps' requests (plan and learn) of a server, in order. */
  const structured = (server: ModelServer) =>
    server.requests.filter((request) => request.step === "plan" || request.step === "learn");

  it.each([
    ["openai", "OpenAI chat completions"],
    ["anthropic", "Anthropic messages, native streaming, JSON schema output"],
    ["anthropicTool", "Anthropic messages with the json tool (older models)"],
    ["google", "Gemini streamGenerateContent"],
    ["azure", "Azure: a choice-less first chunk with prompt_filter_results, usage last"],
  ] as [CaseName, string][])("%s: %s", async (name) => {
    const run = await research(name);
    expectCleanReport(run);
    expect(run.server.requests.some((request) => request.step === "report" && request.stream)).toBe(true);
    expect(run.server.requests.every((request) => request.status === 200)).toBe(true);
  });

  it.each([
    ["ollamaThink", "Ollama: <think> inside the content, tags split across chunks"],
    ["vllmReasoning", "vLLM / DeepSeek: reasoning_content"],
    ["openrouterReasoning", "OpenRouter: reasoning"],
  ] as [CaseName, string][])("%s: %s stays out of answers and shows as folded thinking", async (name) => {
    const run = await research(name);
    expectCleanReport(run);
    const thinking = run.stream.events.filter(
      (event) => event.event === "progress" && event.data.detail?.kind === "thinking",
    );
    expect(thinking.length).toBeGreaterThan(0);
    for (const event of thinking) expect(event.data.detail.label).toContain(THINKING_MARKER);
  });

  it("LM Studio: JSON schema is used, so its refusal of JSON mode never comes up", async () => {
    const run = await research("lmStudio");
    expectCleanReport(run);
    const modes = structured(run.server).map((request) => request.jsonMode);
    expect(modes.length).toBeGreaterThan(0);
    expect(new Set(modes)).toEqual(new Set(["schema"]));
  });

  it("a server refusing JSON schema is asked in JSON mode, once refused for good", async () => {
    const run = await research("noSchema");
    expectCleanReport(run);
    const requests = structured(run.server);
    expect(requests[0]).toMatchObject({ jsonMode: "schema", status: 400 });
    expect(requests.slice(1).map((request) => request.jsonMode)).toEqual(
      requests.slice(1).map(() => "object"),
    );
  });

  it("a server refusing both JSON modes is read as plain text", async () => {
    const run = await research("noJsonAtAll");
    expectCleanReport(run);
    const requests = structured(run.server);
    expect(requests.slice(0, 2)).toMatchObject([
      { jsonMode: "schema", status: 400 },
      { jsonMode: "object", status: 400 },
    ]);
    expect(requests.slice(2).length).toBeGreaterThan(0);
    for (const request of requests.slice(2)) expect(request).toMatchObject({ jsonMode: "none", status: 200 });
  });

  it.each([
    ["rateLimited", "429 with Retry-After"],
    ["geminiRateLimited", "Gemini's 429 with RetryInfo in the body"],
  ] as [CaseName, string][])("%s: waits as told and completes", async (name) => {
    const run = await research(name);
    expectCleanReport(run);
    const calls = forwarded.filter((entry) => entry.model === CASES[name].model);
    expect(calls[0]!.status).toBe(429);
    expect(calls[1]!.status).toBe(200);
    // Asked again only after the server's delay (1 s), not at once.
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it.each([
    ["noStreamOptions", "stream_options"],
    ["noTemperature", "temperature"],
  ] as [CaseName, string][])("%s: a server refusing %s is asked again without it", async (name, field) => {
    const run = await research(name);
    expectCleanReport(run);
    const calls = forwarded.filter((entry) => entry.model === CASES[name].model);
    expect(calls.filter((entry) => entry.status === 400)).toHaveLength(1);
    // Remembered: every later request leaves the field out.
    const sent = run.server.requests.map((request) => (request.body as Record<string, unknown>)[field]);
    expect(sent.every((value) => value === undefined)).toBe(true);
  });

  it("a context-length 400 is answered with fewer passages, not a failure", async () => {
    const run = await research("smallContext");
    expectCleanReport(run);
    const learn = run.server.requests.filter((request) => request.step === "learn");
    const refused = learn.filter((request) => request.status === 400);
    expect(refused.length).toBeGreaterThan(0);
    const size = (request: (typeof learn)[number]) => JSON.stringify(request.body).length;
    const answered = learn.filter((request) => request.status === 200);
    expect(answered.length).toBeGreaterThan(0);
    expect(Math.max(...answered.map(size))).toBeLessThan(Math.min(...refused.map(size)));
  });

  it("a report stream cut mid-way is continued, and the report has each part once", async () => {
    const run = await research("cutStream");
    expectCleanReport(run);
    expect(run.server.requests.some((request) => request.step === "continuation")).toBe(true);
    const report: string = run.task.result.report;
    const summary = report.indexOf("## Summary");
    expect(report.indexOf("## Summary", summary + 1)).toBe(-1);
    expect(report.split("\n").filter((line) => line.startsWith("# ")).length).toBe(1);
  });

  it("a refused key fails the task with the server's reason and without the key", async () => {
    const run = await research("leaky");
    expect(run.task.status).toBe("failed");
    expect(run.task.error.message).toMatch(/openai-compatible answered HTTP 401/);
    expect(JSON.stringify(run.task)).not.toContain(COMPATIBLE_KEY);
    expect(JSON.stringify(run.stream.events)).not.toContain(COMPATIBLE_KEY);
    expect(fathom.output()).not.toContain(COMPATIBLE_KEY);
    // The server did see the key: the redactor, not luck, kept it out.
    expect(run.server.requests.some((request) => request.apiKey === COMPATIBLE_KEY)).toBe(true);
  });

  it("Ollama: no key configured and the base URL given as the bare origin with a slash", async () => {
    const ollama = await startServer({ env: { OPENAI_COMPATIBLE_BASE_URL: `${routerUrl}/` } });
    try {
      const run = await research("ollamaNoKey", ollama);
      expectCleanReport(run);
      expect(run.server.requests.length).toBeGreaterThan(0);
      for (const request of run.server.requests) {
        expect(request.path).toBe("/v1/chat/completions");
        expect(request.headers.authorization).toBeUndefined();
      }
    } finally {
      await ollama.stop();
    }
  });

  it("Ollama: a model that is not pulled fails the task with the server's reason, asked once", async () => {
    const run = await research("ollamaNotPulled");
    expect(run.task.status).toBe("failed");
    expect(run.task.error.message).toContain(
      'openai-compatible answered HTTP 404: model "llama3.3:70b" not found, try pulling it first',
    );
    expect(run.server.requests).toHaveLength(1);
  });

  it.each([
    [
      "llamaCpp",
      "llama.cpp: null content, timings chunk, reasoning_content, a JSON schema its grammar refuses",
    ],
    ["tgi", "text-generation-inference: eos_token, no [DONE], JSON read out of prose and fences"],
    ["emptyOnce", "an empty structured answer, asked for again"],
  ] as [CaseName, string][])("%s: %s", async (name) => {
    const run = await research(name);
    expectCleanReport(run);
  });

  it.each([
    ["vllmMidStreamError", "vLLM's error object inside the report's stream"],
    ["openrouterMidStreamError", "OpenRouter's error chunk (finish_reason error) after its comment lines"],
    ["lengthCap", "the output token cap (finish_reason length)"],
  ] as [CaseName, string][])("%s: a report stopped by %s is continued", async (name) => {
    const run = await research(name);
    expectCleanReport(run);
    expect(run.server.requests.some((request) => request.step === "continuation")).toBe(true);
    expect(run.task.result.report).not.toMatch(/CUDA|disconnected/);
  });

  it("nginx's 502 page in front of the server is retried, and the research completes", async () => {
    const run = await research("nginxBadGateway");
    expectCleanReport(run);
    expect(run.server.requests[0]!.status).toBe(502);
  });

  it("counts tokens per step, attempt and task, prices them, and shows them in metrics", async () => {
    const run = await research("openai");
    const { usage } = run.task;
    const served = requestsWhere(run.server.requests, { status: 200 });
    expect(served.length).toBeGreaterThan(0);
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect(usage.outputTokens).toBeGreaterThan(0);
    expect(usage.calls).toBeGreaterThanOrEqual(served.length);
    expect(Object.keys(usage.byStep)).toEqual(expect.arrayContaining(["plan", "learn:1", "report"]));
    expect(usage.byModel["openai:gpt-4o-mini"].calls).toBe(usage.calls);
    const expected = (usage.inputTokens * 0.15 + usage.outputTokens * 0.6) / 1_000_000;
    expect(usage.costUsd).toBeCloseTo(expected, 9);
    expect(run.task.attempts.at(-1).usage.inputTokens).toBeGreaterThan(0);

    const metrics = await (await fetch(`${fathom.url}/api/metrics`)).text();
    expect(metrics).toMatch(/fathom_model_tokens_total\{[^}]*model="gpt-4o-mini"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/fathom_model_cost_usd_total\{[^}]*model="gpt-4o-mini"[^}]*\} 0\.\d+/);
  });

  it("refuses a provider that is not configured, and a bad model name, before any task", async () => {
    const bare = await startServer({ env: {} });
    try {
      for (const llm of [
        { provider: "anthropic" },
        { provider: "openai-compatible", model: "qwen3" },
        { provider: "azure", model: "x" },
      ]) {
        const response = await fetch(`${bare.url}/api/research`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: QUERY, llm }),
        });
        expect(response.status).toBe(400);
        const body = await response.json();
        expect(body.error.code).toBe("provider_not_configured");
        expect(body.error.message).toMatch(/ANTHROPIC_API_KEY|OPENAI_COMPATIBLE_BASE_URL|AZURE_API_KEY/);
      }
      const bad = await fetch(`${fathom.url}/api/research`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: QUERY, llm: { provider: "google", model: "gemini pro" } }),
      });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.message).toMatch(/llm\.model/);
      const { body: tasks } = await getJson(`${bare.url}/api/tasks`);
      expect(tasks.tasks).toEqual([]);
    } finally {
      await bare.stop();
    }
  });

  it("lists every provider with its model and whether it is configured", async () => {
    const { body } = await getJson(`${fathom.url}/api/providers`);
    expect(body.llm).toEqual([
      { name: "offline", configured: true, default: true },
      { name: "openai", configured: true, default: false, model: "gpt-4o-mini" },
      { name: "anthropic", configured: true, default: false, model: "claude-sonnet-4-5" },
      { name: "google", configured: true, default: false, model: "gemini-2.5-flash" },
      { name: "azure", configured: true, default: false, model: "research-deployment" },
      { name: "openai-compatible", configured: true, default: false },
    ]);
  });
});
