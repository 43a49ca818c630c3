import { createHash } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Options as MiniSearchOptions } from "minisearch";
import MiniSearch from "minisearch";
import writeFileAtomic from "write-file-atomic";
import { chunkText } from "../text/chunk";
import { normalizeTerm } from "../text/tokenize";
import type { CorpusSource, IndexedDocument } from "./corpus-document";
import { corpusFingerprint } from "./corpus-fingerprint";
import { createLoadedMiniSearch } from "./loaded-mini-search";
import {
  decodePassageIndexFile,
  encodePassageIndexFile,
  type PassageIndexContent,
} from "./passage-index-file";
import { buildPostingLists, type PostingLists } from "./posting-lists";

export type { IndexedDocument } from "./corpus-document";

/**
 * Version of the passage cutting, term normalization and cache layout. Part
 * of the corpus fingerprint: changing it makes every cached index stale. Bump
 * it with any change to what is indexed or how (`MINISEARCH_OPTIONS`,
 * `chunkText`, `normalizeTerm`, the stopwords) or to the file format.
 */
export const INDEX_FORMAT = "fathom-passage-index-2";

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

/** MiniSearch's own tokenizer, so the query's words are the ones it searches. */
const tokenizeQuery = MiniSearch.getDefault("tokenize") as (text: string) => string[];

interface IndexedPassageRecord {
  id: number;
  title: string;
  text: string;
}

const MINISEARCH_OPTIONS: MiniSearchOptions<IndexedPassageRecord> = {
  fields: ["title", "text"],
  processTerm: (term) => normalizeTerm(term),
};

function createPassageIndex(
  fingerprint: string,
  documents: IndexedDocument[],
  passages: [number, string][],
  postings: PostingLists,
  miniSearch: MiniSearch<IndexedPassageRecord>,
): PassageIndex {
  const idfCache = new Map<string, number>();
  let termIds: Map<string, number> | undefined;
  const textField = postings.fields.indexOf("text");
  const fieldCount = postings.fields.length;
  /**
   * How many passages' text holds `term`: what a search for it alone in the
   * text field finds (any of its words, as MiniSearch splits it), counted
   * from the posting lists.
   */
  const passagesContaining = (term: string): number => {
    termIds ??= new Map(postings.terms.map((known, id) => [known, id]));
    const ranges: [number, number][] = [];
    for (const word of tokenizeQuery(term)) {
      const stored = normalizeTerm(word);
      const id = stored === null ? undefined : termIds.get(stored);
      if (id === undefined) continue;
      const at = id * fieldCount + textField;
      ranges.push([postings.postingStart[at]!, postings.postingStart[at + 1]!]);
    }
    if (ranges.length <= 1) return ranges.length === 0 ? 0 : ranges[0]![1] - ranges[0]![0];
    const records = new Set<number>();
    for (const [start, end] of ranges)
      for (let at = start; at < end; at++) records.add(postings.postingRecord[at]!);
    return records.size;
  };
  return {
    fingerprint,
    documents,
    passages,
    inverseDocumentFrequency(term) {
      let value = idfCache.get(term);
      if (value === undefined) {
        const containing = passagesContaining(term);
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

/** Documents chunked between two yields to the event loop. */
const DOCUMENTS_PER_SLICE = 16;

/**
 * Cuts documents into passages and indexes them (yielding to the event loop
 * as it goes). `encode` gives the index as a file (`passage-index-file.ts`).
 */
export async function buildPassageIndex(
  documents: readonly { ref: string; title: string; url?: string; text: string }[],
  fingerprint: string,
): Promise<{ index: PassageIndex; encode: () => Buffer }> {
  const indexedDocuments: IndexedDocument[] = documents.map(({ ref, title, url }) =>
    url ? { ref, title, url } : { ref, title },
  );
  const passages: [number, string][] = [];
  const records: IndexedPassageRecord[] = [];
  for (let documentIndex = 0; documentIndex < documents.length; documentIndex++) {
    if (documentIndex > 0 && documentIndex % DOCUMENTS_PER_SLICE === 0) await yieldToEventLoop();
    const document = documents[documentIndex]!;
    for (const text of chunkText(document.text)) {
      records.push({ id: passages.length, title: document.title, text });
      passages.push([documentIndex, text]);
    }
  }
  const content: PassageIndexContent = {
    format: INDEX_FORMAT,
    fingerprint,
    documents: indexedDocuments,
    passages,
    postings: await buildPostingLists(records, MINISEARCH_OPTIONS),
  };
  return { index: loadPassageIndex(content), encode: () => encodePassageIndexFile(content) };
}

/** The searchable index of a built or decoded file's content. */
function loadPassageIndex(content: PassageIndexContent): PassageIndex {
  const miniSearch = createLoadedMiniSearch(content.postings, MINISEARCH_OPTIONS);
  return createPassageIndex(
    content.fingerprint,
    content.documents,
    content.passages,
    content.postings,
    miniSearch,
  );
}

/**
 * Builds the index of `corpus` and writes it to `file` (`npm run build` ships
 * the default corpus's index this way; `PassageIndexCache` reads it).
 */
export async function writePassageIndexFile(corpus: CorpusSource, file: string): Promise<PassageIndex> {
  const fingerprint = await corpusFingerprint(corpus, INDEX_FORMAT);
  const built = await buildPassageIndex(await corpus.loadDocuments(), fingerprint);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, built.encode());
  return built.index;
}

/** Options of `createPassageIndexCache`. */
export interface PassageIndexCacheOptions {
  /** Where cached indexes are written (the configured cache directory): `search-index-<kind>-<id>.idx`. */
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
   * The index of `corpus`: from memory, else from the index built with the
   * app (`corpus.prebuiltIndexFile`, read-only) or the disk cache when its
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

  const cacheFileStem = (corpus: CorpusSource) => {
    const id = createHash("sha256").update(`${corpus.kind}\0${corpus.directory}`).digest("hex").slice(0, 16);
    return path.join(options.cacheDir, `search-index-${corpus.kind}-${id}`);
  };

  async function loadOrBuild(corpus: CorpusSource, fingerprint: string): Promise<PassageIndex> {
    if (corpus.prebuiltIndexFile !== undefined) {
      const prebuilt = await readIndexFile(corpus.prebuiltIndexFile, fingerprint, {
        name: "search index built with the app",
        warn,
        // Built by `npm run build` for this corpus: if it does not match, the build is out of date.
        onStale: (reason) => warn(`Not using ${corpus.prebuiltIndexFile}: ${reason}`),
      });
      if (prebuilt) return prebuilt;
    }
    const stem = cacheFileStem(corpus);
    const file = `${stem}.idx`;
    // A cache of another version or corpus state is simply rebuilt.
    const cached = await readIndexFile(file, fingerprint, { name: "search index cache", warn });
    if (cached) return cached;
    const documents = await corpus.loadDocuments();
    const built = await buildPassageIndex(documents, fingerprint);
    // The index is usable now; the cache file is written after, and
    // `settled()` waits for it.
    const write = (async () => {
      try {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFileAtomic(file, built.encode());
        // The JSON cache of INDEX_FORMAT 1, which nothing reads any more.
        await rm(`${stem}.json`, { force: true });
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
      const key = cacheFileStem(corpus);
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

/**
 * The index in `file` when it was built for `fingerprint`; undefined when
 * there is no such file, when it is stale (`onStale` says why) or when it
 * cannot be read (a warning says why: the caller rebuilds).
 */
async function readIndexFile(
  file: string,
  fingerprint: string,
  options: { name: string; warn: (message: string) => void; onStale?: (reason: string) => void },
): Promise<PassageIndex | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      options.warn(`Could not read ${file}: ${(error as Error).message}`);
    return undefined;
  }
  try {
    const decoded = decodePassageIndexFile(bytes, { format: INDEX_FORMAT, fingerprint });
    if (!decoded.current) {
      options.onStale?.(decoded.reason);
      return undefined;
    }
    return loadPassageIndex(decoded.content);
  } catch (error) {
    options.warn(`Ignoring the unreadable ${options.name} ${file}: ${(error as Error).message}`);
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
