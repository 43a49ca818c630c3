import { describe, expect, it } from "vitest";
import { createQuestionMatcher, questionTerms, termProfile } from "./question-match";

describe("question matching", () => {
  it("keeps the question's key words and phrases, not how it is asked", () => {
    expect(questionTerms("What did the president say about the axis of evil in 2002?")).toEqual({
      terms: ["axis", "evil", "2002"],
      pairs: ["axis evil", "evil 2002"],
    });
  });

  it("prefers the sentence with the question's rare words, its phrases, and its document's title", () => {
    const question = questionTerms("Jefferson on the war with Tripoli");
    const weight = (term: string) => ({ jefferson: 6, tripoli: 8, war: 1 })[term] ?? 1;
    const matcher = createQuestionMatcher(question, { weight });
    const score = (sentence: string, title: string) =>
      matcher.score({ sentence: termProfile(sentence), title: termProfile(title) });
    const answer = score(
      "Tripoli had permitted itself to denounce war on us.",
      "State of the Union, 1801 — Thomas Jefferson",
    );
    const common = score("The war went on for many years.", "State of the Union, 1801 — Thomas Jefferson");
    const elsewhere = score(
      "Tripoli had permitted itself to denounce war on us.",
      "State of the Union, 1847 — James Polk",
    );
    expect(answer).toBeGreaterThan(common);
    expect(answer).toBeGreaterThan(elsewhere);
    expect(score("Nothing of the kind here at all.", "State of the Union, 1801 — Thomas Jefferson")).toBe(0);
  });
});
