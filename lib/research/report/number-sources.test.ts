import { describe, expect, it } from "vitest";
import type { LearningRecord } from "../research-records";
import { numberSources } from "./number-sources";

const learning = (ref: string, relevance: number, passage = `${ref} text`): LearningRecord => ({
  text: `finding from ${ref}`,
  sources: [{ title: ref, documentRef: ref }],
  passages: [passage],
  relevance,
});

describe("numberSources", () => {
  it("numbers the most relevant source first, whatever the order of the findings", () => {
    const sources = numberSources([learning("a", 1), learning("b", 5), learning("c", 3), learning("a", 0.5)]);
    expect([...sources.values()].map((source) => [source.documentRef, source.number])).toEqual([
      ["b", 1],
      ["c", 2],
      ["a", 3],
    ]);
    expect(sources.get("a")?.passages).toEqual(["a text"]);
  });

  it("counts further findings of a source a little", () => {
    // b's best is lower than a's, but b has three strong findings.
    const sources = numberSources([learning("a", 4), learning("b", 3.5), learning("b", 3), learning("b", 3)]);
    expect(sources.get("b")?.number).toBe(1);
  });

  it("keeps the order of first findings when relevance is unknown (a model's findings)", () => {
    const sources = numberSources([learning("x", 0), learning("y", 0), learning("x", 0), learning("z", 0)]);
    expect([...sources.keys()]).toEqual(["x", "y", "z"]);
    expect([...sources.values()].map((source) => source.number)).toEqual([1, 2, 3]);
  });

  it("weighs the search's rank of a document beside its findings", () => {
    const learnings = [learning("a", 5), learning("b", 4), learning("c", 1)];
    expect([...numberSources(learnings).keys()]).toEqual(["a", "b", "c"]);
    // b was the search's first result for the question, a its third: 0.8 + 1 beats 1 + 1/3.
    const ranked = numberSources(learnings, {
      searchRanks: new Map([
        ["a", 3],
        ["b", 1],
      ]),
    });
    expect([...ranked.values()].map((source) => [source.documentRef, source.number])).toEqual([
      ["b", 1],
      ["a", 2],
      ["c", 3],
    ]);
  });

  it("leaves findings without relevance in their order whatever the search ranks", () => {
    const learnings = [learning("x", 0), learning("y", 0)];
    const sources = numberSources(learnings, { searchRanks: new Map([["y", 1]]) });
    expect([...sources.keys()]).toEqual(["x", "y"]);
  });
});
