import { z } from "zod";

/** Limits of a research request (also shown by the UI). */
export const REQUEST_LIMITS = {
  queryMaxLength: 4000,
  depth: { min: 1, max: 5, default: 2 },
  breadth: { min: 1, max: 8, default: 3 },
  maxResults: { min: 1, max: 20, default: 5 },
  priority: { min: -10, max: 10, default: 0 },
} as const;

/** Model providers, reached through the Vercel AI SDK; `offline` is the extractive writer. */
export const modelProviders = ["openai", "anthropic", "google", "azure", "openai-compatible"] as const;
export const llmProviders = ["offline", ...modelProviders] as const;
export const searchProviders = ["local", "searxng", "tavily", "wikipedia", "arxiv"] as const;
export type LlmProviderName = (typeof llmProviders)[number];
export type ModelProviderName = (typeof modelProviders)[number];
export type SearchProviderName = (typeof searchProviders)[number];

/**
 * A model name: printable ASCII without spaces, at most 200 characters. It is
 * sent back in the `X-Model-Name` header, so anything a header cannot carry
 * (non-Latin-1 text, control characters, line breaks) is refused up front,
 * before a task exists.
 */
export const modelNameSchema = z
  .string()
  .trim()
  .min(1, "model must not be empty")
  .max(200, "model must be at most 200 characters")
  .regex(
    /^[\x21-\x7e]+$/,
    "model must be printable ASCII without spaces (letters, digits and . _ - : / @ + and similar)",
  );

const int = (limits: { min: number; max: number }) => z.number().int().min(limits.min).max(limits.max);

/** The body of `POST /api/research`. Unknown keys are rejected. */
export const researchRequestSchema = z.strictObject({
  query: z
    .string()
    .transform((value) => value.trim().replace(/\s+/g, " "))
    .pipe(
      z
        .string()
        .min(1, "query must not be empty")
        .max(
          REQUEST_LIMITS.queryMaxLength,
          `query must be at most ${REQUEST_LIMITS.queryMaxLength} characters`,
        ),
    ),
  depth: int(REQUEST_LIMITS.depth).optional(),
  breadth: int(REQUEST_LIMITS.breadth).optional(),
  language: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "language must be a language tag such as en or pt-BR")
    .optional(),
  llm: z
    .strictObject({
      provider: z.enum(llmProviders),
      model: modelNameSchema.optional(),
    })
    .optional(),
  search: z
    .strictObject({
      provider: z.enum(searchProviders),
      maxResults: int(REQUEST_LIMITS.maxResults).optional(),
    })
    .optional(),
  /** Start a new run even if an identical task exists. Not part of the fingerprint. */
  fresh: z.boolean().optional(),
  /** Queue priority (higher runs first). Not part of the fingerprint. */
  priority: int(REQUEST_LIMITS.priority).optional(),
});

export type ResearchRequestInput = z.input<typeof researchRequestSchema>;
export type ResearchRequestBody = z.output<typeof researchRequestSchema>;

/** A request with every default applied: exactly what is fingerprinted and stored. */
export interface NormalizedRequest {
  query: string;
  depth: number;
  breadth: number;
  language: string;
  llm: { provider: LlmProviderName; model?: string };
  search: { provider: SearchProviderName; maxResults: number };
}

export const normalizedRequestSchema = z.strictObject({
  query: z.string().min(1).max(REQUEST_LIMITS.queryMaxLength),
  depth: int(REQUEST_LIMITS.depth),
  breadth: int(REQUEST_LIMITS.breadth),
  language: z.string(),
  llm: z.strictObject({ provider: z.enum(llmProviders), model: z.string().optional() }),
  search: z.strictObject({ provider: z.enum(searchProviders), maxResults: int(REQUEST_LIMITS.maxResults) }),
});

/** Server-side defaults that take part in normalization. */
export interface RequestDefaults {
  llmProvider: LlmProviderName;
  searchProvider: SearchProviderName;
  /** The model of each configured model provider, for requests that name none. */
  models: Partial<Record<ModelProviderName, string>>;
}

export function normalizeRequest(body: ResearchRequestBody, defaults: RequestDefaults): NormalizedRequest {
  const llmProvider = body.llm?.provider ?? defaults.llmProvider;
  const model = llmProvider === "offline" ? undefined : (body.llm?.model ?? defaults.models[llmProvider]);
  const llm: NormalizedRequest["llm"] =
    model === undefined ? { provider: llmProvider } : { provider: llmProvider, model };
  return {
    query: body.query,
    depth: body.depth ?? REQUEST_LIMITS.depth.default,
    breadth: body.breadth ?? REQUEST_LIMITS.breadth.default,
    language: (body.language ?? "en").toLowerCase(),
    llm,
    search: {
      provider: body.search?.provider ?? defaults.searchProvider,
      maxResults: body.search?.maxResults ?? REQUEST_LIMITS.maxResults.default,
    },
  };
}

const numberParam = z
  .string()
  .regex(/^-?\d+$/, "must be an integer")
  .transform(Number);

/**
 * The query string of `GET /api/research` (what an EventSource can send),
 * turned into the same body shape as the POST.
 */
export const researchQueryParamsSchema = z
  .strictObject({
    query: z.string(),
    depth: numberParam.optional(),
    breadth: numberParam.optional(),
    language: z.string().optional(),
    llm: z.enum(llmProviders).optional(),
    model: z.string().optional(),
    search: z.enum(searchProviders).optional(),
    maxResults: numberParam.optional(),
    fresh: z.enum(["true", "false", "1", "0"]).optional(),
    priority: numberParam.optional(),
    // Read by the SSE layer and the access check, not part of the request.
    lastEventId: z.string().optional(),
    token: z.string().optional(),
  })
  .superRefine((params, context) => {
    if (params.model !== undefined && params.llm === undefined) {
      context.addIssue({
        code: "custom",
        path: ["model"],
        message: "model needs llm (e.g. llm=openai&model=…)",
      });
    }
    if (params.maxResults !== undefined && params.search === undefined) {
      context.addIssue({
        code: "custom",
        path: ["maxResults"],
        message: "maxResults needs search (e.g. search=local&maxResults=…)",
      });
    }
  })
  .transform((params) => {
    const body: Record<string, unknown> = { query: params.query };
    if (params.depth !== undefined) body.depth = params.depth;
    if (params.breadth !== undefined) body.breadth = params.breadth;
    if (params.language !== undefined) body.language = params.language;
    if (params.llm !== undefined)
      body.llm = params.model ? { provider: params.llm, model: params.model } : { provider: params.llm };
    if (params.search !== undefined)
      body.search =
        params.maxResults !== undefined
          ? { provider: params.search, maxResults: params.maxResults }
          : { provider: params.search };
    if (params.fresh !== undefined) body.fresh = params.fresh === "true" || params.fresh === "1";
    if (params.priority !== undefined) body.priority = params.priority;
    return body;
  });
