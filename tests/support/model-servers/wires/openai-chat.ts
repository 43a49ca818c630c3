/**
 * OpenAI chat completions, as OpenAI, Azure OpenAI and the OpenAI-compatible
 * servers (Ollama, LM Studio, vLLM, DeepSeek, OpenRouter) speak it.
 *
 * Shapes follow recorded traffic: OpenAI's chunk objects (`usage: null` on
 * every chunk and a last `choices: []` chunk when `include_usage` is set);
 * Azure's leading `prompt_filter_results` chunk with `created: 0` and empty
 * ids, and `content_filter_results` on each choice (recorded from gpt-5.2-chat
 * and gpt-4.1 deployments); vLLM/DeepSeek `reasoning_content` and
 * OpenRouter/Ollama `reasoning` deltas; llama.cpp's role-only first delta and
 * `timings` chunk; OpenRouter's SSE comments; TGI's finish reasons and
 * missing `[DONE]`; the errors vLLM, OpenRouter and TGI send inside a stream.
 */
import type { BrainMessage, JsonMode, Wire } from "../types";
import {
  type AnswerContext,
  chunkText,
  estimateTokens,
  type GenerateRoute,
  jsonBody,
  type ResolvedQuirks,
  type RouteResult,
  type StreamFrame,
  textOf,
  thinkPieces,
  thinkWrapped,
  toolInput,
  type WireCall,
  type WireError,
  type WireProtocol,
  writeStream,
} from "../wire-kit";

interface ChatBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
  response_format?: { type?: unknown } | null;
  tools?: { function?: { name?: unknown } }[] | null;
  tool_choice?: unknown;
}

const SAFE = { filtered: false, severity: "safe" };
const CONTENT_FILTER_RESULTS = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const PROMPT_FILTER_RESULTS = [
  {
    prompt_index: 0,
    content_filter_results: { ...CONTENT_FILTER_RESULTS, jailbreak: { filtered: false, detected: false } },
  },
];

/** OpenAI's reasoning models (o-series, GPT-5) report hidden reasoning tokens in their usage. */
function isReasoningModel(model: string): boolean {
  return /^(o\d|gpt-5)/.test(model);
}

/** Azure serialises every object with its keys in alphabetical order (as recorded). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => [key, sortKeys(item)]),
  );
}

function openAiError(
  status: number,
  message: string,
  type: string,
  param: string | null,
  code: string | null,
) {
  return { status, body: { error: { message, type, param, code } } };
}

function parseChat(body: unknown, route: GenerateRoute): WireCall | WireError {
  const chat = (body ?? {}) as ChatBody;
  const model = route.model ?? (typeof chat.model === "string" ? chat.model : undefined);
  if (model === undefined) {
    return openAiError(400, "you must provide a model parameter", "invalid_request_error", null, null);
  }
  if (!Array.isArray(chat.messages)) {
    return openAiError(
      400,
      "Missing required parameter: 'messages'.",
      "invalid_request_error",
      "messages",
      "missing_required_parameter",
    );
  }
  const system: string[] = [];
  const messages: BrainMessage[] = [];
  for (const message of chat.messages as { role?: unknown; content?: unknown }[]) {
    const text = textOf(message.content);
    if (message.role === "system" || message.role === "developer") system.push(text);
    else messages.push({ role: message.role === "assistant" ? "assistant" : "user", text });
  }
  const tools = Array.isArray(chat.tools) ? chat.tools : [];
  const format = chat.response_format?.type;
  const jsonMode: JsonMode =
    tools.length > 0
      ? "tool"
      : format === "json_schema"
        ? "schema"
        : format === "json_object"
          ? "object"
          : "none";
  const forced = (chat.tool_choice as { function?: { name?: unknown } } | undefined)?.function?.name;
  const toolName = typeof forced === "string" ? forced : tools[0]?.function?.name;
  return {
    model,
    system: system.join("\n\n"),
    messages,
    jsonMode,
    stream: chat.stream === true,
    toolName: typeof toolName === "string" ? toolName : undefined,
    wantsReasoning: false,
    hiddenReasoning: isReasoningModel(model),
    includeUsage: chat.stream_options?.include_usage === true,
  };
}

function refuse(call: WireCall, quirks: ResolvedQuirks): WireError | undefined {
  if (quirks.refuseJsonObject && call.jsonMode === "object") {
    // LM Studio's own body: a bare string, not OpenAI's error object.
    return { status: 400, body: { error: "'response_format.type' must be 'json_schema' or 'text'" } };
  }
  if (quirks.refuseJsonSchema && call.jsonMode === "schema") {
    // DeepSeek's API (recorded 2026): json_schema is not available there.
    return openAiError(
      400,
      "This response_format type is unavailable now",
      "invalid_request_error",
      null,
      "invalid_request_error",
    );
  }
  if (quirks.refuseSchemaGrammar && call.jsonMode === "schema") {
    // llama.cpp's server: its JSON-schema-to-grammar converter gave up on the schema.
    return {
      status: 400,
      body: {
        error: {
          code: 400,
          message:
            'JSON schema conversion failed:\nUnrecognized schema: {"additionalProperties":false,"properties":{}}',
          type: "invalid_request_error",
        },
      },
    };
  }
  if (quirks.requireJsonWord && call.jsonMode === "object") {
    const all = `${call.system}\n${call.messages.map((message) => message.text).join("\n")}`;
    if (!/json/i.test(all)) {
      return openAiError(
        400,
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        "invalid_request_error",
        "messages",
        null,
      );
    }
  }
  return undefined;
}

async function answerChat(wire: Wire, context: AnswerContext): Promise<void> {
  const { call, answer, quirks, chunkSize } = context;
  const azureFilter = wire === "azure" && quirks.azurePromptFilter;
  const reasoning = answer.reasoning ?? "";
  const field = reasoning !== "" ? quirks.reasoningField : undefined;
  const thinking = reasoning !== "" && quirks.thinkInContent === true;
  const isTool = call.jsonMode === "tool";
  const toolArguments = isTool ? JSON.stringify(toolInput(answer.text)) : "";

  const textTokens = estimateTokens(isTool ? toolArguments : answer.text);
  const reasoningTokens =
    field !== undefined || (!thinking && call.hiddenReasoning) ? estimateTokens(reasoning) : 0;
  const thinkTokens = thinking ? estimateTokens(thinkWrapped(reasoning, "")) : 0;
  const completionTokens = textTokens + reasoningTokens + thinkTokens;
  const usage = {
    prompt_tokens: context.promptTokens,
    completion_tokens: completionTokens,
    total_tokens: context.promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
  const id = context.nextId("chatcmpl-");
  const created = Math.floor(Date.now() / 1000);
  const fingerprint = "fp_7e1a3b2c4d";
  const finishReason = isTool ? "tool_calls" : (quirks.finishReason ?? "stop");
  const toolCallId = isTool ? context.nextId("call_") : "";
  const requestIdHeaders: Record<string, string> =
    wire === "azure"
      ? { "apim-request-id": context.nextId("apim-"), "x-ms-region": "Sweden Central" }
      : { "x-request-id": context.nextId("req_"), "openai-processing-ms": "42" };

  if (!call.stream || quirks.ignoresStream) {
    const message: Record<string, unknown> = {
      role: "assistant",
      content: isTool ? null : thinking ? thinkWrapped(reasoning, answer.text) : answer.text,
      refusal: null,
      annotations: [],
    };
    if (field !== undefined) message[field] = reasoning;
    if (isTool) {
      message.tool_calls = [
        {
          id: toolCallId,
          type: "function",
          function: { name: call.toolName ?? "json", arguments: toolArguments },
        },
      ];
    }
    const choice: Record<string, unknown> = {
      index: 0,
      message,
      logprobs: null,
      finish_reason: finishReason,
    };
    if (azureFilter) choice.content_filter_results = CONTENT_FILTER_RESULTS;
    const body: Record<string, unknown> = {
      id,
      object: "chat.completion",
      created,
      model: call.model,
      choices: [choice],
      ...(quirks.usage ? { usage } : {}),
      ...(wire === "openai" ? { service_tier: "default" } : {}),
      system_fingerprint: fingerprint,
    };
    if (azureFilter) body.prompt_filter_results = PROMPT_FILTER_RESULTS;
    jsonBody(context.response, {
      status: 200,
      headers: requestIdHeaders,
      body: wire === "azure" ? sortKeys(body) : body,
    });
    return;
  }

  const frames: StreamFrame[] = [];
  const data = (value: unknown, textChars = 0) =>
    frames.push({
      text: `data: ${JSON.stringify(wire === "azure" ? sortKeys(value) : value)}\n\n`,
      textChars,
    });
  const chunk = (delta: Record<string, unknown>, finish: string | null, filter: unknown = {}) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model: call.model,
    system_fingerprint: fingerprint,
    choices: [
      {
        index: 0,
        delta,
        logprobs: null,
        finish_reason: finish,
        ...(azureFilter ? { content_filter_results: filter } : {}),
      },
    ],
    ...(call.includeUsage ? { usage: null } : {}),
  });
  const contentChunk = (delta: Record<string, unknown>) => chunk(delta, null, CONTENT_FILTER_RESULTS);

  if (azureFilter) {
    data({
      choices: [],
      created: 0,
      id: "",
      model: "",
      object: "",
      prompt_filter_results: PROMPT_FILTER_RESULTS,
    });
  }
  for (const comment of quirks.sseComments ?? []) frames.push({ text: `: ${comment}\n\n`, textChars: 0 });
  data(
    chunk(
      quirks.llamaCppChunks
        ? { role: "assistant", content: null }
        : { role: "assistant", content: "", refusal: null },
      null,
    ),
  );
  if (field !== undefined) {
    for (const piece of chunkText(reasoning, chunkSize)) data(contentChunk({ [field]: piece }));
  }
  if (thinking) {
    for (const piece of thinkPieces(reasoning, chunkSize)) data(contentChunk({ content: piece }));
  }
  if (isTool) {
    data(
      contentChunk({
        tool_calls: [
          {
            index: 0,
            id: toolCallId,
            type: "function",
            function: { name: call.toolName ?? "json", arguments: "" },
          },
        ],
      }),
    );
    for (const piece of chunkText(toolArguments, chunkSize, context.cutAfterChars)) {
      data(contentChunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }), piece.length);
    }
  } else {
    const interruption = context.interruption;
    const text = interruption ? answer.text.slice(0, interruption.afterChars) : answer.text;
    for (const piece of chunkText(text, chunkSize, context.cutAfterChars)) {
      data(contentChunk({ content: piece }), piece.length);
    }
    if (interruption?.kind === "vllm") {
      // vLLM reports a failure during generation as an error object in the stream, then ends it.
      data({
        error: {
          object: "error",
          message: "The engine encountered an unexpected error: CUDA out of memory.",
          type: "InternalServerError",
          param: null,
          code: 500,
        },
      });
      frames.push({ text: "data: [DONE]\n\n", textChars: 0 });
      return writeStream(
        context.response,
        { "content-type": "text/event-stream; charset=utf-8" },
        frames,
        undefined,
      );
    }
    if (interruption?.kind === "tgi") {
      // text-generation-inference: the error is a string, and `data:` has no space after it.
      frames.push({
        text: `data:${JSON.stringify({ error: "Request failed during generation: Server error: CUDA out of memory. Tried to allocate 2.00 GiB", error_type: "generation" })}\n\n`,
        textChars: 0,
      });
      return writeStream(
        context.response,
        { "content-type": "text/event-stream; charset=utf-8" },
        frames,
        undefined,
      );
    }
    if (interruption?.kind === "openrouter") {
      // OpenRouter: a chunk with `error` beside the choices and `finish_reason: "error"`, then the end.
      data({
        ...chunk({ content: "" }, "error"),
        provider: "Chutes",
        error: { code: "server_error", message: "Provider disconnected unexpectedly" },
      });
      return writeStream(
        context.response,
        { "content-type": "text/event-stream; charset=utf-8" },
        frames,
        undefined,
      );
    }
  }
  data(chunk({}, context.interruption?.kind === "length" ? "length" : finishReason));
  if (quirks.llamaCppChunks) {
    // llama.cpp's last chunk: no choices, its timings, and usage only when asked for.
    data({
      choices: [],
      created,
      id,
      model: call.model,
      system_fingerprint: "b6120-1d72c841",
      object: "chat.completion.chunk",
      ...(call.includeUsage && quirks.usage ? { usage } : {}),
      timings: {
        prompt_n: context.promptTokens,
        prompt_ms: 41.2,
        prompt_per_token_ms: 0.2,
        prompt_per_second: 4800,
        predicted_n: completionTokens,
        predicted_ms: 310.5,
        predicted_per_token_ms: 12.4,
        predicted_per_second: 80.5,
      },
    });
  } else if (call.includeUsage && quirks.usage) {
    data({
      id,
      object: "chat.completion.chunk",
      created,
      model: call.model,
      system_fingerprint: fingerprint,
      choices: [],
      usage,
    });
  }
  if (!quirks.noDone) frames.push({ text: "data: [DONE]\n\n", textChars: 0 });
  await writeStream(
    context.response,
    { "content-type": "text/event-stream; charset=utf-8", ...requestIdHeaders },
    frames,
    context.cutAfterChars,
  );
}

const openAiErrors: WireProtocol["errors"] = {
  notFound: (method, path) =>
    openAiError(404, `Invalid URL (${method} ${path})`, "invalid_request_error", null, null),
  invalidJson: () =>
    openAiError(
      400,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP " +
        "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you " +
        "have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
      "invalid_request_error",
      null,
      null,
    ),
  authentication: (apiKey) =>
    openAiError(
      401,
      `Incorrect API key provided: ${apiKey ?? ""}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      "invalid_request_error",
      null,
      "invalid_api_key",
    ),
  rateLimit: (seconds, model) => ({
    ...openAiError(
      429,
      `Rate limit reached for ${model} in organization org-fathomtest on tokens per min (TPM): Limit 30000, ` +
        `Used 29400, Requested 1800. Please try again in ${seconds}s. Visit ` +
        "https://platform.openai.com/account/rate-limits to learn more.",
      "tokens",
      null,
      "rate_limit_exceeded",
    ),
    headers: {
      "retry-after": String(seconds),
      "x-ratelimit-limit-tokens": "30000",
      "x-ratelimit-remaining-tokens": "600",
      "x-ratelimit-reset-tokens": `${seconds}s`,
    },
  }),
  contextLength: (tokens, limit) =>
    openAiError(
      400,
      `This model's maximum context length is ${limit} tokens. However, your messages resulted in ${tokens} ` +
        "tokens. Please reduce the length of the messages.",
      "invalid_request_error",
      "messages",
      "context_length_exceeded",
    ),
};

function azureError(status: number, code: string, message: string): WireError {
  return { status, body: { error: { code, message } } };
}

const AZURE_DEPLOYMENT_PATH = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/;
/** The versions Azure's v1 route accepts; the deployment route needs a dated one such as 2024-10-21. */
const V1_API_VERSIONS = new Set(["v1", "preview", "latest"]);
const DATED_API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

function routeOpenAi(method: string, path: string): RouteResult {
  if (method === "POST" && path === "/v1/chat/completions") return { kind: "generate" };
  return { kind: "error", error: openAiErrors.notFound(method, path) };
}

function routeAzure(method: string, path: string, query: Record<string, string>): RouteResult {
  const notFound = azureError(404, "404", "Resource not found");
  if (method !== "POST") return { kind: "error", error: notFound };
  const apiVersion = query["api-version"];
  if (path === "/openai/v1/chat/completions") {
    if (apiVersion !== undefined && !V1_API_VERSIONS.has(apiVersion)) {
      return { kind: "error", error: azureError(400, "BadRequest", "API version not supported") };
    }
    return { kind: "generate" };
  }
  const deployment = AZURE_DEPLOYMENT_PATH.exec(path);
  if (deployment && apiVersion !== undefined && DATED_API_VERSION.test(apiVersion)) {
    return { kind: "generate", model: decodeURIComponent(deployment[1]!) };
  }
  return { kind: "error", error: notFound };
}

function bearer(headers: Record<string, string>): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "");
  return match?.[1];
}

export const openAiProtocol: WireProtocol = {
  wire: "openai",
  basePath: "/v1",
  route: routeOpenAi,
  apiKey: bearer,
  parse: parseChat,
  refuse,
  answer: (context) => answerChat("openai", context),
  errors: openAiErrors,
};

export const azureProtocol: WireProtocol = {
  wire: "azure",
  basePath: "/openai/v1",
  route: routeAzure,
  apiKey: (headers) => headers["api-key"] ?? bearer(headers),
  parse: parseChat,
  refuse,
  answer: (context) => answerChat("azure", context),
  errors: {
    notFound: () => azureError(404, "404", "Resource not found"),
    invalidJson: openAiErrors.invalidJson,
    authentication: (apiKey) =>
      azureError(
        401,
        "401",
        `Access denied due to invalid subscription key (${apiKey ?? "none"}) or wrong API endpoint. Make sure to ` +
          "provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
      ),
    rateLimit: (seconds) => ({
      ...azureError(
        429,
        "429",
        "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded " +
          `token rate limit of your current OpenAI S0 pricing tier. Please retry after ${seconds} seconds. Please go ` +
          "here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.",
      ),
      headers: {
        "retry-after": String(seconds),
        "retry-after-ms": String(seconds * 1000),
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-remaining-tokens": "0",
      },
    }),
    contextLength: openAiErrors.contextLength,
  },
};
