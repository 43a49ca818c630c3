import type { SearchProvider, SearchResult } from "./search-provider";

/**
 * A collection and a web service searched together: results alternate
 * between the two, the collection first, so neither crowds out the other;
 * when one has fewer, the other fills the rest.
 */
export function createHybridSearch(collection: SearchProvider, web: SearchProvider): SearchProvider {
  return {
    name: "hybrid",
    async search(query, options) {
      const [own, found] = await Promise.all([collection.search(query, options), web.search(query, options)]);
      const mixed: SearchResult[] = [];
      for (
        let index = 0;
        mixed.length < options.maxResults && index < Math.max(own.length, found.length);
        index++
      ) {
        if (own[index]) mixed.push(own[index]!);
        if (found[index] && mixed.length < options.maxResults) mixed.push(found[index]!);
      }
      return mixed;
    },
    inverseDocumentFrequency: collection.inverseDocumentFrequency?.bind(collection),
  };
}
