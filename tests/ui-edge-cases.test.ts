/**
 * What a person can type or pick that the other UI suites don't: a file
 * named in other scripts and with quotes, a question at the form's 4,000
 * character limit, names and descriptions that are one long word. Each is
 * driven through the real production server and a real Chromium (the set-up
 * is tests/ui.test.ts's).
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, launchChromium, requireChromium, waitForReport } from "./support/browser";
import { startServer, type TestServer } from "./support/server";
import { readSse } from "./support/sse";

const PHONE = { width: 390, height: 844 };

requireChromium("web UI edge cases");

const describeUi = hasChromium ? describe : describe.skip;

function poll<T>(read: () => T | Promise<T>, timeout = 30_000) {
  return expect.poll(read, { timeout, interval: 100 });
}

async function send(server: TestServer, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBeLessThan(300);
  return (await response.json()) as Record<string, unknown>;
}

/** How far the page scrolls sideways: 0 when everything fits the screen's width. */
function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describeUi("web UI edge cases (real server, real Chromium)", () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function newPage(viewport = PHONE): Promise<Page> {
    const context = await browser.newContext({ baseURL: server.url, viewport });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (error) => console.error("[page error]", error));
    return page;
  }

  /** Starts research on `query` and returns its task id once its report has begun to stream. */
  async function reportUnderWay(query: string): Promise<string> {
    const id = (await send(server, "/api/research", { query })).taskId as string;
    await readSse(`${server.url}/api/tasks/${id}/events`, {
      until: (event) => event.event === "output",
      timeoutMs: 60_000,
    });
    return id;
  }

  beforeAll(async () => {
    server = await startServer({ env: { LOG_LEVEL: "warn", OUTPUT_CHUNK_DELAY_MS: "200" } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("keeps an uploaded file's name as it was: accents, CJK, Arabic and double quotes", async () => {
    await send(server, "/api/collections", { name: "odd-names" });
    const page = await newPage({ width: 1280, height: 860 });
    await page.goto("/collections/odd-names");
    const name = 'résumé "draft" 漢字 ملف.txt';
    await page
      .getByTestId("upload-input")
      .setInputFiles([
        { name, mimeType: "text/plain", buffer: Buffer.from("The Vellmark accord was signed in 1921.") },
      ]);
    await poll(() => page.locator('.document-row[data-status="ready"]').count(), 60_000).toBe(1);

    const response = await fetch(`${server.url}/api/collections/odd-names/documents`);
    const { documents } = (await response.json()) as { documents: { filename: string }[] };
    expect(documents.map((document) => document.filename)).toEqual([name]);
    expect(await page.locator(".document-row").textContent()).toContain(name);
  }, 120_000);

  it("renders a report that quotes unsafe markup and links as text: no script, no handler, no link to nowhere", async () => {
    await send(server, "/api/collections", { name: "unsafe-quotes" });
    const page = await newPage({ width: 1280, height: 860 });
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto("/collections/unsafe-quotes");
    const text =
      "The Quorvane fleet numbered twelve ships [click me](javascript:alert(1)) " +
      "<script>alert(2)</script> <img src=x onerror=alert(3)> [data](data:text/html,x) in 1902.";
    await page
      .getByTestId("upload-input")
      .setInputFiles([
        { name: "fleet.md", mimeType: "text/markdown", buffer: Buffer.from(`# Quorvane fleet\n\n${text}\n`) },
      ]);
    await poll(() => page.locator('.document-row[data-status="ready"]').count(), 60_000).toBe(1);

    const created = await send(server, "/api/research", {
      query: "How many ships did the Quorvane fleet number?",
      depth: 1,
      breadth: 1,
      search: { provider: "local", collection: "unsafe-quotes" },
    });
    await page.goto(`/tasks/${created.taskId as string}`);
    await waitForReport(page, (state) => state.connection === "finished", "the report", 120_000);
    const prose = page.locator(".prose");
    // The passage is quoted, its words kept …
    await poll(() => prose.textContent()).toContain("click me");
    expect(await prose.textContent()).toContain("data");
    // … but nothing of it runs or links anywhere.
    expect(await prose.locator("script, img, [onerror]").count()).toBe(0);
    const hrefs = await prose
      .locator("a")
      .evaluateAll((links) => links.map((link) => link.getAttribute("href")));
    expect(hrefs.length).toBeGreaterThan(0); // the citations
    for (const href of hrefs) expect(href).toMatch(/^(#source-\d+|\/collections\/|https?:)/);
    expect(dialogs).toEqual([]);
  }, 180_000);

  it("exports the part of a report written before the task was cancelled", async () => {
    // Cancelled once the report has begun to stream.
    const id = await reportUnderWay("Cancelled mid-report: the Gadsden Purchase");
    await send(server, `/api/tasks/${id}/cancel`, {});
    const page = await newPage({ width: 1280, height: 860 });
    await page.goto(`/tasks/${id}`);
    await poll(() => page.locator(".pill").first().textContent()).toBe("Cancelled");
    await poll(() => page.locator(".export-buttons a[download]").count()).toBe(5);
    const href = await page.getByRole("link", { name: "Download as Markdown" }).getAttribute("href");
    const file = await fetch(`${server.url}${href}`);
    expect(file.status).toBe(200);
    const { result } = (await (await fetch(`${server.url}/api/tasks/${id}`)).json()) as {
      result: { report: string };
    };
    expect(result.report.length).toBeGreaterThan(0);
    expect(await file.text()).toContain(result.report.split("\n")[0]);
  }, 120_000);

  it("cancels a task when Cancel is pressed while a slow Resume is still under way", async () => {
    const id = await reportUnderWay("Paused, resumed, cancelled: the Oregon boundary");
    await send(server, `/api/tasks/${id}/pause`, {});
    const page = await newPage({ width: 1280, height: 860 });
    // The Resume request takes a while to be answered (a busy server).
    await page.route("**/api/tasks/*/resume", async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue();
    });
    await page.goto(`/tasks/${id}`);
    await poll(() => page.locator(".pill").first().textContent()).toBe("Paused");
    await page.getByRole("button", { name: "Resume" }).click();
    await page.locator('[data-action="cancel"]').click();
    await poll(() => page.locator(".pill").first().textContent()).toBe("Cancelled");
    const task = (await (await fetch(`${server.url}/api/tasks/${id}`)).json()) as { status: string };
    expect(task.status).toBe("cancelled");
  }, 120_000);

  it("cuts a very long question to a few lines, keeps the controls in sight and shows it all on request", async () => {
    const question = `${"How did the tariffs on imported goods change over the years ".repeat(65).slice(0, 3990).trim()}?`;
    const created = await send(server, "/api/research", { query: question, depth: 1, breadth: 1 });
    const page = await newPage();
    await page.goto(`/tasks/${created.taskId as string}`);

    const heading = page.getByRole("heading", { level: 1 }).first();
    // The whole question stays the heading's text (what a screen reader reads) …
    expect((await heading.textContent())?.trim()).toBe(question.trim());
    // … but it takes a few lines, and the task's controls are on the first screen.
    const box = await heading.boundingBox();
    expect(box?.height).toBeLessThan(200);
    const controls = page.getByRole("group", { name: "Task controls" });
    await poll(async () => (await controls.boundingBox())?.y ?? Number.POSITIVE_INFINITY).toBeLessThan(
      PHONE.height,
    );

    const toggle = page.getByRole("button", { name: "Show the whole question" });
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");
    await toggle.click();
    const less = page.getByRole("button", { name: "Show less" });
    expect(await less.getAttribute("aria-expanded")).toBe("true");
    await poll(async () => (await heading.boundingBox())?.height ?? 0).toBeGreaterThan(1000);
    await less.click();
    await poll(async () => (await heading.boundingBox())?.height ?? 0).toBeLessThan(200);

    // A follow-up names this task by its question: a few lines of it, not screens.
    await poll(
      async () =>
        (
          (await (await fetch(`${server.url}/api/tasks/${created.taskId as string}`)).json()) as {
            status: string;
          }
        ).status,
      120_000,
    ).toBe("completed");
    const followUp = await send(server, `/api/tasks/${created.taskId as string}/follow-up`, {
      query: "And what about canals?",
    });
    await page.goto(`/tasks/${followUp.taskId as string}`);
    const parent = page.getByTestId("follow-up-parent");
    await poll(() => parent.count()).toBe(1);
    expect(await parent.getByRole("link").textContent()).toBe(question);
    expect((await parent.boundingBox())?.height).toBeLessThan(120);
  }, 120_000);

  it("shows a short question whole, with no button to expand it", async () => {
    const created = await send(server, "/api/research", {
      query: "What did presidents say about canals?",
      depth: 1,
      breadth: 1,
    });
    const page = await newPage();
    await page.goto(`/tasks/${created.taskId as string}`);
    await poll(() => page.getByRole("group", { name: "Task controls" }).count()).toBe(1);
    expect(await page.getByRole("button", { name: "Show the whole question" }).count()).toBe(0);
  }, 120_000);

  it("wraps names and descriptions that are one long word instead of widening the page on a phone", async () => {
    const collection = `c${"x".repeat(63)}`;
    await send(server, "/api/collections", { name: collection, description: "D".repeat(500) });
    const schedule = await send(server, "/api/schedules", {
      name: "N".repeat(100),
      request: { query: "What did presidents say about tariffs?", depth: 1, breadth: 1 },
      cron: "0 9 * * 1",
      timezone: "UTC",
    });
    const page = await newPage();
    for (const path of [
      "/collections",
      `/collections/${collection}`,
      "/schedules",
      `/schedules/${schedule.id}`,
    ]) {
      await page.goto(path);
      await poll(() => page.getByRole("heading", { level: 1 }).count()).toBeGreaterThan(0);
      await poll(() => sidewaysOverflow(page), 10_000).toBeLessThanOrEqual(0);
    }
  }, 120_000);
});

describeUi("web UI when a limit refuses the event stream (real server, real Chromium)", () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer({
      env: { LOG_LEVEL: "warn", OUTPUT_CHUNK_DELAY_MS: "500", MAX_SSE_CONNECTIONS_PER_CLIENT: "1" },
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("says which limit refused a second tab's stream, and continues it exactly once the first tab closes", async () => {
    const created = await send(server, "/api/research", {
      query: "What did presidents say about railroads and canals?",
      depth: 2,
      breadth: 2,
    });
    const id = created.taskId as string;
    const context = await browser.newContext({ baseURL: server.url });
    try {
      const first = await context.newPage();
      await first.goto(`/tasks/${id}`);
      await waitForReport(first, (state) => state.connection === "live", "the first tab's stream");

      const second = await context.newPage();
      await second.goto(`/tasks/${id}`);
      const line = second.locator(".progress-message-text");
      await poll(() => line.textContent()).toMatch(/too many Fathom pages streaming at once/);
      expect(await line.textContent()).toMatch(/reconnects by itself in about \d+ s/);

      await first.close();
      const done = await waitForReport(second, (state) => state.connection === "finished", "the second tab");
      const task = (await (await fetch(`${server.url}/api/tasks/${id}`)).json()) as {
        result: { report: string };
      };
      expect(done.text).toBe(task.result.report);
    } finally {
      await context.close();
    }
  }, 180_000);
});
