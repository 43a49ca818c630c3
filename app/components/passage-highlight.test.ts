import { describe, expect, it } from "vitest";
import { findText, PASSAGE_PREFIX_LENGTH, passageParam, passageRange, splitAt } from "./passage-highlight";

const page =
  "Quarterly results.\n\nThe lighthouse keeper   recorded\nforty-two storms in the winter of 1887. " +
  "Nobody believed him! The harbour master did.\n\nA new paragraph starts here";

describe("passageParam", () => {
  it("collapses whitespace and keeps at most 80 characters", () => {
    expect(passageParam("  a \n\n b  ")).toBe("a b");
    const long = `${"word ".repeat(40)}`;
    expect(passageParam(long).length).toBeLessThanOrEqual(PASSAGE_PREFIX_LENGTH);
    expect(passageParam(long).endsWith(" ")).toBe(false);
  });
});

describe("findText", () => {
  it("finds a passage whatever its whitespace and case, with offsets into the page", () => {
    const found = findText(page, "the LIGHTHOUSE keeper recorded forty-two");
    expect(found).not.toBeNull();
    expect(page.slice(found!.start, found!.end)).toBe("The lighthouse keeper   recorded\nforty-two");
  });

  it("answers null for text the page does not hold, and for nothing", () => {
    expect(findText(page, "a ship in the night")).toBeNull();
    expect(findText(page, "   ")).toBeNull();
  });
});

describe("passageRange", () => {
  it("marks the quoted start through the end of its sentence", () => {
    const range = passageRange(page, "lighthouse keeper recorded forty-two");
    expect(page.slice(range!.start, range!.end)).toBe(
      "lighthouse keeper   recorded\nforty-two storms in the winter of 1887.",
    );
  });

  it("stops at a paragraph break when the sentence has no full stop", () => {
    const range = passageRange(page, "A new paragraph");
    expect(page.slice(range!.start, range!.end)).toBe("A new paragraph starts here");
    const text = "Heading without stop\n\nNext";
    const heading = passageRange(text, "Heading");
    expect(text.slice(heading!.start, heading!.end)).toBe("Heading without stop");
  });

  it("finds what the index made of the page (a passage joins paragraphs with one space)", () => {
    const passage = "Quarterly results. The lighthouse keeper recorded forty-two storms in the winter";
    const range = passageRange(page, passageParam(passage));
    expect(range).not.toBeNull();
    expect(page.slice(range!.start).startsWith("Quarterly results.\n\nThe lighthouse")).toBe(true);
  });
});

describe("splitAt", () => {
  it("cuts the text around the range, or leaves it whole", () => {
    expect(splitAt("abcdef", { start: 2, end: 4 })).toEqual({ before: "ab", marked: "cd", after: "ef" });
    expect(splitAt("abcdef", null)).toEqual({ before: "abcdef", marked: "", after: "" });
  });
});
