import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import MiniSearch, { type Options as MiniSearchOptions } from "minisearch";

/**
 * What a MiniSearch index knows of its records, in flat arrays: built once,
 * persisted as they are and handed to `createLoadedMiniSearch`. Record `i`
 * has the id `i`. `F` below is `fields.length`.
 */
export interface PostingLists {
  /** The indexed fields, in the order of MiniSearch's `fields` option (field id = position). */
  readonly fields: readonly string[];
  /** Number of records. */
  readonly recordCount: number;
  /** MiniSearch's running average of each field's length (in distinct tokens). */
  readonly averageFieldLength: readonly number[];
  /** Distinct tokens of record `r` in field `f` at `[r * F + f]` (MiniSearch's field length). */
  readonly fieldLength: Uint32Array;
  /** Every term, in the order MiniSearch's `add` first met it (the order its term tree was built in). */
  readonly terms: readonly string[];
  /**
   * The postings of term `t` in field `f` are entries `postingStart[t * F + f]`
   * up to (not including) `postingStart[t * F + f + 1]` of `postingRecord`
   * and `postingFrequency`, by ascending record; `T * F + 1` entries.
   */
  readonly postingStart: Uint32Array;
  /** The record of each posting. */
  readonly postingRecord: Uint32Array;
  /** How often the term occurs in that record's field (at least 1). */
  readonly postingFrequency: Uint32Array;
}

/** Records indexed between two yields to the event loop (a few tens of ms of work). */
const RECORDS_PER_SLICE = 256;

/**
 * Indexes `records` the way `new MiniSearch(options).addAll(records)` does
 * — the same tokenizer, term processing, field lengths, running averages and
 * order of first appearance of the terms — but counts into flat arrays
 * instead of inserting every token into MiniSearch's term tree, and
 * processes each distinct word once. Yields to the event loop as it goes.
 */
export async function buildPostingLists<T>(
  records: readonly T[],
  options: MiniSearchOptions<T>,
): Promise<PostingLists> {
  const fields = options.fields;
  const fieldCount = fields.length;
  const extractField = options.extractField ?? MiniSearch.getDefault("extractField");
  const stringifyField = options.stringifyField ?? MiniSearch.getDefault("stringifyField");
  const tokenize = options.tokenize ?? MiniSearch.getDefault("tokenize");
  const processTerm = options.processTerm ?? MiniSearch.getDefault("processTerm");
  // A word maps to the same terms every time: each distinct word of a field
  // is processed once and numbered, and maps to the ids of its terms.
  const words = fields.map(() => new Map<string, number>());
  const termsOfWord = fields.map((): number[][] => []);
  // Per word, the last field (record × field + 1) it was counted in: MiniSearch's
  // field length is the number of distinct words (before processing).
  const wordSeenIn = fields.map((): number[] => []);

  const termIds = new Map<string, number>();
  const terms: string[] = [];
  const averageFieldLength: number[] = fields.map(() => 0);
  const fieldLength = new Uint32Array(records.length * fieldCount);
  // One (term × field, record, frequency) triple per posting, in record order.
  const keys = new GrowableUint32Array();
  const postingRecords = new GrowableUint32Array();
  const frequencies = new GrowableUint32Array();
  // Per-term counters of the field being counted, reset through `touched`.
  const counts: number[] = [];
  const touched: number[] = [];

  const termId = (term: string) => {
    let id = termIds.get(term);
    if (id === undefined) {
      id = terms.length;
      termIds.set(term, id);
      terms.push(term);
      counts.push(0);
    }
    return id;
  };

  for (let record = 0; record < records.length; record++) {
    if (record > 0 && record % RECORDS_PER_SLICE === 0) await yieldToEventLoop();
    for (let field = 0; field < fieldCount; field++) {
      const fieldName = fields[field]!;
      const value = extractField(records[record]!, fieldName);
      if (value == null) continue;
      const wordIds = words[field]!;
      const wordTerms = termsOfWord[field]!;
      const seenIn = wordSeenIn[field]!;
      const stamp = record * fieldCount + field + 1;
      let length = 0;
      for (const word of tokenize(stringifyField(value, fieldName), fieldName)) {
        let wordId = wordIds.get(word);
        if (wordId === undefined) {
          wordId = wordTerms.length;
          wordIds.set(word, wordId);
          const result = processTerm(word, fieldName);
          // MiniSearch indexes every term of an array, and a single term when truthy.
          wordTerms.push((Array.isArray(result) ? result : result ? [result] : []).map(termId));
          seenIn.push(0);
        }
        if (seenIn[wordId] !== stamp) {
          seenIn[wordId] = stamp;
          length++;
        }
        for (const id of wordTerms[wordId]!) {
          const count = counts[id]!;
          if (count === 0) touched.push(id);
          counts[id] = count + 1;
        }
      }
      fieldLength[record * fieldCount + field] = length;
      // Exactly MiniSearch's arithmetic (`addFieldLength`), so scores match to the last bit.
      averageFieldLength[field] = (averageFieldLength[field]! * record + length) / (record + 1);
      for (const id of touched) {
        keys.push(id * fieldCount + field);
        postingRecords.push(record);
        frequencies.push(counts[id]!);
        counts[id] = 0;
      }
      touched.length = 0;
    }
  }

  // Group the postings by term × field (a stable counting sort keeps records ascending).
  const postingCount = keys.length;
  const postingStart = new Uint32Array(terms.length * fieldCount + 1);
  const keyView = keys.view();
  for (let index = 0; index < postingCount; index++) postingStart[keyView[index]! + 1]! += 1;
  for (let key = 1; key < postingStart.length; key++) postingStart[key]! += postingStart[key - 1]!;
  const next = postingStart.slice(0, -1);
  const postingRecord = new Uint32Array(postingCount);
  const postingFrequency = new Uint32Array(postingCount);
  const recordView = postingRecords.view();
  const frequencyView = frequencies.view();
  for (let index = 0; index < postingCount; index++) {
    const key = keyView[index]!;
    const at = next[key]!;
    next[key] = at + 1;
    postingRecord[at] = recordView[index]!;
    postingFrequency[at] = frequencyView[index]!;
  }
  return {
    fields: [...fields],
    recordCount: records.length,
    averageFieldLength,
    fieldLength,
    terms,
    postingStart,
    postingRecord,
    postingFrequency,
  };
}

/** An append-only list of unsigned 32-bit integers. */
export class GrowableUint32Array {
  #values = new Uint32Array(1 << 16);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#values.length) {
      const larger = new Uint32Array(this.#values.length * 2);
      larger.set(this.#values);
      this.#values = larger;
    }
    this.#values[this.#length++] = value;
  }

  /** The values pushed so far, as an array of their own. */
  copy(): Uint32Array {
    return this.#values.slice(0, this.#length);
  }

  /** The values pushed so far (a view: valid until the next push). */
  view(): Uint32Array {
    return this.#values.subarray(0, this.#length);
  }
}
