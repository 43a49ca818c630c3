/**
 * The contract of the local model servers: which wire a server speaks, the
 * misbehaviours it can imitate, what it records of each request, and the
 * "brain" that decides what the model answers.
 */

/**
 * The wire format a server speaks.
 *
 * - `openai`: OpenAI chat completions (`POST /v1/chat/completions`), also
 *   what Ollama, LM Studio, vLLM, DeepSeek and OpenRouter speak.
 * - `anthropic`: Anthropic messages (`POST /v1/messages`).
 * - `google`: Gemini generateContent (`POST /v1beta/models/{model}:generateContent`
 *   and `:streamGenerateContent?alt=sse`).
 * - `azure`: Azure OpenAI chat completions (`POST /openai/v1/chat/completions`
 *   and `POST /openai/deployments/{deployment}/chat/completions?api-version=…`).
 */
export type Wire = "openai" | "anthropic" | "google" | "azure";

/**
 * How a request asked for JSON:
 * - `schema`: a JSON schema the service enforces (OpenAI `response_format`
 *   `json_schema`, Anthropic `output_config.format`, Gemini `responseSchema`);
 * - `object`: JSON without a schema (OpenAI `json_object`, Gemini
 *   `responseMimeType: application/json` alone);
 * - `tool`: function tools were offered (the answer is a tool call whose
 *   arguments are the JSON, as `@ai-sdk/anthropic` does with its `json` tool);
 * - `none`: plain text.
 */
export type JsonMode = "schema" | "object" | "tool" | "none";

/** The research step a prompt belongs to, recognised by the markers of Fathom's prompts; `other` when none. */
export type ResearchStep = "plan" | "learn" | "report" | "continuation" | "other";

/** Misbehaviours of real services a server imitates. Every quirk is off unless said otherwise. */
export interface ModelServerQuirks {
  /**
   * Ollama with DeepSeek-R1 or Qwen3: the reasoning is sent inside the content
   * as `<think>…</think>` before the answer, the tags split across stream
   * chunks (`<thi`, `nk>`, …, `</th`, `ink>`); non-streaming answers carry the
   * tags too. Wires `openai` and `azure` (Azure's DeepSeek-R1 deployments do the same).
   */
  thinkInContent?: boolean;
  /**
   * The reasoning is sent in a field of its own before the content:
   * `reasoning_content` (vLLM, DeepSeek) or `reasoning` (OpenRouter, newer
   * Ollama). Wires `openai` and `azure`.
   */
  reasoningField?: "reasoning_content" | "reasoning";
  /**
   * LM Studio: `response_format: {type: "json_object"}` is refused with 400
   * `{"error":"'response_format.type' must be 'json_schema' or 'text'"}` (an
   * error body that is not OpenAI's shape). Wires `openai` and `azure`.
   */
  refuseJsonObject?: boolean;
  /**
   * DeepSeek's API: `response_format: {type: "json_schema"}` is refused with
   * 400 "This response_format type is unavailable now". Wires `openai` and `azure`.
   */
  refuseJsonSchema?: boolean;
  /**
   * OpenAI: `json_object` is refused with 400 unless the messages contain the
   * word "json" (OpenAI and DeepSeek enforce this; local servers do not). Wires `openai` and `azure`.
   */
  requireJsonWord?: boolean;
  /**
   * The first request (whatever it is) is answered 429 with the service's own
   * body and headers: `retry-after` (OpenAI, Azure with `retry-after-ms` too,
   * Anthropic); Gemini sends no header, only `google.rpc.RetryInfo.retryDelay`
   * in the body, as the real service does.
   */
  rateLimitOnce?: { retryAfterSeconds: number };
  /**
   * A request whose prompt is longer than this many tokens (estimated as
   * characters / 4) gets the service's context-length 400.
   */
  contextLimitTokens?: number;
  /**
   * The first streamed report (step `report`) is cut after this many
   * characters of answer text: the socket is destroyed, with no terminator
   * (no `[DONE]`, no `message_stop`, no last chunk of the chunked encoding).
   */
  cutReportOnce?: { afterChars: number };
  /**
   * Token usage, reported the way the wire does. Default `true` (every real
   * service reports it); `false` imitates a server that omits it. OpenAI and
   * Azure stream usage only when the request sets
   * `stream_options.include_usage`, as the real services do. Anthropic always
   * reports usage (the SDK requires it), so `false` changes nothing there.
   */
  usage?: boolean;
  /**
   * Azure's content filter annotations: the first stream chunk has `choices: []`
   * and `prompt_filter_results`, content chunks carry `content_filter_results`,
   * the usage chunk comes last; non-streaming answers carry both fields.
   * Default `true` on the `azure` wire (Azure's default filter is on); wire `azure` only.
   */
  azurePromptFilter?: boolean;
  /** Every request is refused as unauthenticated, with the received API key in the error message. */
  echoKey?: boolean;
  /**
   * Ollama: only these models are installed; any other is answered 404
   * `{"error":{"message":"model \"x\" not found, try pulling it first","type":"api_error",…}}`.
   * Wires `openai` and `azure`.
   */
  knownModels?: string[];
  /**
   * OpenRouter with an account out of credits: every request is answered 402
   * `{"error":{"code":402,"message":"Insufficient credits. …","metadata":{}}}`.
   * Wires `openai` and `azure`.
   */
  outOfCredits?: boolean;
  /**
   * A proxy in front of the model server (nginx): the first `times` requests
   * are answered with its HTML error page and `status` (500, 502, 503, 504).
   * Wires `openai` and `azure`.
   */
  htmlErrors?: { status: number; times: number };
  /**
   * The context-length refusal (with `contextLimitTokens`) in another
   * server's words and shape instead of OpenAI's:
   * - `vllm`: 400 `{"object":"error","message":"This model's maximum context length is … tokens. However, you requested …","type":"BadRequestError",…}`
   *   (the message at the top of the body, the completion counted too);
   * - `tgi`: 422 `{"error":"Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= …","error_type":"validation"}`;
   * - `llama.cpp`: 400 `{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error",…}}`.
   * Wires `openai` and `azure`.
   */
  contextErrorStyle?: "vllm" | "tgi" | "llama.cpp";
  /**
   * llama.cpp's server: `response_format` `json_schema` is refused with 400
   * "JSON schema conversion failed" (its grammar converter rejects the schema).
   * Wires `openai` and `azure`.
   */
  refuseSchemaGrammar?: boolean;
  /**
   * llama.cpp's server streams: the first delta is `{"role":"assistant","content":null}`,
   * and a last chunk has `choices: []` with its `timings` (and `usage` only
   * when asked). Wires `openai` and `azure`.
   */
  llamaCppChunks?: boolean;
  /** The finish reason sent instead of `stop` (TGI: `eos_token`). Wires `openai` and `azure`. */
  finishReason?: string;
  /** Streams end without `data: [DONE]` (TGI, LocalAI). Wires `openai` and `azure`. */
  noDone?: boolean;
  /** SSE comment lines sent before the first chunk (OpenRouter: `: OPENROUTER PROCESSING`). Wires `openai` and `azure`. */
  sseComments?: string[];
  /**
   * The first streamed answer of `step` (default `report`) stops after
   * `afterChars` characters of text with an error inside the stream:
   * `vllm` sends `data: {"error": {…}}` then `[DONE]`; `openrouter` sends a
   * chunk with an `error` field and `finish_reason: "error"`, then ends;
   * `tgi` sends `data:{"error":"Request failed during generation: …","error_type":"generation"}`
   * (the error a string), then ends. Wires `openai` and `azure`.
   */
  midStreamErrorOnce?: { afterChars: number; style: "vllm" | "openrouter" | "tgi"; step?: ResearchStep };
  /**
   * The first streamed report stops after `afterChars` characters of text
   * with `finish_reason: "length"` (the output token cap), then `[DONE]`: a
   * well-formed stream. Wires `openai` and `azure`.
   */
  lengthCapOnce?: { afterChars: number };
  /**
   * The first `times` answers of `steps` (default: the structured steps,
   * plan and learn) are empty (`content: ""`, a normal finish). Wires `openai` and `azure`.
   */
  emptyAnswers?: { times: number; steps?: ResearchStep[] };
  /**
   * Answers a `stream: true` request with the whole `chat.completion` as
   * `application/json`, as servers and gateways that do not stream do
   * (some proxies in front of a model, older self-hosted servers). Wires
   * `openai` and `azure`.
   */
  ignoresStream?: boolean;
  /**
   * The first request gets a 429 without `Retry-After`, saying when to come
   * back the way the service does: `openrouter` in `X-RateLimit-Reset` (epoch
   * milliseconds), also repeated in the body's `error.metadata.headers`;
   * `openai` in `x-ratelimit-reset-requests` / `-tokens` durations ("1m30s",
   * "250ms") and "Please try again in …" in the message. Wires `openai` and `azure`.
   */
  rateLimitResetOnce?: { style: "openrouter" | "openai"; resetSeconds: number };
  /**
   * Ollama's context window (`num_ctx`): a prompt longer than this many
   * tokens is cut silently, its beginning dropped (the last message keeps its
   * end), and the usage reports the tokens kept. No error. Wires `openai` and `azure`.
   */
  truncatesPromptTo?: number;
}

/** One request as the server received it. */
export interface RecordedRequest {
  wire: Wire;
  method: string;
  /** The path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  query: Record<string, string>;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The parsed JSON body; `undefined` when the body was not JSON. */
  body: unknown;
  /** The model (Azure: the deployment; Gemini: from the path). */
  model: string | undefined;
  /** The API key the request carried (`Authorization: Bearer`, `x-api-key`, `api-key`, `x-goog-api-key` or `?key=`). */
  apiKey: string | undefined;
  jsonMode: JsonMode;
  stream: boolean;
  step: ResearchStep;
  /** True when the server cut the prompt silently (`truncatesPromptTo`). */
  truncated?: boolean;
  /** The HTTP status the server answered with; `undefined` until it answered. */
  status: number | undefined;
}

/** One turn of the conversation the brain sees, as plain text. */
export interface BrainMessage {
  role: "user" | "assistant";
  text: string;
}

/** What the brain is asked: the request reduced to text. */
export interface BrainRequest {
  wire: Wire;
  model: string;
  /** The system (and OpenAI `developer`) instructions, joined by blank lines. */
  system: string;
  messages: BrainMessage[];
  /** The texts of `messages` joined by blank lines. */
  prompt: string;
  jsonMode: JsonMode;
  step: ResearchStep;
}

/** The model's answer. */
export interface BrainAnswer {
  /** The answer text; in the JSON modes the JSON itself (for `tool`, the tool's arguments). */
  text: string;
  /** Reasoning the model did first; sent only where the wire or a quirk carries it. */
  reasoning?: string;
}

/** Decides what the model answers. */
export type Brain = (request: BrainRequest) => BrainAnswer;

export interface ModelServerOptions {
  wire: Wire;
  quirks?: ModelServerQuirks;
  /** Default: `researchBrain`. */
  brain?: Brain;
  /** Characters of text per stream chunk. Default 24. */
  chunkSize?: number;
}

export interface ModelServer {
  /** The server's origin, `http://127.0.0.1:PORT`. */
  url: string;
  /**
   * The base URL to give the SDK provider: `…/v1` (openai, anthropic),
   * `…/v1beta` (google), `…/openai/v1` (azure; with `useDeploymentBasedUrls`
   * give `${url}/openai` instead, and a dated `apiVersion`).
   */
  baseURL: string;
  /** Every request received, in order (also failed ones). */
  requests: RecordedRequest[];
  close(): Promise<void>;
}
