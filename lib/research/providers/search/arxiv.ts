import { DOMParser } from "linkedom";
import { z } from "zod";
import { INDEX_STOPWORDS } from "../../text/stopwords";
import {
  type ClientRuntime,
  classifyNetworkError,
  errorFromResponse,
  ProviderError,
  timeoutSignal,
  withRetries,
} from "../provider-http";
import type { SearchProvider, SearchResult } from "./search-provider";

/** Options of the arXiv provider. */
export interface ArxivSearchOptions {
  /** `ARXIV_BASE_URL`, e.g. https://export.arxiv.org; the API is `{baseUrl}/api/query`. */
  baseUrl: string;
  runtime: ClientRuntime;
  /** Per-request timeout in ms. Default 20 000. */
  timeoutMs?: number;
  /** Retries of transient failures. Default 2. */
  maxRetries?: number;
}

/** What one Atom `<entry>` must carry to be a result. */
const entrySchema = z.object({
  id: z.string().min(1, "an entry has no <id>"),
  title: z.string(),
  summary: z.string(),
  published: z.string().optional(),
  authors: z.array(z.string()),
  /** The abstract page (`<link rel="alternate">`); falls back to the `<id>`. */
  abstractUrl: z.string().optional(),
});
type ArxivEntry = z.infer<typeof entrySchema>;

/** The most query terms sent; long research questions are cut, not refused. */
const MAX_TERMS = 12;

/**
 * Keyless search of arXiv preprints through its Atom API
 * (`GET /api/query?search_query=…`). Each result's content is the paper's
 * title, authors, date and abstract, so the page reader needs no fetch.
 */
export function createArxivSearch(options: ArxivSearchOptions): SearchProvider {
  const { runtime } = options;
  return {
    name: "arxiv",
    search(query, { maxResults, signal }) {
      const searchQuery = arxivSearchQuery(query);
      if (searchQuery === "") return Promise.resolve([]);
      return withRetries(
        async () => {
          const url = new URL(`${options.baseUrl.replace(/\/+$/, "")}/api/query`);
          url.searchParams.set("search_query", searchQuery);
          url.searchParams.set("start", "0");
          url.searchParams.set("max_results", String(maxResults));
          url.searchParams.set("sortBy", "relevance");
          const timeout = timeoutSignal(options.timeoutMs ?? 20_000, signal);
          try {
            const response = await runtime.fetch(url, {
              headers: { accept: "application/atom+xml" },
              signal: timeout.signal,
            });
            if (response.status === 400) {
              // A query arXiv cannot parse: the body is a feed whose one entry says why.
              const body = await response.text();
              parseAtomFeed(body);
              throw new ProviderError(`arXiv answered HTTP 400: ${body.slice(0, 200)}`, {
                retryable: false,
                status: 400,
              });
            }
            if (!response.ok) throw await errorFromResponse("arXiv", response, runtime.now());
            const entries = parseAtomFeed(await response.text());
            return entries.slice(0, maxResults).map(toResult);
          } catch (error) {
            throw classifyNetworkError("arXiv", error, timeout, signal);
          } finally {
            timeout.clear();
          }
        },
        { maxRetries: options.maxRetries ?? 2, runtime, signal },
      );
    },
  };
}

/**
 * The `search_query` for a free-text question: its content words, each
 * searched in all fields (`all:`), joined by OR so that a long question still
 * finds papers (arXiv ranks those matching more words first). Words are
 * reduced to letters and digits: quotes, parentheses, colons and the
 * upper-case operators are arXiv's query syntax, not search terms.
 */
export function arxivSearchQuery(query: string): string {
  const words = query
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== "" && !/^(AND|OR|ANDNOT)$/.test(word));
  const content = words.filter((word) => !INDEX_STOPWORDS.has(word.toLowerCase()));
  const terms = [...new Set((content.length > 0 ? content : words).map((word) => word.toLowerCase()))];
  return terms
    .slice(0, MAX_TERMS)
    .map((term) => `all:${term}`)
    .join(" OR ");
}

/**
 * The entries of an arXiv Atom feed. Anything that is not an Atom feed, and
 * the error entry arXiv answers a bad query with (HTTP 400 or 200, an entry
 * whose id is `…/api/errors#…`), is a permanent ProviderError.
 */
export function parseAtomFeed(xml: string): ArxivEntry[] {
  const document = new DOMParser().parseFromString(xml, "text/xml");
  const root: XmlElement | null = document.documentElement;
  if (root?.localName !== "feed") {
    throw new ProviderError(
      `arXiv returned an answer that is not an Atom feed: ${xml.replace(/\s+/g, " ").trim().slice(0, 200)}`,
      { retryable: false },
    );
  }
  const entries: ArxivEntry[] = [];
  for (const element of children(root, "entry")) {
    const links = children(element, "link");
    const candidate = {
      id: text(element, "id") ?? "",
      title: text(element, "title") ?? "",
      summary: text(element, "summary") ?? "",
      published: text(element, "published"),
      authors: children(element, "author").flatMap((author) => {
        const name = text(author, "name");
        return name ? [name] : [];
      }),
      abstractUrl: links
        .find((link) => link.getAttribute("rel") === "alternate")
        ?.getAttribute("href")
        ?.trim(),
    };
    if (/\/api\/errors\b/.test(candidate.id)) {
      throw new ProviderError(`arXiv refused the query: ${candidate.summary || candidate.title}`, {
        retryable: false,
      });
    }
    const parsed = entrySchema.safeParse(candidate);
    if (!parsed.success) {
      throw new ProviderError(`arXiv returned an unexpected entry: ${parsed.error.issues[0]?.message}`, {
        retryable: false,
      });
    }
    entries.push(parsed.data);
  }
  return entries;
}

function toResult(entry: ArxivEntry): SearchResult {
  const url = httpsUrl(entry.abstractUrl ?? entry.id);
  const date = entry.published?.slice(0, 10);
  const byline = [entry.authors.join(", "), date].filter(Boolean).join(" · ");
  return {
    title: entry.title || url,
    url,
    snippet: entry.summary.length > 300 ? `${entry.summary.slice(0, 297).trimEnd()}…` : entry.summary,
    ...(entry.summary ? { content: [entry.title, byline, entry.summary].filter(Boolean).join("\n\n") } : {}),
  };
}

/** arXiv's feed links still say `http://arxiv.org/…`; the site serves (and redirects to) https. */
function httpsUrl(url: string): string {
  return url.replace(/^http:\/\/arxiv\.org\//i, "https://arxiv.org/");
}

/** The part of linkedom's XML element this parser uses. */
interface XmlElement {
  readonly localName: string;
  readonly textContent: string | null;
  readonly children: ArrayLike<XmlElement>;
  getAttribute(name: string): string | null;
}

function children(parent: XmlElement, name: string): XmlElement[] {
  return Array.from(parent.children).filter((child) => child.localName === name);
}

/** The text of the first child named `name`, white space collapsed (titles wrap across lines). */
function text(parent: XmlElement, name: string): string | undefined {
  const value = children(parent, name)[0]?.textContent?.replace(/\s+/g, " ").trim();
  return value === undefined || value === "" ? undefined : value;
}
