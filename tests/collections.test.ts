import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDocx } from "../lib/research/documents/testing/make-docx";
import { makePdf, makeScannedPdf } from "../lib/research/documents/testing/make-pdf";
import { makeZipBomb } from "../lib/research/documents/testing/make-zip-bomb";
import { findRedisServer, type RedisTestServer, startRedisServer } from "./support/redis";
import { requireBinary } from "./support/require-binary";
import { startServer, type TestServer, tempDir } from "./support/server";
import { getJson, outputText, readSse, waitFor } from "./support/sse";

/**
 * Research over one's own documents, end to end on the real server: a
 * collection, a PDF and a Word file built by the test with known text on
 * known pages, indexing as a task, a question only those files answer, and
 * citations that name the document and the page. Then the refusals, and two
 * servers on one volume.
 */

const PDF_PAGES = [
  "The Harbor Commission met in March.\nIt discussed budgets and weather.",
  "The lighthouse keeper Amelia Thornbury reported that the Quillon lighthouse lens\nwas replaced in 1911 after the great storm cracked it.",
  "Closing remarks and thanks to the staff.",
];
const DOCX_PARAGRAPHS = [
  { text: "Quillon Harbor history", heading: 1 as const },
  { text: "The Quillon ferry carried 4,200 passengers in its first season, according to the harbor ledger." },
];

async function upload(
  server: TestServer,
  collection: string,
  files: { name: string; bytes: Uint8Array; type?: string }[],
): Promise<{ status: number; body: any }> {
  const form = new FormData();
  for (const file of files) {
    form.append(
      "file",
      new Blob([Buffer.from(file.bytes)], { type: file.type ?? "application/octet-stream" }),
      file.name,
    );
  }
  const response = await fetch(`${server.url}/api/collections/${collection}/documents`, {
    method: "POST",
    body: form,
  });
  return { status: response.status, body: await response.json() };
}

async function createCollection(server: TestServer, name: string): Promise<void> {
  const response = await fetch(`${server.url}/api/collections`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, description: "Test documents" }),
  });
  expect(response.status).toBe(201);
}

async function waitReady(server: TestServer, collection: string, id: string): Promise<any> {
  let document: any;
  await waitFor(`document ${id} ready`, async () => {
    document = (await getJson(`${server.url}/api/collections/${collection}/documents/${id}`)).body;
    if (document.status === "failed") throw new Error(`indexing failed: ${document.error?.message}`);
    return document.status === "ready";
  });
  return document;
}

describe("collections", () => {
  let server: TestServer;
  let pdf: Uint8Array;
  let docx: Uint8Array;

  beforeAll(async () => {
    pdf = await makePdf(PDF_PAGES, { title: "Harbor Commission Minutes" });
    docx = makeDocx(DOCX_PARAGRAPHS);
    server = await startServer({ env: { MAX_UPLOAD_MB: "2", MAX_COLLECTION_DOCUMENTS: "4" } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("lists the built-in collection, read-only", async () => {
    const { body } = await getJson(`${server.url}/api/collections`);
    expect(body.collections[0]).toMatchObject({ name: "sotu", builtIn: true });
    expect(body.collections[0].documents).toBeGreaterThan(200);
    const refused = await fetch(`${server.url}/api/collections/sotu`, { method: "DELETE" });
    expect(refused.status).toBe(403);
  });

  it("indexes an uploaded PDF and Word file, and researches them with citations to the page", async () => {
    await createCollection(server, "harbor");
    const { status, body } = await upload(server, "harbor", [
      { name: "minutes.pdf", bytes: pdf, type: "application/pdf" },
      { name: "history.docx", bytes: docx },
    ]);
    expect(status).toBe(202);
    expect(body.rejected).toEqual([]);
    expect(body.documents).toHaveLength(2);
    const [pdfDoc, docxDoc] = body.documents;

    // Indexing is a task whose events stream its progress.
    const events = await readSse(`${server.url}${pdfDoc.links.events}`, { timeoutMs: 60_000 });
    expect(events.numbered.at(-1)?.event).toBe("done");
    expect(events.events.some((event) => event.event === "progress")).toBe(true);

    const readyPdf = await waitReady(server, "harbor", pdfDoc.id);
    expect(readyPdf).toMatchObject({ type: "pdf", pages: 3, title: "Harbor Commission Minutes" });
    const readyDocx = await waitReady(server, "harbor", docxDoc.id);
    expect(readyDocx.type).toBe("docx");

    const text = (await getJson(`${server.url}${pdfDoc.links.text}`)).body;
    expect(text.pages[1]).toContain("Amelia Thornbury");
    const original = await fetch(`${server.url}${pdfDoc.links.original}`);
    expect(Buffer.from(await original.arrayBuffer()).equals(Buffer.from(pdf))).toBe(true);

    // Uploading the same file again is the same document.
    const again = await upload(server, "harbor", [{ name: "copy.pdf", bytes: pdf }]);
    expect(again.body.documents[0].id).toBe(pdfDoc.id);
    expect((await getJson(`${server.url}/api/collections/harbor`)).body.documents).toBe(2);

    const stream = await readSse(`${server.url}/api/research`, {
      method: "POST",
      body: {
        query: "When was the Quillon lighthouse lens replaced?",
        depth: 1,
        breadth: 1,
        search: { provider: "local", collection: "harbor" },
      },
      timeoutMs: 60_000,
    });
    expect(stream.numbered.at(-1)?.event).toBe("done");
    const id = stream.headers.get("x-task-id")!;
    const { body: task } = await getJson(`${server.url}/api/tasks/${id}`);
    expect(task.status).toBe("completed");
    expect(task.request.search).toMatchObject({ provider: "local", collection: "harbor" });
    expect(task.request.search.collectionHash).toMatch(/^[0-9a-f]{16}$/);
    const cited = task.result.sources.find(
      (source: any) => source.documentRef === `collection:harbor/${pdfDoc.id}` && source.page === 2,
    );
    expect(cited).toBeDefined();
    expect(task.result.report).toContain("1911");
    expect(task.result.report).toContain(`/collections/harbor/documents/${pdfDoc.id}?page=2`);
    expect(outputText(stream.events)).toBe(task.result.report);

    // The same question over the same collection joins the task; a changed collection is a new one.
    const joined = await fetch(`${server.url}/api/research`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        query: "When was the Quillon lighthouse lens replaced?",
        depth: 1,
        breadth: 1,
        search: { provider: "local", collection: "harbor" },
      }),
    });
    expect(joined.headers.get("x-task-id")).toBe(id);
    await joined.body?.cancel();
    const extra = await upload(server, "harbor", [
      { name: "note.md", bytes: new TextEncoder().encode("# Note\n\nThe Quillon pier was rebuilt in 1920.") },
    ]);
    await waitReady(server, "harbor", extra.body.documents[0].id);
    const changed = await fetch(`${server.url}/api/research`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        query: "When was the Quillon lighthouse lens replaced?",
        depth: 1,
        breadth: 1,
        search: { provider: "local", collection: "harbor" },
      }),
    });
    expect(changed.headers.get("x-task-id")).not.toBe(id);
    await changed.body?.cancel();

    // A deleted document is gone from searches.
    const removed = await fetch(
      `${server.url}/api/collections/harbor/documents/${extra.body.documents[0].id}`,
      {
        method: "DELETE",
      },
    );
    expect(removed.status).toBe(204);
    const list = (await getJson(`${server.url}/api/collections/harbor/documents`)).body.documents;
    expect(list.map((document: any) => document.id).sort()).toEqual([pdfDoc.id, docxDoc.id].sort());
  });

  it("refuses what it cannot take, naming the problem, and keeps the rest of the upload", async () => {
    await createCollection(server, "refusals");
    const big = new Uint8Array(3 * 1024 * 1024).fill(65);
    const html = new TextEncoder().encode(
      "<!doctype html><html><body><p>Not a PDF at all.</p></body></html>",
    );
    const good = new TextEncoder().encode("Plain notes about the Quillon tide tables, written in 1931.");
    const pdf = await makePdf(["A page about tides."]);
    const { status, body } = await upload(server, "refusals", [
      { name: "huge.txt", bytes: big },
      { name: "fake.pdf", bytes: html, type: "application/pdf" },
      { name: "scan.pdf", bytes: await makeScannedPdf(1) },
      { name: "locked.pdf", bytes: await makePdf(["Secret tides."], { encrypted: true }) },
      { name: "broken.pdf", bytes: pdf.slice(0, Math.floor(pdf.length / 3)) },
      { name: "bomb.docx", bytes: makeZipBomb("declared") },
      { name: "program.exe", bytes: new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0]) },
      { name: "notes.txt", bytes: good },
    ]);
    expect(status).toBe(202);
    // Each refused file with a reason that names its problem; only the good one kept.
    const reasons = Object.fromEntries(
      body.rejected.map((entry: any) => [entry.filename, `${entry.error.code}: ${entry.error.message}`]),
    );
    expect(reasons["huge.txt"]).toMatch(/^payload_too_large: .*MAX_UPLOAD_MB/);
    expect(reasons["fake.pdf"]).toMatch(/^unsupported_document: /);
    expect(reasons["scan.pdf"]).toMatch(/^document_unreadable: .*scanned/);
    expect(reasons["locked.pdf"]).toMatch(/^document_unreadable: .*encrypted/);
    expect(reasons["broken.pdf"]).toMatch(/^document_unreadable: .*damaged/);
    expect(reasons["bomb.docx"]).toMatch(/^document_too_large: .*zip bomb/);
    expect(reasons["program.exe"]).toMatch(/^unsupported_document: /);
    expect(body.documents.map((document: any) => document.filename)).toEqual(["notes.txt"]);
    // A single refused file is the answer's status, with the same message.
    const alone = await fetch(`${server.url}/api/collections/refusals/documents`, {
      method: "POST",
      body: (() => {
        const form = new FormData();
        form.append("file", new Blob([Buffer.from(makeZipBomb("declared"))]), "bomb.docx");
        return form;
      })(),
    });
    expect(alone.status).toBe(413);
    expect((await alone.json()).error.message).toMatch(/zip bomb/);
    const notes = body.documents.find((entry: any) => entry.filename === "notes.txt");
    await waitReady(server, "refusals", notes.id);

    // Names with path characters never reach the disk.
    for (const name of ["../etc", "a/b", "..", "UPPER"]) {
      const response = await fetch(`${server.url}/api/collections`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name }),
      });
      expect(response.status).toBe(400);
      expect((await response.json()).error.message).toMatch(/name/);
    }
    const traversal = await fetch(`${server.url}/api/collections/..%2F..%2Fetc/documents`);
    expect([400, 404]).toContain(traversal.status);
    // multipart/form-data set by hand, without its boundary: named as such, not as "must be JSON".
    const noBoundary = await fetch(`${server.url}/api/collections/refusals/documents`, {
      method: "POST",
      headers: { "content-type": "multipart/form-data" },
      body: "--x\r\ncontent-disposition: form-data; name=file; filename=a.txt\r\n\r\nhi\r\n--x--\r\n",
    });
    expect(noBoundary.status).toBe(400);
    expect((await noBoundary.json()).error.message).toMatch(/boundary/);
    // A malformed document id is the client's mistake, named, on every document route.
    for (const bad of ["b".repeat(64), "..%2F..%2Fetc", "NOTES", "%E2%80%AE"]) {
      for (const [method, suffix] of [
        ["GET", ""],
        ["DELETE", ""],
        ["GET", "/text"],
        ["GET", "/original"],
      ] as const) {
        const response = await fetch(`${server.url}/api/collections/refusals/documents/${bad}${suffix}`, {
          method,
        });
        expect(response.status, `${method} ${bad}${suffix}`).toBe(400);
        expect((await response.json()).error.message).toMatch(/is not a document id/);
      }
    }

    // A collection holds at most MAX_COLLECTION_DOCUMENTS (4 here).
    const many = await upload(
      server,
      "refusals",
      [1, 2, 3, 4].map((n) => ({
        name: `n${n}.txt`,
        bytes: new TextEncoder().encode(`Note number ${n} about tides.`),
      })),
    );
    expect(
      many.body.rejected.some((entry: any) => /MAX_COLLECTION_DOCUMENTS/.test(entry.error.message)),
    ).toBe(true);

    // A research over a collection that does not exist is refused before any task.
    const missing = await fetch(`${server.url}/api/research`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "x", search: { provider: "local", collection: "nope" } }),
    });
    expect(missing.status).toBe(404);
  });

  it("runs one indexing per document across two servers on one volume", async () => {
    const dataDir = tempDir();
    const [a, b] = await Promise.all([startServer({ dataDir }), startServer({ dataDir })]);
    try {
      await createCollection(a, "shared");
      expect((await getJson(`${b.url}/api/collections/shared`)).status).toBe(200);
      const bytes = await makePdf([
        "The members of the Quillon board met on Tuesdays.",
        "The Quillon canal toll was three cents per ton of cargo in 1850.",
      ]);
      // Both servers get the same file at once: one document, one indexing task.
      const [fromA, fromB] = await Promise.all([
        upload(a, "shared", [{ name: "canal.pdf", bytes }]),
        upload(b, "shared", [{ name: "canal.pdf", bytes }]),
      ]);
      expect(fromA.body.documents[0].id).toBe(fromB.body.documents[0].id);
      expect(fromA.body.documents[0].job).toBe(fromB.body.documents[0].job);
      const ready = await waitReady(b, "shared", fromA.body.documents[0].id);
      const job = await waitFor("the indexing task completed", async () => {
        const { body: current } = await getJson(`${a.url}/api/tasks/${ready.job}`);
        return current.status === "completed" && current;
      });
      expect(job.attempts).toHaveLength(1);

      const stream = await readSse(`${a.url}/api/research`, {
        method: "POST",
        body: {
          query: "What was the Quillon canal toll per ton?",
          depth: 1,
          breadth: 1,
          search: { provider: "local", collection: "shared" },
        },
        timeoutMs: 60_000,
      });
      expect(stream.numbered.at(-1)?.event).toBe("done");
      // The other server sees the finished task too.
      const task = await waitFor("the task finished on the other server", async () => {
        const { body } = await getJson(`${b.url}/api/tasks/${stream.headers.get("x-task-id")}`);
        return body.status === "completed" && body;
      });
      expect(
        task.result.sources.map((source: any) => `${source.documentRef}#${source.page}`),
        task.result.report,
      ).toContain(`collection:shared/${ready.id}#2`);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("finishes an indexing whose server was killed mid-way, on another server, once", async () => {
    const dataDir = tempDir();
    const fast = {
      LEASE_TTL_MS: "1500",
      LEASE_RENEW_MS: "400",
      TAKEOVER_SCAN_MS: "250",
      FOLLOW_POLL_MS: "100",
    };
    const first = await startServer({ dataDir, env: fast });
    let second: TestServer | undefined;
    try {
      await createCollection(first, "big");
      const pages = Array.from(
        { length: 600 },
        (_, index) =>
          `Page ${index + 1} of the harbor ledger.\nEntry ${index + 1}: the tide rose ${index % 9} feet.`,
      );
      const bytes = await makePdf(pages);
      const { body } = await upload(first, "big", [{ name: "ledger.pdf", bytes }]);
      const document = body.documents[0];
      // Wait until the extraction is under way, then kill its server.
      await readSse(`${first.url}${document.links.events}`, {
        until: (event) =>
          event.event === "progress" && event.data.step === "extract" && event.data.percentage > 0,
        timeoutMs: 60_000,
      });
      first.signal("SIGKILL");
      await first.exited;
      second = await startServer({ dataDir, env: fast });
      const ready = await waitReady(second, "big", document.id);
      expect(ready.pages).toBe(600);
      // The document is ready a moment before its task records the end.
      const job = await waitFor("the indexing task completed", async () => {
        const { body: current } = await getJson(`${second!.url}/api/tasks/${document.job}`);
        return current.status === "completed" && current;
      });
      expect(job.attempts.map((attempt: { kind: string }) => attempt.kind)).toContain("takeover");
      const text = (await getJson(`${second.url}${document.links.text}`)).body;
      expect(text.pages).toHaveLength(600);
      expect(text.pages[599]).toContain("Entry 600");
    } finally {
      await Promise.all([first.stop(), second?.stop()]);
    }
  });
});

const redisBinary = findRedisServer();
requireBinary(
  "collections in Redis mode",
  redisBinary !== null,
  "redis-server is not installed (apt-get install redis-server).",
);

describe.runIf(redisBinary !== null)("collections in Redis mode", () => {
  let redis: RedisTestServer | null = null;
  beforeAll(async () => {
    redis = await startRedisServer(redisBinary!);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("shares collections, documents and their indexing between servers with separate data folders", async () => {
    const env = { TASK_STORE: redis!.url };
    const [a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
    try {
      await createCollection(a, "redis-docs");
      const bytes = await makePdf([
        "An index page.",
        "The Quillon observatory opened its telescope to the public in 1902.",
      ]);
      const { body } = await upload(b, "redis-docs", [{ name: "observatory.pdf", bytes }]);
      const ready = await waitReady(a, "redis-docs", body.documents[0].id);
      expect(ready.pages).toBe(2);
      const original = await fetch(`${a.url}${body.documents[0].links.original}`);
      expect(Buffer.from(await original.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
      const stream = await readSse(`${a.url}/api/research`, {
        method: "POST",
        body: {
          query: "When did the Quillon observatory open its telescope to the public?",
          depth: 1,
          breadth: 1,
          search: { provider: "local", collection: "redis-docs" },
        },
        timeoutMs: 60_000,
      });
      expect(stream.numbered.at(-1)?.event).toBe("done");
      const task = await waitFor("the task finished on the other server", async () => {
        const { body: current } = await getJson(`${b.url}/api/tasks/${stream.headers.get("x-task-id")}`);
        return current.status === "completed" && current;
      });
      expect(task.result.sources.map((source: { page?: number }) => source.page)).toContain(2);
      const deleted = await fetch(`${b.url}/api/collections/redis-docs`, { method: "DELETE" });
      expect(deleted.status).toBe(204);
      expect((await getJson(`${a.url}/api/collections/redis-docs`)).status).toBe(404);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
