/**
 * End-to-end test of the API document (docs/ARCHITECTURE.md, "The API
 * document"): the real server serves valid OpenAPI 3.1 at /api/openapi.json
 * without a token, its real answers to the main operations match the
 * documented schemas (and their statuses are documented), and the API page
 * shows every operation in a real Chromium.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, launchChromium, requireChromium } from "./support/browser";
import { type AnswerChecker, answerChecker, validateOpenApiDocument } from "./support/openapi";
import { startServer, type TestServer } from "./support/server";
import { readSse, waitFor } from "./support/sse";

const TOKEN = "openapi-test-token-0123456789";
const screenshots = path.resolve(__dirname, "..", "test-artifacts", "screenshots");

requireChromium("API page");

interface Answer {
  status: number;
  // Checked against the document before a test reads it.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  body: any;
  headers: Headers;
}

describe("the API document against the real server", () => {
  let server: TestServer;
  // The served JSON, validated as OpenAPI by the first test.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  let document: Record<string, any>;
  let check: AnswerChecker;
  let browser: Browser | undefined;

  beforeAll(async () => {
    server = await startServer({ env: { FATHOM_API_TOKEN: TOKEN } });
    if (hasChromium) browser = await launchChromium();
    const response = await fetch(`${server.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    document = await response.json();
    check = answerChecker(document);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /**
   * Calls `method url` with the token (unless `auth: false`) and checks the
   * answer against the operation `method template`: its status documented,
   * a JSON body valid against the documented schema.
   */
  async function call(
    method: string,
    template: string,
    url: string,
    options: { body?: unknown; form?: FormData; auth?: boolean; accept?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (options.auth !== false) headers.Authorization = `Bearer ${TOKEN}`;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.accept) headers.Accept = options.accept;
    const response = await fetch(`${server.url}${url}`, {
      method,
      headers,
      body: options.form ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    const type = response.headers.get("content-type") ?? "";
    let body: unknown = null;
    if (type.includes("application/json")) {
      body = await response.json();
      check.json(method, template, response.status, body);
    } else {
      await response.arrayBuffer();
      check.status(method, template, response.status);
    }
    return { status: response.status, body, headers: response.headers };
  }

  it("serves valid OpenAPI 3.1 without a token, with every route's operations", async () => {
    const result = await validateOpenApiDocument(document);
    expect(result.errors).toBe("");
    expect(result.valid).toBe(true);
    expect(result.version).toBe("3.1");
    expect(document.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(["/api/research", "/api/tasks/{id}", "/api/schedules", "/api/collections"]),
    );
    expect(Object.keys(document.components.securitySchemes)).toEqual(
      expect.arrayContaining(["bearerAuth", "sessionCookie"]),
    );
  });

  it("health, providers, session and metrics answer as documented", async () => {
    expect((await call("GET", "/api/health", "/api/health", { auth: false })).status).toBe(200);
    const providers = await call("GET", "/api/providers", "/api/providers");
    expect(providers.status).toBe(200);
    expect(providers.body.llm.length).toBeGreaterThan(0);
    expect((await call("GET", "/api/session", "/api/session", { auth: false })).body).toEqual({
      required: true,
      signedIn: false,
    });
    const metrics = await call("GET", "/api/metrics", "/api/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toContain("text/plain");
  });

  it("refusals are the documented error body: 400, 401, 404, 405", async () => {
    const invalid = await call("POST", "/api/research", "/api/research", {
      body: { query: "" },
      accept: "application/json",
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toMatch(/query/);
    expect((await call("POST", "/api/research", "/api/research", { body: { nope: 1 } })).status).toBe(400);
    expect((await call("GET", "/api/tasks/{id}", "/api/tasks/not-a-task-id")).status).toBe(400);
    expect((await call("GET", "/api/tasks/{id}", `/api/tasks/${"0".repeat(32)}`)).status).toBe(404);
    expect((await call("GET", "/api/tasks", "/api/tasks", { auth: false })).status).toBe(401);
    expect((await call("GET", "/api/tasks", "/api/tasks?limit=0")).status).toBe(400);
    // A method the path does not have is in no operation: its answer is the Error component all the same.
    const notAllowed = await fetch(`${server.url}/api/health`, { method: "DELETE" });
    expect(notAllowed.status).toBe(405);
    expect(notAllowed.headers.get("allow")).toBe("GET, OPTIONS");
    check.component("Error", await notAllowed.json());
  });

  it("research: create, task, list, events, thread, deliveries, follow-up and export answer as documented", async () => {
    const created = await call("POST", "/api/research", "/api/research", {
      body: { query: "What did presidents say about railroads?", depth: 1, breadth: 1 },
      accept: "application/json",
    });
    expect(created.status).toBe(202);
    const id = created.body.taskId as string;
    expect(created.headers.get("x-task-id")).toBe(id);

    const task = await waitFor(
      "the task to complete",
      async () => {
        const answer = await call("GET", "/api/tasks/{id}", `/api/tasks/${id}`);
        return answer.body.status === "completed" ? answer : undefined;
      },
      120_000,
    );
    expect(task.body.result.report.length).toBeGreaterThan(0);

    const stream = await readSse(`${server.url}/api/tasks/${id}/events`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(stream.status).toBe(200);
    expect(stream.events.map((event) => event.event)).toEqual(
      expect.arrayContaining(["task", "output", "done"]),
    );
    check.events("GET", "/api/tasks/{id}/events", stream.events);
    check.events("POST", "/api/research", stream.events);
    const finished = await call(
      "GET",
      "/api/tasks/{id}/events",
      `/api/tasks/${id}/events?lastEventId=${stream.numbered.at(-1)!.id}`,
    );
    expect(finished.status).toBe(204);

    const list = await call("GET", "/api/tasks", "/api/tasks?limit=5");
    expect(list.body.tasks.map((row: { id: string }) => row.id)).toContain(id);
    expect((await call("GET", "/api/tasks/{id}/follow-ups", `/api/tasks/${id}/follow-ups`)).status).toBe(200);
    expect((await call("GET", "/api/tasks/{id}/deliveries", `/api/tasks/${id}/deliveries`)).status).toBe(200);
    const exported = await call("GET", "/api/tasks/{id}/export", `/api/tasks/${id}/export?format=md`);
    expect(exported.status).toBe(200);
    expect((await call("GET", "/api/tasks/{id}/export", `/api/tasks/${id}/export?format=odt`)).status).toBe(
      400,
    );

    const followUp = await call("POST", "/api/tasks/{id}/follow-up", `/api/tasks/${id}/follow-up`, {
      body: { query: "And about canals?", depth: 1, breadth: 1 },
    });
    expect(followUp.status).toBe(202);
    const cancelled = await call(
      "POST",
      "/api/tasks/{id}/{action}",
      `/api/tasks/${followUp.body.taskId}/cancel`,
    );
    expect([200, 409]).toContain(cancelled.status);
    expect((await call("POST", "/api/tasks/{id}/{action}", `/api/tasks/${id}/explode`)).status).toBe(400);
    expect((await call("DELETE", "/api/tasks/{id}", `/api/tasks/${followUp.body.taskId}`)).status).toBe(204);
  });

  it("the task list's stream sends documented events", async () => {
    let done = false;
    const reading = readSse(`${server.url}/api/tasks/events`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
      until: (event) => event.event === "task",
      timeoutMs: 60_000,
    }).finally(() => {
      done = true;
    });
    // The stream only sends changes: make some until one arrives (the connection may open after the first).
    for (let attempt = 0; attempt < 20 && !done; attempt++) {
      await call("POST", "/api/research", "/api/research", {
        body: { query: `Tariffs, question ${attempt}`, depth: 1, breadth: 1 },
        accept: "application/json",
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const stream = await reading;
    expect(stream.status).toBe(200);
    expect(stream.events.some((event) => event.event === "task")).toBe(true);
    check.events("GET", "/api/tasks/events", stream.events);
  });

  it("collections: list, create, get, documents, upload, document, text and delete answer as documented", async () => {
    expect((await call("GET", "/api/collections", "/api/collections")).status).toBe(200);
    const builtIn = await call("GET", "/api/collections/{name}/documents", "/api/collections/sotu/documents");
    expect(builtIn.body.documents.length).toBeGreaterThan(0);
    const created = await call("POST", "/api/collections", "/api/collections", {
      body: { name: "openapi-notes", description: "Notes" },
    });
    expect(created.status).toBe(201);
    expect(
      (await call("POST", "/api/collections", "/api/collections", { body: { name: "openapi-notes" } }))
        .status,
    ).toBe(409);
    expect(
      (await call("POST", "/api/collections", "/api/collections", { body: { name: "Bad Name" } })).status,
    ).toBe(400);
    expect((await call("GET", "/api/collections/{name}", "/api/collections/openapi-notes")).status).toBe(200);

    const form = new FormData();
    form.append(
      "file",
      new Blob(["# Canals\n\nThe Erie Canal opened in 1825 and joined the Hudson to the Great Lakes.\n"], {
        type: "text/markdown",
      }),
      "canals.md",
    );
    const uploaded = await call(
      "POST",
      "/api/collections/{name}/documents",
      "/api/collections/openapi-notes/documents",
      {
        form,
      },
    );
    expect(uploaded.status).toBe(202);
    const documentId = uploaded.body.documents[0].id as string;
    const documentUrl = `/api/collections/openapi-notes/documents/${documentId}`;
    await waitFor(
      "the document to be indexed",
      async () => {
        const answer = await call("GET", "/api/collections/{name}/documents/{id}", documentUrl);
        return answer.body.status === "ready" ? answer : undefined;
      },
      60_000,
    );
    const text = await call("GET", "/api/collections/{name}/documents/{id}/text", `${documentUrl}/text`);
    expect(text.body.pages.join("\n")).toContain("Erie Canal");
    expect(
      (await call("GET", "/api/collections/{name}/documents/{id}/original", `${documentUrl}/original`))
        .status,
    ).toBe(200);
    expect(
      (await call("GET", "/api/collections/{name}/documents", "/api/collections/openapi-notes/documents"))
        .status,
    ).toBe(200);
    // A built-in collection's documents have no page of their own (403); a malformed id is a 400.
    for (const suffix of ["", "/text", "/original"]) {
      const template = `/api/collections/{name}/documents/{id}${suffix}`;
      const builtInDocument = `/api/collections/sotu/documents/${documentId}${suffix}`;
      expect((await call("GET", template, builtInDocument)).status).toBe(403);
      // Named by the operation itself, not only covered by its default answer.
      expect(Object.keys(document.paths[template].get.responses)).toEqual(
        expect.arrayContaining(["400", "403"]),
      );
      const malformed = `/api/collections/openapi-notes/documents/not-an-id${suffix}`;
      expect((await call("GET", template, malformed)).status).toBe(400);
    }
    expect((await call("DELETE", "/api/collections/{name}/documents/{id}", documentUrl)).status).toBe(204);
    expect((await call("DELETE", "/api/collections/{name}", "/api/collections/openapi-notes")).status).toBe(
      204,
    );
    expect((await call("GET", "/api/collections/{name}", "/api/collections/openapi-notes")).status).toBe(404);
  });

  it("schedules: create, list, get, patch, pause, run, runs and delete answer as documented", async () => {
    const created = await call("POST", "/api/schedules", "/api/schedules", {
      body: {
        name: "Weekly railroads",
        request: { query: "Railroads in the addresses", depth: 1, breadth: 1 },
        cron: "0 8 * * 1",
        timezone: "Europe/Berlin",
      },
    });
    expect(created.status).toBe(201);
    const url = `/api/schedules/${created.body.id}`;
    const refused = await call("POST", "/api/schedules", "/api/schedules", {
      body: { name: "x", request: { query: "x" }, cron: "not cron", timezone: "Europe/Berlin" },
    });
    expect(refused.status).toBe(400);
    // A request over a collection that does not exist is refused when the schedule is saved.
    const noCollection = {
      query: "x",
      search: { provider: "local", collection: "no-such-collection" },
    };
    const missing = await call("POST", "/api/schedules", "/api/schedules", {
      body: { name: "x", request: noCollection, cron: "0 8 * * 1", timezone: "UTC" },
    });
    expect(missing.status).toBe(404);
    expect(Object.keys(document.paths["/api/schedules"].post.responses)).toEqual(
      expect.arrayContaining(["404", "409"]),
    );
    const patchedMissing = await call("PATCH", "/api/schedules/{id}", url, {
      body: { request: noCollection },
    });
    expect(patchedMissing.status).toBe(404);
    expect(Object.keys(document.paths["/api/schedules/{id}"].patch.responses)).toEqual(
      expect.arrayContaining(["404", "409"]),
    );
    expect((await call("GET", "/api/schedules", "/api/schedules")).body.schedules.length).toBeGreaterThan(0);
    expect((await call("GET", "/api/schedules/{id}", url)).status).toBe(200);
    expect(
      (await call("PATCH", "/api/schedules/{id}", url, { body: { name: "Railroads, weekly" } })).body.name,
    ).toBe("Railroads, weekly");
    expect((await call("POST", "/api/schedules/{id}/{action}", `${url}/pause`)).body.enabled).toBe(false);
    const run = await call("POST", "/api/schedules/{id}/{action}", `${url}/run`);
    expect(run.status).toBe(202);
    const runs = await call("GET", "/api/schedules/{id}/runs", `${url}/runs?limit=5`);
    expect(runs.body.runs.length).toBeGreaterThan(0);
    expect((await call("DELETE", "/api/schedules/{id}", url)).status).toBe(204);
  });

  it.skipIf(!hasChromium)(
    "the API page (real Chromium) is linked from the nav and shows every operation of the document",
    async () => {
      const context = await browser!.newContext({
        baseURL: server.url,
        viewport: { width: 1280, height: 900 },
      });
      const page = await context.newPage();
      // The page is public like the document; the nav leads there from any page.
      await page.goto("/docs/api");
      await expect.poll(() => page.locator("nav[aria-label=Main] a[href='/docs/api']").count()).toBe(1);
      const expected = Object.entries(document.paths).flatMap(([apiPath, item]) =>
        Object.keys(item as object).map((method) => `${method.toUpperCase()} ${apiPath}`),
      );
      const shown = await page
        .locator("article[data-operation]")
        .evaluateAll((elements) => elements.map((element) => element.getAttribute("data-operation")));
      expect(shown.sort()).toEqual(expected.sort());
      const research = page.locator("#startResearch");
      await expect.poll(() => research.locator("pre").textContent()).toContain("curl -X POST");
      await expect.poll(() => research.textContent()).toContain("ResearchRequest");
      await expect.poll(() => research.textContent()).toContain("text/event-stream");
      // The body's shape unfolds in place: its fields, from the component.
      const shape = research.locator("details", { hasText: "fields of ResearchRequest" });
      await shape.locator("summary").click();
      await expect.poll(() => shape.getByText("breadth", { exact: true }).isVisible()).toBe(true);
      fs.mkdirSync(screenshots, { recursive: true });
      await page.screenshot({ path: path.join(screenshots, "api-page.png"), fullPage: false });
      await research.screenshot({ path: path.join(screenshots, "api-page-operation.png") });
      await context.close();

      // On a phone nothing overflows sideways: long paths wrap, examples scroll inside their box.
      const phone = await browser!.newContext({ baseURL: server.url, viewport: { width: 390, height: 844 } });
      const small = await phone.newPage();
      await small.goto("/docs/api");
      await small.locator("details").evaluateAll((elements) => {
        for (const element of elements) element.setAttribute("open", "");
      });
      const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      // What sticks out, named in the failure.
      const wide = await small.evaluate(() =>
        [...document.querySelectorAll("main *")]
          .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 1)
          .slice(-5)
          .map((element) => `${element.tagName}.${element.className}: ${element.textContent?.slice(0, 60)}`),
      );
      expect(overflow, wide.join("\n")).toBeLessThanOrEqual(0);
      await small.screenshot({ path: path.join(screenshots, "api-page-phone.png") });
      await phone.close();
    },
  );
});
