import { inflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toWinAnsi } from "@/lib/export/win-ansi";
import { extractDocument } from "@/lib/research/documents/extract-document";
import { entryData, readZipDirectory } from "@/lib/research/documents/zip-directory";
import { startServer, type TestServer } from "./support/server";
import { getJson, waitFor } from "./support/sse";

/**
 * Exports of a finished task from the real server (README, "Exports"): each
 * format downloads with its media type and a file name from the title, and
 * is read back by a library (pdf.js, a ZIP reader, JSON.parse) to find the
 * title, every section heading and every source.
 */
describe("exports", () => {
  let server: TestServer;

  beforeAll(async () => {
    // Slow enough streaming that a task is still without a report when the test pauses it.
    server = await startServer({ env: { OUTPUT_CHUNK_DELAY_MS: "40" } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const create = async (query: string) => {
    const { status, body } = await getJson(`${server.url}/api/research`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query, depth: 1, breadth: 2 }),
    });
    expect(status).toBe(202);
    return body.taskId as string;
  };
  const exportUrl = (id: string, format: string) => `${server.url}/api/tasks/${id}/export?format=${format}`;
  const state = async (id: string) => (await getJson(`${server.url}/api/tasks/${id}`)).body;

  it("downloads every format of a finished offline report", async () => {
    const id = await create("What did presidents say about the Louisiana Purchase?");
    const task = await waitFor(
      "the task to complete",
      async () => {
        const current = await state(id);
        return current.status === "completed" ? current : null;
      },
      120_000,
    );
    const report = task.result.report as string;
    const sources = task.result.sources as { number: number; title: string; url?: string }[];
    expect(sources.length).toBeGreaterThan(0);
    const title = /^# (.+)$/m.exec(report)?.[1]?.trim() ?? task.request.query;
    const headings = [...report.matchAll(/^#{1,6} (.+)$/gm)].map((match) => match[1]!.trim());
    expect(headings.length).toBeGreaterThan(1);
    const squash = (text: string) => text.replace(/\s+/g, " ");

    const download = async (format: string, type: string) => {
      const response = await fetch(exportUrl(id, format));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe(type);
      expect(response.headers.get("x-task-id")).toBe(id);
      const disposition = response.headers.get("content-disposition") ?? "";
      const name = /^attachment; filename="([a-z0-9-]+\.[a-z]+)"; filename\*=UTF-8''\S+$/.exec(
        disposition,
      )?.[1];
      expect(name, disposition).toMatch(new RegExp(`\\.${format}$`));
      expect(name!.length).toBeGreaterThan(format.length + 3);
      return new Uint8Array(await response.arrayBuffer());
    };

    const markdown = await download("md", "text/markdown; charset=utf-8");
    expect(new TextDecoder().decode(markdown)).toBe(report);

    const html = new TextDecoder().decode(await download("html", "text/html; charset=utf-8"));
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link /i);
    for (const heading of headings.filter((heading) => heading !== "Sources"))
      expect(html).toContain(heading.replace(/&/g, "&#38;").replace(/\[\d+\]/g, ""));
    for (const source of sources) {
      expect(html).toContain(`id="source_${source.number}"`);
      expect(html).toContain(source.title.replace(/&/g, "&#38;").replace(/'/g, "&#39;"));
    }
    if (/\[\d+\]/.test(report)) expect(html).toMatch(/<a class="citation" href="#source_\d+"/);

    const pdf = await download("pdf", "application/pdf");
    const fromPdf = await extractDocument({ bytes: pdf, filename: "report.pdf" });
    expect(fromPdf.title).toBe(toWinAnsi(title));
    const pdfText = squash(fromPdf.pages.join(" "));
    for (const heading of headings) expect(pdfText).toContain(squash(toWinAnsi(heading)));
    for (const source of sources) expect(pdfText).toContain(squash(toWinAnsi(source.title)));

    const docx = await download(
      "docx",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    );
    const entry = readZipDirectory(docx).find((candidate) => candidate.name === "word/document.xml");
    const documentXml = inflateRawSync(entryData(docx, entry!)).toString("utf8");
    expect(documentXml).toContain('<w:pStyle w:val="Heading1"/>');
    expect(documentXml).toContain('<w:pStyle w:val="Heading2"/>');
    const fromDocx = await extractDocument({ bytes: docx, filename: "report.docx" });
    const docxText = squash(fromDocx.pages.join(" "));
    for (const heading of headings) expect(docxText).toContain(squash(heading));
    for (const source of sources) expect(docxText).toContain(squash(source.title));

    const json = JSON.parse(
      new TextDecoder().decode(await download("json", "application/json; charset=utf-8")),
    );
    expect(json).toMatchObject({ id, status: "completed", report, learnings: task.result.learnings });
    expect(json.sources).toHaveLength(sources.length);
    expect(json.attempts.map((attempt: { outcome: string }) => attempt.outcome)).toEqual(["completed"]);
    expect(JSON.stringify(json)).not.toContain("ownerId");
  });

  it("refuses an unknown format (400 naming the formats), a task without a report (409), unknown (404) and deleted (410) tasks", async () => {
    const id = await create("What did presidents say about tariffs?");
    const bad = await getJson(exportUrl(id, "rtf"));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_request");
    expect(bad.body.error.message).toContain("md, html, pdf, docx, json");
    const missing = await getJson(`${server.url}/api/tasks/${id}/export`);
    expect(missing.status).toBe(400);

    // A paused task has no report yet.
    const paused = await getJson(`${server.url}/api/tasks/${id}/pause`, { method: "POST" });
    expect(paused.status).toBe(200);
    // Its runner stops between steps; delete it once it has (below).
    await waitFor("the task to be paused", async () => (await state(id)).status === "paused");
    const early = await getJson(exportUrl(id, "pdf"));
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("conflict");
    expect(early.body.error.message).toMatch(/no report/);

    expect((await getJson(exportUrl("0".repeat(32), "md"))).status).toBe(404);
    expect((await fetch(`${server.url}/api/tasks/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await getJson(exportUrl(id, "md"))).status).toBe(410);
    expect((await getJson(`${server.url}/api/tasks/not-an-id/export?format=md`)).status).toBe(400);
  });
});
