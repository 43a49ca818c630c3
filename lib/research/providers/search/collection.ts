import { collectionDocumentRef } from "../../../model/collection";
import type { CollectionIndexes } from "../../corpus/collection-indexes";
import type { SearchProvider, SearchResult } from "./search-provider";

/** Options of the search over a user collection. */
export interface CollectionSearchOptions {
  collection: string;
  indexes: CollectionIndexes;
  /** Passages returned per page. Default 3. */
  passagesPerPage?: number;
}

/**
 * Full-text search over a collection's ready documents. A result is a page of
 * a document with its best passages (so a citation names the page), ordered
 * by its best passage's score.
 */
export function createCollectionSearch(options: CollectionSearchOptions): SearchProvider {
  const perPage = options.passagesPerPage ?? 3;
  return {
    name: "local",
    async search(query, { maxResults, signal }) {
      const index = await options.indexes.get(options.collection);
      signal?.throwIfAborted();
      const byPage = new Map<string, { document: string; title: string; page: number; passages: string[] }>();
      for (const hit of index.search(query, Math.max(50, maxResults * 20))) {
        const key = `${hit.document}#${hit.page}`;
        const entry = byPage.get(key);
        if (entry === undefined) {
          if (byPage.size >= maxResults) continue;
          byPage.set(key, { document: hit.document, title: hit.title, page: hit.page, passages: [hit.text] });
        } else if (entry.passages.length < perPage) entry.passages.push(hit.text);
      }
      return [...byPage.values()].map(
        (entry): SearchResult => ({
          title: entry.title,
          documentRef: collectionDocumentRef(options.collection, entry.document),
          page: entry.page,
          snippet: entry.passages[0]!.slice(0, 240),
          passages: entry.passages,
        }),
      );
    },
  };
}
