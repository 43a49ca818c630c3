import { z } from "zod";
import { collectionNameSchema, documentIdSchema } from "./collection";
import { webhookTargetSchema } from "./webhook-target";

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
/** Web search services: alone, or beside a collection in `hybrid`. */
export const webSearchProviders = ["searxng", "tavily", "wikipedia", "arxiv"] as const;
/** `local` searches a collection; `hybrid` a collection and a web service together. */
export const searchProviders = ["local", "hybrid", ...webSearchProviders] as const;
export type WebSearchProviderName = (typeof webSearchProviders)[number];
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
    )
    .describe(
      `The research question: not empty, at most ${REQUEST_LIMITS.queryMaxLength} characters once its spaces are collapsed.`,
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
      /** The collection `local` and `hybrid` search (default: the server's, `sotu`). */
      collection: collectionNameSchema.optional(),
      /** The web service `hybrid` mixes in (default `wikipedia`). */
      web: z.enum(webSearchProviders).optional(),
    })
    .superRefine((search, context) => {
      if (search.collection !== undefined && search.provider !== "local" && search.provider !== "hybrid") {
        context.addIssue({
          code: "custom",
          path: ["collection"],
          message: `collection needs search provider local or hybrid, not ${search.provider}`,
        });
      }
      if (search.web !== undefined && search.provider !== "hybrid") {
        context.addIssue({ code: "custom", path: ["web"], message: "web needs search provider hybrid" });
      }
    })
    .optional(),
  /** Start a new run even if an identical task exists. Not part of the fingerprint. */
  fresh: z.boolean().optional(),
  /** Queue priority (higher runs first). Not part of the fingerprint. */
  priority: int(REQUEST_LIMITS.priority).optional(),
  /**
   * Notified (a signed JSON POST) when the run this request joins or starts
   * ends. Not part of the fingerprint, never stored in the task nor shown to
   * other clients: it is kept as a subscription of the run in the schedule
   * store (docs/ARCHITECTURE.md, "Schedules and webhooks").
   */
  webhook: webhookTargetSchema.optional(),
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
  search: {
    provider: SearchProviderName;
    maxResults: number;
    /** Absent: the server's default collection (`local` and `hybrid` only). */
    collection?: string;
    /**
     * The content hash of a user collection's index when the task was asked
     * for: a changed collection makes a new task.
     */
    collectionHash?: string;
    /** `hybrid` only. */
    web?: WebSearchProviderName;
  };
  /**
   * A follow-up's parent: the id of the completed task whose learnings and
   * sources its research starts from. Part of the fingerprint, so the same
   * question asked after another report is another task.
   */
  parent?: string;
}

export const normalizedRequestSchema = z.strictObject({
  query: z.string().min(1).max(REQUEST_LIMITS.queryMaxLength),
  depth: int(REQUEST_LIMITS.depth),
  breadth: int(REQUEST_LIMITS.breadth),
  language: z.string(),
  llm: z.strictObject({ provider: z.enum(llmProviders), model: z.string().optional() }),
  search: z.strictObject({
    provider: z.enum(searchProviders),
    maxResults: int(REQUEST_LIMITS.maxResults),
    collection: collectionNameSchema.optional(),
    collectionHash: z.string().optional(),
    web: z.enum(webSearchProviders).optional(),
  }),
  parent: z.string().min(1).optional(),
});

/**
 * The body of `POST /api/tasks/:id/follow-up`: the next question, and
 * optionally its own depth and breadth (default: the parent's). Everything
 * else (language, model, search, collection) is the parent's.
 */
export const followUpBodySchema = researchRequestSchema.pick({ query: true, depth: true, breadth: true });
export type FollowUpBody = z.output<typeof followUpBodySchema>;

/**
 * The request body of a follow-up of `parent` (a research request): the
 * parent's providers and language with the new question. The parent's id is
 * added after normalization (`NormalizedRequest.parent`).
 */
export function followUpRequestBody(parent: NormalizedRequest, body: FollowUpBody): ResearchRequestBody {
  const { provider, maxResults, collection, web } = parent.search;
  return {
    query: body.query,
    depth: body.depth ?? parent.depth,
    breadth: body.breadth ?? parent.breadth,
    language: parent.language,
    llm: parent.llm,
    search: {
      provider,
      maxResults,
      ...(collection !== undefined ? { collection } : {}),
      ...(web !== undefined ? { web } : {}),
    },
  };
}

/**
 * A task that indexes one document of a collection (extracts its text and
 * makes it searchable): a task like research ones, so its progress streams,
 * it survives restarts and runs once across processes.
 */
export const indexRequestSchema = z.strictObject({
  kind: z.literal("index"),
  collection: collectionNameSchema,
  document: documentIdSchema,
});
export type IndexRequest = z.infer<typeof indexRequestSchema>;

/** What a task does: research (no `kind`, as every task before indexing existed) or indexing. */
export const taskRequestSchema = z.union([normalizedRequestSchema, indexRequestSchema]);
export type TaskRequest = NormalizedRequest | IndexRequest;

export function isIndexRequest(request: TaskRequest): request is IndexRequest {
  return "kind" in request && request.kind === "index";
}

/** What a task is about, in a line: the question, or which document it indexes. */
export function taskTitle(request: TaskRequest): string {
  return isIndexRequest(request)
    ? `Indexing document ${request.document.slice(0, 8)} of ${request.collection}`
    : request.query;
}

/** Server-side defaults that take part in normalization. */
export interface RequestDefaults {
  llmProvider: LlmProviderName;
  searchProvider: SearchProviderName;
  /** The model of each configured model provider, for requests that name none. */
  models: Partial<Record<ModelProviderName, string>>;
  /** The collection `local` and `hybrid` search when a request names none. */
  collection: string;
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
    search: normalizeSearch(body.search, defaults),
  };
}

function normalizeSearch(
  search: ResearchRequestBody["search"],
  defaults: RequestDefaults,
): NormalizedRequest["search"] {
  const provider = search?.provider ?? defaults.searchProvider;
  const normalized: NormalizedRequest["search"] = {
    provider,
    maxResults: search?.maxResults ?? REQUEST_LIMITS.maxResults.default,
  };
  if (provider === "local" || provider === "hybrid") {
    // The default collection is left out, so such requests keep the ids they always had.
    const collection = search?.collection ?? defaults.collection;
    if (collection !== defaults.collection) normalized.collection = collection;
  }
  if (provider === "hybrid") normalized.web = search?.web ?? "wikipedia";
  return normalized;
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
    collection: z.string().optional(),
    web: z.string().optional(),
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
    for (const name of ["collection", "web"] as const) {
      if (params[name] !== undefined && params.search === undefined) {
        context.addIssue({
          code: "custom",
          path: [name],
          message: `${name} needs search (e.g. search=${name === "web" ? "hybrid" : "local"}&${name}=…)`,
        });
      }
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
    if (params.search !== undefined) {
      const search: Record<string, unknown> = { provider: params.search };
      if (params.maxResults !== undefined) search.maxResults = params.maxResults;
      if (params.collection !== undefined) search.collection = params.collection;
      if (params.web !== undefined) search.web = params.web;
      body.search = search;
    }
    if (params.fresh !== undefined) body.fresh = params.fresh === "true" || params.fresh === "1";
    if (params.priority !== undefined) body.priority = params.priority;
    return body;
  });
