import type { DocumentJson } from "../../model/collection";
import { chunkText } from "../text/chunk";
import { normalizeTerm } from "../text/tokenize";
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
 * of ten documents or ten thousand.
 */
export class CollectionIndex {
  readonly #reader: CollectionReader;
  readonly #collection: string;
  readonly #search = new RankedMiniSearch<PassageRecord>({
    fields: ["title", "text"],
    processTerm: (term) => normalizeTerm(term),
  });
  readonly #passages = new Map<number, StoredPassage>();
  readonly #documents = new Map<string, IndexedDocument>();
  #nextId = 0;
  #syncing: Promise<void> | undefined;

  constructor(reader: CollectionReader, collection: string) {
    this.#reader = reader;
    this.#collection = collection;
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
      this.add(id, document.title, pages);
    }
    if (this.#search.dirtCount > 1000 && this.#search.dirtFactor > 0.2) await this.#search.vacuum();
  }

  /** Adds a document's pages (also used directly by tests and benchmarks). */
  add(id: string, title: string, pages: readonly string[]): void {
    const records: PassageRecord[] = [];
    const ids: number[] = [];
    for (const [index, page] of pages.entries()) {
      for (const text of chunkText(page)) {
        const passageId = this.#nextId++;
        this.#passages.set(passageId, { document: id, page: index + 1, text });
        records.push({ id: passageId, title, text });
        ids.push(passageId);
      }
    }
    this.#search.addAll(records);
    this.#documents.set(id, { title, passages: ids });
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

/** One index per collection for this process, kept in step with the store. */
export class CollectionIndexes {
  readonly #reader: CollectionReader;
  readonly #indexes = new Map<string, CollectionIndex>();

  constructor(reader: CollectionReader) {
    this.#reader = reader;
  }

  /** The collection's index, synced with the store's ready documents. */
  async get(collection: string): Promise<CollectionIndex> {
    let index = this.#indexes.get(collection);
    if (!index) {
      index = new CollectionIndex(this.#reader, collection);
      this.#indexes.set(collection, index);
    }
    await index.sync();
    return index;
  }

  /** Forgets a deleted collection. */
  drop(collection: string): void {
    this.#indexes.delete(collection);
  }
}
