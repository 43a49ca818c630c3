import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { makeDocx } from "./testing/make-docx";
import { ENCRYPTED_PDF_PASSWORD, makeCjkPdf, makePdf, makeScannedPdf } from "./testing/make-pdf";
import { makeZipBomb } from "./testing/make-zip-bomb";

const digest = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("document fixtures", () => {
  it("are the same bytes every time", async () => {
    const makers: (() => Promise<Uint8Array> | Uint8Array)[] = [
      () => makePdf(["One", "Two"], { title: "T" }),
      () => makePdf(["One"], { encrypted: true }),
      () => makeScannedPdf(2),
      () => makeCjkPdf("日本語"),
      () => makeDocx([{ text: "H", heading: 1 }, { text: "p" }]),
      () => makeZipBomb("declared"),
      () => makeZipBomb("lying"),
    ];
    for (const make of makers) expect(digest(await make())).toBe(digest(await make()));
  });

  it("bombs stay small on disk", () => {
    expect(makeZipBomb("declared").length).toBeLessThan(10_000);
    expect(makeZipBomb("lying").length).toBeLessThan(50_000);
  });

  it("encrypt a PDF for real: pdf.js reads it with the password", async () => {
    const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs");
    await import("pdfjs-dist/legacy/build/pdf.worker.mjs");
    const bytes = await makePdf(["Locked words", "More"], { encrypted: true, title: "Locked" });
    const task = pdfjs.getDocument({ data: bytes, password: ENCRYPTED_PDF_PASSWORD, verbosity: 0 });
    try {
      const document = await task.promise;
      const page = await document.getPage(1);
      const text = (await page.getTextContent()).items
        .map((item) => ("str" in item ? item.str : ""))
        .join("");
      expect(text).toBe("Locked words");
      expect((await document.getMetadata()).info).toMatchObject({
        Title: "Locked",
        EncryptFilterName: "Standard",
      });
    } finally {
      await task.destroy();
    }
  });
});
