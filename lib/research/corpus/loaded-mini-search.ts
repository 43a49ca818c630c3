import MiniSearch, { type Options as MiniSearchOptions } from "minisearch";
import type { PostingLists } from "./posting-lists";

/**
 * A MiniSearch instance over `postings`, equal to the one `addAll` builds
 * from the same records: the same term tree (terms inserted in the same
 * order), field lengths and averages, hence the same scores to the last bit.
 *
 * It costs the term tree only: each term's postings become MiniSearch's maps
 * the first time a search reaches the term. The instance is for searching;
 * adding to it works but is not what it is for.
 */
export function createLoadedMiniSearch<T>(
  postings: PostingLists,
  options: MiniSearchOptions<T>,
): MiniSearch<T> {
  return new LoadedMiniSearch(postings, options);
}

// A subclass, because MiniSearch's state is `protected`: what this relies on
// is typed, and a MiniSearch release that changes it fails the type check.
class LoadedMiniSearch<T> extends MiniSearch<T> {
  constructor(postings: PostingLists, options: MiniSearchOptions<T>) {
    super(options);
    const fieldCount = postings.fields.length;
    if (
      options.fields.length !== fieldCount ||
      options.fields.some((field, id) => postings.fields[id] !== field)
    ) {
      throw new Error(
        `The index has the fields ${postings.fields.join(", ")}, expected ${options.fields.join(", ")}`,
      );
    }
    for (let record = 0; record < postings.recordCount; record++) {
      this._documentIds.set(record, record);
      this._idToShortId.set(record, record);
      const lengths: number[] = [];
      for (let field = 0; field < fieldCount; field++)
        lengths.push(postings.fieldLength[record * fieldCount + field]!);
      this._fieldLength.set(record, lengths);
    }
    this._documentCount = postings.recordCount;
    this._nextId = postings.recordCount;
    this._avgFieldLength = [...postings.averageFieldLength];
    postings.terms.forEach((term, id) => {
      this._index.set(term, new LazyFieldTermFrequencies(postings, id));
    });
  }
}

/**
 * One term's `field id → (record → frequency)` map, filled from the posting
 * lists on first use. Every read and write goes through `#fill`, so it
 * behaves as the plain map MiniSearch would have built. Also used by
 * `RankedMiniSearch.fromPostingLists`.
 */
export class LazyFieldTermFrequencies extends Map<number, Map<number, number>> {
  #postings: PostingLists | undefined;
  readonly #term: number;

  constructor(postings: PostingLists, term: number) {
    super();
    this.#postings = postings;
    this.#term = term;
  }

  /**
   * The posting lists and term this map would be filled from, while it has
   * not been: a reader that only copies the postings (a snapshot) takes them
   * from there instead of building the maps. Undefined once filled.
   */
  get unfilled(): { postings: PostingLists; term: number } | undefined {
    return this.#postings === undefined ? undefined : { postings: this.#postings, term: this.#term };
  }

  #fill(): void {
    const postings = this.#postings;
    if (postings === undefined) return;
    this.#postings = undefined;
    const fieldCount = postings.fields.length;
    for (let field = 0; field < fieldCount; field++) {
      const start = postings.postingStart[this.#term * fieldCount + field]!;
      const end = postings.postingStart[this.#term * fieldCount + field + 1]!;
      if (start === end) continue;
      const frequencies = new Map<number, number>();
      for (let at = start; at < end; at++)
        frequencies.set(postings.postingRecord[at]!, postings.postingFrequency[at]!);
      super.set(field, frequencies);
    }
  }

  override get size(): number {
    this.#fill();
    return super.size;
  }
  override get(field: number): Map<number, number> | undefined {
    this.#fill();
    return super.get(field);
  }
  override has(field: number): boolean {
    this.#fill();
    return super.has(field);
  }
  override set(field: number, frequencies: Map<number, number>): this {
    this.#fill();
    return super.set(field, frequencies);
  }
  override delete(field: number): boolean {
    this.#fill();
    return super.delete(field);
  }
  override clear(): void {
    this.#postings = undefined;
    super.clear();
  }
  override forEach(
    callback: (value: Map<number, number>, key: number, map: Map<number, Map<number, number>>) => void,
    thisArgument?: unknown,
  ): void {
    this.#fill();
    super.forEach(callback, thisArgument);
  }
  override entries(): MapIterator<[number, Map<number, number>]> {
    this.#fill();
    return super.entries();
  }
  override keys(): MapIterator<number> {
    this.#fill();
    return super.keys();
  }
  override values(): MapIterator<Map<number, number>> {
    this.#fill();
    return super.values();
  }
  override [Symbol.iterator](): MapIterator<[number, Map<number, number>]> {
    this.#fill();
    return super[Symbol.iterator]();
  }
}
