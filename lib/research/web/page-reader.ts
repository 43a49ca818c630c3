import type { SearchResult } from "../providers/search/search-provider";
import type { ReadDocument } from "../research-records";
import { chunkText } from "../text/chunk";
import { rankPassages } from "../text/rank-passages";
import { extractMainText } from "./extract-main-text";
import { FetchRefusedError } from "./fetch-refused-error";
import type { FetchedPage } from "./safe-fetch";

/** Reads search results into documents with passages. */
export interface PageReader {
  /**
   * The passages of a result relevant to `query`: the ones the search
   * provider already returned, else those of the page's main text, else the
   * result's snippet. Undefined when there is nothing to read at all.
   * Never throws for an unreadable page.
   */
  read(result: SearchResult, query: string, signal?: AbortSignal): Promise<ReadDocument | undefined>;
}

/** Options of `createPageReader`. */
export interface PageReaderOptions {
  /** Fetches a page (normally `safeFetch` with the configured limits). */
  fetchPage: (url: string, signal?: AbortSignal) => Promise<FetchedPage>;
  /** Passages kept per page. Default 4. */
  passagesPerPage?: number;
  /** Receives the reason a page could not be fetched (it falls back to its snippet). Default: nothing. */
  onFallback?: (url: string, reason: string) => void;
  /** Receives a URL the address guard refused (a subset of fallbacks). Default: nothing. */
  onRefused?: (url: string, reason: string) => void;
}

const MIN_PAGE_TEXT = 200;

/** Creates the reader used by the engine's `read` steps. */
export function createPageReader(options: PageReaderOptions): PageReader {
  const perPage = options.passagesPerPage ?? 4;
  return {
    async read(result, query, signal) {
      const identity = {
        title: result.title,
        ...(result.url ? { url: result.url } : {}),
        ...(result.documentRef ? { documentRef: result.documentRef } : {}),
        ...(result.page ? { page: result.page } : {}),
      };
      if (result.passages && result.passages.length > 0) return { ...identity, passages: result.passages };
      let text = result.content ?? "";
      let title = result.title;
      let unreadable: string | undefined;
      if (text.length < MIN_PAGE_TEXT && result.url) {
        try {
          const page = await options.fetchPage(result.url, signal);
          const extracted =
            /html|xml/i.test(page.contentType) || /^\s*</.test(page.body)
              ? extractMainText(page.body, page.url)
              : { title: "", text: page.body };
          text = extracted.text;
          if (!result.title.trim() && extracted.title) title = extracted.title;
        } catch (error) {
          signal?.throwIfAborted();
          unreadable = error instanceof Error ? error.message : String(error);
          if (error instanceof FetchRefusedError) options.onRefused?.(result.url, unreadable);
          options.onFallback?.(result.url, unreadable);
          text = "";
        }
      }
      if (text.length >= MIN_PAGE_TEXT) {
        return { ...identity, title, passages: rankPassages(chunkText(text), query, perPage) };
      }
      const snippet = result.snippet.trim();
      if (snippet === "") return undefined;
      return {
        ...identity,
        title,
        passages: [snippet],
        fromSnippet: true,
        ...(unreadable ? { unreadable } : {}),
      };
    },
  };
}
