import { describe, expect, expectTypeOf, it } from "vitest";
import type { ExtractText } from "../../tasks/index-job";
import { extractDocument } from "./index";

describe("extractDocument", () => {
  it("is the extraction an index task takes", async () => {
    expectTypeOf(extractDocument).toExtend<ExtractText>();
    const extract: ExtractText = extractDocument;
    const extracted = await extract({ bytes: new TextEncoder().encode("Hello."), filename: "a.txt" });
    expect(extracted).toEqual({
      type: "text",
      mediaType: "text/plain",
      title: "a",
      pages: ["Hello."],
      pageCount: 1,
      characters: 6,
    });
  });
});
