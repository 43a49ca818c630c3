import { z } from "zod";
import { ProviderError } from "../provider-http";

/**
 * Request fields a server refused, learned per endpoint and model: some
 * OpenAI-style servers answer 400 to `stream_options` (asked for to get
 * usage while streaming) or to `temperature` (reasoning models). The request
 * is then sent without the field, for the rest of this process.
 */
export interface RequestQuirks {
  /** Leave `stream_options` out (no usage while streaming). */
  noStreamOptions: boolean;
  /** Leave `temperature` out. */
  noTemperature: boolean;
  /**
   * The prompt size (tokens) the server was seen to cut a longer prompt to,
   * without an error (Ollama past its `num_ctx`): prompts stay within it.
   */
  contextTokens?: number;
}

const learned = new Map<string, RequestQuirks>();

/** The quirks learned of an endpoint (the same object every time, so what is learned sticks). */
export function requestQuirks(endpoint: string): RequestQuirks {
  let quirks = learned.get(endpoint);
  if (!quirks) {
    quirks = { noStreamOptions: false, noTemperature: false };
    learned.set(endpoint, quirks);
  }
  return quirks;
}

/** Forgets what servers refused (tests). */
export function forgetRequestQuirks(): void {
  learned.clear();
}

const REFUSED =
  /unsupported|not supported|unknown|unrecognized|unexpected|not allowed|invalid|extra (fields|inputs)|does not support/i;

/**
 * Learns from a refusal: true when `error` is a 400 that names a field this
 * endpoint can do without (then the call is worth repeating without it).
 */
export function learnQuirk(quirks: RequestQuirks, error: unknown): boolean {
  if (!(error instanceof ProviderError) || (error.status !== 400 && error.status !== 422)) return false;
  if (!REFUSED.test(error.message)) return false;
  if (!quirks.noStreamOptions && /stream_options|include_usage/i.test(error.message)) {
    quirks.noStreamOptions = true;
    return true;
  }
  if (!quirks.noTemperature && /temperature/i.test(error.message)) {
    quirks.noTemperature = true;
    return true;
  }
  return false;
}

/**
 * A fetch that leaves out of each JSON request body the fields the endpoint
 * refused, and reads a whole answer sent to a streamed request as a stream
 * (`streamedAnswer`).
 */
export function adaptedFetch(fetch: typeof globalThis.fetch, quirks: RequestQuirks): typeof globalThis.fetch {
  return async (input, init) => {
    if (typeof init?.body !== "string") return fetch(input, init);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(init.body) as Record<string, unknown>;
    } catch {
      return fetch(input, init);
    }
    let sent = init;
    if (quirks.noStreamOptions || quirks.noTemperature) {
      if (quirks.noStreamOptions) delete body.stream_options;
      if (quirks.noTemperature) delete body.temperature;
      sent = { ...init, body: JSON.stringify(body) };
    }
    const response = await fetch(input, sent);
    return body.stream === true ? streamedAnswer(response) : response;
  };
}

/**
 * Some OpenAI-style servers and gateways do not stream: asked for a stream,
 * they answer the whole `chat.completion` as JSON, which a streaming client
 * takes for a stream that ended without a finish reason. Such an answer is
 * turned into the one chunk and `[DONE]` it would have been; any other
 * response is passed on as it is.
 */
async function streamedAnswer(response: Response): Promise<Response> {
  if (!response.ok || !/^application\/json\b/i.test(response.headers.get("content-type") ?? ""))
    return response;
  const text = await response.text();
  const passOn = () => new Response(text, { status: response.status, headers: response.headers });
  let completion: unknown;
  try {
    completion = JSON.parse(text);
  } catch {
    return passOn();
  }
  const parsed = chatCompletionSchema.safeParse(completion);
  if (!parsed.success) return passOn();
  const { choices, usage, ...rest } = parsed.data;
  const chunk = {
    ...rest,
    object: "chat.completion.chunk",
    choices: choices.map(({ message, index, finish_reason }) => ({
      index,
      delta: {
        ...message,
        ...(message.tool_calls
          ? { tool_calls: message.tool_calls.map((call, at) => ({ index: at, ...(call as object) })) }
          : {}),
      },
      finish_reason,
    })),
    ...(usage ? { usage } : {}),
  };
  const headers = new Headers(response.headers);
  headers.set("content-type", "text/event-stream");
  headers.delete("content-length");
  return new Response(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`, {
    status: response.status,
    headers,
  });
}

/** The parts of a whole `chat.completion` a stream chunk carries (other fields kept as they are). */
const chatCompletionSchema = z.looseObject({
  object: z.literal("chat.completion").optional(),
  choices: z
    .array(
      z.object({
        index: z.number().int().nonnegative().default(0),
        message: z.looseObject({ tool_calls: z.array(z.unknown()).nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z.unknown().optional(),
});
