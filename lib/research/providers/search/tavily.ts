import { z } from "zod";
import {
  type ClientRuntime,
  classifyNetworkError,
  errorFromResponse,
  readJsonBody,
  timeoutSignal,
  withRetries,
} from "../provider-http";
import type { SearchProvider, SearchResult } from "./search-provider";

/** Options of the Tavily provider. */
export interface TavilySearchOptions {
  /** `TAVILY_API_KEY`, sent as a bearer token. */
  apiKey: string;
  /** `TAVILY_BASE_URL`, e.g. https://api.tavily.com. */
  baseUrl: string;
  runtime: ClientRuntime;
  /** Per-request timeout in ms. Default 30 000. */
  timeoutMs?: number;
  /** Retries of transient failures. Default 2. */
  maxRetries?: number;
}

const tavilyResponseSchema = z.object({
  results: z.array(
    z.object({
      title: z.string().nullish(),
      url: z.string(),
      content: z.string().nullish(),
      score: z.number().nullish(),
      raw_content: z.string().nullish(),
    }),
  ),
});

/**
 * Web search through Tavily's REST API (`POST /search`). Pages' text comes
 * back with the results (`include_raw_content`), which saves fetching them.
 */
export function createTavilySearch(options: TavilySearchOptions): SearchProvider {
  const { runtime } = options;
  return {
    name: "tavily",
    search(query, { maxResults, signal }) {
      return withRetries(
        async () => {
          const timeout = timeoutSignal(options.timeoutMs ?? 30_000, signal);
          try {
            const response = await runtime.fetch(`${options.baseUrl.replace(/\/+$/, "")}/search`, {
              method: "POST",
              headers: {
                authorization: `Bearer ${options.apiKey}`,
                "content-type": "application/json",
                accept: "application/json",
              },
              body: JSON.stringify({
                query,
                max_results: maxResults,
                search_depth: "basic",
                include_raw_content: true,
                include_answer: false,
              }),
              signal: timeout.signal,
            });
            if (!response.ok) throw await errorFromResponse("Tavily", response, runtime.now());
            const data = await readJsonBody("Tavily", response, tavilyResponseSchema);
            return data.results.slice(0, maxResults).map(
              (result): SearchResult => ({
                title: result.title?.trim() || result.url,
                url: result.url,
                snippet: result.content?.trim() ?? "",
                ...(result.raw_content?.trim() ? { content: result.raw_content.trim() } : {}),
              }),
            );
          } catch (error) {
            throw classifyNetworkError("Tavily", error, timeout, signal);
          } finally {
            timeout.clear();
          }
        },
        { maxRetries: options.maxRetries ?? 2, runtime, signal },
      );
    },
  };
}
