import type { CorpusSource } from "../../corpus/corpus-document";
import type { PassageHit, PassageIndex, PassageIndexCache } from "../../corpus/passage-index";
import { proximity } from "../../text/proximity";
import { termSequence } from "../../text/question-match";
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
      const hits = rerankByProximity(index.search(query, Math.max(50, maxResults * 20)), query, index);
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

/** How much a passage holding every pair of query words side by side is raised (see `rerankByProximity`). */
const PROXIMITY_WEIGHT = 1;
/**
 * Farthest apart (in content words) two query words still count as near: 1,
 * side by side in either order. Measured on the tuning questions of
 * bench/eval, wider windows (3, 8, 16) ranked the answering document lower:
 * they favour passages that merely list the words.
 */
const PROXIMITY_WINDOW = 1;

/**
 * BM25 ranks passages by their words alone: passages that hold query words
 * side by side ("Pearl Harbor", "Victoriano Huerta", "soldiers and marines")
 * are moved up, their score multiplied by `1 + PROXIMITY_WEIGHT × proximity`
 * (0–1, pairs of rare words weighing most, see `proximity`). Ties keep
 * passage order, so the ranking stays deterministic.
 */
function rerankByProximity(hits: PassageHit[], query: string, index: PassageIndex): PassageHit[] {
  const terms = [...new Set(termSequence(query).filter((term): term is string => term !== null))];
  if (terms.length < 2) return hits;
  const rarity = (term: string) => index.inverseDocumentFrequency(term);
  return hits
    .map((hit) => {
      const near = proximity(termSequence(hit.text), terms, rarity, PROXIMITY_WINDOW);
      return { ...hit, score: hit.score * (1 + PROXIMITY_WEIGHT * near) };
    })
    .sort((a, b) => b.score - a.score || a.passage - b.passage);
}

function snippetOf(text: string): string {
  if (text.length <= 240) return text;
  const cut = text.lastIndexOf(" ", 240);
  return `${text.slice(0, cut > 120 ? cut : 240)}…`;
}
