/**
 * End-to-end test of the schedules UI: the real production server, driven
 * by a real Chromium (tests/ui.test.ts explains the set-up). A schedule is
 * made through the form (a refusal of the API shown on its field first,
 * the live preview of the next fires checked), it fires every three seconds
 * and each run appears in its history with a link to the report; paused it
 * fires no more, "Run now" still runs it, and deleting it removes it.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, launchChromium, requireChromium } from "./support/browser";
import { startServer, type TestServer } from "./support/server";

const screenshots = path.resolve(__dirname, "..", "test-artifacts", "screenshots");
const DESKTOP = { width: 1280, height: 900 };
const ZONE = "Europe/Berlin";
const CRON = "*/3 * * * * *";

requireChromium("schedules UI");

const describeUi = hasChromium ? describe : describe.skip;

function poll<T>(read: () => T | Promise<T>, timeout = 30_000) {
  return expect.poll(read, { timeout, interval: 100 });
}

async function shoot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

interface RunJson {
  fireTime: string;
  run: number | null;
  taskId: string | null;
  manual: boolean;
  success: boolean | null;
}

async function runsOf(server: TestServer, id: string): Promise<RunJson[]> {
  const response = await fetch(`${server.url}/api/schedules/${id}/runs`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { runs: RunJson[] }).runs;
}

describeUi("schedules UI (real server, real Chromium)", () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function newPage(options: { dark?: boolean } = {}) {
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: DESKTOP,
      colorScheme: options.dark ? "dark" : "light",
      timezoneId: ZONE,
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (error) => console.error("[page error]", error));
    return page;
  }

  beforeAll(async () => {
    server = await startServer({
      env: { LOG_LEVEL: "warn", MIN_SCHEDULE_INTERVAL_S: "1", SCHEDULE_TICK_MS: "250" },
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it("creates a schedule with a preview, watches it fire, pauses, runs it now, edits and deletes it", async () => {
    const page = await newPage();
    await page.goto("/");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Schedules" }).click();
    await page.waitForURL(/\/schedules$/);
    await poll(() => page.locator("h1").textContent()).toBe("Schedules");

    // The browser's zone is chosen; the preview follows the expression as it is typed.
    const form = page.locator("form.schedule-form");
    await poll(() => form.getByLabel("Time zone").inputValue()).toBe(ZONE);
    await form.getByLabel("Name").fill("Every three seconds");
    await form.getByLabel("Question").fill("What did presidents say about tariffs?");
    await form.getByLabel("Depth").selectOption("1");
    await form.getByLabel("Breadth").selectOption("1");
    await form.getByLabel(/^Cron/).fill("not a cron");
    await poll(() => form.getByTestId("cron-preview-problem").textContent()).toMatch(
      /is not a cron expression/,
    );
    await form.getByLabel(/^Cron/).fill(CRON);
    const preview = form.getByTestId("cron-preview").locator("time");
    await poll(() => preview.count()).toBe(5);
    const fires = (
      await preview.evaluateAll((times) => times.map((time) => time.getAttribute("datetime")))
    ).map((iso) => Date.parse(iso ?? ""));
    for (let index = 1; index < fires.length; index++) expect(fires[index]! - fires[index - 1]!).toBe(3000);

    // A refusal of the API is shown on the field it names.
    await form.getByLabel(/^Webhook URL/).fill("not a url");
    await form.getByRole("button", { name: "Create schedule" }).click();
    await poll(() => form.getByTestId("schedule-webhook-error").textContent()).not.toBe("");
    expect(await form.getByLabel(/^Webhook URL/).getAttribute("aria-invalid")).toBe("true");
    await form.getByLabel(/^Webhook URL/).fill("");
    await form.getByRole("button", { name: "Create schedule" }).click();

    const row = page.locator(".schedule-row").filter({ hasText: "Every three seconds" });
    await poll(() => row.count()).toBe(1);
    // The form is empty again for the next schedule.
    await poll(() => page.getByRole("status").filter({ hasText: "created" }).textContent()).toBe(
      'Schedule "Every three seconds" created.',
    );
    expect(await form.getByLabel("Name").inputValue()).toBe("");
    await poll(() => row.getByTestId("schedule-state").textContent()).toBe("Active");
    await poll(() => row.getByTestId("schedule-next-fire").textContent()).toMatch(/in \d+ seconds?|now/);
    const id = (await row.getAttribute("data-schedule")) ?? "";
    expect(id).toMatch(/^[A-Za-z0-9_-]{21}$/);
    // The list shows the last run with a link to its report once it has fired.
    await poll(() => row.getByTestId("run-report-link").count(), 30_000).toBeGreaterThan(0);
    await shoot(page, "schedules-list");

    // The schedule's page: its history fills with fires, each linking to the task page.
    await row.getByRole("link", { name: "Every three seconds" }).click();
    await page.waitForURL(new RegExp(`/schedules/${id}$`));
    const history = page.getByTestId("schedule-run");
    await poll(() => history.count(), 30_000).toBeGreaterThan(1);
    const link = history.getByTestId("run-report-link").first();
    const href = (await link.getAttribute("href")) ?? "";
    expect(href).toMatch(/^\/tasks\/[A-Za-z0-9_-]+$/);
    const runs = await runsOf(server, id);
    expect(runs.some((run) => run.taskId !== null && href === `/tasks/${run.taskId}`)).toBe(true);
    await shoot(page, "schedule-detail");

    // Paused, it fires no more (a fire claimed just before the pause may still land).
    const actions = page.getByRole("group", { name: "Actions for Every three seconds" });
    await actions.getByRole("button", { name: "Pause" }).click();
    await poll(() => page.getByTestId("schedule-state").textContent()).toBe("Paused");
    await poll(() => page.getByTestId("schedule-next-fire").textContent()).toBe("Paused");
    await page.waitForTimeout(1500);
    // Settled: the last run has ended, so "Run now" is not refused as overlapping.
    await poll(async () => (await runsOf(server, id))[0]?.success !== null, 60_000).toBe(true);
    const pausedCount = (await runsOf(server, id)).length;
    await page.waitForTimeout(7000);
    expect((await runsOf(server, id)).length).toBe(pausedCount);
    await poll(() => history.count()).toBe(pausedCount);

    // Run now still runs it, while paused.
    await actions.getByRole("button", { name: "Run now" }).click();
    await poll(() => actions.getByRole("status").textContent()).toMatch(/^Run \d+ started\.$/);
    await poll(() => history.count()).toBe(pausedCount + 1);
    const manual = (await runsOf(server, id)).find((run) => run.manual);
    expect(manual?.taskId).toBeTruthy();
    await poll(() => history.first().locator(".badge").textContent()).toBe("Run now");

    // The report link opens the task page of that run.
    await poll(() => history.first().getByTestId("run-report-link").count()).toBe(1);
    await history.first().getByTestId("run-report-link").click();
    await page.waitForURL(/\/tasks\/[A-Za-z0-9_-]+$/);
    await page.goBack();
    await page.waitForURL(new RegExp(`/schedules/${id}$`));

    // Edited: the form starts from the schedule, previews the new expression, and saves.
    await page.getByRole("button", { name: "Edit" }).click();
    const edit = page.locator("form.schedule-form");
    expect(await edit.getByLabel("Name").inputValue()).toBe("Every three seconds");
    expect(await edit.getByLabel(/^Cron/).inputValue()).toBe(CRON);
    await poll(() => edit.getByLabel("Time zone").inputValue()).toBe(ZONE);
    await edit.getByLabel("Name").fill("Mornings");
    await edit.getByLabel(/^Cron/).fill("0 30 8 * * 1-5");
    await poll(() => edit.getByTestId("cron-preview").locator("li").first().textContent()).toMatch(/8:30:00/);
    await edit.getByRole("button", { name: "Save changes" }).click();
    await poll(() => page.locator("h1").textContent()).toContain("Mornings");
    expect(await page.locator("form.schedule-form").count()).toBe(0);
    await poll(async () => {
      const response = await fetch(`${server.url}/api/schedules/${id}`);
      return ((await response.json()) as { cron: string }).cron;
    }).toBe("0 30 8 * * 1-5");

    // Deleted after a confirmation: back to the list, without it.
    const renamed = page.getByRole("group", { name: "Actions for Mornings" });
    await renamed.getByRole("button", { name: "Delete schedule Mornings" }).click();
    await page
      .getByRole("group", { name: "Delete Mornings?" })
      .getByRole("button", { name: "Delete" })
      .click();
    await page.waitForURL(/\/schedules$/);
    await poll(() => page.locator(".schedule-row").count()).toBe(0);
    expect((await fetch(`${server.url}/api/schedules/${id}`)).status).toBe(404);
  });

  it("renders the list and the form in dark mode with keyboard-reachable controls", async () => {
    const page = await newPage({ dark: true });
    await page.goto("/schedules");
    await poll(() => page.locator("h1").textContent()).toBe("Schedules");
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe("rgb(13, 14, 16)");
    // Every form control has a label.
    const unlabelled = await page.evaluate(() =>
      [
        ...document.querySelectorAll(
          "form.schedule-form input, form.schedule-form select, form.schedule-form textarea",
        ),
      ]
        .filter((element) => (element as HTMLInputElement).labels?.length === 0)
        .map((element) => element.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    await page.getByLabel("Name").focus();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("TEXTAREA");
    await shoot(page, "schedules-dark");
  });
});
