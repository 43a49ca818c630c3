/**
 * End-to-end tests of the web UI: the real production server, driven by a
 * real Chromium through playwright-core (no browser download: the system's
 * Chromium). The report a page received is compared exactly with the stored
 * `result.report`: the page keeps the raw markdown it assembled from `output`
 * events in `<pre hidden id="report-source">`.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fillResearchForm,
  hasChromium,
  launchChromium,
  type ReportState,
  reportState,
  requireChromium,
  waitForReport,
} from "./support/browser";
import { freePort, startServer, type TestServer, tempDir } from "./support/server";

const screenshots = path.resolve(__dirname, "..", "test-artifacts", "screenshots");

const SERVER_ENV = { OUTPUT_CHUNK_DELAY_MS: "150", LOG_LEVEL: "warn" };
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

requireChromium("web UI");

const describeUi = hasChromium ? describe : describe.skip;

// ---- helpers ---------------------------------------------------------------

/** `expect.poll` with room for a real browser and server (its default is one second). */
function poll<T>(read: () => T | Promise<T>, timeout = 15_000) {
  return expect.poll(read, { timeout, interval: 100 });
}

const streaming = (minLength: number) => (state: ReportState) =>
  state.status === "running" && state.connection === "live" && state.text.length >= minLength;

const finished = (state: ReportState) => state.connection === "finished";

interface TaskJson {
  id: string;
  status: string;
  lastEventId: number;
  result: { report: string; sources: { number: number }[] } | null;
}

async function getTask(server: TestServer, id: string): Promise<TaskJson> {
  const response = await fetch(`${server.url}/api/tasks/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as TaskJson;
}

async function createTask(server: TestServer, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${server.url}/api/research`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  const created = (await response.json()) as { taskId: string };
  return created.taskId;
}

/** Every `/events` URL a page opens, to check the cursor it resumed from. */
function recordStreams(page: Page): string[] {
  const urls: string[] = [];
  page.on("request", (request) => {
    if (/\/api\/tasks\/[0-9a-f]{32}\/events/.test(request.url())) urls.push(request.url());
  });
  return urls;
}

function cursorOf(url: string): number | null {
  const value = new URL(url).searchParams.get("lastEventId");
  return value === null ? null : Number(value);
}

function launch(): Promise<Browser> {
  return launchChromium();
}

async function shoot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

// ---- the suite -------------------------------------------------------------

describeUi("web UI (real server, real Chromium)", () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function newPage(options: { viewport?: { width: number; height: number }; dark?: boolean } = {}) {
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: options.viewport ?? DESKTOP,
      colorScheme: options.dark ? "dark" : "light",
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (error) => console.error("[page error]", error));
    return { context, page };
  }

  beforeAll(async () => {
    server = await startServer({ env: SERVER_ENV });
    browser = await launch();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("says what is wrong with a question before sending it", async () => {
    const { page } = await newPage();
    const posts: string[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST" && request.url().endsWith("/api/research")) posts.push(request.url());
    });
    await page.goto("/");
    const start = page.getByRole("button", { name: /start research/i });
    await poll(() => start.isEnabled()).toBe(true); // providers and limits loaded

    await start.click();
    await poll(() => page.getByTestId("question-error").textContent()).toMatch(/write a question/i);

    await page.getByLabel("Research question").fill(`  ${"a".repeat(4001)}  `);
    await poll(() => page.getByTestId("question-error").textContent()).toMatch(/4,001 .*limit is 4,000/);
    await start.click();
    expect(posts).toEqual([]);

    // Exactly at the limit (after trimming) is fine.
    await page.getByLabel("Research question").fill(`  ${"a".repeat(4000)}  `);
    await poll(() => page.getByTestId("question-error").textContent()).toBe("");
  }, 150_000);

  it("starts research from the form, streams the report in and completes with exactly result.report", async () => {
    const { page } = await newPage();
    await page.goto("/");
    const options = page.locator(".options");
    // The providers come from the server: the defaults are selected.
    await poll(() => options.getByLabel("Writer").inputValue()).toBe("offline");
    await poll(() => options.getByLabel("Search").inputValue()).toBe("local");
    await fillResearchForm(page, "Louisiana Purchase and the acquisition of territory", {
      depth: 1,
      breadth: 2,
    });
    await page.getByRole("button", { name: /start research/i }).click();

    await page.waitForURL(/\/tasks\/[0-9a-f]{32}$/);
    const id = page.url().split("/").pop()!;
    await poll(() => page.locator("h1.task-title").textContent()).toBe(
      "Louisiana Purchase and the acquisition of territory",
    );

    // Seen mid-stream: some of the report, the task still running, the stream live.
    const partial = await waitForReport(page, streaming(1), "the report to start streaming");
    await shoot(page, "task-streaming-desktop");
    const done = await waitForReport(page, finished, "the task to finish");
    const task = await getTask(server, id);
    expect(task.status).toBe("completed");
    expect(partial.text.length).toBeLessThan(task.result!.report.length);
    expect(done.origin).toBe("stream");
    expect(done.text).toBe(task.result!.report);

    // The rendered report is the markdown, rendered: compare normalized text.
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text (what a reader sees) is the point
    const rendered = await page.locator(".prose").innerText();
    // Markup, list numbers and whitespace aside, the same characters in the same order.
    const normalize = (value: string) =>
      value
        .replace(/^\s*\d+\.\s/gm, "")
        .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/[#*_>`|[\]-]/g, "")
        .replace(/\s+/g, "");
    expect(normalize(rendered)).toBe(normalize(task.result!.report));

    // Citations link to the sources list.
    const citations = page.locator(".prose a.citation");
    if (/\[\d+\]/.test(task.result!.report)) {
      expect(await citations.count()).toBeGreaterThan(0);
      const target = await citations.first().getAttribute("href");
      expect(target).toMatch(/^#source-\d+$/);
      expect(await page.locator(target!).count()).toBe(1);
    }
    expect(await page.locator(".sources > li").count()).toBe(task.result!.sources.length);
    expect(await page.locator(".tree-node").count()).toBeGreaterThan(0);
    expect(await page.locator(".pill").first().textContent()).toBe("Completed");

    // Export, by keyboard: the downloaded Markdown file is the report, named after its title.
    expect(await page.locator(".export-buttons a[download]").count()).toBe(5);
    await page.getByRole("link", { name: "Download as Markdown" }).focus();
    const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
    // The browser takes the readable name (`filename*`): the report's title.
    expect(download.suggestedFilename()).toMatch(/\.md$/);
    expect(download.suggestedFilename()).toMatch(/^Louisiana Purchase/);
    const file = await download.path();
    expect(fs.readFileSync(file, "utf8")).toBe(task.result!.report);

    await shoot(page, "task-completed-desktop");
    await page.setViewportSize(PHONE);
    await shoot(page, "task-completed-phone");

    // Opening the finished task again shows the whole report at once, in the first HTML.
    const html = await (await fetch(`${server.url}/tasks/${id}`)).text();
    expect(html).toContain('id="report-source"');
    const { page: again } = await newPage();
    await again.goto(`/tasks/${id}`);
    const reopened = await reportState(again);
    expect(reopened.origin).toBe("result");
    expect(reopened.text).toBe(task.result!.report);
    expect(reopened.connection).toBe("finished");
  }, 150_000);

  it("resumes after a reload mid-stream without losing or repeating text", async () => {
    const id = await createTask(server, {
      query: "Louisiana Purchase treaty with France",
      depth: 1,
      breadth: 2,
    });
    const { page } = await newPage();
    const streams = recordStreams(page);
    await page.goto(`/tasks/${id}`);
    const before = await waitForReport(page, streaming(200), "a good part of the report");
    expect(before.origin).toBe("stream");

    await page.reload();
    // The reloaded page shows what it had at once and asks only for what follows.
    await page.waitForFunction(
      () => (document.getElementById("report-source")?.textContent ?? "").length > 0,
    );
    await poll(() => streams.length).toBeGreaterThanOrEqual(2);
    const resumedFrom = cursorOf(streams[streams.length - 1]!);
    expect(resumedFrom).not.toBeNull();
    expect(resumedFrom!).toBeGreaterThan(0);

    const done = await waitForReport(page, finished, "the task to finish after the reload");
    const task = await getTask(server, id);
    expect(task.status).toBe("completed");
    expect(done.origin).toBe("stream");
    expect(done.text).toBe(task.result!.report);
  }, 150_000);

  it("reconnects after the network drops mid-stream and completes correctly", async () => {
    const id = await createTask(server, {
      query: "acquisition of territory from France and Spain",
      depth: 1,
      breadth: 2,
    });
    const { context, page } = await newPage();
    const streams = recordStreams(page);
    await page.goto(`/tasks/${id}`);
    await waitForReport(page, streaming(100), "the report to stream");

    await context.setOffline(true);
    const offline = await waitForReport(
      page,
      (s) => s.connection === "unreachable",
      "the page to notice",
      10_000,
    );
    await poll(() => page.locator(".connection-label").textContent()).toMatch(/offline/i);
    await page.waitForTimeout(1_500);
    // Nothing arrives while offline (the task keeps going on the server).
    expect((await reportState(page)).text).toBe(offline.text);
    const opened = streams.length;

    await context.setOffline(false);
    const done = await waitForReport(page, finished, "the task to finish after reconnecting");
    expect(streams.length).toBeGreaterThan(opened);
    expect(cursorOf(streams[opened]!)).toBe(offline.cursor);
    const task = await getTask(server, id);
    expect(done.origin).toBe("stream");
    expect(done.text).toBe(task.result!.report);
  }, 150_000);

  it("cancels from the task page, and /tasks in a second page shows it live", async () => {
    const id = await createTask(server, {
      query: "presidents on railroads, canals and internal improvements",
      depth: 2,
      breadth: 3,
    });
    const { context, page } = await newPage();
    const list = await context.newPage();
    await list.goto("/tasks");
    const row = list.locator(`[data-task-id="${id}"]`);
    await poll(() => row.count(), 20_000).toBe(1);
    await poll(() => list.locator(".connection").getAttribute("data-connection")).toBe("live");

    await page.goto(`/tasks/${id}`);
    await waitForReport(page, (s) => s.status === "running" && s.connection === "live", "the task to run");
    await poll(() => row.getAttribute("data-status"), 20_000).toBe("running");
    await shoot(list, "tasks-desktop");

    await page.getByRole("button", { name: /^cancel$/i }).click();
    const done = await waitForReport(
      page,
      (s) => s.status === "cancelled" && s.connection === "finished",
      "cancel",
    );
    expect(done.status).toBe("cancelled");
    await poll(() => row.getAttribute("data-status"), 10_000).toBe("cancelled");
    expect(await row.locator(".pill").textContent()).toBe("Cancelled");
    expect((await getTask(server, id)).status).toBe("cancelled");

    await list.setViewportSize(PHONE);
    await shoot(list, "tasks-phone");
  }, 150_000);

  it("answers unknown and malformed task ids with a not-found page", async () => {
    const { page } = await newPage();
    const unknown = await page.goto(`/tasks/${"0".repeat(32)}`);
    expect(unknown?.status()).toBe(404);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toMatch(/nothing here/i);
    const malformed = await page.goto("/tasks/not-a-task");
    expect(malformed?.status()).toBe(404);
    await shoot(page, "not-found-desktop");
  }, 150_000);

  it("looks right on a wide screen and on a phone, light and dark", async () => {
    for (const [name, viewport] of [
      ["desktop", DESKTOP],
      ["phone", PHONE],
    ] as const) {
      const { page } = await newPage({ viewport });
      await page.goto("/");
      await poll(() => page.getByRole("button", { name: /start research/i }).isEnabled()).toBe(true);
      await shoot(page, `home-${name}`);
      // Nothing overflows sideways.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    }
    const { page } = await newPage({ dark: true });
    await page.goto("/");
    await poll(() => page.getByRole("button", { name: /start research/i }).isEnabled()).toBe(true);
    await shoot(page, "home-desktop-dark");
    await page.goto("/tasks");
    await poll(() => page.locator(".task-row").count()).toBeGreaterThan(0);
    await shoot(page, "tasks-desktop-dark");
    const completed = await page.locator('.task-row[data-status="completed"] a').first().getAttribute("href");
    await page.goto(completed!);
    await shoot(page, "task-completed-desktop-dark");
  }, 150_000);
});

describeUi("web UI when the server goes away", () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  const dataDir = tempDir();
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    server = await startServer({ env: SERVER_ENV, dataDir, port });
    browser = await launch();
    context = await browser.newContext({ baseURL: server.url, viewport: DESKTOP });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  }, 150_000);

  it("says the server is unreachable, keeps retrying, and continues when it is back", async () => {
    const id = await createTask(server, {
      query: "Louisiana territory and the Mississippi",
      depth: 1,
      breadth: 2,
    });
    const page = await context.newPage();
    await page.goto(`/tasks/${id}`);
    await waitForReport(page, streaming(100), "the report to stream");

    await server.stop();
    await waitForReport(page, (s) => s.connection === "unreachable", "the page to notice", 20_000);
    await poll(() => page.locator(".progress-message").textContent()).toMatch(/can't be reached/i);
    await shoot(page, "task-server-unreachable-desktop");

    server = await startServer({ env: SERVER_ENV, dataDir, port });
    const done = await waitForReport(page, finished, "the task to finish on the restarted server", 110_000);
    const task = await getTask(server, id);
    expect(task.status).toBe("completed");
    expect(done.text).toBe(task.result!.report);
  }, 180_000);
});
