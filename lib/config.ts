import path from "node:path";
import { z } from "zod";

/**
 * Every environment variable Fathom reads, parsed once by zod. This module is
 * the only reader of `process.env`; `.env.example` documents each variable.
 */
const booleanString = z
  .enum(["true", "false", "1", "0", "yes", "no", ""])
  .transform((value) => value === "true" || value === "1" || value === "yes");

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
/** Sent in the X-Model-Name header: printable ASCII without spaces. */
const modelName = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, "expected a model name of printable ASCII without spaces");

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value && value.trim() !== "" ? value.trim() : undefined));

/** A model's price: USD per million input and per million output tokens (reasoning is output). */
const modelPriceSchema = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
});

/**
 * `MODEL_PRICES`: a JSON object from `model` or `provider:model` to its
 * price, e.g. `{"gpt-4o-mini":{"input":0.15,"output":0.6}}`. Unset or empty: `{}`.
 */
const modelPrices = z
  .string()
  .optional()
  .transform((value, context) => {
    if (!value || value.trim() === "") return {};
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      context.addIssue({
        code: "custom",
        message: `expected a JSON object such as {"gpt-4o-mini":{"input":0.15,"output":0.6}}, got text that is not JSON (${error instanceof Error ? error.message : String(error)})`,
      });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(z.string().min(1), modelPriceSchema, {
      error: (issue) =>
        issue.code === "invalid_key"
          ? "expected model names as keys, got an empty one"
          : issue.code === "invalid_type"
            ? `expected a JSON object of prices such as {"gpt-4o-mini":{"input":0.15,"output":0.6}}, got ${issue.input === null ? "null" : Array.isArray(issue.input) ? "an array" : typeof issue.input}`
            : undefined,
    }),
  );

export const configSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    /** Where task state and event logs live (the shared data volume). */
    TASK_STORAGE_DIR: z.string().min(1).default("./data/tasks"),
    /** `file` (default) or a `redis://` / `rediss://` URL. */
    TASK_STORE: z
      .string()
      .default("file")
      .refine((value) => value === "file" || /^rediss?:\/\//.test(value), {
        message: 'expected "file" or a redis:// URL',
      }),
    /** Prefix of every Redis key Fathom owns. */
    REDIS_KEY_PREFIX: z.string().min(1).default("fathom:"),
    /** A lease not renewed for this long is considered dead and taken over. */
    LEASE_TTL_MS: positiveInt.default(6000),
    /** How often the owner renews its lease (must be well below LEASE_TTL_MS). */
    LEASE_RENEW_MS: positiveInt.default(1500),
    /** How often each process looks for tasks with expired leases. */
    TAKEOVER_SCAN_MS: positiveInt.default(1000),
    /** Polling interval of log followers (network filesystems deliver no change events). */
    FOLLOW_POLL_MS: positiveInt.default(250),
    /** Interval of `: ping` comments on idle SSE connections (≤ 15 s). */
    SSE_HEARTBEAT_MS: positiveInt.max(15000).default(10000),
    /** `retry:` sent to EventSource clients once per connection. */
    SSE_RETRY_MS: positiveInt.default(2000),
    /**
     * MiB of finished runs kept encoded per process for replays (a reconnect
     * storm reads and encodes a finished task once, not once per client);
     * least recently served runs are evicted first, a run over a quarter of
     * it is never kept. 0 disables the cache.
     */
    SSE_REPLAY_CACHE_MB: nonNegativeInt.default(64),
    /** Tasks running at once in one process; the rest wait as `queued`. */
    MAX_CONCURRENT_TASKS: positiveInt.default(4),
    /** Finished tasks older than this are removed by the sweeper. */
    MAX_TASK_AGE_HOURS: z.coerce.number().positive().default(168),
    /** How many times a step that failed with a transient error is retried. */
    STEP_MAX_RETRIES: nonNegativeInt.default(3),
    /** Pause between streamed report chunks, in ms (0 = as fast as written). */
    OUTPUT_CHUNK_DELAY_MS: nonNegativeInt.default(0),
    /** When set, every /api route except health requires this bearer token. */
    FATHOM_API_TOKEN: optionalString,
    /** Comma-separated list of origins allowed by CORS (empty: same origin only). */
    CORS_ORIGINS: optionalString,
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
    /** `json` (default in production) or `pretty`. */
    LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
    /** The writer of a request that names none: `offline` or one of the model providers below. */
    DEFAULT_LLM_PROVIDER: z
      .enum(["offline", "openai", "anthropic", "google", "azure", "openai-compatible"])
      .default("offline"),
    DEFAULT_SEARCH_PROVIDER: z
      .enum(["local", "hybrid", "searxng", "tavily", "wikipedia", "arxiv"])
      .default("local"),
    /** `openai`: OpenAI's Chat Completions API (or any server that speaks it exactly). */
    OPENAI_BASE_URL: z.url().default("https://api.openai.com/v1"),
    OPENAI_API_KEY: optionalString,
    OPENAI_MODEL: modelName.default("gpt-4o-mini"),
    /** `anthropic`: Anthropic's Messages API. */
    ANTHROPIC_BASE_URL: z.url().default("https://api.anthropic.com/v1"),
    ANTHROPIC_API_KEY: optionalString,
    ANTHROPIC_MODEL: modelName.default("claude-sonnet-4-5"),
    /** `google`: the Gemini API (Google AI Studio). `GEMINI_API_KEY` is read too. */
    GOOGLE_BASE_URL: z.url().default("https://generativelanguage.googleapis.com/v1beta"),
    GOOGLE_GENERATIVE_AI_API_KEY: optionalString,
    GOOGLE_MODEL: modelName.default("gemini-2.5-flash"),
    /** `azure`: Azure OpenAI. `AZURE_RESOURCE_NAME` or `AZURE_BASE_URL` (…/openai), and the deployment as `AZURE_MODEL`. */
    AZURE_RESOURCE_NAME: optionalString,
    AZURE_BASE_URL: optionalString.pipe(z.url().optional()),
    AZURE_API_KEY: optionalString,
    AZURE_API_VERSION: optionalString,
    AZURE_MODEL: optionalString.pipe(modelName.optional()),
    /** `openai-compatible`: Ollama, vLLM, LM Studio, DeepSeek, OpenRouter, Groq, Together… */
    OPENAI_COMPATIBLE_BASE_URL: optionalString.pipe(z.url().optional()),
    OPENAI_COMPATIBLE_API_KEY: optionalString,
    OPENAI_COMPATIBLE_MODEL: optionalString.pipe(modelName.optional()),
    /** Tokens a model can read at once, for every model (default: known per model, else 8192). */
    LLM_CONTEXT_TOKENS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1024).optional()),
    /** Longest wait for one model call (a stream that stops for this long fails and is retried). */
    LLM_TIMEOUT_MS: positiveInt.default(120000),
    /** Retries of one model call that failed transiently (429 waits for `Retry-After`). */
    LLM_MAX_RETRIES: nonNegativeInt.default(4),
    /**
     * Prices of models in USD per million tokens, by `provider:model` (looked
     * up first) or `model`: tasks then show what they cost. Default: none.
     */
    MODEL_PRICES: modelPrices,
    SEARXNG_URL: optionalString.pipe(z.url().optional()),
    TAVILY_API_KEY: optionalString,
    TAVILY_BASE_URL: z.url().default("https://api.tavily.com"),
    /**
     * Wiki searched by the `wikipedia` provider (its API at `/w/api.php`, pages
     * at `/wiki/…`). Unset: `https://{language}.wikipedia.org` per request.
     */
    WIKIPEDIA_BASE_URL: optionalString.pipe(z.url().optional()),
    /** arXiv's API (`/api/query`) for the `arxiv` provider. */
    ARXIV_BASE_URL: z.url().default("https://export.arxiv.org"),
    /** Folder of .txt/.md/.html/.json documents: the read-only collection `corpus` (then the default). */
    CORPUS_DIR: optionalString,
    /** Largest file one upload may carry, in MiB. */
    MAX_UPLOAD_MB: positiveInt.max(1024).default(50),
    /** Documents one collection may hold. */
    MAX_COLLECTION_DOCUMENTS: positiveInt.default(10000),
    /** User collections a deployment may hold. */
    MAX_COLLECTIONS: positiveInt.default(200),
    /** Fewest seconds between two fires of a schedule (checked over its next fires when it is saved). */
    MIN_SCHEDULE_INTERVAL_S: positiveInt.default(60),
    /** How often each process looks for due schedule fires (and runs that ended), in ms. */
    SCHEDULE_TICK_MS: positiveInt.min(100).default(1000),
    /**
     * How long a process sees a fire claimed with no run started before it
     * takes the fire over (the claimer died), in ms; its claimer gives the fire
     * up after half of it. Keep it well above a run's submission time.
     */
    SCHEDULE_RECOVER_AFTER_MS: positiveInt.min(1000).default(60_000),
    /** Schedules a deployment may hold. */
    MAX_SCHEDULES: positiveInt.default(200),
    /** Notified (JSON POST) whenever a task's run ends, besides any URL a request or schedule names. */
    WEBHOOK_URL: optionalString.pipe(
      z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }).optional(),
    ),
    /**
     * The address clients reach this server at (`https://research.example.com`,
     * or with a path prefix): the links in webhook payloads are absolute under
     * it. Unset: they are paths (`/api/tasks/<id>`), as the server cannot know
     * the address behind a proxy.
     */
    PUBLIC_URL: optionalString.pipe(
      z
        .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" })
        .refine((value) => !/[?#]/.test(value), "expected a URL without a query or fragment")
        .transform((value) => value.replace(/\/+$/, ""))
        .optional(),
    ),
    /** Key of the HMAC-SHA256 signature of every webhook (`Fathom-Signature`). Unset: webhooks are not signed. */
    WEBHOOK_SECRET: optionalString,
    /** Pause before the first retry of a failed webhook, in seconds; later ones double. */
    WEBHOOK_RETRY_BASE_S: positiveInt.default(10),
    /** A webhook is retried until this many hours after its run ended, then given up. */
    WEBHOOK_MAX_AGE_HOURS: z.coerce
      .number()
      .positive()
      .max(24 * 30)
      .default(24),
    FETCH_ALLOW_PRIVATE: booleanString.default(false),
    FETCH_TIMEOUT_MS: positiveInt.default(10000),
    FETCH_MAX_BYTES: positiveInt.default(2_000_000),
    /** Caches that can be rebuilt (the search index). Default: `<TASK_STORAGE_DIR>/.cache`. */
    CACHE_DIR: optionalString,
    /** Trust `X-Forwarded-For` / `X-Forwarded-Host` / `X-Forwarded-Proto` (only behind a proxy that sets them). */
    TRUST_PROXY: booleanString.default(false),
    /** New tasks and new runs per client per minute (0: no limit). Joining a task is free. */
    RATE_LIMIT_TASKS_PER_MINUTE: nonNegativeInt.default(30),
    /** Queued tasks across the deployment before new tasks are refused (0: no limit). */
    MAX_QUEUED_TASKS: nonNegativeInt.default(1000),
    /** Open SSE connections per process (0: no limit). */
    MAX_SSE_CONNECTIONS: nonNegativeInt.default(5000),
    /** Open SSE connections per client per process (0: no limit). */
    MAX_SSE_CONNECTIONS_PER_CLIENT: nonNegativeInt.default(50),
    /** Runs of one task kept in its log; older runs are compacted away. */
    MAX_RUNS_KEPT: positiveInt.default(5),
    /** Storage budget in MiB (0: no budget). Over it, new tasks are refused with 507. */
    MAX_STORAGE_MB: nonNegativeInt.default(0),
    /** `fsync`: every event is on disk before any client sees it (group commit). Default `none`. */
    DURABILITY: z.enum(["none", "fsync"]).default("none"),
    /** Lifetime of a browser session cookie (sign-in with FATHOM_API_TOKEN), in hours. */
    SESSION_TTL_HOURS: z.coerce
      .number()
      .positive()
      .max(24 * 365)
      .default(168),
  })
  .superRefine((config, context) => {
    if (config.LEASE_RENEW_MS * 2 > config.LEASE_TTL_MS) {
      context.addIssue({
        code: "custom",
        path: ["LEASE_RENEW_MS"],
        message: `must be at most half of LEASE_TTL_MS (${config.LEASE_TTL_MS}), got ${config.LEASE_RENEW_MS}`,
      });
    }
  });

export type Config = z.output<typeof configSchema> & {
  /** TASK_STORAGE_DIR resolved to an absolute path. */
  storageDir: string;
  /** CACHE_DIR resolved, or `<storageDir>/.cache`: the only other place Fathom writes. */
  cacheDir: string;
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses an environment; throws a ConfigError naming every bad variable. */
export function parseConfig(environment: Record<string, string | undefined>): Config {
  const parsed = configSchema.safeParse(withAliases(environment));
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const storageDir = path.resolve(parsed.data.TASK_STORAGE_DIR);
  const cacheDir = parsed.data.CACHE_DIR
    ? path.resolve(parsed.data.CACHE_DIR)
    : path.join(storageDir, ".cache");
  return { ...parsed.data, storageDir, cacheDir };
}

/**
 * Other names people set for the same thing: the Gemini key under Google's
 * own name, and the OpenAI-only names of the model call limits.
 */
const ALIASES: Record<string, string> = {
  GEMINI_API_KEY: "GOOGLE_GENERATIVE_AI_API_KEY",
  OPENAI_TIMEOUT_MS: "LLM_TIMEOUT_MS",
  OPENAI_MAX_RETRIES: "LLM_MAX_RETRIES",
};

function withAliases(environment: Record<string, string | undefined>): Record<string, string | undefined> {
  const result = { ...environment };
  for (const [alias, name] of Object.entries(ALIASES)) {
    if ((result[name] ?? "") === "" && (result[alias] ?? "") !== "") result[name] = result[alias];
  }
  return result;
}

let cached: Config | undefined;

/** The process's configuration, parsed on first use. */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
