import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Options as MiniSearchOptions } from "minisearch";
import type { DocumentJson } from "../../model/collection";
import { chunkText } from "../text/chunk";
import { normalizeTerm } from "../text/tokenize";
import type { CollectionIndexSnapshot } from "./collection-index-file";
import { RankedMiniSearch, type TopOptions } from "./ranked-mini-search";

/** What a collection index reads of the store: only fully indexed documents and their text. */
export interface CollectionReader {
  /** Ids of the collection's documents whose status is `ready`, sorted. */
  readyDocumentIds(collection: string): Promise<string[]>;
  getDocument(collection: string, id: string): Promise<DocumentJson | null>;
  /** The extracted text, one string per page. */
  readText(collection: string, id: string): Promise<string[] | null>;
}

/** A passage hit of a collection: its document, page and text. */
export interface CollectionHit {
  document: string;
  title: string;
  page: number;
  text: string;
  score: number;
}

interface PassageRecord {
  id: number;
  title: string;
  text: string;
}

const MINISEARCH_OPTIONS: MiniSearchOptions<PassageRecord> = {
  fields: ["title", "text"],
  processTerm: (term) => normalizeTerm(term),
};

/** Work done between two yields to the event loop while a sync adds documents, ms. */
const SLICE_MS = 20;

interface StoredPassage {
  document: string;
  page: number;
  text: string;
}

interface IndexedDocument {
  title: string;
  /** Ids of its passages in the MiniSearch index. */
  passages: number[];
}

/**
 * The passages of a collection's ready documents, ranked by BM25 (MiniSearch)
 * over text and title. Incremental: a document that became ready is added
 * (its pages cut into passages) and a removed one discarded, without touching
 * the rest, so making one document searchable costs the same in a collection
 * of ten documents or ten thousand. It can be saved (`snapshot`) and loaded
 * back (`fromSnapshot`) ranking to the last bit as it did.
 */
export class CollectionIndex {
  readonly #reader: CollectionReader;
  readonly #collection: string;
  #search = new RankedMiniSearch<PassageRecord>(MINISEARCH_OPTIONS);
  readonly #passages = new Map<number, StoredPassage>();
  readonly #documents = new Map<string, IndexedDocument>();
  /** The id of the next passage; passage ids are MiniSearch's record ids. */
  #nextId = 0;
  #syncing: Promise<void> | undefined;
  #version = 0;

  constructor(reader: CollectionReader, collection: string) {
    this.#reader = reader;
    this.#collection = collection;
  }

  /** The index a snapshot holds (`snapshot()`), to be synced with the store. */
  static fromSnapshot(reader: CollectionReader, snapshot: CollectionIndexSnapshot): CollectionIndex {
    const index = new CollectionIndex(reader, snapshot.collection);
    if (snapshot.passages.length !== snapshot.postings.recordCount) {
      throw new Error(`${snapshot.passages.length} passages but ${snapshot.postings.recordCount} records`);
    }
    const documents = snapshot.documents.map(({ id, title }) => {
      const document: IndexedDocument = { title, passages: [] };
      index.#documents.set(id, document);
      return [id, document] as const;
    });
    // Passage ids start again from 0: passage i is record i of the postings.
    snapshot.passages.forEach(([documentIndex, page, text], passageId) => {
      const entry = documents[documentIndex];
      if (entry === undefined) throw new Error(`passage ${passageId} names no document`);
      entry[1].passages.push(passageId);
      index.#passages.set(passageId, { document: entry[0], page, text });
    });
    index.#nextId = snapshot.passages.length;
    index.#search = RankedMiniSearch.fromPostingLists(snapshot.postings, MINISEARCH_OPTIONS);
    return index;
  }

  /**
   * What the index holds, for `fromSnapshot`; undefined when a sync or a
   * vacuum ran meanwhile (the copy yields to the event loop), or was running:
   * try again later. The postings of discarded passages are left out.
   */
  async snapshot(): Promise<CollectionIndexSnapshot | undefined> {
    const changing = () => this.#syncing !== undefined || this.#search.isVacuuming;
    if (changing()) return undefined;
    const version = this.#version;
    const { postings, ids } = await this.#search.exportPostingLists();
    if (changing() || version !== this.#version) return undefined;
    const documentIndexes = new Map<string, number>();
    const documents = [...this.#documents].map(([id, { title }], index) => {
      documentIndexes.set(id, index);
      return { id, title };
    });
    const passages = ids.map((id): [number, number, string] => {
      const passage = this.#passages.get(id as number);
      const document = passage && documentIndexes.get(passage.document);
      if (passage === undefined || document === undefined) throw new Error(`passage ${id} is not indexed`);
      return [document, passage.page, passage.text];
    });
    return { collection: this.#collection, documents, passages, postings };
  }

  /** Changes whenever the index does (a document added or removed). */
  get version(): number {
    return this.#version;
  }

  /** Ids of the documents the index holds. */
  get documentIds(): string[] {
    return [...this.#documents.keys()].sort();
  }

  /** Passages indexed. */
  get size(): number {
    return this.#passages.size;
  }

  /** Brings the index up to the store's ready documents (concurrent callers share one sync). */
  sync(): Promise<void> {
    this.#syncing ??= this.#sync().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    const ready = new Set(await this.#reader.readyDocumentIds(this.#collection));
    for (const [id, document] of this.#documents) {
      if (ready.has(id)) continue;
      this.#version++;
      for (const passage of document.passages) {
        this.#search.discard(passage);
        this.#passages.delete(passage);
      }
      this.#documents.delete(id);
    }
    for (const id of ready) {
      if (this.#documents.has(id)) continue;
      const [document, pages] = await Promise.all([
        this.#reader.getDocument(this.#collection, id),
        this.#reader.readText(this.#collection, id),
      ]);
      // Deleted between the listing and now: the next sync sees it gone.
      if (!document || !pages) continue;
      await this.#addInSlices(id, document.title, pages);
    }
    if (this.#search.dirtCount > 1000 && this.#search.dirtFactor > 0.2) await this.#search.vacuum();
  }

  /** Adds a document's pages (also used directly by tests and benchmarks). */
  add(id: string, title: string, pages: readonly string[]): void {
    const document = this.#startDocument(id, title);
    pages.forEach((page, index) => {
      this.#addPage(document, id, index + 1, page);
    });
  }

  /**
   * `add`, yielding to the event loop between slices of pages: a cold build
   * of a large collection takes seconds of CPU, and a lease renewal (or a
   * search of another collection) must not wait for all of it. The document
   * is searchable page by page meanwhile, as the collection is document by
   * document.
   */
  async #addInSlices(id: string, title: string, pages: readonly string[]): Promise<void> {
    const document = this.#startDocument(id, title);
    let since = performance.now();
    for (const [index, page] of pages.entries()) {
      this.#addPage(document, id, index + 1, page);
      if (performance.now() - since > SLICE_MS) {
        await yieldToEventLoop();
        since = performance.now();
      }
    }
    await yieldToEventLoop();
  }

  #startDocument(id: string, title: string): IndexedDocument {
    this.#version++;
    const document: IndexedDocument = { title, passages: [] };
    this.#documents.set(id, document);
    return document;
  }

  #addPage(document: IndexedDocument, id: string, page: number, text: string): void {
    const records: PassageRecord[] = [];
    for (const passage of chunkText(text)) {
      const passageId = this.#nextId++;
      this.#passages.set(passageId, { document: id, page, text: passage });
      records.push({ id: passageId, title: document.title, text: passage });
      document.passages.push(passageId);
    }
    this.#search.addAll(records);
  }

  /**
   * The best passages for `query`, best first: BM25 over text and title
   * (title × 1.5), any query word (OR), words of more than three letters also
   * matching the longer words they begin; ties in passage order.
   */
  search(query: string, limit: number): CollectionHit[] {
    const hits: CollectionHit[] = [];
    for (const result of this.#search.top(query, limit, SEARCH_OPTIONS)) {
      const passage = this.#passages.get(result.id);
      if (!passage) continue;
      hits.push({
        document: passage.document,
        title: this.#documents.get(passage.document)?.title ?? "",
        page: passage.page,
        text: passage.text,
        score: result.score,
      });
    }
    return hits;
  }
}

const SEARCH_OPTIONS: TopOptions = { boost: { title: 1.5 }, prefix: (term) => term.length > 3 };
