import { describe, expect, it } from "vitest";
import { htmlToBlocks } from "./html-blocks";

describe("htmlToBlocks", () => {
  it("makes headings, paragraphs, list items and table rows blocks of their own", () => {
    const html =
      "<h2>Intro</h2><h1>Main <em>title</em></h1><p>First<br />line two</p>" +
      "<ul><li>Apples<ul><li>Green</li></ul></li><li>Pears</li></ul>" +
      "<table><tr><th>Name</th><th>Qty</th></tr><tr><td><p>Nuts</p><p>mixed</p></td><td>3</td></tr></table>" +
      '<p><img src="x.png" alt="chart" /></p>';
    expect(htmlToBlocks(html)).toEqual({
      blocks: [
        "Intro",
        "Main title",
        "First\nline two",
        "- Apples",
        "  - Green",
        "- Pears",
        "Name | Qty",
        "Nuts mixed | 3",
      ],
      firstHeading: "Main title",
    });
  });

  it("has no first heading without headings", () => {
    expect(htmlToBlocks("<p>Only text</p>")).toEqual({ blocks: ["Only text"] });
  });
});
