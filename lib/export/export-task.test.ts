import { inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { testTask } from "../model/testing/task-fixture";
import { extractDocument } from "../research/documents/extract-document";
import { entryData, readZipDirectory } from "../research/documents/zip-directory";
import { hasReport, type ReportTask } from "./export-document";
import { exportTask } from "./export-task";
import { contentDisposition, fileNameOf } from "./file-name";
import { reportBlocks } from "./report-blocks";
import { toWinAnsi } from "./win-ansi";

const REPORT = `# The Louisiana Purchase & <Its> Price

## Summary

Jefferson called the purchase a great acquisition [1]. Congress debated the treaty [1, 2].

## Findings

- The price was **fifteen million** dollars [2].
- The territory doubled the country:
  1. west of the Mississippi [1]
  2. up to the Rockies
- A <script>alert("x")</script> tag stays text.

> Quoted from a *message* to Congress [3].

| Year | Event |
| ---- | ----- |
| 1803 | Treaty [2] |

Other scripts: 中文报告, Ελληνικά, Ωmega — and a [bad link](javascript:alert(1)) and a [good one](https://example.org/a?b=1&c=2).

## Sources

1. Thomas Jefferson, Third Annual Message — sotu:1803
2. [Treaty text](https://example.org/treaty)
3. Report, page 2 — collection:papers/0123456789abcdef0123456789abcdef
`;

function reportTask(report = REPORT): ReportTask {
  const task = testTask({
    status: "completed",
    finishedAt: "2024-01-01T00:05:00.000Z",
    attempts: [
      {
        id: "a1",
        kind: "first",
        ownerId: "host-secret:123",
        epoch: 1,
        startedAt: "2024-01-01T00:00:01.000Z",
        endedAt: "2024-01-01T00:05:00.000Z",
        durationMs: 299_000,
        outcome: "completed",
        error: null,
      },
    ],
    result: {
      report,
      sources: [
        {
          number: 1,
          title: "Thomas Jefferson, Third Annual Message",
          documentRef: "sotu:1803",
          passages: ["…"],
        },
        { number: 2, title: "Treaty text", url: "https://example.org/treaty", passages: [] },
        {
          number: 3,
          title: "Report",
          documentRef: "collection:papers/0123456789abcdef0123456789abcdef",
          page: 2,
          passages: [],
        },
      ],
      learnings: ["The purchase cost $15 million."],
    },
  });
  if (!hasReport(task)) throw new Error("fixture has no report");
  return task;
}

function bytesOf(body: Uint8Array | string): Uint8Array {
  return typeof body === "string" ? new TextEncoder().encode(body) : body;
}

function unzip(bytes: Uint8Array): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readZipDirectory(bytes)) {
    const data = entryData(bytes, entry);
    files.set(entry.name, inflateRawSync(data).toString("utf8"));
  }
  return files;
}

describe("reportBlocks", () => {
  it("parses headings, paragraphs, nested lists and citations", () => {
    const blocks = reportBlocks(REPORT);
    expect(blocks.filter((block) => block.kind === "heading").map((block) => block.level)).toEqual([
      1, 2, 2, 2,
    ]);
    const items = blocks.filter((block) => block.kind === "list-item");
    expect(items.map((item) => [item.level, item.ordered, item.number])).toEqual([
      [0, false, 1],
      [0, false, 2],
      [1, true, 1],
      [1, true, 2],
      [0, false, 3],
      [0, true, 1],
      [0, true, 2],
      [0, true, 3],
    ]);
    const summary = blocks[2];
    expect(
      summary?.kind === "paragraph" && summary.inlines.filter((inline) => inline.kind === "citation"),
    ).toEqual([
      { kind: "citation", number: 1 },
      { kind: "citation", number: 1 },
      { kind: "citation", number: 2 },
    ]);
  });
});

describe("file names", () => {
  it("are ASCII slugs of the title, with the title in filename*", () => {
    expect(fileNameOf("The Louisiana Purchase & <Its> Price", "pdf")).toBe(
      "the-louisiana-purchase-its-price.pdf",
    );
    expect(fileNameOf("Über Émile", "md")).toBe("uber-emile.md");
    expect(fileNameOf("中文报告", "docx")).toBe("report.docx");
    const header = contentDisposition('中文 "报告"/x', "pdf");
    expect(header).toBe(
      `attachment; filename="x.pdf"; filename*=UTF-8''${encodeURIComponent("中文 报告 x.pdf")}`,
    );
  });

  it("leave out bidirectional overrides and invisible characters from filename*", () => {
    expect(contentDisposition("Tariffs\u202Egpj", "pdf")).toBe(
      `attachment; filename="tariffs-gpj.pdf"; filename*=UTF-8''Tariffsgpj.pdf`,
    );
    expect(contentDisposition("\u200B\u2066\u200F", "md")).toBe(
      `attachment; filename="report.md"; filename*=UTF-8''report.md`,
    );
    // Joiners are part of words and emoji: kept.
    expect(contentDisposition("می\u200Cخواهم", "md")).toContain(encodeURIComponent("می\u200Cخواهم.md"));
  });
});

describe("toWinAnsi", () => {
  it("keeps Western text, simplifies what it can and replaces the rest", () => {
    expect(toWinAnsi("café — “quoted” €5")).toBe("café — “quoted” €5");
    expect(toWinAnsi("Łódź ő ﬁ →")).toBe("Lódz o fi ->");
    expect(toWinAnsi("中文 Ωmega")).toBe("?? ?mega");
  });
});

describe("exportTask", () => {
  it("md: the report as it is, named after its title", async () => {
    const file = await exportTask(reportTask(), "md");
    expect(file.body).toBe(REPORT);
    expect(file.contentType).toBe("text/markdown; charset=utf-8");
    expect(file.fileName).toBe("the-louisiana-purchase-its-price.md");
    expect(file.contentDisposition).toMatch(
      /^attachment; filename="the-louisiana-purchase-its-price\.md"; filename\*=/,
    );
  });

  it("names the file after the query when the report has no title", async () => {
    const file = await exportTask(reportTask("Just a paragraph [1].\n"), "html");
    expect(file.fileName).toBe("louisiana-purchase.html");
  });

  it("html: a standalone document, citations linked to anchored sources, everything escaped", async () => {
    const file = await exportTask(reportTask(), "html", { appUrl: "https://fathom.example" });
    const html = String(file.body);
    expect(file.contentType).toBe("text/html; charset=utf-8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("<style>");
    expect(html).not.toMatch(/<link|<script|src=/i);
    expect(html).toContain("<title>The Louisiana Purchase &#38; &#60;Its&#62; Price</title>");
    expect(html).toContain('<a class="citation" href="#source_1" title="Source 1">1</a>');
    expect(html).toContain(
      '<li id="source_2" value="2"><a href="https://example.org/treaty">Treaty text</a>',
    );
    // A collection's document links to the app's page of it, absolute.
    expect(html).toContain(
      'href="https://fathom.example/collections/papers/documents/0123456789abcdef0123456789abcdef?page=2"',
    );
    expect(html).toContain("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;");
    expect(html).not.toContain("javascript:");
    expect(html).toContain('<a href="https://example.org/a?b=1&#38;c=2">good one</a>');
    expect(html).toContain("中文报告");
    // The engine's own sources list is replaced by the anchored one: one "Sources" heading.
    expect(html.match(/>Sources</g)).toHaveLength(1);
    expect(html).toMatch(/<ul>\n<li>The price was <strong>fifteen million<\/strong> dollars \[<a/);
    expect(html).toMatch(/<ol>\n<li>west of the Mississippi/);
    expect(html).toContain("<blockquote>");
    expect(html).toContain("<th>Year</th>");
  });

  it("pdf: real text with the title, headings, citations and sources", async () => {
    const file = await exportTask(reportTask(), "pdf");
    expect(file.contentType).toBe("application/pdf");
    const bytes = bytesOf(file.body);
    expect(Buffer.from(bytes.subarray(0, 5)).toString("latin1")).toBe("%PDF-");
    const extracted = await extractDocument({ bytes, filename: file.fileName });
    expect(extracted.type).toBe("pdf");
    expect(extracted.title).toBe("The Louisiana Purchase & <Its> Price");
    const text = extracted.pages.join("\n").replace(/\s+/g, " ");
    for (const expected of [
      "The Louisiana Purchase & <Its> Price",
      "Summary",
      "Findings",
      "Jefferson called the purchase a great acquisition [1]",
      "fifteen million",
      "west of the Mississippi",
      "Sources",
      "Thomas Jefferson, Third Annual Message",
      "Treaty text",
      "https://example.org/treaty",
      // Other scripts in their own letters, through the embedded fonts.
      "Other scripts: 中文报告, Ελληνικά, Ωmega",
    ])
      expect(text).toContain(expected);
    expect(text.match(/Sources/g)).toHaveLength(1);
    // Links: the source's URL and the citations' jumps to named destinations.
    const raw = Buffer.from(bytes).toString("latin1");
    expect(raw).toContain("/URI (https://example.org/treaty)");
    expect(raw).toMatch(/\/Dests/);
  });

  it("pdf: a long report flows onto numbered pages", async () => {
    const long = `# Long\n\n${Array.from({ length: 80 }, (_, index) => `## Part ${index + 1}\n\nText of part ${index + 1} [1].`).join("\n\n")}\n`;
    const file = await exportTask(reportTask(long), "pdf");
    const extracted = await extractDocument({ bytes: bytesOf(file.body), filename: file.fileName });
    expect(extracted.pageCount).toBeGreaterThan(3);
    expect(extracted.pages.at(-1)).toContain(`${extracted.pageCount} / ${extracted.pageCount}`);
    expect(extracted.pages.join(" ")).toContain("Text of part 80 [1]");
  });

  it("pdf: a Chinese report keeps its Chinese, Greek and Cyrillic text, in subset embedded fonts", async () => {
    const chinese = `# 路易斯安那购地

## 摘要

本报告汇集了 3 条发现 [1]。希腊语：Ελληνικά；俄语：Русский текст；波兰语：Łódź.

- **重要**：购地使美国领土翻了一番 [2]。

## 来源

1. Thomas Jefferson, Third Annual Message — sotu:1803
`;
    const task = reportTask(chinese);
    const file = await exportTask({ ...task, request: { ...task.request, language: "zh-CN" } }, "pdf");
    const bytes = bytesOf(file.body);
    const extracted = await extractDocument({ bytes, filename: file.fileName });
    expect(extracted.title).toBe("路易斯安那购地");
    const text = extracted.pages.join("\n").replace(/\s+/g, " ");
    for (const expected of [
      "路易斯安那购地",
      "摘要",
      "本报告汇集了 3 条发现 [1]。",
      "Ελληνικά",
      "Русский текст",
      "Łódź",
      "重要",
      "Thomas Jefferson, Third Annual Message",
    ])
      expect(text).toContain(expected);
    // The sources list is headed in the report's language, once.
    expect(text.match(/来源/g)).toHaveLength(1);
    expect(text).not.toContain("Sources");
    // Only the glyphs used are embedded: the file is far smaller than the 10 MB font.
    const raw = Buffer.from(bytes).toString("latin1");
    expect(raw).toMatch(/\/FontFile2/);
    expect(bytes.length).toBeLessThan(200_000);
  });

  it("pdf: Western text stays in the standard fonts, with no font file embedded", async () => {
    const file = await exportTask(
      reportTask("# Plain\n\nOnly Western text: café, naïve — “quotes” [1].\n"),
      "pdf",
    );
    const raw = Buffer.from(bytesOf(file.body)).toString("latin1");
    expect(raw).toContain("/BaseFont /Helvetica");
    expect(raw).not.toMatch(/\/FontFile2/);
  });

  it("docx: headings, list items, hyperlinks and bookmarked sources", async () => {
    const file = await exportTask(reportTask(), "docx");
    expect(file.contentType).toBe("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    expect(file.fileName).toBe("the-louisiana-purchase-its-price.docx");
    const parts = unzip(bytesOf(file.body));
    const document = parts.get("word/document.xml") ?? "";
    expect(document).toContain('<w:pStyle w:val="Heading1"/>');
    expect(document.match(/<w:pStyle w:val="Heading2"\/>/g)).toHaveLength(3);
    expect(document.match(/<w:numPr>/g)).toHaveLength(5);
    expect(document).toContain('<w:hyperlink w:anchor="source_1">');
    expect(document).toContain('<w:bookmarkStart w:id="0" w:name="source_1"/>');
    expect(document).toContain("The Louisiana Purchase &#38; &#60;Its&#62; Price");
    expect(document).toContain("中文报告");
    const relationships = parts.get("word/_rels/document.xml.rels") ?? "";
    expect(relationships).toContain('Target="https://example.org/treaty" TargetMode="External"');
    expect(relationships).not.toContain("javascript:");
    expect(parts.get("word/numbering.xml")).toContain('<w:numFmt w:val="bullet"/>');
    expect(parts.get("docProps/core.xml")).toContain(
      "<dc:title>The Louisiana Purchase &#38; &#60;Its&#62; Price</dc:title>",
    );
    // Word's own reader (mammoth) opens it and finds the text.
    const extracted = await extractDocument({ bytes: bytesOf(file.body), filename: file.fileName });
    expect(extracted.type).toBe("docx");
    expect(extracted.title).toBe("The Louisiana Purchase & <Its> Price");
    const text = extracted.pages.join("\n");
    for (const expected of [
      "Findings",
      "west of the Mississippi",
      "Treaty text",
      "Thomas Jefferson, Third Annual Message",
    ])
      expect(text).toContain(expected);
    // The same report gives the same bytes.
    expect((await exportTask(reportTask(), "docx")).body).toEqual(file.body);
  });

  it("json: the report, sources, learnings and attempts, nothing internal", async () => {
    const file = await exportTask(reportTask(), "json");
    expect(file.contentType).toBe("application/json; charset=utf-8");
    const value = JSON.parse(String(file.body));
    expect(Object.keys(value)).toEqual([
      "id",
      "title",
      "request",
      "status",
      "createdAt",
      "finishedAt",
      "report",
      "sources",
      "learnings",
      "attempts",
    ]);
    expect(value.report).toBe(REPORT);
    expect(value.sources[1]).toEqual({
      number: 2,
      title: "Treaty text",
      url: "https://example.org/treaty",
      passages: [],
    });
    expect(value.learnings).toEqual(["The purchase cost $15 million."]);
    expect(value.attempts[0]).toMatchObject({ id: "a1", kind: "first", outcome: "completed" });
    expect(String(file.body)).not.toContain("host-secret");
    expect(value.request).toEqual({
      query: "Louisiana Purchase",
      depth: 1,
      breadth: 1,
      language: "en",
      llm: { provider: "offline" },
      search: { provider: "local", maxResults: 5 },
    });
  });

  it("never fails on odd text: control characters, lone surrogates, empty links", async () => {
    const odd =
      "# \u0001Odd\uD800 title\n\nText with \u0007 bell, \uFFFF and [](https://example.org) [99].\n";
    for (const format of ["html", "pdf", "docx", "json"] as const) {
      const file = await exportTask(reportTask(odd), format);
      expect(bytesOf(file.body).length).toBeGreaterThan(0);
    }
    const docx = unzip(bytesOf((await exportTask(reportTask(odd), "docx")).body));
    expect(docx.get("word/document.xml")).not.toMatch(/[\u0001\u0007\uFFFF]/);
  });
});
