import { describe, expect, it } from "vitest";
import { eraCues, isTimeWord, titleYear } from "./era-cues";

describe("eraCues", () => {
  it("reads a year as that year and the next, whose address looks back on it", () => {
    expect(eraCues("What did Roosevelt ask of Congress in 1941?")).toEqual([{ from: 1941, to: 1942 }]);
  });

  it("reads a decade as its ten years and the address after them", () => {
    expect(eraCues("How did farm prices fall in the 1930s?")).toEqual([{ from: 1930, to: 1940 }]);
    expect(eraCues("railroads in the 1870's")).toEqual([{ from: 1870, to: 1880 }]);
  });

  it("reads the usual names of periods of U.S. history", () => {
    expect(eraCues("What relief did the government give during the Great Depression?")).toEqual([
      { from: 1930, to: 1940 },
    ]);
    expect(eraCues("How were veterans of the Second World War helped?")).toEqual([{ from: 1939, to: 1946 }]);
    expect(eraCues("Debts of the Civil War and the Mexican War")).toEqual([
      { from: 1861, to: 1866 },
      { from: 1846, to: 1848 },
    ]);
  });

  it("leaves out years that bound the question, quantities and questions without a time", () => {
    expect(eraCues("Which states abolished slavery before 1900?")).toEqual([]);
    expect(eraCues("What changed since the 1940s?")).toEqual([]);
    expect(eraCues("Was it the worst slump since the Great Depression?")).toEqual([]);
    expect(eraCues("How were veterans helped after World War II?")).toEqual([]);
    expect(eraCues("Why were 2500 troops sent, and 1200 more?")).toEqual([]);
    expect(eraCues("Why did Clinton say the era of big government is over?")).toEqual([]);
  });
});

describe("isTimeWord", () => {
  it("tells a year that sets the time from one that bounds it", () => {
    const words = ["slavery", "before", "1900", "and", "in", "1862"];
    expect(isTimeWord(words, 2)).toBe(false);
    expect(isTimeWord(words, 5)).toBe(true);
    expect(isTimeWord(["the", "1930s"], 1)).toBe(true);
    expect(isTimeWord(["since", "the", "1930s"], 2)).toBe(false);
    expect(isTimeWord(["slavery"], 0)).toBe(false);
  });
});

describe("titleYear", () => {
  it("is the one year a title names", () => {
    expect(titleYear("State of the Union, 1941 — Franklin D. Roosevelt")).toBe(1941);
    expect(titleYear("Budget notes")).toBeUndefined();
    expect(titleYear("From 1990 to 2000")).toBeUndefined();
  });
});
