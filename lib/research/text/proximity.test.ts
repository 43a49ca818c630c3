import { describe, expect, it } from "vitest";
import { proximity } from "./proximity";
import { questionTerms, termSequence } from "./question-match";

const even = () => 1;

describe("proximity", () => {
  it("is 1 when every pair of query words is side by side, 0 when none is", () => {
    const terms = questionTerms("Pearl Harbor").terms;
    expect(proximity(termSequence("The attack on Pearl Harbor was meant to stun us."), terms, even, 1)).toBe(
      1,
    );
    expect(proximity(termSequence("Harbor works and a pearl of great price."), terms, even, 1)).toBe(0);
  });

  it("counts pairs in either order and other forms of a word", () => {
    const terms = questionTerms("contracts of federal agencies").terms;
    expect(proximity(termSequence("requiring Federal contractors to pay"), terms, even, 1)).toBeGreaterThan(
      0,
    );
  });

  it("gives partial credit within a wider window, weighted by the lighter word", () => {
    const terms = ["russia", "alaska", "treaty"];
    const weight = (term: string) => (term === "treaty" ? 0 : 5);
    const near = proximity(
      termSequence("payment to Russia of the sum for the cession of Alaska"),
      terms,
      weight,
      8,
    );
    expect(near).toBeGreaterThan(0);
    expect(near).toBeLessThan(1);
  });
});
