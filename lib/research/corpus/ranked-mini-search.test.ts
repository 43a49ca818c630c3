import MiniSearch from "minisearch";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../tests/support/seeded-random";
import { normalizeTerm } from "../text/tokenize";
import { RankedMiniSearch } from "./ranked-mini-search";

interface Passage {
  id: number;
  title: string;
  text: string;
}

const WORDS = (
  "treaty treaties purchase purchased territory territorial congress president presidents annual message " +
  "revenue tariff canal railway railways settlers frontier commerce commercial navigation river port customs " +
  "duties appropriation militia navy naval administration report union states government governments citizens " +
  "policy foreign relations expenditure surplus debt currency bank banking credit harvest manufactures industry " +
  "industrial labor wages population census district court constitution amendment senate representatives session"
).split(" ");

function passages(count: number, seed: number): Passage[] {
  const next = seededRandom(seed);
  const pick = () => WORDS[Math.floor(next() * WORDS.length)]!;
  return Array.from({ length: count }, (_, id) => ({
    id,
    title: `${pick()} ${pick()}`,
    text: Array.from({ length: 20 + Math.floor(next() * 120) }, pick).join(" "),
  }));
}

const OPTIONS = { fields: ["title", "text"], processTerm: (term: string) => normalizeTerm(term) };
const QUERIES = [
  "treaty",
  "How did the government pay its debt to the bank?",
  "railway commerce railway",
  "territ",
  "naval appropriation for the navy and the militia",
  "the of and",
  "zebra",
  "Congress, the Senate and the representatives of the states in session",
];

describe("RankedMiniSearch.top", () => {
  it("ranks as MiniSearch's OR search does, to the last digits of every score", () => {
    const records = passages(600, 7);
    const ranked = new RankedMiniSearch<Passage>(OPTIONS);
    const plain = new MiniSearch<Passage>(OPTIONS);
    ranked.addAll(records);
    plain.addAll(records);
    // Discarded records (their postings linger until a vacuum) are skipped by both.
    for (const id of [3, 10, 11, 250, 599]) {
      ranked.discard(id);
      plain.discard(id);
    }
    for (const index of [0, 1]) {
      const removed = records[20 + index]!;
      ranked.remove(removed);
      plain.remove(removed);
      const replaced = { ...records[40 + index]!, text: "a treaty of commerce and navigation with the navy" };
      ranked.replace(replaced);
      plain.replace(replaced);
    }
    const searchOptions = {
      boost: { title: 1.5 },
      prefix: (term: string) => term.length > 3,
      combineWith: "OR" as const,
    };
    for (const query of QUERIES) {
      const expected = plain
        .search(query, searchOptions)
        .map((result) => ({ id: result.id as number, score: result.score }))
        // Records are added in id order here, so the order added is the id order.
        .sort((a, b) => b.score - a.score || a.id - b.id);
      for (const limit of [1, 10, 50, 10_000]) {
        const top = ranked.top(query, limit, searchOptions);
        expect(top.map((result) => result.id)).toEqual(expected.slice(0, limit).map((result) => result.id));
        top.forEach((result, index) => {
          expect(result.score).toBeCloseTo(expected[index]!.score, 10);
        });
      }
    }
  });

  it("gives nothing for no limit, no terms or no match, and takes records added after a search", () => {
    const ranked = new RankedMiniSearch<Passage>(OPTIONS);
    ranked.addAll(passages(20, 1));
    expect(ranked.top("treaty", 0)).toEqual([]);
    expect(ranked.top("the and of", 10)).toEqual([]);
    expect(ranked.top("zebra", 10)).toEqual([]);
    expect(ranked.top("treaty", 5).length).toBeGreaterThan(0);
    // Grows its arrays past the first search's size.
    ranked.addAll(passages(3000, 2).map((passage) => ({ ...passage, id: passage.id + 20 })));
    ranked.add({ id: 5000, title: "zebra", text: "a zebra crossing" });
    expect(ranked.top("zebra", 10)).toEqual([{ id: 5000, score: expect.any(Number) }]);
    // Emptied, it starts its short ids again.
    ranked.removeAll();
    expect(ranked.top("zebra", 10)).toEqual([]);
    ranked.add({ id: 7, title: "zebra", text: "stripes" });
    expect(ranked.top("zebra stripes", 10)).toEqual([{ id: 7, score: expect.any(Number) }]);
  });

  it("breaks ties in the order records were added", () => {
    const ranked = new RankedMiniSearch<Passage>(OPTIONS);
    ranked.addAll([4, 2, 9, 1].map((id) => ({ id, title: "same", text: "identical words here" })));
    expect(ranked.top("identical", 3).map((result) => result.id)).toEqual([4, 2, 9]);
  });
});
