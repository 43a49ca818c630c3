/**
 * Languages end to end (README, "Languages"): the UI in English and Chinese
 * with a switch that survives a reload (real Chromium), a `zh` request's
 * offline report with Chinese headings, and its PDF export read back by
 * pdf.js with the Chinese text intact.
 */
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractDocument } from "@/lib/research/documents/extract-document";
import { hasChromium, launchChromium, requireChromium } from "./support/browser";
import { startServer, type TestServer } from "./support/server";
import { getJson, waitFor } from "./support/sse";

requireChromium("languages UI");

describe("languages", () => {
  let server: TestServer;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    server = await startServer({ env: { LOG_LEVEL: "warn" } });
    if (hasChromium) browser = await launchChromium();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  const research = async (body: Record<string, unknown>) => {
    const created = await getJson(`${server.url}/api/research`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(202);
    const id = created.body.taskId as string;
    return waitFor(
      "the task to complete",
      async () => {
        const current = (await getJson(`${server.url}/api/tasks/${id}`)).body;
        return current.status === "completed" ? current : null;
      },
      120_000,
    );
  };

  const pdfText = async (id: string) => {
    const response = await fetch(`${server.url}/api/tasks/${id}/export?format=pdf`);
    expect(response.status).toBe(200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const extracted = await extractDocument({ bytes, filename: "report.pdf" });
    return {
      text: extracted.pages.join("\n").replace(/\s+/g, " "),
      raw: Buffer.from(bytes).toString("latin1"),
    };
  };

  it("writes a zh request's offline report with Chinese headings, and its PDF keeps them", async () => {
    const task = await research({ query: "Louisiana Purchase", depth: 1, breadth: 2, language: "zh" });
    const report = task.result.report as string;
    expect(report).toMatch(/^# Louisiana Purchase\n\n## 摘要\n\n本报告汇集了来自 \d+ 个来源的 \d+ 条发现/);
    expect(report).toContain("\n## 来源\n\n1. ");
    expect(report).not.toContain("## Summary");

    const { text, raw } = await pdfText(task.id as string);
    expect(text).toContain("Louisiana Purchase");
    expect(text).toContain("摘要");
    expect(text).toContain("来源");
    expect(text).toContain("本报告汇集了来自");
    expect(text).toContain("以下发现均引自各来源");
    // The Chinese text is drawn by an embedded font (subset), not the standard fonts.
    expect(raw).toMatch(/\/FontFile2/);
  });

  it("keeps an English report and its PDF as they were: English headings, standard fonts only", async () => {
    const task = await research({ query: "Louisiana Purchase", depth: 1, breadth: 2 });
    const report = task.result.report as string;
    expect(report).toMatch(/^# Louisiana Purchase\n\n## Summary\n\nThis report gathers /);
    expect(report).toContain("\n## Sources\n\n1. ");
    const { text, raw } = await pdfText(task.id as string);
    expect(text).toContain("Summary");
    expect(text).toContain("Sources");
    expect(text).toContain("This report gathers");
    expect(raw).toContain("/BaseFont /Helvetica");
    expect(raw).not.toMatch(/\/FontFile2/);
  });

  it("renders the page in the browser's language when no choice was made", async () => {
    const html = async (acceptLanguage: string) =>
      (await fetch(`${server.url}/`, { headers: { "Accept-Language": acceptLanguage } })).text();
    expect(await html("zh-CN,zh;q=0.9,en;q=0.8")).toMatch(/<html lang="zh-CN"/);
    expect(await html("fr-FR,en;q=0.5")).toMatch(/<html lang="en"/);
    // A chosen language wins over the header.
    const chosen = await fetch(`${server.url}/`, {
      headers: { "Accept-Language": "en", Cookie: "NEXT_LOCALE=zh-CN" },
    });
    expect(await chosen.text()).toMatch(/<html lang="zh-CN"/);
  });

  it.skipIf(!hasChromium)(
    "switches the UI to Chinese, keeps it across a reload, and back to English",
    async () => {
      const context = await browser!.newContext({ baseURL: server.url, locale: "en-US" });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto("/");
      const lang = () => page.evaluate(() => document.documentElement.lang);
      expect(await lang()).toBe("en");
      await expect
        .poll(() => page.getByRole("heading", { level: 1 }).textContent())
        .toBe("What do you want to know?");

      await page.getByLabel("Language").selectOption("zh-CN");
      await expect.poll(lang, { timeout: 15_000 }).toBe("zh-CN");
      await expect
        .poll(() => page.getByRole("heading", { level: 1 }).textContent(), { timeout: 15_000 })
        .toBe("你想了解什么？");
      expect(
        await page.getByRole("navigation").getByRole("link", { name: "任务", exact: true }).count(),
      ).toBe(1);

      await page.reload();
      expect(await lang()).toBe("zh-CN");
      await expect.poll(() => page.getByLabel("研究问题").count()).toBe(1);
      const start = page.getByRole("button", { name: "开始研究" });
      await expect.poll(() => start.isEnabled(), { timeout: 15_000 }).toBe(true);
      expect(await page.title()).toBe("Fathom — 深度研究");

      // Research started from the Chinese pages is written in Chinese.
      await page.getByLabel("研究问题").fill("Louisiana Purchase and the treaty with France");
      await start.click();
      await page.waitForURL(/\/tasks\/[0-9a-f]{32}$/, { timeout: 30_000 });
      await expect
        .poll(() => page.locator("#report-source").textContent(), { timeout: 120_000 })
        .toContain("## 来源");
      expect(await page.locator("#report-source").textContent()).toContain("## 摘要");
      expect(await page.getByRole("heading", { name: "研究过程" }).count()).toBe(1);

      await page.getByLabel("语言").selectOption("en");
      await expect.poll(lang, { timeout: 15_000 }).toBe("en");
      await page.goto("/");
      expect(await lang()).toBe("en");
      await expect
        .poll(() => page.getByRole("heading", { level: 1 }).textContent())
        .toBe("What do you want to know?");
    },
  );
});
