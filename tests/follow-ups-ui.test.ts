/**
 * The task page's thread in a real Chromium: under a completed report an
 * input asks a follow-up and opens its page, which links back to the
 * parent; the parent lists its follow-ups.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, launchChromium, requireChromium } from "./support/browser";
import { startServer, type TestServer } from "./support/server";
import { getJson, waitFor } from "./support/sse";

requireChromium("follow-up thread");

const describeUi = hasChromium ? describe : describe.skip;

describeUi("the follow-up thread on the task page", () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ env: { LOG_LEVEL: "warn" } }), launchChromium()]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("asks a follow-up under a report, links it back, and lists it under the parent", async () => {
    const started = await getJson(`${server.url}/api/research`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query: "Louisiana Purchase", depth: 1, breadth: 1 }),
    });
    const parentId: string = started.body.taskId;
    await waitFor("the parent to complete", async () => {
      const { body } = await getJson(`${server.url}/api/tasks/${parentId}`);
      return body.status === "completed";
    });

    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/tasks/${parentId}`);
    await page.getByLabel("Follow-up").fill("What did Jefferson say about New Orleans?");
    await page.getByRole("button", { name: "Ask" }).click();
    await page.waitForURL((url) => url.pathname.startsWith("/tasks/") && !url.pathname.endsWith(parentId));
    const childId = new URL(page.url()).pathname.split("/").at(-1)!;

    const parentLink = page.getByTestId("follow-up-parent").getByRole("link", { name: "Louisiana Purchase" });
    await parentLink.waitFor();
    expect(await parentLink.getAttribute("href")).toBe(`/tasks/${parentId}`);

    await parentLink.click();
    await page.waitForURL((url) => url.pathname.endsWith(parentId));
    const listed = page.getByRole("list", { name: "Follow-ups" }).getByRole("link");
    await listed.first().waitFor();
    expect(await listed.getAttribute("href")).toBe(`/tasks/${childId}`);
    expect(await listed.textContent()).toBe("What did Jefferson say about New Orleans?");
  }, 90_000);
});
