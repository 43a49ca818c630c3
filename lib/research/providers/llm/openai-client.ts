import { createParser, type EventSourceMessage } from "eventsource-parser";
import { z } from "zod";
import { AppError } from "../../../errors";
import {
  type ClientRuntime,
  classifyNetworkError,
  errorFromResponse,
  ProviderError,
  timeoutSignal,
  withRetries,
} from "../provider-http";
import { parseJsonAnswer } from "./json-answer";

/** A chat message. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Options of `createOpenAiClient`. */
export interface OpenAiClientOptions {
  /** `OPENAI_BASE_URL`, e.g. https://api.openai.com/v1 or http://localhost:11434/v1 (Ollama). */
  baseUrl: string;
  /** `OPENAI_API_KEY`; optional for servers that need none. */
  apiKey?: string;
  model: string;
  /** Time limit of one attempt, streaming included (`OPENAI_TIMEOUT_MS`). */
  timeoutMs: number;
  /** Retries of transient failures (`OPENAI_MAX_RETRIES`). */
  maxRetries: number;
  /** Answers that fail JSON or schema validation are asked again this many times. Default 2. */
  maxJsonRetries?: number;
  runtime: ClientRuntime;
}

/** One chat completion request. */
export interface ChatRequest {
  messages: ChatMessage[];
  /** Ask for a JSON object (`response_format: {type: "json_object"}`). */
  json?: boolean;
  temperature?: number;
  signal?: AbortSignal;
  /**
   * Receives the answer as it streams. Once something was passed on, a
   * failure is not retried here (the caller continues from what it has).
   */
  onDelta?: (text: string) => Promise<void>;
}

/** A streaming client for any OpenAI-compatible Chat Completions endpoint. */
export interface OpenAiClient {
  readonly model: string;
  /** The whole answer text, streamed through `onDelta` as it comes. */
  chat(request: ChatRequest): Promise<string>;
  /** An answer parsed as JSON and validated; a malformed answer is asked again, then fails. */
  chatJson<T>(schema: z.ZodType<T>, request: Omit<ChatRequest, "json" | "onDelta">): Promise<T>;
}

const streamChunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z.object({ content: z.string().nullish() }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .optional()
    .default([]),
  error: z.object({ message: z.string().optional() }).passthrough().nullish(),
});

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullish() }) })).min(1),
});

/** What a stream delivered so far, and whether it ended properly (`[DONE]`). */
interface StreamState {
  text: string;
  done: boolean;
  error?: string;
}

/**
 * Creates the client. Streams with `stream: true` and parses the server-sent
 * events with eventsource-parser (`data: {…}` chunks, then `data: [DONE]`);
 * retries 429, 5xx, timeouts and network errors with exponential backoff and
 * jitter, honouring `Retry-After`.
 */
export function createOpenAiClient(options: OpenAiClientOptions): OpenAiClient {
  const { runtime } = options;
  const endpoint = `${options.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  const label = `The model endpoint (${options.model})`;

  async function attempt(request: ChatRequest, emitted: { text: string }): Promise<string> {
    const timeout = timeoutSignal(options.timeoutMs, request.signal);
    try {
      const response = await runtime.fetch(endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream, application/json",
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: options.model,
          messages: request.messages,
          stream: true,
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.json ? { response_format: { type: "json_object" } } : {}),
        }),
        signal: timeout.signal,
      });
      if (!response.ok) throw await errorFromResponse(label, response, runtime.now());
      if (/application\/json/i.test(response.headers.get("content-type") ?? "")) {
        // A server that ignored `stream: true`.
        const parsed = completionSchema.safeParse(await response.json());
        if (!parsed.success)
          throw new ProviderError(`${label} returned an unexpected answer`, { retryable: false });
        const text = parsed.data.choices[0]!.message.content ?? "";
        if (text && request.onDelta) {
          emitted.text += text;
          await request.onDelta(text);
        }
        return text;
      }
      return await readStream(response, request, emitted);
    } catch (error) {
      throw classifyNetworkError(label, error, timeout, request.signal);
    } finally {
      timeout.clear();
    }
  }

  async function readStream(
    response: Response,
    request: ChatRequest,
    emitted: { text: string },
  ): Promise<string> {
    if (!response.body) throw new ProviderError(`${label} sent no body`, { retryable: true });
    const state: StreamState = { text: "", done: false };
    let pending: string[] = [];
    const parser = createParser({
      onEvent(event: EventSourceMessage) {
        if (state.done) return;
        if (event.data.trim() === "[DONE]") {
          state.done = true;
          return;
        }
        let chunk: z.infer<typeof streamChunkSchema>;
        try {
          chunk = streamChunkSchema.parse(JSON.parse(event.data));
        } catch (error) {
          state.error = `an unreadable stream chunk (${(error as Error).message.slice(0, 200)})`;
          return;
        }
        if (chunk.error) {
          state.error = chunk.error.message ?? JSON.stringify(chunk.error).slice(0, 300);
          return;
        }
        for (const choice of chunk.choices.slice(0, 1)) {
          const content = choice.delta?.content ?? "";
          if (content) {
            state.text += content;
            pending.push(content);
          }
        }
      },
    });
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
        if (state.error)
          throw new ProviderError(`${label} failed mid-answer: ${state.error}`, { retryable: true });
        if (request.onDelta && pending.length > 0) {
          const text = pending.join("");
          pending = [];
          emitted.text += text;
          await request.onDelta(text);
        }
        if (state.done) break;
      }
    } finally {
      reader.releaseLock();
      // Ends the connection when we stop before the server does ([DONE] seen, or an error).
      await response.body.cancel().catch(() => undefined);
    }
    if (!state.done) throw new ProviderError(`${label} ended the stream before [DONE]`, { retryable: true });
    return state.text;
  }

  const client: OpenAiClient = {
    model: options.model,
    async chat(request) {
      const emitted = { text: "" };
      return withRetries(() => attempt(request, emitted), {
        maxRetries: options.maxRetries,
        runtime,
        signal: request.signal,
        canRetry: () => emitted.text === "",
      }).catch((error: unknown) => {
        if (error instanceof ProviderError && emitted.text !== "") {
          // The caller has part of the answer; it decides how to continue.
          throw new ProviderError(error.message, {
            retryable: error.retryable,
            status: error.status,
            cause: error,
            details: { partial: emitted.text },
          });
        }
        throw error;
      });
    },
    async chatJson<T>(schema: z.ZodType<T>, request: Omit<ChatRequest, "json" | "onDelta">): Promise<T> {
      const attempts = 1 + (options.maxJsonRetries ?? 2);
      const messages = [...request.messages];
      let problem = "";
      for (let index = 0; index < attempts; index++) {
        const text = await client.chat({ ...request, messages, json: true });
        try {
          const parsed = schema.safeParse(parseJsonAnswer(text));
          if (parsed.success) return parsed.data;
          problem = parsed.error.issues
            .slice(0, 3)
            .map((issue) => `${issue.path.join(".") || "answer"}: ${issue.message}`)
            .join("; ");
        } catch (error) {
          problem = `not JSON (${(error as Error).message.slice(0, 120)})`;
        }
        messages.push(
          { role: "assistant", content: text.slice(0, 4000) },
          {
            role: "user",
            content: `That answer was invalid: ${problem}. Reply again with only the JSON object, in the requested shape.`,
          },
        );
      }
      throw new AppError(
        "provider_error",
        `${label} did not return valid JSON after ${attempts} attempts: ${problem}`,
        { retryable: false },
      );
    },
  };
  return client;
}
