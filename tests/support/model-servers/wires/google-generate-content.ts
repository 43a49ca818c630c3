/**
 * Gemini generateContent (`POST /v1beta/models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse`), shapes as recorded by the AI SDK's
 * fixtures: every chunk carries the running `usageMetadata` (with
 * `thoughtsTokenCount` for thinking models), `modelVersion` and
 * `responseId`; SSE events end with `\r\n\r\n`; without `alt=sse` the stream
 * is one JSON array. Thoughts are parts with `thought: true`, sent only when
 * `thinkingConfig.includeThoughts` is set. A 429 has no `Retry-After`
 * header: the delay is a `google.rpc.RetryInfo` detail in the body.
 */
import type { BrainMessage, JsonMode } from "../types";
import {
  type AnswerContext,
  chunkText,
  estimateTokens,
  type GenerateRoute,
  jsonBody,
  type RouteResult,
  type StreamFrame,
  textOf,
  toolInput,
  type WireCall,
  type WireError,
  type WireProtocol,
  writeStream,
} from "../wire-kit";

interface GenerateBody {
  contents?: unknown;
  systemInstruction?: { parts?: unknown } | null;
  generationConfig?: {
    responseMimeType?: unknown;
    responseSchema?: unknown;
    responseJsonSchema?: unknown;
    thinkingConfig?: { includeThoughts?: unknown; thinkingBudget?: unknown } | null;
  } | null;
  tools?: { functionDeclarations?: { name?: unknown }[] }[] | null;
  toolConfig?: { functionCallingConfig?: { allowedFunctionNames?: unknown[] } } | null;
}

function googleError(code: number, status: string, message: string, details?: unknown[]): WireError {
  return { status: code, body: { error: { code, message, status, ...(details ? { details } : {}) } } };
}

const GENERATE_PATH = /^\/(v1beta|v1)\/(.+):(generateContent|streamGenerateContent)$/;

function route(method: string, path: string, query: Record<string, string>): RouteResult {
  const match = GENERATE_PATH.exec(path);
  if (method !== "POST" || !match) {
    return { kind: "error", error: googleError(404, "NOT_FOUND", "Requested entity was not found.") };
  }
  const model = match[2]!.replace(/^models\//, "");
  const streaming = match[3] === "streamGenerateContent";
  return {
    kind: "generate",
    model,
    stream: streaming,
    ...(streaming && query.alt !== "sse" ? { jsonArray: true } : {}),
  };
}

/** Gemini 2.5 and later think by default and count thought tokens even when they send no thoughts. */
function thinksByDefault(model: string): boolean {
  return /gemini-(2\.5|[3-9])/.test(model);
}

function parse(body: unknown, routed: GenerateRoute): WireCall | WireError {
  const request = (body ?? {}) as GenerateBody;
  if (!Array.isArray(request.contents) || request.contents.length === 0) {
    return googleError(
      400,
      "INVALID_ARGUMENT",
      "* GenerateContentRequest.contents: contents is not specified\n",
    );
  }
  const messages: BrainMessage[] = (request.contents as { role?: unknown; parts?: unknown }[]).map(
    (content) => ({
      role: content.role === "model" ? "assistant" : "user",
      text: textOf(content.parts),
    }),
  );
  const config = request.generationConfig ?? {};
  const declarations = (request.tools ?? []).flatMap((tool) => tool.functionDeclarations ?? []);
  const hasSchema = config.responseSchema != null || config.responseJsonSchema != null;
  const jsonMode: JsonMode =
    declarations.length > 0
      ? "tool"
      : config.responseMimeType === "application/json"
        ? hasSchema
          ? "schema"
          : "object"
        : "none";
  const allowed = request.toolConfig?.functionCallingConfig?.allowedFunctionNames?.[0];
  const toolName = typeof allowed === "string" ? allowed : declarations[0]?.name;
  const model = routed.model ?? "gemini";
  return {
    model,
    system: textOf(request.systemInstruction?.parts),
    messages,
    jsonMode,
    stream: routed.stream === true,
    toolName: typeof toolName === "string" ? toolName : undefined,
    wantsReasoning: config.thinkingConfig?.includeThoughts === true,
    hiddenReasoning: thinksByDefault(model) && config.thinkingConfig?.thinkingBudget !== 0,
    includeUsage: true,
  };
}

async function answer(context: AnswerContext): Promise<void> {
  const { call, chunkSize, quirks } = context;
  const reasoning = context.answer.reasoning ?? "";
  const thoughts = call.wantsReasoning ? reasoning : "";
  const isTool = call.jsonMode === "tool";
  const args = isTool ? toolInput(context.answer.text) : undefined;
  const text = isTool ? JSON.stringify(args) : context.answer.text;
  const thoughtsTokens = call.wantsReasoning || call.hiddenReasoning ? estimateTokens(reasoning) : 0;
  const responseId = context.nextId("resp").replace(/[^A-Za-z0-9]/g, "");
  const usageMetadata = (candidatesText: string) => {
    const candidatesTokenCount = estimateTokens(candidatesText);
    return {
      promptTokenCount: context.promptTokens,
      candidatesTokenCount,
      totalTokenCount: context.promptTokens + candidatesTokenCount + thoughtsTokens,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: context.promptTokens }],
      ...(thoughtsTokens > 0 ? { thoughtsTokenCount: thoughtsTokens } : {}),
    };
  };
  const response = (parts: unknown[], candidatesText: string, finished: boolean) => ({
    candidates: [
      { content: { parts, role: "model" }, ...(finished ? { finishReason: "STOP" } : {}), index: 0 },
    ],
    ...(quirks.usage ? { usageMetadata: usageMetadata(candidatesText) } : {}),
    modelVersion: call.model,
    responseId,
  });
  const answerPart = isTool ? { functionCall: { name: call.toolName ?? "json", args } } : { text };

  if (!call.stream) {
    const parts: unknown[] = thoughts !== "" ? [{ text: thoughts, thought: true }, answerPart] : [answerPart];
    jsonBody(context.response, { status: 200, body: response(parts, text, true) });
    return;
  }

  const chunks: { value: unknown; textChars: number }[] = [];
  for (const piece of chunkText(thoughts, chunkSize)) {
    chunks.push({ value: response([{ text: piece, thought: true }], "", false), textChars: 0 });
  }
  let sent = "";
  if (isTool) {
    // The Gemini API sends a function call whole, never in pieces.
    chunks.push({ value: response([answerPart], text, false), textChars: text.length });
  } else {
    for (const piece of chunkText(text, chunkSize, context.cutAfterChars)) {
      sent += piece;
      chunks.push({ value: response([{ text: piece }], sent, false), textChars: piece.length });
    }
  }
  chunks.push({ value: response([{ text: "" }], text, true), textChars: 0 });

  const frames: StreamFrame[] = context.route.jsonArray
    ? chunks.map((chunk, index) => ({
        text: `${index === 0 ? "[" : ",\r\n"}${JSON.stringify(chunk.value)}${index === chunks.length - 1 ? "]" : ""}`,
        textChars: chunk.textChars,
      }))
    : chunks.map((chunk) => ({
        text: `data: ${JSON.stringify(chunk.value)}\r\n\r\n`,
        textChars: chunk.textChars,
      }));
  await writeStream(
    context.response,
    { "content-type": context.route.jsonArray ? "application/json; charset=UTF-8" : "text/event-stream" },
    frames,
    context.cutAfterChars,
  );
}

export const googleProtocol: WireProtocol = {
  wire: "google",
  basePath: "/v1beta",
  route,
  apiKey: (headers, query) => headers["x-goog-api-key"] ?? query.key,
  parse,
  // Gemini's JSON modes are not refused by a compatible server; the quirks are OpenAI-wire ones.
  refuse: () => undefined,
  answer,
  errors: {
    notFound: () => googleError(404, "NOT_FOUND", "Requested entity was not found."),
    invalidJson: () =>
      googleError(400, "INVALID_ARGUMENT", 'Invalid JSON payload received. Unexpected token.\n{"contents\n^'),
    authentication: (apiKey) =>
      // Gemini answers a bad key with 400, not 401.
      googleError(
        400,
        "INVALID_ARGUMENT",
        `API key not valid (${apiKey ?? "none"}). Please pass a valid API key.`,
        [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "API_KEY_INVALID",
            domain: "googleapis.com",
            metadata: { service: "generativelanguage.googleapis.com" },
          },
        ],
      ),
    rateLimit: (seconds, model) =>
      googleError(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details. For more information on " +
          "this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, " +
          "head to: https://ai.dev/rate-limit. \n* Quota exceeded for metric: " +
          `generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10, model: ${model}\n` +
          `Please retry in ${seconds}s.`,
        [
          {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            violations: [
              {
                quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                quotaDimensions: { location: "global", model },
                quotaValue: "10",
              },
            ],
          },
          {
            "@type": "type.googleapis.com/google.rpc.Help",
            links: [
              {
                description: "Learn more about Gemini API quotas",
                url: "https://ai.google.dev/gemini-api/docs/rate-limits",
              },
            ],
          },
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${seconds}s` },
        ],
      ),
    contextLength: (tokens, limit) =>
      googleError(
        400,
        "INVALID_ARGUMENT",
        `The input token count (${tokens}) exceeds the maximum number of tokens allowed (${limit}).`,
      ),
  },
};
