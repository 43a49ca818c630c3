import type { CorpusSource } from "../../corpus/corpus-document";
import type { PassageHit, PassageIndex, PassageIndexCache } from "../../corpus/passage-index";
import { eraCues, titleYear } from "../../text/era-cues";
import { withPresidentNames } from "../../text/president-aliases";
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
    async search(asked, { maxResults, signal }) {
      const query = withPresidentNames(asked);
      const index = await options.indexes.get(options.corpus);
      signal?.throwIfAborted();
      const hits = raiseByEra(
        rerankByProximity(index.search(query, Math.max(50, maxResults * 20)), query, index),
        query,
        index,
      );
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

/**
 * How much a passage of a document from the time the query names is raised
 * (see `raiseByEra`): its score is doubled, as much as the closest
 * proximity raises it. No question of the tuning half of bench/eval names a
 * time in a way that counts (its one year bounds: "before 1900"), so the
 * figure is a choice, not a measurement: a question set in a time asks about
 * it, and a passage from another time answers another question unless its
 * words match much better.
 */
const ERA_WEIGHT = 1;

/**
 * BM25 knows the words of a query, not when it is set: a query that names a
 * year ("in 1941"), a decade ("the 1930s") or a period ("the Great
 * Depression") raises the passages of the documents whose title names a year
 * in that span (`eraCues`), their score multiplied by `1 + ERA_WEIGHT`. Ties
 * keep passage order. Documents without a year in their title (most of a
 * `CORPUS_DIR`) are never raised, so a query with a cue ranks them as before
 * relative to each other.
 */
function raiseByEra(hits: PassageHit[], query: string, index: PassageIndex): PassageHit[] {
  const spans = eraCues(query);
  if (spans.length === 0) return hits;
  const inSpan = (document: number) => {
    const year = titleYear(index.documents[document]?.title ?? "");
    return year !== undefined && spans.some((span) => year >= span.from && year <= span.to);
  };
  return hits
    .map((hit) => (inSpan(hit.document) ? { ...hit, score: hit.score * (1 + ERA_WEIGHT) } : hit))
    .sort((a, b) => b.score - a.score || a.passage - b.passage);
}

function snippetOf(text: string): string {
  if (text.length <= 240) return text;
  const cut = text.lastIndexOf(" ", 240);
  return `${text.slice(0, cut > 120 ? cut : 240)}…`;
}
