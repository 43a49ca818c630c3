import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import MiniSearch, { type Options as MiniSearchOptions } from "minisearch";
import writeFileAtomic from "write-file-atomic";
import { z } from "zod";
import { chunkText } from "../text/chunk";
import { normalizeTerm } from "../text/tokenize";
import type { CorpusSource } from "./corpus-document";
import { corpusFingerprint } from "./corpus-fingerprint";

/**
 * Version of the passage cutting, term normalization and cache layout. Part
 * of the corpus fingerprint: changing it makes every cached index stale.
 */
export const INDEX_FORMAT = "fathom-passage-index-1";

/** A document of an index (its text lives in its passages). */
export interface IndexedDocument {
  ref: string;
  title: string;
  url?: string;
}

/** A passage hit, best first. */
export interface PassageHit {
  /** Index of the passage in `PassageIndex.passages`. */
  passage: number;
  /** Index of its document in `PassageIndex.documents`. */
  document: number;
  score: number;
  text: string;
}

/** A full-text index over the passages of a corpus. */
export interface PassageIndex {
  readonly fingerprint: string;
  readonly documents: readonly IndexedDocument[];
  /** `[documentIndex, text]` of every passage, in document order. */
  readonly passages: readonly (readonly [number, string])[];
  /** Ranks passages for a query (BM25 over text and title, word prefixes). */
  search(query: string, limit: number): PassageHit[];
  /** log(1 + passages / passages containing the normalized word); memoized. */
  inverseDocumentFrequency(term: string): number;
}

interface IndexedPassageRecord {
  id: number;
  title: string;
  text: string;
}

const MINISEARCH_OPTIONS: MiniSearchOptions<IndexedPassageRecord> = {
  fields: ["title", "text"],
  processTerm: (term) => normalizeTerm(term),
};

/** The persisted shape of an index: `<cacheDir>/search-index-*.json`. */
const passageIndexJsonSchema = z.object({
  format: z.literal(INDEX_FORMAT),
  fingerprint: z.string(),
  documents: z.array(z.object({ ref: z.string(), title: z.string(), url: z.string().optional() })),
  passages: z.array(z.tuple([z.number().int().nonnegative(), z.string()])),
  index: z.record(z.string(), z.unknown()),
});
type PassageIndexJson = z.infer<typeof passageIndexJsonSchema>;

function createPassageIndex(
  fingerprint: string,
  documents: IndexedDocument[],
  passages: [number, string][],
  miniSearch: MiniSearch<IndexedPassageRecord>,
): PassageIndex {
  const idfCache = new Map<string, number>();
  return {
    fingerprint,
    documents,
    passages,
    inverseDocumentFrequency(term) {
      let value = idfCache.get(term);
      if (value === undefined) {
        const containing = miniSearch.search(term, { fields: ["text"], prefix: false, fuzzy: false }).length;
        value = Math.log(1 + passages.length / (1 + containing));
        idfCache.set(term, value);
      }
      return value;
    },
    search(query, limit) {
      const results = miniSearch.search(query, { prefix: (term) => term.length >= 5, boost: { title: 2 } });
      // MiniSearch orders by score only; the id makes ties deterministic.
      results.sort((a, b) => b.score - a.score || (a.id as number) - (b.id as number));
      return results.slice(0, limit).map((result) => {
        const id = result.id as number;
        const [document, text] = passages[id]!;
        return { passage: id, document, score: result.score, text };
      });
    },
  };
}

/** Cuts documents into passages and indexes them (yielding to the event loop as it goes). */
export async function buildPassageIndex(
  documents: readonly { ref: string; title: string; url?: string; text: string }[],
  fingerprint: string,
): Promise<{ index: PassageIndex; json: () => string }> {
  const indexedDocuments: IndexedDocument[] = documents.map(({ ref, title, url }) =>
    url ? { ref, title, url } : { ref, title },
  );
  const passages: [number, string][] = [];
  const records: IndexedPassageRecord[] = [];
  documents.forEach((document, documentIndex) => {
    for (const text of chunkText(document.text)) {
      records.push({ id: passages.length, title: document.title, text });
      passages.push([documentIndex, text]);
    }
  });
  const miniSearch = new MiniSearch<IndexedPassageRecord>(MINISEARCH_OPTIONS);
  await miniSearch.addAllAsync(records, { chunkSize: 1000 });
  return {
    index: createPassageIndex(fingerprint, indexedDocuments, passages, miniSearch),
    json: () =>
      JSON.stringify({
        format: INDEX_FORMAT,
        fingerprint,
        documents: indexedDocuments,
        passages,
        index: miniSearch.toJSON(),
      } satisfies PassageIndexJson),
  };
}

/** Options of `createPassageIndexCache`. */
export interface PassageIndexCacheOptions {
  /** Where cached indexes are written (the configured cache directory). */
  cacheDir: string;
  /** Monotonic clock in ms. Default `performance.now`. */
  now?: () => number;
  /** How long a loaded index is trusted before the corpus is checked for changes again. Default 10 s. */
  recheckMs?: number;
  /** Receives warnings (a cache that cannot be written or read). Default `console.warn`. */
  warn?: (message: string) => void;
}

/** Loads, builds and memoizes the indexes of corpora. */
export interface PassageIndexCache {
  /**
   * The index of `corpus`: from memory, else from the disk cache when its
   * fingerprint matches, else built (and written to the disk cache).
   * Concurrent callers share one promise.
   */
  get(corpus: CorpusSource): Promise<PassageIndex>;
  /** Resolves once every cache file being written has been written (or failed, with a warning). */
  settled(): Promise<void>;
}

interface CacheEntry {
  promise: Promise<PassageIndex>;
  checkedAt: number;
}

/** Creates an index cache; the process normally uses one (see `sharedPassageIndexCache`). */
export function createPassageIndexCache(options: PassageIndexCacheOptions): PassageIndexCache {
  const now = options.now ?? (() => performance.now());
  const recheckMs = options.recheckMs ?? 10_000;
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const entries = new Map<string, CacheEntry>();
  const pendingWrites = new Set<Promise<void>>();

  const cacheFile = (corpus: CorpusSource) => {
    const id = createHash("sha256").update(`${corpus.kind}\0${corpus.directory}`).digest("hex").slice(0, 16);
    return path.join(options.cacheDir, `search-index-${corpus.kind}-${id}.json`);
  };

  async function loadOrBuild(corpus: CorpusSource, fingerprint: string): Promise<PassageIndex> {
    const file = cacheFile(corpus);
    const cached = await readCachedIndex(file, fingerprint, warn);
    if (cached) return cached;
    const documents = await corpus.loadDocuments();
    const built = await buildPassageIndex(documents, fingerprint);
    // The index is usable now; the cache file is written after (serializing
    // takes a while), and `settled()` waits for it.
    const write = (async () => {
      try {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFileAtomic(file, built.json());
      } catch (error) {
        warn(`Could not write the search index cache ${file}: ${(error as Error).message}`);
      }
    })();
    pendingWrites.add(write);
    void write.finally(() => pendingWrites.delete(write));
    return built.index;
  }

  function track(key: string, promise: Promise<PassageIndex>): Promise<PassageIndex> {
    const entry: CacheEntry = { promise, checkedAt: now() };
    entries.set(key, entry);
    // A failed build is forgotten so the next search tries again.
    promise.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return promise;
  }

  return {
    async settled() {
      while (pendingWrites.size > 0) await Promise.all(pendingWrites);
    },
    get(corpus) {
      const key = cacheFile(corpus);
      const entry = entries.get(key);
      if (entry === undefined) {
        return track(
          key,
          corpusFingerprint(corpus, INDEX_FORMAT).then((fingerprint) => loadOrBuild(corpus, fingerprint)),
        );
      }
      if (now() - entry.checkedAt < recheckMs) return entry.promise;
      const previous = entry.promise;
      return track(
        key,
        (async () => {
          const current = await previous;
          const fingerprint = await corpusFingerprint(corpus, INDEX_FORMAT);
          return fingerprint === current.fingerprint ? current : loadOrBuild(corpus, fingerprint);
        })(),
      );
    },
  };
}

async function readCachedIndex(
  file: string,
  fingerprint: string,
  warn: (message: string) => void,
): Promise<PassageIndex | undefined> {
  let raw: string;
  try {
    raw = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      warn(`Could not read ${file}: ${(error as Error).message}`);
    return undefined;
  }
  try {
    const parsed = passageIndexJsonSchema.safeParse(JSON.parse(raw));
    if (!parsed.success || parsed.data.fingerprint !== fingerprint) return undefined;
    const { documents, passages, index } = parsed.data;
    // The synchronous loader is twice as fast as loadJSAsync (~150 ms for the
    // default corpus), and this runs once per process.
    const miniSearch = MiniSearch.loadJS<IndexedPassageRecord>(
      index as unknown as Parameters<typeof MiniSearch.loadJS>[0],
      MINISEARCH_OPTIONS,
    );
    return createPassageIndex(fingerprint, documents, passages, miniSearch);
  } catch (error) {
    warn(`Ignoring the unreadable search index cache ${file}: ${(error as Error).message}`);
    return undefined;
  }
}

const caches = new Map<string, PassageIndexCache>();

/** The process-wide index cache for a data directory, shared by concurrent tasks. */
export function sharedPassageIndexCache(cacheDir: string): PassageIndexCache {
  let cache = caches.get(cacheDir);
  if (cache === undefined) {
    cache = createPassageIndexCache({ cacheDir });
    caches.set(cacheDir, cache);
  }
  return cache;
}
