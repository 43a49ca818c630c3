/**
 * Anthropic messages (`POST /v1/messages`), shapes as recorded by the AI
 * SDK's fixtures: `message_start` with the input usage, `content_block_*`
 * events per block (`thinking` blocks with `thinking_delta` and a
 * `signature_delta`; `text`; `tool_use` with `input_json_delta`), a `ping`,
 * `message_delta` with the stop reason and the output usage (with
 * `output_tokens_details.thinking_tokens` when the model thought), `message_stop`.
 */
import type { BrainMessage, JsonMode } from "../types";
import {
  type AnswerContext,
  chunkText,
  estimateTokens,
  jsonBody,
  type StreamFrame,
  textOf,
  toolInput,
  type WireCall,
  type WireError,
  type WireProtocol,
  writeStream,
} from "../wire-kit";

interface MessagesBody {
  model?: unknown;
  system?: unknown;
  messages?: unknown;
  stream?: unknown;
  max_tokens?: unknown;
  thinking?: { type?: unknown } | null;
  output_config?: { format?: { type?: unknown } | null } | null;
  output_format?: unknown;
  tools?: { name?: unknown }[] | null;
  tool_choice?: { type?: unknown; name?: unknown } | null;
}

function anthropicError(status: number, type: string, message: string, requestId: string): WireError {
  return {
    status,
    headers: { "request-id": requestId },
    body: { type: "error", error: { type, message }, request_id: requestId },
  };
}

let requestCounter = 0;
function requestId(): string {
  requestCounter += 1;
  return `req_011CT${String(requestCounter).padStart(19, "0")}`;
}

function parseMessages(body: unknown): WireCall | WireError {
  const request = (body ?? {}) as MessagesBody;
  if (request.output_format !== undefined) {
    // The beta field the structured-outputs launch used; the API now refuses it (recorded 2026).
    return anthropicError(
      400,
      "invalid_request_error",
      "output_format: This field is deprecated. Use 'output_config.format' instead. See " +
        "https://platform.claude.com/docs/en/build-with-claude/structured-outputs for more information.",
      requestId(),
    );
  }
  if (typeof request.model !== "string") {
    return anthropicError(400, "invalid_request_error", "model: Field required", requestId());
  }
  if (typeof request.max_tokens !== "number") {
    return anthropicError(400, "invalid_request_error", "max_tokens: Field required", requestId());
  }
  if (!Array.isArray(request.messages)) {
    return anthropicError(400, "invalid_request_error", "messages: Field required", requestId());
  }
  const messages: BrainMessage[] = (request.messages as { role?: unknown; content?: unknown }[]).map(
    (message) => ({
      role: message.role === "assistant" ? "assistant" : "user",
      text: textOf(message.content),
    }),
  );
  const tools = Array.isArray(request.tools) ? request.tools : [];
  const jsonMode: JsonMode =
    tools.length > 0 ? "tool" : request.output_config?.format?.type === "json_schema" ? "schema" : "none";
  const chosen = request.tool_choice?.type === "tool" ? request.tool_choice.name : undefined;
  const toolName =
    typeof chosen === "string"
      ? chosen
      : (tools.find((tool) => tool.name === "json")?.name ?? tools[0]?.name);
  const thinkingType = request.thinking?.type;
  return {
    model: request.model,
    system: textOf(request.system),
    messages,
    jsonMode,
    stream: request.stream === true,
    toolName: typeof toolName === "string" ? toolName : undefined,
    wantsReasoning:
      thinkingType === "enabled" || thinkingType === "adaptive" || thinkingType === "between_tools",
    // Claude thinks only when asked to.
    hiddenReasoning: false,
    includeUsage: true,
  };
}

/** A stand-in for the opaque signature Anthropic puts on thinking blocks. */
function signature(seed: string): string {
  return Buffer.from(`fathom-test-signature:${seed}`).toString("base64");
}

async function answerMessages(context: AnswerContext): Promise<void> {
  const { call, answer, chunkSize } = context;
  const reasoning = call.wantsReasoning ? (answer.reasoning ?? "") : "";
  const isTool = call.jsonMode === "tool";
  const input = isTool ? toolInput(answer.text) : undefined;
  const thinkingTokens = estimateTokens(reasoning);
  const outputTokens = estimateTokens(isTool ? JSON.stringify(input) : answer.text) + thinkingTokens;
  const id = context.nextId("msg_01");
  const toolId = isTool ? context.nextId("toolu_01") : "";
  const stopReason = isTool ? "tool_use" : "end_turn";
  const inputUsage = {
    input_tokens: context.promptTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
  };
  const thinkingDetails =
    reasoning !== "" ? { output_tokens_details: { thinking_tokens: thinkingTokens } } : {};
  const headers = { "request-id": requestId(), "anthropic-organization-id": "fathom-test-org" };

  if (!call.stream) {
    const content: unknown[] = [];
    if (reasoning !== "") content.push({ type: "thinking", thinking: reasoning, signature: signature(id) });
    content.push(
      isTool
        ? { type: "tool_use", id: toolId, name: call.toolName ?? "json", input }
        : { type: "text", text: answer.text },
    );
    jsonBody(context.response, {
      status: 200,
      headers,
      body: {
        model: call.model,
        id,
        type: "message",
        role: "assistant",
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage: { ...inputUsage, output_tokens: outputTokens, ...thinkingDetails, service_tier: "standard" },
      },
    });
    return;
  }

  const frames: StreamFrame[] = [];
  const event = (type: string, value: Record<string, unknown>, textChars = 0) =>
    frames.push({ text: `event: ${type}\ndata: ${JSON.stringify({ type, ...value })}\n\n`, textChars });
  event("message_start", {
    message: {
      model: call.model,
      id,
      type: "message",
      role: "assistant",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...inputUsage, output_tokens: 1, service_tier: "standard" },
    },
  });
  let index = 0;
  if (reasoning !== "") {
    event("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } });
    event("ping", {});
    for (const piece of chunkText(reasoning, chunkSize)) {
      event("content_block_delta", { index, delta: { type: "thinking_delta", thinking: piece } });
    }
    event("content_block_delta", { index, delta: { type: "signature_delta", signature: signature(id) } });
    event("content_block_stop", { index });
    index += 1;
  }
  if (isTool) {
    event("content_block_start", {
      index,
      content_block: { type: "tool_use", id: toolId, name: call.toolName ?? "json", input: {} },
    });
    if (reasoning === "") event("ping", {});
    event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: "" } });
    for (const piece of chunkText(JSON.stringify(input), chunkSize, context.cutAfterChars)) {
      event(
        "content_block_delta",
        { index, delta: { type: "input_json_delta", partial_json: piece } },
        piece.length,
      );
    }
  } else {
    event("content_block_start", { index, content_block: { type: "text", text: "" } });
    if (reasoning === "") event("ping", {});
    for (const piece of chunkText(answer.text, chunkSize, context.cutAfterChars)) {
      event("content_block_delta", { index, delta: { type: "text_delta", text: piece } }, piece.length);
    }
  }
  event("content_block_stop", { index });
  event("message_delta", {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { ...inputUsage, output_tokens: outputTokens, ...thinkingDetails },
  });
  event("message_stop", {});
  await writeStream(
    context.response,
    { "content-type": "text/event-stream; charset=utf-8", ...headers },
    frames,
    context.cutAfterChars,
  );
}

export const anthropicProtocol: WireProtocol = {
  wire: "anthropic",
  basePath: "/v1",
  route: (method, path) =>
    method === "POST" && path === "/v1/messages"
      ? { kind: "generate" }
      : { kind: "error", error: anthropicError(404, "not_found_error", "Not Found", requestId()) },
  apiKey: (headers) => headers["x-api-key"] ?? /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "")?.[1],
  parse: parseMessages,
  // Anthropic has no JSON mode a compatible server could refuse; structured output is `output_config.format`.
  refuse: () => undefined,
  answer: answerMessages,
  errors: {
    notFound: () => anthropicError(404, "not_found_error", "Not Found", requestId()),
    invalidJson: () =>
      anthropicError(
        400,
        "invalid_request_error",
        "There was an error parsing the body of your request.",
        requestId(),
      ),
    authentication: (apiKey) =>
      anthropicError(401, "authentication_error", `invalid x-api-key: ${apiKey ?? "(none)"}`, requestId()),
    rateLimit: (seconds) => {
      const error = anthropicError(
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization (fathom-test-org) of 30,000 input tokens " +
          "per minute. For details, refer to: https://docs.anthropic.com/en/api/rate-limits. You can see the " +
          "response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or " +
          "try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your " +
          "options for a rate limit increase.",
        requestId(),
      );
      const reset = new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");
      return {
        ...error,
        headers: {
          ...error.headers,
          "retry-after": String(seconds),
          "x-should-retry": "true",
          "anthropic-ratelimit-input-tokens-limit": "30000",
          "anthropic-ratelimit-input-tokens-remaining": "0",
          "anthropic-ratelimit-input-tokens-reset": reset,
        },
      };
    },
    contextLength: (tokens, limit) =>
      anthropicError(
        400,
        "invalid_request_error",
        `prompt is too long: ${tokens} tokens > ${limit} maximum`,
        requestId(),
      ),
  },
};
