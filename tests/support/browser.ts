import fs from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { requireBinary } from "./require-binary";

/** Debian's Chromium (package `chromium`): no browser download. */
export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = fs.existsSync(CHROMIUM);

/**
 * Without Chromium a browser suite skips with a message; on CI (`CI=true`),
 * where `.ci/run` installs it, the skip is a failing test instead.
 */
export function requireChromium(suite: string): void {
  requireBinary(suite, hasChromium, `${suite} needs Chromium at ${CHROMIUM} (Debian package "chromium").`);
}

/** Headless Chromium as the machine allows it: no sandbox as root, no calls home (the network is closed). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** What the task page shows of its report: the raw markdown it assembled and its state attributes. */
export interface ReportState {
  text: string;
  origin: string | null;
  status: string | null;
  connection: string | null;
  cursor: number;
}

export async function reportState(page: Page): Promise<ReportState> {
  return page.evaluate(() => {
    const element = document.getElementById("report-source");
    return {
      text: element?.textContent ?? "",
      origin: element?.getAttribute("data-origin") ?? null,
      status: element?.getAttribute("data-status") ?? null,
      connection: element?.getAttribute("data-connection") ?? null,
      cursor: Number(element?.getAttribute("data-cursor") ?? 0),
    };
  });
}

/** Polls the page's report state until `predicate` holds. */
export async function waitForReport(
  page: Page,
  predicate: (state: ReportState) => boolean,
  what: string,
  timeoutMs = 90_000,
): Promise<ReportState> {
  const deadline = Date.now() + timeoutMs;
  let last: ReportState | null = null;
  while (Date.now() < deadline) {
    last = await reportState(page);
    if (predicate(last)) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(
    `timed out waiting for ${what}; last state: ${JSON.stringify({ ...last, text: last?.text.length })}`,
  );
}

/** Fills the research form on `/`: the question, and depth and breadth by their radio buttons. */
export async function fillResearchForm(
  page: Page,
  question: string,
  options: { depth: number; breadth: number },
): Promise<void> {
  await page.getByLabel("Research question").fill(question);
  await page
    .getByRole("group", { name: /^Depth/ })
    .getByRole("radio", { name: String(options.depth) })
    .check();
  await page
    .getByRole("group", { name: /^Breadth/ })
    .getByRole("radio", { name: String(options.breadth) })
    .check();
}
