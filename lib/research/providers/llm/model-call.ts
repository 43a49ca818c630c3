import {
  APICallError,
  type LanguageModel,
  type ModelMessage,
  Output,
  streamText,
  TypeValidationError,
} from "ai";
import type { z } from "zod";
import { MAX_RETRY_AFTER_MS, ProviderError, parseRetryAfter } from "../provider-http";
import type { CallUsage } from "./llm-provider";
import { createThinkGuard } from "./think-guard";

/** How a structured answer is asked for: a JSON schema, JSON mode, or plain text. */
export type AnswerMode = "schema" | "object" | "text";

/** What a model call returned: the answer without its reasoning, the reasoning, the usage. */
export interface ModelCallResult {
  text: string;
  reasoning: string;
  usage?: CallUsage;
  /** The server stopped at its output token cap (`finish_reason: "length"`): the answer is cut short. */
  truncated: boolean;
}

/** Options of `callModel`. */
export interface ModelCallOptions {
  model: LanguageModel;
  /** The provider's name, for error messages. */
  label: string;
  system: string;
  messages: ModelMessage[];
  /** Absent: plain text. */
  structured?: { mode: AnswerMode; schema: z.ZodType };
  temperature?: number;
  /** A stream that brings nothing for this long is abandoned (a retryable failure). */
  idleTimeoutMs: number;
  signal?: AbortSignal;
  /** Receives the answer as it streams (reasoning already taken out). */
  onText?: (text: string) => Promise<void>;
  /** Receives usage when the server reports it, also for a call that failed after it. */
  onUsage?: (usage: CallUsage) => void;
}

/** Why a model refused a request, when it is something Fathom can answer by changing the request. */
export type RefusalKind = "context_length" | "response_format";

/**
 * Refusals of the prompt's length, in the words of OpenAI, vLLM, Anthropic,
 * Gemini, LM Studio, llama.cpp's server ("exceeds the available context
 * size") and text-generation-inference ("`inputs` tokens + `max_new_tokens`
 * must be <= 4096", "`inputs` must have less than 4096 tokens").
 */
const CONTEXT_LENGTH =
  /context[ _-]?(length|window|size)|inputs` tokens|`inputs` must have less than|max_new_tokens` must be|maximum context|too many tokens|prompt is too long|input token count|reduce the length|exceeds? the (maximum|max) (number of )?tokens|context_length_exceeded|string_above_max_length|n_ctx/i;
/** Refusals of the answer format; llama.cpp's server says "JSON schema conversion failed" when its grammar converter gives up. */
const RESPONSE_FORMAT =
  /response_format|response[ _]?schema|json[ _-]?schema|json_object|json mode|structured output|responseMimeType|output_format|'format'|grammar/i;

/** A provider error with what the refusal was about, when it is one Fathom can work around. */
export function refusalKind(error: unknown): RefusalKind | undefined {
  if (!(error instanceof ProviderError)) return undefined;
  return (error.details as { refusal?: RefusalKind } | undefined)?.refusal;
}

/** True when part of the answer had already streamed out when the call failed. */
export function failedMidStream(error: unknown): boolean {
  return (
    error instanceof ProviderError && (error.details as { partial?: boolean } | undefined)?.partial === true
  );
}

/**
 * One model call through the AI SDK, streamed: the text (with reasoning
 * separated out and `</think>` leftovers dropped), usage, and failures as
 * ProviderErrors — retryable for rate limits, server errors, broken streams
 * and timeouts; with `Retry-After` when the server sent one; marked when the
 * server refused the prompt's length or the answer format. Retries are the
 * caller's (the SDK's own are off), so waits use Fathom's clock.
 */
export async function callModel(options: ModelCallOptions): Promise<ModelCallResult> {
  const idle = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      idle.abort(new Error(`no answer for ${options.idleTimeoutMs} ms`));
    }, options.idleTimeoutMs);
  };
  const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
  let text = "";
  let reasoning = "";
  let emitted = false;
  const guard = createThinkGuard(async (piece) => {
    text += piece;
    if (options.onText && piece !== "") {
      emitted = true;
      await options.onText(piece);
    }
  });
  const fail = (error: unknown): ProviderError => {
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    return toProviderError(options.label, error, { timedOut, partial: emitted });
  };
  arm();
  try {
    const result = streamText({
      model: options.model,
      system: options.system,
      messages: options.messages,
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(options.structured && options.structured.mode !== "text"
        ? {
            output:
              options.structured.mode === "schema"
                ? Output.object({ schema: options.structured.schema, name: "answer" })
                : Output.json(),
          }
        : {}),
      maxRetries: 0,
      abortSignal: signal,
      // Errors arrive as stream parts below; the SDK's default handler would only print them.
      onError: () => {},
    });
    let usage: CallUsage | undefined;
    let truncated = false;
    let failedFinish = false;
    for await (const part of result.fullStream) {
      arm();
      switch (part.type) {
        case "text-delta":
          await guard.write(part.text);
          break;
        case "reasoning-delta":
          reasoning += part.text;
          break;
        case "error":
          throw fail(part.error);
        case "abort":
          throw fail(signal.reason ?? new Error("aborted"));
        case "finish":
          truncated = part.finishReason === "length";
          failedFinish = part.rawFinishReason === "error";
          usage = {
            inputTokens: part.totalUsage.inputTokens ?? 0,
            outputTokens: part.totalUsage.outputTokens ?? 0,
            reasoningTokens: part.totalUsage.outputTokenDetails?.reasoningTokens ?? 0,
          };
          break;
      }
    }
    reasoning += await guard.end();
    if (usage) options.onUsage?.(usage);
    if (signal.aborted) throw fail(signal.reason);
    if (failedFinish) {
      // A server that ends a stream with `finish_reason: "error"` and no error object (some
      // routed providers) stopped generating: what came is not the whole answer.
      throw new ProviderError(`${options.label} ended its answer with an error (finish_reason "error")`, {
        retryable: true,
        details: emitted ? { partial: true } : {},
      });
    }
    return { text, reasoning, usage, truncated };
  } catch (error) {
    throw error instanceof ProviderError ? error : fail(error);
  } finally {
    clearTimeout(timer);
  }
}

/** Turns an AI SDK or network failure into a ProviderError with Fathom's retry rules. */
export function toProviderError(
  label: string,
  error: unknown,
  state: { timedOut: boolean; partial: boolean },
): ProviderError {
  if (error instanceof ProviderError) return error;
  const partial = state.partial ? { partial: true } : {};
  // A 2xx "error" is a response that broke off while it was read (the connection dropped).
  if (APICallError.isInstance(error) && error.statusCode !== undefined && error.statusCode >= 300) {
    const message = providerMessage(error.responseBody) || error.message;
    const refusal: RefusalKind | undefined =
      error.statusCode >= 400 && error.statusCode < 500 && CONTEXT_LENGTH.test(message)
        ? "context_length"
        : [400, 415, 422, 501].includes(error.statusCode) && RESPONSE_FORMAT.test(message)
          ? "response_format"
          : undefined;
    const headers = error.responseHeaders ?? {};
    const retryAfterMs =
      headers["retry-after-ms"] !== undefined && /^\d+(\.\d+)?$/.test(headers["retry-after-ms"].trim())
        ? Math.min(Number(headers["retry-after-ms"]), MAX_RETRY_AFTER_MS)
        : (parseRetryAfter(headers["retry-after"] ?? null, Date.now()) ??
          retryDelayInBody(error.responseBody) ??
          (error.statusCode === 429 ? rateLimitResetMs(headers, error.responseBody, Date.now()) : undefined));
    return new ProviderError(`${label} answered HTTP ${error.statusCode}: ${message}`, {
      retryable: refusal === undefined && error.isRetryable,
      status: error.statusCode,
      retryAfterMs,
      cause: error,
      details: { ...partial, ...(refusal ? { refusal } : {}) },
    });
  }
  if (state.timedOut) {
    return new ProviderError(`${label} did not answer in time`, {
      retryable: true,
      cause: error,
      details: partial,
    });
  }
  const reported = streamedError(error);
  if (reported !== undefined) {
    // The server itself said the generation failed (vLLM's `data: {"error": …}`, OpenRouter's
    // chunk with `error` and `finish_reason: "error"`): a transient failure of that answer.
    return new ProviderError(`${label} reported an error in its answer: ${reported}`, {
      retryable: true,
      cause: error,
      details: partial,
    });
  }
  const reason = (error as Error)?.message ?? String(error);
  return new ProviderError(
    state.partial ? `${label}'s answer broke off: ${reason}` : `${label} could not be reached: ${reason}`,
    { retryable: true, cause: error, details: partial },
  );
}

/**
 * The message of an error a server sent inside its stream: the SDK passes
 * such an error object on as it came, and a chunk that matches no known
 * shape (an error object of another shape) as a TypeValidationError holding
 * the chunk. Undefined for network and other failures.
 */
function streamedError(error: unknown): string | undefined {
  const messageOf = (value: unknown): string | undefined => {
    if (!value || typeof value !== "object" || value instanceof Error) return undefined;
    const record = value as Record<string, unknown>;
    for (const text of [record.message, record.error]) {
      // text-generation-inference sends `{"error": "…", "error_type": "generation"}`: the error is the message.
      if (typeof text === "string" && text.trim() !== "")
        return text.replace(/\s+/g, " ").trim().slice(0, 500);
    }
    return messageOf(record.error);
  };
  if (TypeValidationError.isInstance(error)) {
    return messageOf(error.value) ?? "a stream chunk Fathom could not read";
  }
  return messageOf(error);
}

/**
 * Gemini says when to retry in the body, not in a header:
 * `{"error": {"details": [{"@type": "…RetryInfo", "retryDelay": "12s"}]}}`.
 */
function retryDelayInBody(body: string | undefined): number | undefined {
  const match = body ? /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(body) : null;
  return match ? Math.min(Number(match[1]) * 1000, MAX_RETRY_AFTER_MS) : undefined;
}

/**
 * When a 429 without `Retry-After` says the limit resets, in ms from `now`:
 * OpenRouter's `X-RateLimit-Reset` (epoch milliseconds; also repeated in
 * the body's `error.metadata.headers`), else the `x-ratelimit-reset-requests`
 * / `-tokens` durations of OpenAI and Groq ("1m30s", "250ms"; the longer one,
 * since either limit may be the one hit), else "try again in 1.5s" in the
 * message. Capped like `Retry-After`.
 */
export function rateLimitResetMs(
  headers: Record<string, string>,
  body: string | undefined,
  now: number,
): number | undefined {
  const header = (name: string) =>
    Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1] ??
    (body ? new RegExp(`"${name}"\\s*:\\s*"?(\\d+)`, "i").exec(body)?.[1] : undefined);
  const cap = (ms: number) => Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
  const reset = header("x-ratelimit-reset");
  if (reset !== undefined && /^\d+(\.\d+)?$/.test(reset.trim())) {
    const value = Number(reset);
    // An epoch in milliseconds (OpenRouter) or seconds, else seconds from now.
    return cap(value > 1e12 ? value - now : value > 1e9 ? value * 1000 - now : value * 1000);
  }
  const durations = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]
    .map((name) => durationMs(headers[name] ?? ""))
    .filter((ms): ms is number => ms !== undefined);
  const inMessage = body ? /try again in ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)/i.exec(body)?.[1] : undefined;
  const longest = Math.max(...durations, durationMs(inMessage ?? "") ?? -1);
  return longest >= 0 ? cap(longest) : undefined;
}

/** "1h2m3.5s", "6m0s", "250ms", "7.66s" in ms; undefined for anything else. */
function durationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/.test(trimmed)) return undefined;
  const factor: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g))
    total += Number(amount) * factor[unit!]!;
  return total;
}

/** The message inside a provider's error body (OpenAI, Anthropic, Gemini, LM Studio shapes), trimmed. */
export function providerMessage(body: string | undefined): string {
  if (!body) return "";
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object") {
      const record = parsed as Record<string, unknown>;
      const inner = Array.isArray(parsed) ? (parsed[0] as Record<string, unknown> | undefined) : record;
      const error = inner?.error;
      if (
        error &&
        typeof error === "object" &&
        typeof (error as Record<string, unknown>).message === "string"
      ) {
        return ((error as Record<string, string>).message as string).slice(0, 500);
      }
      for (const key of ["error", "message", "detail"]) {
        const value = inner?.[key];
        if (typeof value === "string") return value.slice(0, 500);
        if (value && typeof value === "object") return JSON.stringify(value).slice(0, 500);
      }
    }
  } catch (error) {
    void error; // Not JSON: the raw text is the message.
  }
  return htmlMessage(body) ?? body.replace(/\s+/g, " ").trim().slice(0, 500);
}

/**
 * The gist of an HTML error page (a proxy such as nginx in front of the model
 * server answers 502/503/504 with one): its title, else its first heading,
 * else its text without tags. Undefined when the body is not HTML.
 */
function htmlMessage(body: string): string | undefined {
  if (!/^\s*<(!doctype\s+html|html|head|body)\b/i.test(body)) return undefined;
  const text = (html: string) =>
    html
      .replace(/<[^>]*>/g, " ")
      .replace(/&nbsp;/g, " ")
      .replace(/\s+/g, " ")
      .trim();
  for (const pattern of [/<title[^>]*>([\s\S]*?)<\/title>/i, /<h1[^>]*>([\s\S]*?)<\/h1>/i]) {
    const match = pattern.exec(body);
    const found = match ? text(match[1]!) : "";
    if (found !== "") return found.slice(0, 200);
  }
  return text(body.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, "")).slice(0, 200) || "an HTML error page";
}
