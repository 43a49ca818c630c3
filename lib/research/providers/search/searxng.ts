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

/** Options of the SearXNG provider. */
export interface SearxngSearchOptions {
  /** Base URL of the instance (`SEARXNG_URL`); its JSON format must be enabled. */
  baseUrl: string;
  runtime: ClientRuntime;
  /** Per-request timeout in ms. Default 15 000. */
  timeoutMs?: number;
  /** Retries of transient failures. Default 2. */
  maxRetries?: number;
}

const searxngResponseSchema = z.object({
  results: z.array(
    z.object({
      url: z.string(),
      title: z.string().optional().default(""),
      content: z.string().nullish(),
    }),
  ),
});

/** Web search through a SearXNG instance's JSON API (`GET /search?q=…&format=json`). */
export function createSearxngSearch(options: SearxngSearchOptions): SearchProvider {
  const { runtime } = options;
  return {
    name: "searxng",
    search(query, { maxResults, language, signal }) {
      return withRetries(
        async () => {
          const url = new URL(
            "search",
            options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`,
          );
          url.searchParams.set("q", query);
          url.searchParams.set("format", "json");
          if (language) url.searchParams.set("language", language);
          const timeout = timeoutSignal(options.timeoutMs ?? 15_000, signal);
          try {
            const response = await runtime.fetch(url, {
              headers: { accept: "application/json" },
              signal: timeout.signal,
            });
            if (!response.ok) throw await errorFromResponse("SearXNG", response, runtime.now());
            const data = await readJsonBody("SearXNG", response, searxngResponseSchema);
            return toResults(data.results, maxResults);
          } catch (error) {
            throw classifyNetworkError("SearXNG", error, timeout, signal);
          } finally {
            timeout.clear();
          }
        },
        { maxRetries: options.maxRetries ?? 2, runtime, signal },
      );
    },
  };
}

function toResults(
  results: z.infer<typeof searxngResponseSchema>["results"],
  maxResults: number,
): SearchResult[] {
  const seen = new Set<string>();
  const output: SearchResult[] = [];
  for (const result of results) {
    if (!/^https?:\/\//i.test(result.url) || seen.has(result.url)) continue;
    seen.add(result.url);
    output.push({
      title: result.title.trim() || result.url,
      url: result.url,
      snippet: result.content?.trim() ?? "",
    });
    if (output.length >= maxResults) break;
  }
  return output;
}
