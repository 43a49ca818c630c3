import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import MiniSearch, { type Options as MiniSearchOptions } from "minisearch";
import { LazyFieldTermFrequencies } from "./loaded-mini-search";
import { GrowableUint32Array, type PostingLists } from "./posting-lists";

/** Options of `RankedMiniSearch.top`. */
export interface TopOptions {
  /** Weight of each field's score, by field name. Default 1 for every field. */
  boost?: Readonly<Record<string, number>>;
  /** Whether a query term also matches the longer terms it begins. Default: never. */
  prefix?: (term: string) => boolean;
}

/** A record among the best: its id (as added) and its score. */
export interface TopResult {
  id: number;
  score: number;
}

/** MiniSearch's defaults, which `top` scores with (it takes no other weights). */
const PREFIX_WEIGHT = 0.375;
const BM25 = { k: 1.2, b: 0.7, d: 0.5 };

/**
 * MiniSearch with one more query: the best `limit` records of an OR query,
 * scored as `search(query, { combineWith: "OR", boost, prefix })` scores them
 * — BM25+ per field with MiniSearch's parameters, prefix matches weighted by
 * its formula, and a record's sum multiplied by the number of distinct query
 * terms it matches — without building a result object for every match.
 *
 * Why: on a large collection a question's common words ("government",
 * "states") each match tens of thousands of passages, and `search` builds,
 * decorates and sorts an object for each one to return the first few. Here
 * the scores are summed in typed arrays indexed by MiniSearch's short ids and
 * the best are kept in a heap of `limit` entries. Scores equal `search`'s up
 * to the order of floating-point additions (each query term's matches are
 * summed together, where `search` follows the query's order, and a prefix's
 * longer terms in alphabetical order, where `search` follows the term tree,
 * whose shape depends on the order terms were inserted in); ties go to the
 * record added first, so results are deterministic. The scores then depend
 * only on the live records' postings and lengths: an index loaded from a
 * snapshot (`fromPostingLists`) ranks to the last bit as the one exported.
 *
 * Not supported: fuzzy matching, AND / AND_NOT, filters, document boosts,
 * per-search tokenizers — `search` is still there for those.
 */
export class RankedMiniSearch<T> extends MiniSearch<T> {
  /**
   * Per short id: each field's length (`_fieldLength` in a flat array) and
   * whether the record is live, kept by `add`, `discard`, `remove` and
   * `removeAll` so that a search reads typed arrays, not two maps, per posting.
   */
  #fieldLengths = new Uint32Array(0);
  #live = new Uint8Array(0);
  #scores = new Float64Array(0);
  /** Distinct query terms a record matched (in the current query). */
  #matched = new Uint16Array(0);
  /** The last query term (1-based, per query) that counted for a record. */
  #lastTerm = new Uint16Array(0);

  top(query: string, limit: number, options: TopOptions = {}): TopResult[] {
    if (limit <= 0) return [];
    const { tokenize, processTerm, fields } = this._options;
    const terms: string[] = [];
    for (const word of tokenize(query)) {
      const processed = processTerm(word);
      for (const term of Array.isArray(processed) ? processed : [processed]) if (term) terms.push(term);
    }
    // The same term twice counts twice in the score but once among the terms matched.
    const multiplicity = new Map<string, number>();
    for (const term of terms) multiplicity.set(term, (multiplicity.get(term) ?? 0) + 1);
    // Distinct terms are counted in a Uint16Array; a query is never that long, but say so.
    if (multiplicity.size >= 0xffff)
      throw new Error(`a query of ${multiplicity.size} distinct terms is too long`);

    this.#ensureCapacity(this._nextId);
    const fieldLengths = this.#fieldLengths;
    const live = this.#live;
    const fieldCount = fields.length;
    const scores = this.#scores;
    const matched = this.#matched;
    const lastTerm = this.#lastTerm;
    const touched: number[] = [];
    const boosts = fields.map((field) => options.boost?.[field] || 1);
    const fieldIds = fields.map((field) => this._fieldIds[field]!);
    const documentCount = this._documentCount;

    let termNumber = 0;
    for (const [term, count] of multiplicity) {
      termNumber++;
      const matches: [string, FieldTermData | undefined][] = [[term, this._index.get(term)]];
      if (options.prefix?.(term)) {
        const longer: [string, FieldTermData][] = [];
        for (const [derived, data] of this._index.atPrefix(term)) {
          if (derived.length !== term.length) longer.push([derived, data]);
        }
        // The tree's order depends on its history; this order does not.
        longer.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        matches.push(...longer);
      }
      for (const [derived, data] of matches) {
        if (data === undefined) continue;
        const distance = derived.length - term.length;
        const termWeight =
          count * (distance === 0 ? 1 : (PREFIX_WEIGHT * derived.length) / (derived.length + 0.3 * distance));
        for (let field = 0; field < fields.length; field++) {
          const fieldId = fieldIds[field]!;
          const frequencies = data.get(fieldId);
          if (frequencies === undefined) continue;
          const weight = termWeight * boosts[field]!;
          const averageLength = this._avgFieldLength[fieldId]!;
          let matching = frequencies.size;
          for (const [shortId, frequency] of frequencies) {
            // A discarded record's postings stay until a vacuum; `search` skips them the same way.
            if (live[shortId] !== 1) {
              matching -= 1;
              continue;
            }
            const inverseFrequency = Math.log(1 + (documentCount - matching + 0.5) / (matching + 0.5));
            const score =
              inverseFrequency *
              (BM25.d +
                (frequency * (BM25.k + 1)) /
                  (frequency +
                    BM25.k *
                      (1 -
                        BM25.b +
                        (BM25.b * fieldLengths[shortId * fieldCount + fieldId]!) / averageLength)));
            if (lastTerm[shortId] === 0) touched.push(shortId);
            if (lastTerm[shortId] !== termNumber) {
              lastTerm[shortId] = termNumber;
              matched[shortId]! += 1;
            }
            scores[shortId]! += weight * score;
          }
        }
      }
    }

    const best = new MinHeap(limit);
    for (const shortId of touched) {
      best.offer(shortId, scores[shortId]! * matched[shortId]!);
      scores[shortId] = 0;
      matched[shortId] = 0;
      lastTerm[shortId] = 0;
    }
    return best
      .drain()
      .sort((a, b) => b.score - a.score || a.id - b.id)
      .map(({ id, score }) => ({ id: this._documentIds.get(id) as number, score }));
  }

  /**
   * An index over `postings` (record `i` has the id `i`), ranking as the
   * index they were exported from. Like `createLoadedMiniSearch`, each
   * term's postings become MiniSearch's maps the first time a search (or an
   * add, discard or vacuum) reaches the term, so loading costs the term
   * tree and the per-record arrays only.
   */
  static fromPostingLists<R>(postings: PostingLists, options: MiniSearchOptions<R>): RankedMiniSearch<R> {
    const search = new RankedMiniSearch<R>(options);
    search.#load(postings);
    return search;
  }

  #load(postings: PostingLists): void {
    const fields = this._options.fields;
    const fieldCount = postings.fields.length;
    if (fields.length !== fieldCount || fields.some((field, id) => postings.fields[id] !== field)) {
      throw new Error(
        `The index has the fields ${postings.fields.join(", ")}, expected ${fields.join(", ")}`,
      );
    }
    const recordCount = postings.recordCount;
    this.#ensureCapacity(recordCount);
    this.#fieldLengths.set(postings.fieldLength);
    this.#live.fill(1, 0, recordCount);
    for (let record = 0; record < recordCount; record++) {
      this._documentIds.set(record, record);
      this._idToShortId.set(record, record);
      this._fieldLength.set(
        record,
        Array.from(postings.fieldLength.subarray(record * fieldCount, (record + 1) * fieldCount)),
      );
    }
    this._documentCount = recordCount;
    this._nextId = recordCount;
    this._avgFieldLength = [...postings.averageFieldLength];
    postings.terms.forEach((term, id) => {
      this._index.set(term, new LazyFieldTermFrequencies(postings, id));
    });
  }

  /**
   * The live records' postings, for a snapshot that `fromPostingLists`
   * loads: records renumbered from 0 in the order they were added (`ids`
   * gives each one's id), terms in the term tree's order, only the postings
   * of live records (so the snapshot of an index with discarded records
   * equals it vacuumed). Yields to the event loop as it goes; the caller
   * makes sure nothing changed the index meanwhile (`add`, `discard`, a
   * vacuum), or throws the result away.
   */
  async exportPostingLists(): Promise<{ postings: PostingLists; ids: unknown[] }> {
    const fields = this._options.fields;
    const fieldCount = fields.length;
    const recordOf = new Int32Array(this._nextId).fill(-1);
    const ids: unknown[] = [];
    const fieldLength = new GrowableUint32Array();
    for (let shortId = 0; shortId < this._nextId; shortId++) {
      if (!this._documentIds.has(shortId)) continue;
      recordOf[shortId] = ids.length;
      ids.push(this._documentIds.get(shortId));
      const lengths = this._fieldLength.get(shortId) ?? [];
      for (let field = 0; field < fieldCount; field++) fieldLength.push(lengths[field] ?? 0);
    }
    const terms: string[] = [];
    const postingStart = new GrowableUint32Array();
    postingStart.push(0);
    const postingRecord = new GrowableUint32Array();
    const postingFrequency = new GrowableUint32Array();
    let sinceYield = 0;
    for (const [term, data] of this._index) {
      const before = postingRecord.length;
      const starts: number[] = [];
      const unfilled = data instanceof LazyFieldTermFrequencies ? data.unfilled : undefined;
      for (let field = 0; field < fieldCount; field++) {
        if (unfilled) {
          // Loaded and never touched since: copy from the loaded lists, where record = short id.
          const { postings, term: termId } = unfilled;
          const end = postings.postingStart[termId * fieldCount + field + 1]!;
          for (let at = postings.postingStart[termId * fieldCount + field]!; at < end; at++) {
            const record = recordOf[postings.postingRecord[at]!]!;
            if (record < 0) continue;
            postingRecord.push(record);
            postingFrequency.push(postings.postingFrequency[at]!);
          }
        } else {
          const frequencies = data.get(this._fieldIds[fields[field]!]!);
          if (frequencies !== undefined) {
            for (const [shortId, frequency] of frequencies) {
              const record = recordOf[shortId] ?? -1;
              if (record < 0) continue;
              postingRecord.push(record);
              postingFrequency.push(frequency);
            }
          }
        }
        starts.push(postingRecord.length);
      }
      sinceYield += postingRecord.length - before + 1;
      if (sinceYield > 200_000) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
      // A term left with no live record would match nothing: it is not kept.
      if (postingRecord.length === before) continue;
      terms.push(term);
      for (const start of starts) postingStart.push(start);
    }
    return {
      postings: {
        fields: [...fields],
        recordCount: ids.length,
        averageFieldLength: fields.map((_, field) =>
          ids.length === 0 ? 0 : (this._avgFieldLength[field] ?? 0),
        ),
        fieldLength: fieldLength.copy(),
        terms,
        postingStart: postingStart.copy(),
        postingRecord: postingRecord.copy(),
        postingFrequency: postingFrequency.copy(),
      },
      ids,
    };
  }

  override add(document: T): void {
    super.add(document);
    const shortId = this._nextId - 1;
    this.#ensureCapacity(this._nextId);
    const lengths = this._fieldLength.get(shortId) ?? [];
    const fieldCount = this._options.fields.length;
    for (let field = 0; field < fieldCount; field++)
      this.#fieldLengths[shortId * fieldCount + field] = lengths[field] ?? 0;
    this.#live[shortId] = 1;
  }

  override discard(id: unknown): void {
    const shortId = this._idToShortId.get(id);
    super.discard(id);
    if (shortId !== undefined) this.#live[shortId] = 0;
  }

  override remove(document: T): void {
    const id = this._options.extractField(document, this._options.idField);
    const shortId = this._idToShortId.get(id);
    super.remove(document);
    if (shortId !== undefined) this.#live[shortId] = 0;
  }

  override removeAll(documents?: readonly T[]): void {
    if (documents) {
      super.removeAll(documents);
      return;
    }
    super.removeAll();
    // Short ids start again from 0.
    this.#fieldLengths = new Uint32Array(0);
    this.#live = new Uint8Array(0);
    this.#scores = new Float64Array(0);
    this.#matched = new Uint16Array(0);
    this.#lastTerm = new Uint16Array(0);
  }

  /** Grows the per-record arrays to hold `size` short ids (keeping what they hold). */
  #ensureCapacity(size: number): void {
    if (this.#scores.length >= size) return;
    const capacity = Math.max(size, this.#scores.length * 2, 1024);
    const fieldLengths = new Uint32Array(capacity * this._options.fields.length);
    fieldLengths.set(this.#fieldLengths);
    this.#fieldLengths = fieldLengths;
    const live = new Uint8Array(capacity);
    live.set(this.#live);
    this.#live = live;
    // Scores and counters are zero between queries: new ones need no copy.
    this.#scores = new Float64Array(capacity);
    this.#matched = new Uint16Array(capacity);
    this.#lastTerm = new Uint16Array(capacity);
  }
}

type FieldTermData = Map<number, Map<number, number>>;

/** The `capacity` highest-scoring entries offered (ties: the lower short id kept). */
class MinHeap {
  readonly #capacity: number;
  readonly #ids: number[] = [];
  readonly #scores: number[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** True when `a` ranks below `b`. */
  #below(a: number, b: number): boolean {
    const scores = this.#scores;
    return scores[a]! < scores[b]! || (scores[a] === scores[b] && this.#ids[a]! > this.#ids[b]!);
  }

  offer(id: number, score: number): void {
    const ids = this.#ids;
    const scores = this.#scores;
    if (ids.length < this.#capacity) {
      ids.push(id);
      scores.push(score);
      this.#up(ids.length - 1);
      return;
    }
    if (score < scores[0]! || (score === scores[0] && id > ids[0]!)) return;
    ids[0] = id;
    scores[0] = score;
    this.#down(0);
  }

  drain(): TopResult[] {
    return this.#ids.map((id, index) => ({ id, score: this.#scores[index]! }));
  }

  #swap(a: number, b: number): void {
    const ids = this.#ids;
    const scores = this.#scores;
    [ids[a], ids[b]] = [ids[b]!, ids[a]!];
    [scores[a], scores[b]] = [scores[b]!, scores[a]!];
  }

  #up(index: number): void {
    let at = index;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.#below(at, parent)) break;
      this.#swap(at, parent);
      at = parent;
    }
  }

  #down(index: number): void {
    const size = this.#ids.length;
    let at = index;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let lowest = at;
      if (left < size && this.#below(left, lowest)) lowest = left;
      if (right < size && this.#below(right, lowest)) lowest = right;
      if (lowest === at) break;
      this.#swap(at, lowest);
      at = lowest;
    }
  }
}
