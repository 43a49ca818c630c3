/**
 * The model servers speak the real wire formats: each wire and each quirk is
 * driven by the AI SDK's own provider packages (the code production runs),
 * which must parse text, reasoning, usage and finish reasons, and report the
 * quirks' errors the way they report the real services' errors.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createAzure } from "@ai-sdk/azure";
import { createGoogleGenerativeAI } from "@ai-sdk/google";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import {
  APICallError,
  extractReasoningMiddleware,
  generateText,
  jsonSchema,
  type LanguageModel,
  Output,
  streamText,
  wrapLanguageModel,
} from "ai";
import { afterEach, describe, expect, it } from "vitest";
import {
  type ModelServer,
  type ModelServerOptions,
  requestsWhere,
  startModelServer,
  summarizeRequests,
  THINKING_MARKER,
  type Wire,
} from "./model-servers";

const KEY = "sk-test-canary-0123456789abcdef";

const servers: ModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: ModelServerOptions): Promise<ModelServer> {
  const server = await startModelServer(options);
  servers.push(server);
  return server;
}

// Fathom's prompts, in the shapes of lib/research/providers/llm/openai.ts.
const SYSTEM = "You are an expert researcher. Be precise and factual.";
const QUESTION = "What did the Erie Canal change?";

function planPrompt(count: number): string {
  return (
    `Plan the research of the following question. Return at most ${count} search queries, each distinct.\n\n` +
    `<question>\n${QUESTION}\n</question>\n\n` +
    'Answer with only a JSON object: {"queries": [{"query": "…", "researchGoal": "…"}]}'
  );
}

function learnPrompt(count: number): string {
  return (
    `The user's question: ${QUESTION}\n\nNumbered passages found by the search:\n<passages>\n` +
    "[1] The Erie Canal\nThe Erie Canal opened in 1825. It linked the Hudson River with Lake Erie.\n\n" +
    "[2] Freight on the canal\nFreight costs between Buffalo and New York fell by ninety percent. Trade grew.\n" +
    `</passages>\n\nExtract at most ${count} learnings from the passages, each with the numbers of its passages. ` +
    'Answer with only a JSON object: {"learnings": [{"text": "…", "sources": [1]}], "followUpQuestions": ["…"]}'
  );
}

const REPORT_PROMPT =
  `Write a detailed research report in Markdown that answers this question:\n<question>\n${QUESTION}\n</question>\n\n` +
  "Use only these learnings from the research:\n<learnings>\nSub-question: Opening\n" +
  "- The Erie Canal opened in 1825. [1]\n- It linked the Hudson River with Lake Erie. [1]\n\n" +
  "Sub-question: Trade\n- Freight costs fell by ninety percent. [2][7]\n</learnings>\n\n" +
  "Sources (cite them by number):\n[1] The Erie Canal <https://example.org/canal>\n[2] Freight on the canal (doc:freight.md)\n\n" +
  "Format: the first line is the title as `# Title`; then `## Summary`. Do not write a sources list.";

const planSchema = jsonSchema<{ queries: { query: string; researchGoal: string }[] }>({
  type: "object",
  properties: {
    queries: {
      type: "array",
      items: {
        type: "object",
        properties: { query: { type: "string" }, researchGoal: { type: "string" } },
        required: ["query", "researchGoal"],
        additionalProperties: false,
      },
    },
  },
  required: ["queries"],
  additionalProperties: false,
});

/** A chat model of each wire, built the way production builds it. */
function modelOf(wire: Wire, server: ModelServer): LanguageModel {
  switch (wire) {
    case "openai":
      return createOpenAI({ baseURL: server.baseURL, apiKey: KEY }).chat("gpt-4o-mini");
    case "anthropic":
      return createAnthropic({ baseURL: server.baseURL, apiKey: KEY })("claude-sonnet-4-5");
    case "google":
      return createGoogleGenerativeAI({ baseURL: server.baseURL, apiKey: KEY })("gemini-2.5-flash");
    case "azure":
      return createAzure({ baseURL: server.baseURL, apiKey: KEY }).chat("fathom-gpt-4o");
  }
}

/**
 * Every part of a stream, with the text deltas joined. A broken connection is
 * not an `error` part: iterating the stream throws it (`thrown`).
 */
async function drain(result: { fullStream: AsyncIterable<{ type: string }> }) {
  const parts: { type: string; [key: string]: unknown }[] = [];
  let thrown: unknown;
  try {
    for await (const part of result.fullStream) parts.push(part as (typeof parts)[number]);
  } catch (error) {
    thrown = error;
  }
  const text = parts
    .filter((part) => part.type === "text-delta")
    .map((part) => part.text)
    .join("");
  const reasoning = parts
    .filter((part) => part.type === "reasoning-delta")
    .map((part) => part.text)
    .join("");
  const errors = parts.filter((part) => part.type === "error").map((part) => part.error);
  const finish = parts.find((part) => part.type === "finish") as
    | { finishReason: string; totalUsage: { inputTokens?: number; outputTokens?: number } }
    | undefined;
  return { parts, text, reasoning, errors, finish, thrown };
}

async function callError(promise: Promise<unknown>): Promise<APICallError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!APICallError.isInstance(error)) throw new Error(`expected an APICallError, got ${String(error)}`);
  return error;
}

const WIRES: Wire[] = ["openai", "anthropic", "google", "azure"];

describe.each(WIRES)("the %s wire", (wire) => {
  it("answers once and streamed: text, usage, finish reason", async () => {
    const server = await serve({ wire });
    const model = modelOf(wire, server);
    const once = await generateText({ model, system: SYSTEM, prompt: REPORT_PROMPT, maxRetries: 0 });
    expect(once.text).toMatch(/^# What did the Erie Canal change\n\n## Summary\n/);
    expect(once.finishReason).toBe("stop");
    expect(once.usage.inputTokens).toBeGreaterThan(50);
    expect(once.usage.outputTokens).toBeGreaterThan(50);

    const streamed = await drain(streamText({ model, system: SYSTEM, prompt: REPORT_PROMPT, maxRetries: 0 }));
    expect(streamed.errors).toEqual([]);
    expect(streamed.text).toBe(once.text);
    expect(streamed.finish?.finishReason).toBe("stop");
    // OpenAI and Azure stream usage only when asked (`@ai-sdk/openai` always asks).
    expect(streamed.finish?.totalUsage.outputTokens).toBe(once.usage.outputTokens);
    expect(summarizeRequests(server.requests)).toEqual(["report once none 200", "report stream none 200"]);
    expect(server.requests[0]!.apiKey).toBe(KEY);
  });

  it("returns a schema-checked object with Output.object", async () => {
    const server = await serve({ wire });
    const result = await generateText({
      model: modelOf(wire, server),
      system: SYSTEM,
      prompt: planPrompt(3),
      output: Output.object({ schema: planSchema }),
      maxRetries: 0,
    });
    expect(result.output.queries).toHaveLength(3);
    expect(result.output.queries[0]!.query).toBe("What did the Erie Canal change");
    expect(server.requests[0]!.jsonMode).toBe("schema");
  });

  it("rateLimitOnce: the first request gets the service's 429, the next succeeds", async () => {
    const server = await serve({ wire, quirks: { rateLimitOnce: { retryAfterSeconds: 7 } } });
    const model = modelOf(wire, server);
    const error = await callError(generateText({ model, prompt: planPrompt(2), maxRetries: 0 }));
    expect(error.statusCode).toBe(429);
    expect(error.isRetryable).toBe(true);
    if (wire === "google") {
      // Gemini sends no Retry-After: the delay is only in the body.
      expect(error.responseHeaders?.["retry-after"]).toBeUndefined();
      expect(error.message).toContain("You exceeded your current quota");
      expect(JSON.parse(error.responseBody ?? "{}").error.details).toContainEqual({
        "@type": "type.googleapis.com/google.rpc.RetryInfo",
        retryDelay: "7s",
      });
    } else {
      expect(error.responseHeaders?.["retry-after"]).toBe("7");
      expect(error.message).toMatch(/rate limit/i);
    }
    if (wire === "azure") expect(error.responseHeaders?.["retry-after-ms"]).toBe("7000");
    const second = await generateText({ model, prompt: planPrompt(2), maxRetries: 0 });
    expect(second.text).toContain("queries");
  });

  it("contextLimitTokens: a long prompt gets the service's context-length 400", async () => {
    const server = await serve({ wire, quirks: { contextLimitTokens: 100 } });
    const error = await callError(
      generateText({ model: modelOf(wire, server), prompt: REPORT_PROMPT, maxRetries: 0 }),
    );
    expect(error.statusCode).toBe(400);
    expect(error.isRetryable).toBe(false);
    const expected = {
      openai:
        /^This model's maximum context length is 100 tokens\. However, your messages resulted in \d+ tokens/,
      azure: /^This model's maximum context length is 100 tokens/,
      anthropic: /^prompt is too long: \d+ tokens > 100 maximum$/,
      google: /^The input token count \(\d+\) exceeds the maximum number of tokens allowed \(100\)\.$/,
    }[wire];
    expect(error.message).toMatch(expected);
    if (wire === "openai" || wire === "azure") {
      expect(JSON.parse(error.responseBody ?? "{}").error.code).toBe("context_length_exceeded");
    }
    // A short prompt still fits.
    await generateText({ model: modelOf(wire, server), prompt: "Hi", maxRetries: 0 });
  });

  it("cutReportOnce: the first report stream breaks off; the next one is whole", async () => {
    const server = await serve({ wire, quirks: { cutReportOnce: { afterChars: 100 } }, chunkSize: 30 });
    const model = modelOf(wire, server);
    const cut = await drain(streamText({ model, prompt: REPORT_PROMPT, maxRetries: 0 }));
    expect(cut.text).toHaveLength(100);
    expect(cut.finish).toBeUndefined();
    // The SDK wraps undici's "terminated" in a retryable APICallError with the 200 it had received.
    const error = cut.thrown as APICallError;
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error.message).toBe("Failed to process successful response");
    expect(error.statusCode).toBe(200);
    expect(error.isRetryable).toBe(true);
    expect((error.cause as Error).message).toBe("terminated");
    const whole = await drain(streamText({ model, prompt: REPORT_PROMPT, maxRetries: 0 }));
    expect(whole.thrown).toBeUndefined();
    expect(whole.errors).toEqual([]);
    expect(whole.text.startsWith(cut.text)).toBe(true);
    expect(whole.text.length).toBeGreaterThan(400);
  });

  it("echoKey: the refusal carries the key the request sent", async () => {
    const server = await serve({ wire, quirks: { echoKey: true } });
    const error = await callError(
      generateText({ model: modelOf(wire, server), prompt: "Hi", maxRetries: 0 }),
    );
    expect(error.message).toContain(KEY);
    expect(error.statusCode).toBe(wire === "google" ? 400 : 401);
  });

  it("usage: false leaves the figures out (Anthropic always sends them)", async () => {
    const server = await serve({ wire, quirks: { usage: false } });
    const result = await generateText({ model: modelOf(wire, server), prompt: "Hi", maxRetries: 0 });
    if (wire === "anthropic") expect(result.usage.outputTokens).toBeGreaterThan(0);
    else expect(result.usage.outputTokens).toBeUndefined();
  });
});

describe("the openai wire", () => {
  it("Output.json() asks for json_object; Output.object for json_schema", async () => {
    const server = await serve({ wire: "openai" });
    const model = modelOf("openai", server);
    const loose = await generateText({ model, prompt: learnPrompt(2), output: Output.json(), maxRetries: 0 });
    expect(loose.output).toEqual({
      learnings: [
        { text: "The Erie Canal opened in 1825.", sources: [1] },
        { text: "Freight costs between Buffalo and New York fell by ninety percent.", sources: [2] },
      ],
      followUpQuestions: [],
    });
    const body = server.requests[0]!.body as { response_format: unknown };
    expect(body.response_format).toEqual({ type: "json_object" });
    expect(requestsWhere(server.requests, { jsonMode: "object" })).toHaveLength(1);
  });

  it("reports hidden reasoning tokens of reasoning models and sends the system prompt as developer", async () => {
    const server = await serve({ wire: "openai" });
    const model = createOpenAI({ baseURL: server.baseURL, apiKey: KEY }).chat("gpt-5-mini");
    const result = await generateText({ model, system: SYSTEM, prompt: planPrompt(2), maxRetries: 0 });
    expect(result.reasoningText).toBeUndefined();
    expect(result.usage.outputTokenDetails.reasoningTokens).toBeGreaterThan(0);
    const body = server.requests[0]!.body as { messages: { role: string }[] };
    expect(body.messages[0]!.role).toBe("developer");
  });

  it("answers a forced tool call with the JSON as its arguments", async () => {
    const server = await serve({ wire: "openai" });
    const { tool } = await import("ai");
    const result = await generateText({
      model: modelOf("openai", server),
      prompt: planPrompt(2),
      tools: { plan: tool({ inputSchema: planSchema }) },
      toolChoice: { type: "tool", toolName: "plan" },
      maxRetries: 0,
    });
    expect(result.toolCalls[0]!.input).toMatchObject({
      queries: [{ query: "What did the Erie Canal change" }, {}],
    });
    expect(result.finishReason).toBe("tool-calls");
    expect(server.requests[0]!.jsonMode).toBe("tool");
  });
});

describe("OpenAI-compatible servers (the openai wire with quirks)", () => {
  const compatible = (server: ModelServer, options: { structured?: boolean; usage?: boolean } = {}) =>
    createOpenAICompatible({
      name: "local",
      baseURL: server.baseURL,
      apiKey: KEY,
      supportsStructuredOutputs: options.structured,
      includeUsage: options.usage,
    }).chatModel("qwen3:8b");

  it("Output.object sends json_object unless the provider says it supports structured outputs", async () => {
    const server = await serve({ wire: "openai" });
    await generateText({
      model: compatible(server),
      prompt: planPrompt(2),
      output: Output.object({ schema: planSchema }),
      maxRetries: 0,
    });
    await generateText({
      model: compatible(server, { structured: true }),
      prompt: planPrompt(2),
      output: Output.object({ schema: planSchema }),
      maxRetries: 0,
    });
    expect(server.requests.map((request) => request.jsonMode)).toEqual(["object", "schema"]);
  });

  it("streams usage only with includeUsage (stream_options.include_usage)", async () => {
    const server = await serve({ wire: "openai" });
    const without = await drain(streamText({ model: compatible(server), prompt: "Hi", maxRetries: 0 }));
    const withUsage = await drain(
      streamText({ model: compatible(server, { usage: true }), prompt: "Hi", maxRetries: 0 }),
    );
    expect(without.finish?.totalUsage.outputTokens).toBeUndefined();
    expect(withUsage.finish?.totalUsage.outputTokens).toBeGreaterThan(0);
  });

  it.each(["reasoning_content", "reasoning"] as const)(
    "reasoningField %s: the SDK reads it as reasoning, apart from the text",
    async (field) => {
      const server = await serve({ wire: "openai", quirks: { reasoningField: field } });
      const once = await generateText({ model: compatible(server), prompt: REPORT_PROMPT, maxRetries: 0 });
      expect(once.reasoningText).toContain(THINKING_MARKER);
      expect(once.text).not.toContain(THINKING_MARKER);
      expect(once.text.startsWith("# What did")).toBe(true);
      expect(once.usage.outputTokenDetails.reasoningTokens).toBeGreaterThan(0);
      const streamed = await drain(
        streamText({ model: compatible(server), prompt: REPORT_PROMPT, maxRetries: 0 }),
      );
      expect(streamed.reasoning).toContain(THINKING_MARKER);
      expect(streamed.text).toBe(once.text);
    },
  );

  it("thinkInContent: <think> split across chunks; extractReasoningMiddleware separates it", async () => {
    const server = await serve({ wire: "openai", quirks: { thinkInContent: true } });
    const raw = await drain(streamText({ model: compatible(server), prompt: REPORT_PROMPT, maxRetries: 0 }));
    expect(raw.text).toMatch(/^<think>\nTHINKING-MARKER/);
    const deltas = raw.parts.filter((part) => part.type === "text-delta").map((part) => part.text);
    expect(deltas.slice(0, 2)).toEqual(["<thi", "nk>"]);
    expect(deltas).toContain("</th");

    const model = wrapLanguageModel({
      model: compatible(server),
      middleware: extractReasoningMiddleware({ tagName: "think" }),
    });
    const streamed = await drain(streamText({ model, prompt: REPORT_PROMPT, maxRetries: 0 }));
    expect(streamed.reasoning).toContain(THINKING_MARKER);
    expect(streamed.text).not.toContain(THINKING_MARKER);
    expect(streamed.text).not.toContain("think>");
    // The blank line after </think> stays at the start of the text.
    expect(streamed.text).toMatch(/^\n\n# What did the Erie Canal change\n/);

    const once = await generateText({ model, prompt: planPrompt(2), output: Output.json(), maxRetries: 0 });
    expect(once.reasoningText).toContain(THINKING_MARKER);
    expect(once.output).toMatchObject({ queries: [{}, {}] });
  });

  it("refuseJsonObject: LM Studio's 400, whose body is not OpenAI's error shape", async () => {
    const server = await serve({ wire: "openai", quirks: { refuseJsonObject: true } });
    const error = await callError(
      generateText({
        model: compatible(server),
        prompt: planPrompt(2),
        output: Output.json(),
        maxRetries: 0,
      }),
    );
    expect(error.statusCode).toBe(400);
    // The SDK cannot parse `{"error": "…"}`: the message is the status text, the reason only in the body.
    expect(error.message).toBe("Bad Request");
    expect(JSON.parse(error.responseBody ?? "{}")).toEqual({
      error: "'response_format.type' must be 'json_schema' or 'text'",
    });
    const structured = await generateText({
      model: compatible(server, { structured: true }),
      prompt: planPrompt(2),
      output: Output.object({ schema: planSchema }),
      maxRetries: 0,
    });
    expect(structured.output.queries).toHaveLength(2);
  });

  it("refuseJsonSchema: DeepSeek's 400 to json_schema", async () => {
    const server = await serve({ wire: "openai", quirks: { refuseJsonSchema: true } });
    const error = await callError(
      generateText({
        model: compatible(server, { structured: true }),
        prompt: planPrompt(2),
        output: Output.object({ schema: planSchema }),
        maxRetries: 0,
      }),
    );
    expect(error.statusCode).toBe(400);
    expect(error.message).toBe("This response_format type is unavailable now");
  });

  it("requireJsonWord: json_object needs the word json in the messages", async () => {
    const server = await serve({ wire: "openai", quirks: { requireJsonWord: true } });
    const error = await callError(
      generateText({
        model: compatible(server),
        prompt: "List three queries.",
        output: Output.json(),
        maxRetries: 0,
      }),
    );
    expect(error.message).toMatch(/must contain the word 'json'/);
    await generateText({
      model: compatible(server),
      prompt: planPrompt(2),
      output: Output.json(),
      maxRetries: 0,
    });
  });

  it("plain-text mode: JSON comes in prose with a fenced block", async () => {
    const server = await serve({ wire: "openai" });
    const result = await generateText({ model: compatible(server), prompt: planPrompt(2), maxRetries: 0 });
    expect(result.text).toMatch(/^Here is the research plan\.\n\n```json\n\{\n {2}"queries"/);
    expect(result.text).toMatch(/```\n\nLet me know/);
  });
});

describe("self-hosted servers' quirks, as they appear on the wire", () => {
  /** One chat request to the server, as the raw HTTP answer. */
  async function post(
    server: ModelServer,
    options: { model?: string; prompt?: string; usage?: boolean } = {},
  ) {
    const response = await fetch(`${server.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: options.model ?? "qwen3:8b",
        stream: true,
        ...(options.usage ? { stream_options: { include_usage: true } } : {}),
        messages: [{ role: "user", content: options.prompt ?? REPORT_PROMPT }],
      }),
    });
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      text: await response.text(),
    };
  }
  /** The JSON of each `data:` line of an event stream. */
  const dataOf = (text: string) =>
    text
      .split("\n\n")
      .filter((event) => /^data: ?\{/.test(event))
      .map((event) => JSON.parse(event.replace(/^data: ?/, "")) as Record<string, unknown>);

  it("llamaCppChunks: a role-only first delta with null content, a last chunk with timings and no choices", async () => {
    const server = await serve({ wire: "openai", quirks: { llamaCppChunks: true } });
    const events = dataOf((await post(server)).text);
    expect(events[0]).toMatchObject({ choices: [{ delta: { role: "assistant", content: null } }] });
    expect(events.at(-1)).toMatchObject({ choices: [], timings: { predicted_n: expect.any(Number) } });
    expect(events.at(-1)!.usage).toBeUndefined();
    const withUsage = dataOf((await post(server, { usage: true })).text);
    expect(withUsage.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
  });

  it("sseComments, finishReason, noDone: comment lines first, eos_token, no [DONE]; the SDK reads it whole", async () => {
    const quirks = { sseComments: ["OPENROUTER PROCESSING"], finishReason: "eos_token", noDone: true };
    const server = await serve({ wire: "openai", quirks });
    const { text } = await post(server);
    expect(text.startsWith(": OPENROUTER PROCESSING\n\n")).toBe(true);
    expect(text).toContain('"finish_reason":"eos_token"');
    expect(text).not.toContain("[DONE]");
    const streamed = await drain(
      streamText({ model: modelOf("openai", server), prompt: REPORT_PROMPT, maxRetries: 0 }),
    );
    expect(streamed.errors).toEqual([]);
    expect(streamed.text).toContain("## Findings");
  });

  it.each([
    ["vllm", /data: \{"error":\{"object":"error","message":"The engine[^\n]*\n\ndata: \[DONE\]\n\n$/],
    ["openrouter", /"finish_reason":"error"[^\n]*"error":\{"code":"server_error"[^\n]*\n\n$/],
    ["tgi", /data:\{"error":"Request failed during generation[^\n]*"error_type":"generation"\}\n\n$/],
  ] as const)("midStreamErrorOnce %s: the text so far, then the error, once", async (style, ending) => {
    const server = await serve({ wire: "openai", quirks: { midStreamErrorOnce: { afterChars: 40, style } } });
    const first = await post(server);
    expect(first.text).toMatch(ending);
    const text = dataOf(first.text)
      .map(
        (event) =>
          (event.choices as { delta?: { content?: string } }[] | undefined)?.[0]?.delta?.content ?? "",
      )
      .join("");
    expect(text).toHaveLength(40);
    expect((await post(server)).text).toMatch(/data: \[DONE\]\n\n$/);
  });

  it("lengthCapOnce: the first report stops with finish_reason length, well-formed", async () => {
    const server = await serve({ wire: "openai", quirks: { lengthCapOnce: { afterChars: 60 } } });
    const streamed = await drain(
      streamText({ model: modelOf("openai", server), prompt: REPORT_PROMPT, maxRetries: 0 }),
    );
    expect(streamed.text).toHaveLength(60);
    expect(streamed.finish?.finishReason).toBe("length");
    const again = await drain(
      streamText({ model: modelOf("openai", server), prompt: REPORT_PROMPT, maxRetries: 0 }),
    );
    expect(again.finish?.finishReason).toBe("stop");
  });

  it("knownModels, outOfCredits, htmlErrors: Ollama's 404, OpenRouter's 402, nginx's page", async () => {
    const ollama = await serve({ wire: "openai", quirks: { knownModels: ["qwen3:8b"] } });
    expect((await post(ollama)).status).toBe(200);
    const missing = await post(ollama, { model: "llama3.3" });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toMatchObject({
      error: { message: 'model "llama3.3" not found, try pulling it first', type: "api_error" },
    });
    const broke = await post(await serve({ wire: "openai", quirks: { outOfCredits: true } }));
    expect(broke.status).toBe(402);
    expect(JSON.parse(broke.text)).toMatchObject({ error: { code: 402 } });
    const proxied = await serve({ wire: "openai", quirks: { htmlErrors: { status: 502, times: 1 } } });
    const page = await post(proxied);
    expect(page).toMatchObject({ status: 502, type: "text/html" });
    expect(page.text).toContain("<title>502 Bad Gateway</title>");
    expect((await post(proxied)).status).toBe(200);
  });

  it.each([
    [
      "vllm",
      400,
      { object: "error", message: expect.stringMatching(/^This model's maximum context length is 10/) },
    ],
    ["tgi", 422, { error: expect.stringMatching(/must be <= 10\./), error_type: "validation" }],
    ["llama.cpp", 400, { error: { type: "exceed_context_size_error", n_ctx: 10 } }],
  ] as const)(
    "contextErrorStyle %s: the server's own context-length refusal",
    async (style, status, body) => {
      const server = await serve({
        wire: "openai",
        quirks: { contextLimitTokens: 10, contextErrorStyle: style },
      });
      const answer = await post(server);
      expect(answer.status).toBe(status);
      expect(JSON.parse(answer.text)).toMatchObject(body);
    },
  );

  it("refuseSchemaGrammar, emptyAnswers: llama.cpp's grammar refusal; an empty structured answer", async () => {
    const server = await serve({
      wire: "openai",
      quirks: { refuseSchemaGrammar: true, emptyAnswers: { times: 1 } },
    });
    const model = createOpenAICompatible({
      name: "local",
      baseURL: server.baseURL,
      supportsStructuredOutputs: true,
    }).chatModel("qwen3:8b");
    const error = await callError(
      generateText({
        model,
        prompt: planPrompt(2),
        output: Output.object({ schema: planSchema }),
        maxRetries: 0,
      }),
    );
    expect(error.statusCode).toBe(400);
    expect(error.message).toMatch(/^JSON schema conversion failed/);
    const plain = () =>
      drain(streamText({ model: modelOf("openai", server), prompt: planPrompt(2), maxRetries: 0 }));
    expect((await plain()).text).toBe("");
    expect((await plain()).text).toContain('"queries"');
  });
});

describe("the anthropic wire", () => {
  const anthropic = (server: ModelServer) => createAnthropic({ baseURL: server.baseURL, apiKey: KEY });

  it("sends thinking blocks when thinking is enabled, with thinking tokens in the usage", async () => {
    const server = await serve({ wire: "anthropic" });
    const options = {
      model: anthropic(server)("claude-sonnet-4-5"),
      prompt: REPORT_PROMPT,
      maxRetries: 0,
      providerOptions: { anthropic: { thinking: { type: "enabled", budgetTokens: 2048 } } },
    };
    const once = await generateText(options);
    expect(once.reasoningText).toContain(THINKING_MARKER);
    expect(once.text).not.toContain(THINKING_MARKER);
    expect(once.usage.outputTokenDetails.reasoningTokens).toBeGreaterThan(0);
    const streamed = await drain(streamText(options));
    expect(streamed.reasoning).toContain(THINKING_MARKER);
    expect(streamed.text).toBe(once.text);
    expect(server.requests[0]!.headers["anthropic-version"]).toBe("2023-06-01");
  });

  it("older models get the JSON through a forced `json` tool", async () => {
    const server = await serve({ wire: "anthropic" });
    const model = anthropic(server)("claude-3-5-haiku-20241022");
    const once = await generateText({
      model,
      prompt: planPrompt(2),
      output: Output.object({ schema: planSchema }),
      maxRetries: 0,
    });
    expect(once.output.queries).toHaveLength(2);
    expect(once.finishReason).toBe("stop");
    const streamed = streamText({
      model,
      prompt: planPrompt(2),
      output: Output.object({ schema: planSchema }),
      maxRetries: 0,
    });
    expect((await streamed.output).queries).toHaveLength(2);
    const body = server.requests[0]!.body as { tools: { name: string }[]; tool_choice: unknown };
    expect(body.tools.map((tool) => tool.name)).toEqual(["json"]);
    expect(body.tool_choice).toEqual({ type: "any", disable_parallel_tool_use: true });
    expect(server.requests.map((request) => request.jsonMode)).toEqual(["tool", "tool"]);
  });

  it("refuses the retired top-level output_format", async () => {
    const server = await serve({ wire: "anthropic" });
    const response = await fetch(`${server.baseURL}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({
        model: "claude-sonnet-4-5",
        max_tokens: 100,
        messages: [{ role: "user", content: "Hi" }],
        output_format: { type: "json_schema", schema: {} },
      }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /^output_format: This field is deprecated\. Use 'output_config\.format' instead/,
    );
  });
});

describe("the google wire", () => {
  const google = (server: ModelServer) => createGoogleGenerativeAI({ baseURL: server.baseURL, apiKey: KEY });

  it("sends thoughts with includeThoughts; counts thought tokens either way", async () => {
    const server = await serve({ wire: "google" });
    const model = google(server)("gemini-2.5-flash");
    const plain = await generateText({ model, prompt: REPORT_PROMPT, maxRetries: 0 });
    expect(plain.reasoningText).toBeUndefined();
    expect(plain.usage.outputTokenDetails.reasoningTokens).toBeGreaterThan(0);
    const options = {
      model,
      prompt: REPORT_PROMPT,
      maxRetries: 0,
      providerOptions: { google: { thinkingConfig: { includeThoughts: true } } },
    };
    const once = await generateText(options);
    expect(once.reasoningText).toContain(THINKING_MARKER);
    expect(once.text).toBe(plain.text);
    const streamed = await drain(streamText(options));
    expect(streamed.reasoning).toContain(THINKING_MARKER);
    expect(streamed.text).toBe(plain.text);
    expect(server.requests.map((request) => request.path)).toEqual([
      "/v1beta/models/gemini-2.5-flash:generateContent",
      "/v1beta/models/gemini-2.5-flash:generateContent",
      "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
    ]);
    expect(server.requests[2]!.query).toEqual({ alt: "sse" });
    expect(server.requests[0]!.headers["x-goog-api-key"]).toBe(KEY);
  });

  it("Output.json() sends responseMimeType alone (mode object)", async () => {
    const server = await serve({ wire: "google" });
    const result = await generateText({
      model: google(server)("gemini-2.5-flash"),
      prompt: learnPrompt(1),
      output: Output.json(),
      maxRetries: 0,
    });
    expect(result.output).toEqual({
      learnings: [{ text: "The Erie Canal opened in 1825.", sources: [1] }],
      followUpQuestions: [],
    });
    expect(server.requests[0]!.jsonMode).toBe("object");
  });

  it("streams a JSON array without alt=sse", async () => {
    const server = await serve({ wire: "google", chunkSize: 200 });
    const response = await fetch(`${server.baseURL}/models/gemini-2.5-flash:streamGenerateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": KEY },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: REPORT_PROMPT }] }] }),
    });
    const chunks = (await response.json()) as { candidates: { finishReason?: string }[] }[];
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.at(-1)!.candidates[0]!.finishReason).toBe("STOP");
  });
});

describe("the azure wire", () => {
  it("answers the v1 route, and the deployment route with a dated api-version only", async () => {
    const server = await serve({ wire: "azure" });
    const v1 = createAzure({ baseURL: server.baseURL, apiKey: KEY }).chat("fathom-gpt-4o");
    await generateText({ model: v1, prompt: "Hi", maxRetries: 0 });
    const deployments = (apiVersion?: string) =>
      createAzure({
        baseURL: `${server.url}/openai`,
        apiKey: KEY,
        useDeploymentBasedUrls: true,
        apiVersion,
      }).chat("fathom-gpt-4o");
    await generateText({ model: deployments("2024-10-21"), prompt: "Hi", maxRetries: 0 });
    const error = await callError(generateText({ model: deployments(), prompt: "Hi", maxRetries: 0 }));
    expect(error.statusCode).toBe(404);
    expect(error.message).toBe("Resource not found");
    expect(server.requests.map((request) => `${request.path}?${new URLSearchParams(request.query)}`)).toEqual(
      [
        "/openai/v1/chat/completions?",
        "/openai/deployments/fathom-gpt-4o/chat/completions?api-version=2024-10-21",
        "/openai/deployments/fathom-gpt-4o/chat/completions?api-version=v1",
      ],
    );
    expect(server.requests[0]!.headers["api-key"]).toBe(KEY);
    expect(server.requests[1]!.model).toBe("fathom-gpt-4o");
  });

  it("azurePromptFilter: filter annotations around the chunks, which the SDK skips", async () => {
    const server = await serve({ wire: "azure" });
    const model = modelOf("azure", server);
    const streamed = await drain(streamText({ model, prompt: REPORT_PROMPT, maxRetries: 0 }));
    expect(streamed.errors).toEqual([]);
    expect(streamed.text.startsWith("# What did")).toBe(true);
    expect(streamed.finish?.totalUsage.outputTokens).toBeGreaterThan(0);
    const raw = await fetch(`${server.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "api-key": KEY },
      body: JSON.stringify({
        model: "fathom-gpt-4o",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
    const events = (await raw.text())
      .split("\n\n")
      .filter((event) => event.startsWith("data: {"))
      .map((event) => JSON.parse(event.slice(6)) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ choices: [], id: "", prompt_filter_results: [{ prompt_index: 0 }] });
    expect(events[2]).toMatchObject({ choices: [{ content_filter_results: { hate: { filtered: false } } }] });
    expect(events.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
  });
});

describe("the research brain through the SDK", () => {
  it("plans, learns, reports and continues an interrupted report", async () => {
    const server = await serve({ wire: "openai" });
    const model = modelOf("openai", server);
    const plan = await generateText({
      model,
      prompt: planPrompt(8),
      output: Output.object({ schema: planSchema }),
      maxRetries: 0,
    });
    expect(plan.output.queries).toHaveLength(8);
    expect(new Set(plan.output.queries.map((item) => item.query)).size).toBe(8);

    const report = await generateText({ model, system: SYSTEM, prompt: REPORT_PROMPT, maxRetries: 0 });
    expect(report.text).toContain("## Findings");
    expect(report.text).toContain("[1]");
    expect(report.text).toContain("[2]");
    // Only numbers from the sources list are cited ([7] is not in it).
    expect(report.text).not.toContain("[7]");
    expect(report.text).not.toMatch(/#+\s*(Sources|References)/i);

    const written = report.text.slice(0, 150);
    const continued = await generateText({
      model,
      system: SYSTEM,
      messages: [
        { role: "user", content: REPORT_PROMPT },
        {
          role: "user",
          content:
            `The report was interrupted. This is what was already written:\n<written>\n${written}\n</written>\n\n` +
            "Continue the report from exactly where it stops.",
        },
      ],
      maxRetries: 0,
    });
    // The continuation repeats the last few words, then carries on to the end.
    const overlap = written.length - (report.text.length - continued.text.length);
    expect(overlap).toBeGreaterThan(0);
    expect(overlap).toBeLessThanOrEqual(40);
    expect(written + continued.text.slice(overlap)).toBe(report.text);
    expect(summarizeRequests(server.requests)).toEqual([
      "plan once schema 200",
      "report once none 200",
      "continuation once none 200",
    ]);
  });
});

describe("startModelServer options", () => {
  it("refuses quirks the wire does not have, and bad numbers", async () => {
    await expect(startModelServer({ wire: "google", quirks: { thinkInContent: true } })).rejects.toThrow(
      "expected quirk thinkInContent on the openai or azure wire, got wire google",
    );
    await expect(startModelServer({ wire: "openai", quirks: { azurePromptFilter: true } })).rejects.toThrow(
      /azurePromptFilter on the azure wire/,
    );
    await expect(startModelServer({ wire: "openai", chunkSize: 0 })).rejects.toThrow(
      "expected chunkSize to be an integer ≥ 1, got 0",
    );
    await expect(
      startModelServer({ wire: "openai", quirks: { thinkInContent: true, reasoningField: "reasoning" } }),
    ).rejects.toThrow("expected thinkInContent or reasoningField, got both");
  });
});
