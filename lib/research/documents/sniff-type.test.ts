import { describe, expect, it } from "vitest";
import { isAppError } from "../../errors";
import { sniffDocument, sniffType } from "./sniff-type";
import { makeDocx } from "./testing/make-docx";
import { makePdf } from "./testing/make-pdf";
import { makePng } from "./testing/make-png";
import { writeZip } from "./testing/zip-writer";

const text = (value: string) => new TextEncoder().encode(value);

/** The refusal's code and message for `bytes` named `filename`. */
function refusal(
  bytes: Uint8Array,
  filename: string,
  declaredType?: string,
): { code: string; message: string } {
  const sniffed = sniffDocument(bytes, filename, declaredType);
  if (sniffed.type !== undefined) throw new Error(`expected a refusal, got ${sniffed.type}`);
  const error = sniffed.refusal;
  expect(isAppError(error)).toBe(true);
  return { code: error.code, message: error.message };
}

describe("sniffType", () => {
  it("recognizes each supported type from its bytes", async () => {
    expect(sniffType(await makePdf(["Hello"]), "a.pdf")).toBe("pdf");
    expect(sniffType(makeDocx([{ text: "Hello" }]), "a.docx")).toBe("docx");
    expect(sniffType(text("<!doctype html><p>Hi</p>"), "a.html")).toBe("html");
    expect(sniffType(text("# Notes\n\nHi"), "a.md")).toBe("markdown");
    expect(sniffType(text("Hello there"), "a.txt")).toBe("text");
    expect(sniffType(text("a,b\n1,2\n"), "a.csv")).toBe("csv");
    expect(sniffType(text("a\tb\n1\t2\n"), "a.tsv")).toBe("csv");
  });

  it("reads binary documents as what they are, whatever their name says", async () => {
    expect(sniffType(await makePdf(["Hello"]), "notes.txt")).toBe("pdf");
    expect(sniffType(await makePdf(["Hello"]), "download")).toBe("pdf");
    expect(sniffType(makeDocx([{ text: "Hello" }]), "report.pdf")).toBe("docx");
    // Junk before the header, as readers allow, in a file that ends like a PDF.
    const pdf = await makePdf(["Hello"]);
    expect(sniffType(new Uint8Array([...text("garbage\r\n"), ...pdf]), "x.bin")).toBe("pdf");
  });

  it("does not take a text file that mentions %PDF- for a PDF", () => {
    expect(sniffType(text("Every PDF starts with %PDF-1.7 and a binary comment."), "notes.md")).toBe(
      "markdown",
    );
  });

  it("refuses text named as a PDF or a Word document, naming what it found", () => {
    const html = refusal(text("<!DOCTYPE html><html><title>Sign in</title></html>"), "paper.pdf");
    expect(html.code).toBe("unsupported_document");
    expect(html.message).toMatch(/“paper\.pdf” is named as a PDF but contains an HTML page/);
    expect(html.message).toMatch(/login or error page/);
    const plain = refusal(text("just some words"), "report.docx");
    expect(plain.message).toMatch(/named as a Word document but contains a text file/);
    // The Content-Type counts when the name says nothing.
    expect(refusal(text("just words"), "upload", "application/pdf").message).toMatch(/named as a PDF/);
  });

  it("chooses among text types by name, except that a full HTML document is HTML", () => {
    expect(sniffType(text("<!doctype html><html><body>x</body></html>"), "page.md")).toBe("html");
    expect(sniffType(text("<!-- saved --><html lang=en><body>x</body></html>"), "page.txt")).toBe("html");
    expect(sniffType(text('<p align="center">logo</p>\n\n# Project'), "README.md")).toBe("markdown");
    expect(sniffType(text("<div>fragment</div>"), "fragment")).toBe("html");
    expect(sniffType(text("plain words"), "LICENSE")).toBe("text");
    expect(sniffType(text("# Heading"), "notes", "text/markdown; charset=utf-8")).toBe("markdown");
    expect(sniffType(text("x;y\n1;2"), "export", "text/csv")).toBe("csv");
  });

  it("refuses images, executables, archives and media, saying what they are", () => {
    const cases: [Uint8Array, string, RegExp][] = [
      [makePng(4, 4), "scan.pdf", /found: a PNG image/],
      [new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), "photo.docx", /found: a JPEG image/],
      [
        new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff]),
        "setup.docx",
        /found: an executable program/,
      ],
      [new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), "notes.txt", /found: an executable program/],
      [new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), "data.csv", /found: a gzip archive/],
      [
        new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x6d, 0x70, 0x34, 0x32]),
        "talk.pdf",
        /found: a video or audio file/,
      ],
      [text("{\\rtf1\\ansi Hello}"), "letter.docx", /found: an RTF document/],
      [
        text('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        "logo.svg",
        /found: an SVG image/,
      ],
      [new Uint8Array([1, 2, 3, 0, 0, 0, 4, 5, 6, 0, 255, 254, 0, 1]), "blob.txt", /found: binary data/],
    ];
    for (const [bytes, name, found] of cases) {
      const { code, message } = refusal(bytes, name);
      expect(code, name).toBe("unsupported_document");
      expect(message, name).toMatch(/is not a supported document type/);
      expect(message, name).toMatch(found);
    }
  });

  it("tells a Word document from other ZIP archives", () => {
    const xlsx = writeZip([
      { name: "[Content_Types].xml", data: "<Types/>" },
      { name: "xl/workbook.xml", data: "<workbook/>" },
    ]);
    expect(refusal(xlsx, "budget.docx").message).toMatch(/found: an Excel workbook \(\.xlsx\)/);
    const zip = writeZip([{ name: "notes.txt", data: "hello" }]);
    const plain = refusal(zip, "archive.docx");
    expect(plain.code).toBe("unsupported_document");
    expect(plain.message).toMatch(/found: a ZIP archive\). Unpack it/);
    expect(refusal(zip, "paper.pdf").message).toMatch(/found: a ZIP archive/);
  });

  it("refuses a damaged ZIP named .docx as unreadable, and as unsupported under another name", () => {
    const truncated = makeDocx([{ text: "Hello" }]).subarray(0, 200);
    expect(refusal(truncated, "cut.docx")).toMatchObject({
      code: "document_unreadable",
      message: expect.stringMatching(/“cut\.docx” is damaged: it has no central directory/),
    });
    expect(refusal(truncated, "cut.bin").code).toBe("unsupported_document");
  });

  it("recognizes a password-protected Office file and an old binary Office file", () => {
    const ole = (extra: string) =>
      new Uint8Array([
        ...[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
        ...new Uint8Array(504),
        ...Buffer.from(extra, "utf16le"),
      ]);
    expect(refusal(ole("EncryptedPackage"), "secret.docx")).toMatchObject({
      code: "document_unreadable",
      message: "“secret.docx” is password-protected; upload a copy without a password.",
    });
    expect(refusal(ole("WordDocument"), "old.doc").message).toMatch(
      /found: a legacy Office file \(\.doc, \.xls or \.ppt\)\)\. Save it as \.docx/,
    );
  });

  it("refuses an empty file", () => {
    expect(refusal(new Uint8Array(0), "empty.pdf")).toEqual({
      code: "document_unreadable",
      message: "“empty.pdf” is empty.",
    });
  });
});
