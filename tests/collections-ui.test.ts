/**
 * End-to-end tests of the collections UI: the real production server, driven
 * by a real Chromium (tests/ui.test.ts explains the set-up). A collection is
 * made in the browser, a PDF and a Word file generated here are uploaded
 * through the page (one refused file beside them), they are indexed live,
 * research over the collection answers a question only they answer, and a
 * source of the report leads to the cited page of the PDF with the passage
 * marked.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDocx } from "@/lib/research/documents/testing/make-docx";
import { makePdf } from "@/lib/research/documents/testing/make-pdf";
import {
  fillResearchForm,
  hasChromium,
  launchChromium,
  requireChromium,
  waitForReport,
} from "./support/browser";
import { startServer, type TestServer } from "./support/server";

const screenshots = path.resolve(__dirname, "..", "test-artifacts", "screenshots");
const DESKTOP = { width: 1280, height: 860 };

requireChromium("collections UI");

const describeUi = hasChromium ? describe : describe.skip;

function poll<T>(read: () => T | Promise<T>, timeout = 30_000) {
  return expect.poll(read, { timeout, interval: 100 });
}

async function shoot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

/** Words no State of the Union address uses: only the uploaded documents can answer. */
const PDF_PAGES = [
  "Quillmoor Point Station Log\n\nThis log covers the years 1885 to 1889 at the Quillmoor Point light.",
  [
    "Winter of 1887",
    "",
    "The Quillmoor lighthouse keeper, Ezra Thornbury, recorded forty-two storms",
    "in the winter of 1887, more than in any year before.",
    "",
    "Each storm is entered with the hour the lamp was trimmed.",
  ].join("\n"),
  "Supplies\n\nParaffin, wicks and glass chimneys arrived by tender every second month.",
];
const DOCX_PARAGRAPHS = [
  { text: "Quillmoor Harbour Register", heading: 1 as const },
  {
    text: "The Quillmoor harbour master counted nineteen shipwrecks on the Thornbury shoals during the storms of 1887.",
  },
  { text: "Most of the crews were saved by the lifeboat from Quillmoor Point." },
];
const QUESTION = "How many storms did the Quillmoor lighthouse keeper Thornbury record in 1887?";

interface DocumentJson {
  id: string;
  filename: string;
  status: string;
  pages: number | null;
}

async function documentsOf(server: TestServer, collection: string): Promise<DocumentJson[]> {
  const response = await fetch(`${server.url}/api/collections/${collection}/documents`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { documents: DocumentJson[] }).documents;
}

interface SourceJson {
  number: number;
  documentRef?: string;
  page?: number;
  passages: string[];
}

async function resultSources(server: TestServer, taskId: string): Promise<SourceJson[]> {
  const response = await fetch(`${server.url}/api/tasks/${taskId}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { result: { sources: SourceJson[] } }).result.sources;
}

describeUi("collections UI (real server, real Chromium)", () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function newPage(options: { dark?: boolean } = {}) {
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: DESKTOP,
      colorScheme: options.dark ? "dark" : "light",
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (error) => console.error("[page error]", error));
    return page;
  }

  beforeAll(async () => {
    server = await startServer({ env: { LOG_LEVEL: "warn" } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("uploads a PDF and a Word file, researches them and opens the cited page with the passage marked", async () => {
    const page = await newPage();
    await page.goto("/");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Collections" }).click();
    await page.waitForURL(/\/collections$/);
    // The built-in collection is listed, and cannot be deleted.
    const builtIn = page.locator('.collection-row[data-collection="sotu"]');
    await poll(() => builtIn.locator(".badge").textContent()).toBe("Built in");
    expect(await builtIn.getByRole("button", { name: /delete/i }).count()).toBe(0);

    // A bad name is refused inline, with the rule; a good one opens the new collection.
    await page.getByLabel(/^Name/).fill("Lighthouse Notes");
    await page.getByRole("button", { name: "Create" }).click();
    await poll(() => page.getByTestId("collection-error").textContent()).toMatch(/lowercase letters/);
    await page.getByLabel(/^Name/).fill("lighthouse-notes");
    await page.getByLabel(/^Description/).fill("Station logs and registers of Quillmoor");
    await page.getByRole("button", { name: "Create" }).click();
    await page.waitForURL(/\/collections\/lighthouse-notes$/);
    await poll(() => page.locator("h1").textContent()).toContain("lighthouse-notes");

    // Three files at once through the picker: two documents and one the server refuses.
    const pdf = await makePdf(PDF_PAGES, { title: "Quillmoor Point Station Log" });
    const docx = makeDocx(DOCX_PARAGRAPHS);
    await page.getByTestId("upload-input").setInputFiles([
      { name: "station-log.pdf", mimeType: "application/pdf", buffer: Buffer.from(pdf) },
      {
        name: "harbour-register.docx",
        mimeType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        buffer: Buffer.from(docx),
      },
      {
        name: "chart.bin",
        mimeType: "application/octet-stream",
        buffer: Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x7f, 0x80, 0x00, 0x10]),
      },
    ]);
    const item = (filename: string) => page.locator(`.upload-item[data-filename="${filename}"]`);
    // The refused file says why; the other two are indexed and become ready.
    await poll(() => item("chart.bin").getAttribute("data-phase")).toBe("failed");
    await poll(() => item("chart.bin").locator(".upload-item-status").textContent()).toMatch(/supported/i);
    for (const filename of ["station-log.pdf", "harbour-register.docx"]) {
      // The status line says why, should indexing fail.
      await poll(() => item(filename).locator(".upload-item-status").textContent(), 90_000).toMatch(
        /^Ready: /,
      );
      expect(await item(filename).getAttribute("data-document-status")).toBe("ready");
    }
    await poll(() => page.locator('.document-row[data-status="ready"]').count()).toBe(2);
    await poll(() => page.locator(".upload-summary").textContent()).toBe("2 files ready, 1 file failed.");
    const stored = await documentsOf(server, "lighthouse-notes");
    expect(stored.map((document) => [document.filename, document.status]).sort()).toEqual([
      ["harbour-register.docx", "ready"],
      ["station-log.pdf", "ready"],
    ]);
    const pdfDocument = stored.find((document) => document.filename === "station-log.pdf")!;
    expect(pdfDocument.pages).toBe(3);
    const pdfRow = page.locator(`.document-row[data-document-id="${pdfDocument.id}"]`);
    expect(await pdfRow.textContent()).toMatch(/PDF.*3 pages/);
    await shoot(page, "collection-desktop");

    // "Research this collection" opens the ask form with the collection chosen for local search.
    await page.getByRole("link", { name: "Research this collection" }).first().click();
    await page.waitForURL(/\/\?collection=lighthouse-notes$/);
    const options = page.locator(".options");
    await poll(() => options.getByLabel("Search").inputValue()).toBe("local");
    await poll(() => options.getByLabel("Collection").inputValue()).toBe("lighthouse-notes");
    await poll(() => options.getByLabel("Collection").isEnabled()).toBe(true);
    expect(await options.getByLabel("Web").count()).toBe(0);
    // Hybrid search keeps the collection and adds the web service to mix in.
    await options.getByLabel("Search").selectOption("hybrid");
    await poll(() => options.getByLabel("Web").inputValue()).toBe("wikipedia");
    expect(await options.getByLabel("Collection").inputValue()).toBe("lighthouse-notes");
    await options.getByLabel("Search").selectOption("local");
    await poll(() => options.getByLabel("Web").count()).toBe(0);
    await fillResearchForm(page, QUESTION, { depth: 1, breadth: 1 });
    await page.getByRole("button", { name: /start research/i }).click();
    await page.waitForURL(/\/tasks\/[0-9a-f]{32}$/);
    const taskId = page.url().split("/").pop()!;
    await waitForReport(page, (state) => state.connection === "finished", "the research to finish");

    // The report cites the PDF's second page; its source links to that page of the document.
    const sources = await resultSources(server, taskId);
    const cited = sources.find(
      (source) => source.documentRef === `collection:lighthouse-notes/${pdfDocument.id}` && source.page === 2,
    );
    expect(cited, JSON.stringify(sources)).toBeDefined();
    const citation = page.locator(`.prose a.citation[href="#source-${cited!.number}"]`).first();
    await citation.click();
    await poll(() => page.evaluate(() => window.location.hash)).toBe(`#source-${cited!.number}`);
    const sourceLink = page.locator(`#source-${cited!.number} a.source-title`);
    const href = await sourceLink.getAttribute("href");
    expect(href).toMatch(
      new RegExp(`^/collections/lighthouse-notes/documents/${pdfDocument.id}\\?page=2&passage=`),
    );
    await shoot(page, "collection-report-desktop");
    await sourceLink.click();

    // The document's page: page 2 of 3, the cited passage marked and in view.
    await page.waitForURL(new RegExp(`/collections/lighthouse-notes/documents/${pdfDocument.id}\\?page=2`));
    await poll(() => page.locator("#document-page").getAttribute("data-page")).toBe("2");
    await poll(() => page.locator("#document-page-heading").textContent()).toBe("Page 2 of 3");
    const mark = page.locator("mark#cited-passage");
    await poll(() => mark.count()).toBe(1);
    const marked = (await mark.textContent()) ?? "";
    expect(marked.replace(/\s+/g, " ")).toContain(cited!.passages[0]!.replace(/\s+/g, " ").slice(0, 60));
    await poll(() =>
      mark.evaluate((element) => {
        const box = element.getBoundingClientRect();
        return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
      }),
    ).toBe(true);
    await shoot(page, "collection-document-desktop");
    await page.setViewportSize({ width: 390, height: 844 });
    await shoot(page, "collection-document-phone");
    await page.setViewportSize(DESKTOP);

    // The page selector moves to another page (and the mark goes: it belongs to page 2).
    await page.getByLabel("Page", { exact: true }).selectOption("3");
    await page.getByRole("button", { name: "Go" }).click();
    await poll(() => page.locator("#document-page").getAttribute("data-page")).toBe("3");
    expect(await page.locator("mark#cited-passage").count()).toBe(0);
    await poll(() => page.locator(".document-text").textContent()).toContain("Paraffin");
    // The original downloads as it was uploaded.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download original" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("station-log.pdf");
    expect(new Uint8Array(fs.readFileSync((await download.path())!))).toEqual(pdf);
  }, 240_000);

  it("deletes a document and a collection only after a confirmation, and looks right in the dark", async () => {
    const response = await fetch(`${server.url}/api/collections`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "scratch", description: "To be deleted" }),
    });
    expect(response.status).toBe(201);
    const page = await newPage({ dark: true });
    await page.goto("/collections/scratch");
    const docx = makeDocx([{ text: "A short note about nothing in particular." }]);
    // Keyboard: the drop zone is a button that opens the picker.
    const chooser = page.waitForEvent("filechooser");
    await page.getByRole("button", { name: /choose files/i }).focus();
    await page.keyboard.press("Enter");
    await (await chooser).setFiles([
      {
        name: "note.docx",
        mimeType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        buffer: Buffer.from(docx),
      },
    ]);
    // Drag and drop: a file dropped on the zone is uploaded like a chosen one.
    const dropped = makeDocx([{ text: "A second note, dropped rather than chosen." }]);
    const transfer = await page.evaluateHandle(
      (bytes) => {
        const data = new DataTransfer();
        data.items.add(
          new File([new Uint8Array(bytes)], "dropped.docx", {
            type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          }),
        );
        return data;
      },
      [...dropped],
    );
    const zone = page.getByRole("button", { name: /choose files/i });
    await zone.dispatchEvent("dragenter", { dataTransfer: transfer });
    await poll(() => zone.getAttribute("class")).toContain("drop-zone-active");
    await zone.dispatchEvent("drop", { dataTransfer: transfer });
    await poll(() => page.locator('.document-row[data-status="ready"]').count(), 90_000).toBe(2);
    await shoot(page, "collection-desktop-dark");
    await page.setViewportSize({ width: 390, height: 844 });
    await shoot(page, "collection-phone-dark");
    await page.setViewportSize(DESKTOP);

    // A document: Delete asks first; Keep keeps it; Delete again removes it.
    const row = page.locator(".document-row", { hasText: "note.docx" }).first();
    await row.getByRole("button", { name: "Delete note.docx" }).click();
    await row.getByRole("button", { name: "Keep" }).click();
    expect(await page.locator(".document-row").count()).toBe(2);
    await row.getByRole("button", { name: "Delete note.docx" }).click();
    await row.getByRole("button", { name: "Delete", exact: true }).click();
    await poll(() => page.locator(".document-row").count()).toBe(1);
    expect((await documentsOf(server, "scratch")).map((document) => document.filename)).toEqual([
      "dropped.docx",
    ]);

    // A name that is taken is refused inline with the server's sentence.
    await page.goto("/collections");
    await page.getByLabel(/^Name/).fill("scratch");
    await page.getByRole("button", { name: "Create" }).click();
    await poll(() => page.getByTestId("collection-error").textContent()).toMatch(/exists already/);
    await shoot(page, "collections-desktop-dark");

    // The collection: the same confirmation, then it is gone from the list and the API.
    const collection = page.locator('.collection-row[data-collection="scratch"]');
    await collection.getByRole("button", { name: "Delete collection scratch" }).click();
    await collection.getByRole("button", { name: "Delete", exact: true }).click();
    await poll(() => collection.count()).toBe(0);
    expect((await fetch(`${server.url}/api/collections/scratch`)).status).toBe(404);
  }, 180_000);
});
