import { describe, expect, it } from "vitest";
import { PAGE_CHARACTERS, PAGE_WORDS, paginate } from "./paginate";

const words = (count: number, word = "word") => Array.from({ length: count }, () => word).join(" ");
const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

describe("paginate", () => {
  it("keeps a short text on one page and drops white space only", () => {
    expect(paginate("  One.\n\nTwo.  ")).toEqual(["One.\n\nTwo."]);
    expect(paginate(" \n\n \t")).toEqual([]);
  });

  it("closes a page at the first paragraph end past PAGE_WORDS", () => {
    const text = Array.from({ length: 6 }, () => words(200)).join("\n\n");
    const pages = paginate(text);
    expect(pages.map(wordCount)).toEqual([600, 600]);
    expect(pages.join("\n\n")).toBe(text);
  });

  it("splits a paragraph longer than a page between lines, and a long line between words", () => {
    const lines = Array.from({ length: 30 }, () => words(40)).join("\n");
    const linePages = paginate(lines);
    expect(linePages.length).toBe(3);
    for (const page of linePages) expect(wordCount(page)).toBeLessThanOrEqual(PAGE_WORDS + 40);
    const oneLine = paginate(words(1_250));
    expect(oneLine.map(wordCount)).toEqual([500, 500, 250]);
  });

  it("bounds pages by characters for text without spaces", () => {
    const pages = paginate("字".repeat(PAGE_CHARACTERS * 2 + 10));
    expect(pages.map((page) => page.length)).toEqual([PAGE_CHARACTERS, PAGE_CHARACTERS, 10]);
  });
});
