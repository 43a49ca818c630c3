import type http from "node:http";
import type { BrainAnswer, BrainMessage, JsonMode, ModelServerQuirks, Wire } from "./types";

/** A request reduced to what the brain and the answer need, the same for every wire. */
export interface WireCall {
  model: string;
  system: string;
  messages: BrainMessage[];
  jsonMode: JsonMode;
  stream: boolean;
  /** The tool the JSON goes into, in mode `tool`. */
  toolName?: string;
  /** The request asked for reasoning text (Anthropic `thinking`, Gemini `includeThoughts`). */
  wantsReasoning: boolean;
  /**
   * The model reasons even when it sends no reasoning text, and counts those
   * tokens in its usage (OpenAI o-series and GPT-5, Gemini 2.5 and later).
   */
  hiddenReasoning: boolean;
  /** OpenAI `stream_options.include_usage`. */
  includeUsage: boolean;
}

/** An error answer in the service's own shape. */
export interface WireError {
  status: number;
  headers?: Record<string, string>;
  /** JSON value, or a string sent as is. */
  body: unknown;
}

/** Where a request goes: a generation endpoint, or an error the route itself produces. */
export type Route = { kind: "generate" } & GenerateRoute;

/** What the path of a generation request says. */
export interface GenerateRoute {
  /** The model named by the path (Azure deployment, Gemini model). */
  model?: string;
  /** The path itself asks for a stream (Gemini). */
  stream?: boolean;
  /** Gemini `streamGenerateContent` without `alt=sse`: the stream is one JSON array. */
  jsonArray?: boolean;
}

export type RouteResult = Route | { kind: "error"; error: WireError };

/** Everything a wire needs to write one answer. */
export interface AnswerContext {
  call: WireCall;
  route: GenerateRoute;
  answer: BrainAnswer;
  response: http.ServerResponse;
  quirks: ResolvedQuirks;
  chunkSize: number;
  promptTokens: number;
  /** Set when this stream must be cut after so many characters of answer text. */
  cutAfterChars: number | undefined;
  /**
   * Set when this stream must stop after so many characters of answer text
   * in a well-formed way: `length` (the output cap), or an error inside the
   * stream in the style of `vllm` or `openrouter`. Wires `openai` and `azure`.
   */
  interruption?: { afterChars: number; kind: "length" | "vllm" | "openrouter" | "tgi" };
  nextId(prefix: string): string;
}

export type ResolvedQuirks = ModelServerQuirks & { usage: boolean; azurePromptFilter: boolean };

/** One wire format: its routes, how it asks, how it answers, how it fails. */
export interface WireProtocol {
  wire: Wire;
  /** The path prefix of the base URL given to the SDK provider, e.g. `/v1`. */
  basePath: string;
  route(method: string, path: string, query: Record<string, string>): RouteResult;
  apiKey(headers: Record<string, string>, query: Record<string, string>): string | undefined;
  /** Reads the parsed body; a `WireError` when the service would refuse it whatever the quirks. */
  parse(body: unknown, route: GenerateRoute): WireCall | WireError;
  /** The refusals the quirks ask for (JSON modes), checked after rate and context limits. */
  refuse(call: WireCall, quirks: ResolvedQuirks): WireError | undefined;
  answer(context: AnswerContext): Promise<void>;
  errors: {
    notFound(method: string, path: string): WireError;
    invalidJson(): WireError;
    authentication(apiKey: string | undefined): WireError;
    rateLimit(retryAfterSeconds: number, model: string): WireError;
    contextLength(promptTokens: number, limit: number, model: string): WireError;
  };
}

export function isWireError(value: WireCall | WireError): value is WireError {
  return "status" in value;
}

/** Tokens of a text, estimated as one per four characters (the servers only need a stable figure). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Splits a text into stream chunks of `size` characters, with a chunk
 * boundary at `boundary` (so a stream can be cut exactly there). Never
 * splits a UTF-16 surrogate pair.
 */
export function chunkText(text: string, size: number, boundary?: number): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    if (boundary !== undefined && start < boundary && end > boundary) end = boundary;
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end += 1;
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}

/** The `<think>` wrapping of `thinkInContent`: the tags split across chunks as Ollama's tokenizer does. */
export function thinkPieces(reasoning: string, size: number): string[] {
  return ["<thi", "nk>", ...chunkText(`\n${reasoning}\n`, size), "</th", "ink>", "\n\n"];
}

export function thinkWrapped(reasoning: string, text: string): string {
  return `<think>\n${reasoning}\n</think>\n\n${text}`;
}

/** A frame of an event stream: `textChars` counts the characters of answer text it carries. */
export interface StreamFrame {
  text: string;
  textChars: number;
}

export function jsonBody(response: http.ServerResponse, error: WireError): void {
  const text = typeof error.body === "string" ? error.body : JSON.stringify(error.body);
  response.writeHead(error.status, { "content-type": "application/json; charset=utf-8", ...error.headers });
  response.end(text);
}

/**
 * Writes an event stream frame by frame, each flushed before the next. With
 * `cutAfterChars`, once that many characters of answer text were sent the
 * socket is destroyed: no terminator, no last chunk of the chunked encoding.
 */
export async function writeStream(
  response: http.ServerResponse,
  headers: Record<string, string>,
  frames: StreamFrame[],
  cutAfterChars: number | undefined,
): Promise<void> {
  response.writeHead(200, { "cache-control": "no-cache", connection: "keep-alive", ...headers });
  response.flushHeaders();
  let sent = 0;
  for (const frame of frames) {
    if (cutAfterChars !== undefined && sent >= cutAfterChars) {
      response.destroy();
      return;
    }
    await new Promise<void>((resolve, reject) =>
      response.write(frame.text, (error) => (error ? reject(error) : resolve())),
    );
    sent += frame.textChars;
  }
  if (cutAfterChars !== undefined) {
    response.destroy();
    return;
  }
  response.end();
}

/** Joins the text parts of a content value that is a string or an array of `{type: "text", text}` parts. */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => {
      if (typeof part === "string") return part;
      if (part && typeof part === "object" && typeof (part as { text?: unknown }).text === "string") {
        return (part as { text: string }).text;
      }
      return "";
    })
    .filter((text) => text !== "")
    .join("\n");
}

/** The JSON a brain answered for a tool call, as an object (tool arguments must be one). */
export function toolInput(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // A brain that answered prose in tool mode: the prose goes into a field, as models do.
    return { text };
  }
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { value };
}
