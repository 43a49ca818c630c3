import type { SearchProviderName } from "../../../model/request";

/** One result of a search, as recorded in a `search:*` step. */
export interface SearchResult {
  title: string;
  /** A web URL (web search providers). */
  url?: string;
  /** A local document reference (the `local` provider). */
  documentRef?: string;
  /** The page of the document the passages are on (a collection's documents). */
  page?: number;
  /** The engine's short excerpt; the fallback text when a page cannot be read. */
  snippet: string;
  /** Passages already read, best first (local corpus): no page fetch needed. */
  passages?: string[];
  /** The page's full text when the provider supplies it (Tavily `raw_content`). */
  content?: string;
}

/** Options of one search. */
export interface SearchOptions {
  /** Results wanted (documents, not passages). */
  maxResults: number;
  /** Language tag of the request, e.g. `en`. */
  language: string;
  signal?: AbortSignal;
}

/**
 * A search backend. Implementations return at most `maxResults` results,
 * best first, deterministic for the `local` provider; they throw a
 * ProviderError (retryable for transient failures) and never return partial
 * garbage from an unparseable answer.
 */
export interface SearchProvider {
  readonly name: SearchProviderName;
  search(query: string, options: SearchOptions): Promise<SearchResult[]>;
  /**
   * Inverse document frequency of normalized words over the whole collection,
   * when the provider knows it (the local corpus). The offline writer uses it
   * to tell a topic's words from words every document uses.
   */
  inverseDocumentFrequency?(terms: readonly string[]): Promise<Map<string, number>>;
}
