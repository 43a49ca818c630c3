import { describe, expect, it } from "vitest";
import { summaryParagraph } from "./model-llm";

describe("summaryParagraph", () => {
  it("makes one paragraph of a model's summary: no headings, list marks or blank lines", () => {
    expect(
      summaryParagraph("## What's new\n\n- The canal was enlarged [3].\n\n* Boats grew larger [3][4].\n"),
    ).toBe("The canal was enlarged [3]. Boats grew larger [3][4].");
  });

  it("cuts a long summary at a sentence", () => {
    const sentence = "The canal was enlarged between 1836 and 1862 so that larger boats could pass [3]. ";
    const text = sentence.repeat(40);
    const paragraph = summaryParagraph(text);
    expect(paragraph.length).toBeLessThanOrEqual(1500);
    expect(paragraph.endsWith("[3].")).toBe(true);
  });
});
