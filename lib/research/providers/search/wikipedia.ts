import { z } from "zod";
import { stripHtml } from "../../text/strip-html";
import {
  type ClientRuntime,
  classifyNetworkError,
  errorFromResponse,
  ProviderError,
  readJsonBody,
  timeoutSignal,
  withRetries,
} from "../provider-http";
import type { SearchProvider, SearchResult } from "./search-provider";

/** Options of the Wikipedia provider. */
export interface WikipediaSearchOptions {
  /**
   * Base URL of the wiki (`WIKIPEDIA_BASE_URL`), whose API is `{baseUrl}/w/api.php`
   * and pages `{baseUrl}/wiki/{title}`. Default: `https://{language}.wikipedia.org`
   * for the request's language.
   */
  baseUrl?: string;
  runtime: ClientRuntime;
  /** Fetch each result's plain-text introduction so pages need not be read. Default true. */
  extracts?: boolean;
  /** Per-request timeout in ms. Default 15 000. */
  timeoutMs?: number;
  /** Retries of transient failures. Default 2. */
  maxRetries?: number;
  /** Sent as `User-Agent` (Wikimedia's policy asks API clients to name themselves). */
  userAgent?: string;
}

const DEFAULT_USER_AGENT = "Fathom/1.0 (deep-research service)";

/**
 * A MediaWiki Action API answer. A failed action still answers HTTP 200, with
 * `error: { code, info }` instead of `query`.
 */
const apiErrorSchema = z.object({ code: z.string(), info: z.string().optional().default("") });

const searchResponseSchema = z.object({
  error: apiErrorSchema.optional(),
  query: z
    .object({
      search: z.array(
        z.object({
          title: z.string(),
          pageid: z.number().int(),
          snippet: z.string().optional().default(""),
        }),
      ),
    })
    .optional(),
});

const extractsResponseSchema = z.object({
  error: apiErrorSchema.optional(),
  query: z
    .object({
      pages: z.array(
        z.object({
          pageid: z.number().int().optional(),
          extract: z.string().optional(),
        }),
      ),
    })
    .optional(),
});

/** API error codes that mean "later" rather than "never". */
const TRANSIENT_API_ERRORS = new Set([
  "maxlag",
  "ratelimited",
  "readonly",
  "internal_api_error_DBQueryError",
]);

/**
 * Keyless encyclopedic search through the MediaWiki Action API:
 * `list=search` for titles and highlighted snippets, then (one more request)
 * `prop=extracts` for each page's plain-text introduction. The introduction
 * is used rather than the whole article because TextExtracts returns whole
 * articles one page per request; an introduction too short to read makes the
 * page reader fetch the page itself (through the address guard).
 */
export function createWikipediaSearch(options: WikipediaSearchOptions): SearchProvider {
  const { runtime } = options;
  const retry = (signal?: AbortSignal) => ({ maxRetries: options.maxRetries ?? 2, runtime, signal });
  const get = async <T extends { error?: z.infer<typeof apiErrorSchema> }>(
    url: URL,
    schema: z.ZodType<T>,
    signal?: AbortSignal,
  ): Promise<T> => {
    const timeout = timeoutSignal(options.timeoutMs ?? 15_000, signal);
    try {
      const response = await runtime.fetch(url, {
        headers: { accept: "application/json", "user-agent": options.userAgent ?? DEFAULT_USER_AGENT },
        signal: timeout.signal,
      });
      if (!response.ok) throw await errorFromResponse("Wikipedia", response, runtime.now());
      const data = await readJsonBody("Wikipedia", response, schema);
      if (data.error) {
        throw new ProviderError(`Wikipedia answered ${data.error.code}: ${data.error.info}`, {
          retryable: TRANSIENT_API_ERRORS.has(data.error.code),
        });
      }
      return data;
    } catch (error) {
      throw classifyNetworkError("Wikipedia", error, timeout, signal);
    } finally {
      timeout.clear();
    }
  };

  return {
    name: "wikipedia",
    async search(query, { maxResults, language, signal }) {
      const base = wikiBaseUrl(options.baseUrl, language);
      const searchUrl = apiUrl(base, {
        action: "query",
        list: "search",
        srsearch: query,
        srlimit: String(maxResults),
        srprop: "snippet|titlesnippet",
        format: "json",
        formatversion: "2",
      });
      const found = await withRetries(() => get(searchUrl, searchResponseSchema, signal), retry(signal));
      if (!found.query)
        throw new ProviderError("Wikipedia answered without a query result", { retryable: false });
      const hits = found.query.search.slice(0, maxResults);
      let extracts = new Map<number, string>();
      if ((options.extracts ?? true) && hits.length > 0) {
        const extractsUrl = apiUrl(base, {
          action: "query",
          prop: "extracts",
          exintro: "1",
          explaintext: "1",
          exlimit: "max",
          pageids: hits.map((hit) => hit.pageid).join("|"),
          format: "json",
          formatversion: "2",
        });
        const pages = await withRetries(
          () => get(extractsUrl, extractsResponseSchema, signal),
          retry(signal),
        );
        extracts = new Map(
          (pages.query?.pages ?? []).flatMap((page) =>
            page.pageid !== undefined && page.extract?.trim() ? [[page.pageid, page.extract.trim()]] : [],
          ),
        );
      }
      return hits.map((hit): SearchResult => {
        const content = extracts.get(hit.pageid);
        return {
          title: hit.title,
          url: pageUrl(base, hit.title),
          snippet: stripHtml(hit.snippet),
          ...(content ? { content } : {}),
        };
      });
    },
  };
}

/**
 * The wiki a request searches: the configured base URL, else the Wikipedia
 * of the language tag's primary subtag (`pt-br` → pt.wikipedia.org). The
 * request schema allows only letters there, so the host name is safe to build.
 */
export function wikiBaseUrl(configured: string | undefined, language: string): string {
  if (configured) return configured.replace(/\/+$/, "");
  const primary = language.split("-")[0]?.toLowerCase() ?? "";
  const subdomain = /^[a-z]{2,3}$/.test(primary) ? (primary === "nb" ? "no" : primary) : "en";
  return `https://${subdomain}.wikipedia.org`;
}

/** A page's URL as the wiki links it: spaces as underscores, `/` and `:` kept. */
export function pageUrl(base: string, title: string): string {
  const path = encodeURIComponent(title.replace(/ /g, "_"))
    .replace(/%2F/gi, "/")
    .replace(/%3A/gi, ":")
    .replace(/%2C/gi, ",");
  return `${base}/wiki/${path}`;
}

function apiUrl(base: string, parameters: Record<string, string>): URL {
  const url = new URL(`${base}/w/api.php`);
  for (const [key, value] of Object.entries(parameters)) url.searchParams.set(key, value);
  return url;
}
