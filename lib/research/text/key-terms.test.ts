import { describe, expect, it } from "vitest";
import { keyTerms } from "./key-terms";

describe("keyTerms", () => {
  it("leaves out contractions of function words, keeps possessives of content words", () => {
    const texts = [
      "It's time. That's why the nation's workers don't wait for the minimum wage.",
      "It's fair. That's why the nation's workers won't wait for a higher wage.",
    ];
    const terms = keyTerms(texts).map((term) => term.surface.toLowerCase());
    expect(terms).toEqual(expect.arrayContaining(["wage", "workers", "nation's"]));
    for (const contraction of ["it's", "that's", "don't", "won't"]) expect(terms).not.toContain(contraction);
  });
});
