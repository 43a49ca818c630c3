import MiniSearch, { type Options } from "minisearch";
import { describe, expect, it } from "vitest";
import { normalizeTerm } from "../text/tokenize";
import { createLoadedMiniSearch } from "./loaded-mini-search";
import { buildPostingLists } from "./posting-lists";

interface Passage {
  id: number;
  title: string;
  text: string;
}

const texts = [
  ["The Treaty", "The Louisiana Purchase doubled the size of the United States in 1803."],
  ["The Treaty", "Purchases, purchasing and purchased: Jefferson's government purchased Louisiana."],
  ["", "Governments govern; the governed consent. Government's duties — and governments' limits!"],
  ["Ünïcödé", "Café society, naïve façades and “quoted” words… 1,000 dollars, $5, 42%."],
  ["Repeats", "war war war peace war. War? WAR! peace, peace"],
  ["Numbers", "1776 1812 1865 12 3.5 2021"],
  ["Empty text", ""],
  ["Treaties", "Treaties with Spain, France and Britain; the treaty's terms."],
];
const passages: Passage[] = texts.map(([title, text], id) => ({ id, title: title!, text: text! }));

const passageOptions: Options<Passage> = {
  fields: ["title", "text"],
  processTerm: (term) => normalizeTerm(term),
};
// Arrays, empty strings and per-field processing: every branch of MiniSearch's `add`.
const unusualOptions: Options<Passage> = {
  fields: ["text", "title"],
  processTerm: (term, field) => {
    const lower = term.toLowerCase();
    if (lower.length < 3) return null;
    if (lower.startsWith("gov")) return [lower, "gov", ""];
    return field === "title" ? `t:${lower}` : lower;
  },
};

const queries = [
  "louisiana",
  "purchase",
  "govern",
  "governments",
  "war peace",
  "treaty",
  "café",
  "1812",
  "t:the",
];

describe("posting lists", () => {
  for (const [name, options] of [
    ["the passage options", passageOptions],
    ["unusual options", unusualOptions],
  ] as const) {
    it(`index like MiniSearch's addAll, to the last bit (${name})`, async () => {
      const reference = new MiniSearch<Passage>(options);
      reference.addAll(passages);
      const loaded = createLoadedMiniSearch<Passage>(await buildPostingLists(passages, options), options);
      // Searched before anything else touches the lazily filled terms.
      for (const query of queries) {
        for (const searchOptions of [{}, { prefix: true }, { fuzzy: 0.3, boost: { title: 2 } }]) {
          expect(loaded.search(query, searchOptions)).toEqual(reference.search(query, searchOptions));
        }
      }
      expect(loaded.documentCount).toBe(reference.documentCount);
      expect(loaded.termCount).toBe(reference.termCount);
      // The whole state, term tree order included.
      expect(JSON.stringify(loaded.toJSON())).toBe(JSON.stringify(reference.toJSON()));
    });
  }

  it("group each term's postings by field, records ascending", async () => {
    const postings = await buildPostingLists(passages, passageOptions);
    const war = postings.terms.indexOf("war");
    const text = postings.fields.indexOf("text");
    const start = postings.postingStart[war * 2 + text]!;
    const end = postings.postingStart[war * 2 + text + 1]!;
    expect([...postings.postingRecord.subarray(start, end)]).toEqual([4]);
    expect([...postings.postingFrequency.subarray(start, end)]).toEqual([6]);
    expect(postings.postingStart.at(-1)).toBe(postings.postingRecord.length);
  });

  it("refuse a MiniSearch over other fields", async () => {
    const postings = await buildPostingLists(passages, passageOptions);
    expect(() => createLoadedMiniSearch(postings, { ...passageOptions, fields: ["text"] })).toThrow(
      /has the fields title, text, expected text/,
    );
  });
});
