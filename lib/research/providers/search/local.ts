import type { CorpusSource } from "../../corpus/corpus-document";
import type { PassageIndexCache } from "../../corpus/passage-index";
import type { SearchProvider, SearchResult } from "./search-provider";

/** Options of the `local` search provider. */
export interface LocalSearchOptions {
  corpus: CorpusSource;
  indexes: PassageIndexCache;
  /** Passages returned per document. Default 3. */
  passagesPerDocument?: number;
}

/**
 * Full-text search over a local corpus: passages are ranked with BM25
 * (MiniSearch) and grouped by document, so a result is a document with its
 * best passages, ordered by its best passage's score.
 */
export function createLocalSearch(options: LocalSearchOptions): SearchProvider {
  const perDocument = options.passagesPerDocument ?? 3;
  return {
    name: "local",
    async inverseDocumentFrequency(terms) {
      const index = await options.indexes.get(options.corpus);
      return new Map(terms.map((term) => [term, index.inverseDocumentFrequency(term)]));
    },
    async search(query, { maxResults, signal }) {
      const index = await options.indexes.get(options.corpus);
      signal?.throwIfAborted();
      const hits = index.search(query, Math.max(50, maxResults * 20));
      const byDocument = new Map<number, string[]>();
      for (const hit of hits) {
        const passages = byDocument.get(hit.document);
        if (passages === undefined) {
          if (byDocument.size >= maxResults) continue;
          byDocument.set(hit.document, [hit.text]);
        } else if (passages.length < perDocument) passages.push(hit.text);
      }
      return [...byDocument].map(([documentIndex, passages]): SearchResult => {
        const document = index.documents[documentIndex]!;
        return {
          title: document.title,
          ...(document.url ? { url: document.url } : {}),
          documentRef: document.ref,
          snippet: snippetOf(passages[0]!),
          passages,
        };
      });
    },
  };
}

function snippetOf(text: string): string {
  if (text.length <= 240) return text;
  const cut = text.lastIndexOf(" ", 240);
  return `${text.slice(0, cut > 120 ? cut : 240)}…`;
}
