/**
 * Accessibility of every page, in a real Chromium against the real server
 * (tests/ui.test.ts explains the set-up). axe-core checks each page against
 * the WCAG 2.1 A and AA rules on a desktop and a phone screen, light and
 * dark; any serious, critical or moderate violation fails, listed by rule,
 * impact, element and summary. A page is one entry of `pages` below: a name, how to
 * reach it (made by the fixtures in `beforeAll`) and what it shows once it is
 * ready to be checked. A new page is one more entry. On the desktop in the
 * light theme the check also tabs once round the page: every control must
 * look different while it has the focus.
 *
 * The keyboard test at the end uses Tab, Shift+Tab, Enter and Space only
 * (no clicks, no element.click()): it asks a question, follows the task,
 * pauses, resumes and cancels it, opens a finished task from the list and
 * downloads its export, and checks that every control it lands on shows
 * where the focus is.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePdf } from "@/lib/research/documents/testing/make-pdf";
import { hasChromium, launchChromium, reportState, requireChromium, waitForReport } from "./support/browser";
import { startServer, type TestServer } from "./support/server";
import { getJson, waitFor } from "./support/sse";

requireChromium("accessibility");

const describeUi = hasChromium ? describe : describe.skip;

const AXE_SOURCE = require.resolve("axe-core");
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
/**
 * What fails the check: serious and critical findings, and moderate ones
 * (none is left, and keeping it so is cheap). Minor findings are printed.
 */
const FAILING_IMPACTS = new Set(["serious", "critical", "moderate"]);

/** The screens and colour schemes every page is checked in. */
const VARIANTS = [
  { name: "desktop light", viewport: { width: 1280, height: 800 }, mobile: false, scheme: "light" },
  { name: "desktop dark", viewport: { width: 1280, height: 800 }, mobile: false, scheme: "dark" },
  { name: "phone light", viewport: { width: 390, height: 844 }, mobile: true, scheme: "light" },
  { name: "phone dark", viewport: { width: 390, height: 844 }, mobile: true, scheme: "dark" },
] as const;
type Variant = (typeof VARIANTS)[number];

/** The servers and records the pages are made of. */
interface Fixtures {
  /** The default server: no API token, tasks streamed slowly enough to be seen running. */
  open: TestServer;
  /** A server protected by FATHOM_API_TOKEN (its pages ask to sign in). */
  protected: TestServer;
  /** A server whose storage fails under the pages that read it (the error views): see `beforeAll`. */
  broken: TestServer;
  completedId: string;
  followUpId: string;
  failedId: string;
  cancelledId: string;
  collection: string;
  documentId: string;
  scheduleId: string;
}

interface PageSetup {
  name: string;
  server?: (fixtures: Fixtures) => TestServer;
  /** The path to open; may make what the page shows first (a running task, a session). */
  open: (fixtures: Fixtures, page: Page) => Promise<string> | string;
  /** Resolves when the page shows what is to be checked. */
  ready: (page: Page) => Promise<unknown>;
  /**
   * The HTTP status of the page (200 unless said); `null` when the framework
   * decides it (an error view rendered after the response has started).
   */
  status?: number | null;
  /** How many Tab presses the focus walk allows before it must have come round the page (150 unless said). */
  focusStops?: number;
  /** Undoes what `open` made (stops a running task). */
  after?: (fixtures: Fixtures, path: string) => Promise<void>;
}

const TOKEN = "accessibility-token-0123456789";
const SLOW_ENV = { OUTPUT_CHUNK_DELAY_MS: "150", LOG_LEVEL: "warn" };
/** A long task: it is still running when it is checked, and is cancelled afterwards. */
const LONG = { depth: 2, breadth: 3 };

/** A task id whose state file, on the broken server, is a link to itself: reading it fails (ELOOP). */
const BROKEN_TASK_ID = "a".repeat(32);

let uniqueQuestion = 0;

async function createTask(server: TestServer, body: Record<string, unknown>): Promise<string> {
  const { status, body: created } = await getJson(`${server.url}/api/research`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  expect(status).toBe(202);
  return created.taskId as string;
}

async function taskStatus(server: TestServer, id: string): Promise<string> {
  return (await getJson(`${server.url}/api/tasks/${id}`)).body.status as string;
}

async function waitForStatus(server: TestServer, id: string, status: string): Promise<void> {
  await waitFor(`task ${id} to be ${status}`, async () => (await taskStatus(server, id)) === status, 120_000);
}

async function control(server: TestServer, id: string, action: string): Promise<void> {
  const { status } = await getJson(`${server.url}/api/tasks/${id}/${action}`, { method: "POST" });
  expect(status).toBe(200);
}

/** A task of its own (a question no other setup asks), running. */
async function runningTask(server: TestServer): Promise<string> {
  uniqueQuestion += 1;
  const id = await createTask(server, {
    query: `Presidents on canals and internal improvements, view ${uniqueQuestion}`,
    ...LONG,
  });
  await waitForStatus(server, id, "running");
  return id;
}

async function cancelIfUnfinished(server: TestServer, id: string): Promise<void> {
  const status = await taskStatus(server, id);
  if (status !== "running" && status !== "paused" && status !== "queued") return;
  // 409: it finished in between, which is as good.
  const cancelled = await getJson(`${server.url}/api/tasks/${id}/cancel`, { method: "POST" });
  expect([200, 409]).toContain(cancelled.status);
}

const taskIdOf = (pathname: string) => pathname.split("/").at(-1)!;

const heading = (page: Page) => page.getByRole("heading", { level: 1 }).first().waitFor();

const reportReady = (connection: string) => (page: Page) =>
  waitForReport(page, (state) => state.connection === connection, `the report to be ${connection}`);

const pages: PageSetup[] = [
  {
    name: "new research (/)",
    open: () => "/",
    ready: (page) =>
      expect
        .poll(() => page.getByRole("button", { name: /start research/i }).isEnabled(), { timeout: 30_000 })
        .toBe(true),
  },
  {
    name: "task list (/tasks)",
    open: () => "/tasks",
    ready: (page) => page.locator(".task-row").first().waitFor(),
  },
  {
    name: "task page, running",
    open: async (fixtures) => `/tasks/${await runningTask(fixtures.open)}`,
    ready: (page) =>
      waitForReport(
        page,
        (state) => state.status === "running" && state.connection === "live" && state.text.length > 0,
        "the report to stream",
      ),
    after: (fixtures, pathname) => cancelIfUnfinished(fixtures.open, taskIdOf(pathname)),
  },
  {
    name: "task page, paused",
    open: async (fixtures) => {
      const id = await runningTask(fixtures.open);
      await control(fixtures.open, id, "pause");
      await waitForStatus(fixtures.open, id, "paused");
      return `/tasks/${id}`;
    },
    ready: (page) => waitForReport(page, (state) => state.status === "paused", "the page to show the pause"),
    after: (fixtures, pathname) => cancelIfUnfinished(fixtures.open, taskIdOf(pathname)),
  },
  {
    name: "task page, completed with a report and a follow-up",
    open: (fixtures) => `/tasks/${fixtures.completedId}`,
    ready: async (page) => {
      await reportReady("finished")(page);
      await page.getByRole("list", { name: "Follow-ups" }).waitFor();
    },
  },
  {
    name: "task page, a follow-up",
    open: (fixtures) => `/tasks/${fixtures.followUpId}`,
    ready: async (page) => {
      await reportReady("finished")(page);
      await page.getByTestId("follow-up-parent").waitFor();
    },
  },
  {
    name: "task page, failed",
    open: (fixtures) => `/tasks/${fixtures.failedId}`,
    ready: async (page) => {
      await reportReady("finished")(page);
      await page.locator(".callout-error").waitFor();
    },
  },
  {
    name: "task page, cancelled",
    open: (fixtures) => `/tasks/${fixtures.cancelledId}`,
    ready: reportReady("finished"),
  },
  {
    name: "collections (/collections)",
    open: () => "/collections",
    ready: heading,
  },
  {
    name: "a collection (/collections/:name)",
    open: (fixtures) => `/collections/${fixtures.collection}`,
    ready: (page) => page.locator(`.document-row[data-status="ready"]`).first().waitFor(),
  },
  {
    name: "document reader",
    open: (fixtures) =>
      `/collections/${fixtures.collection}/documents/${fixtures.documentId}?page=2&passage=${encodeURIComponent("forty-two storms")}`,
    ready: (page) => page.locator("mark#cited-passage").waitFor(),
  },
  {
    name: "schedules (/schedules)",
    open: () => "/schedules",
    ready: (page) => page.getByRole("link", { name: "Tariffs, every morning" }).first().waitFor(),
  },
  {
    name: "a schedule (/schedules/:id)",
    open: (fixtures) => `/schedules/${fixtures.scheduleId}`,
    ready: heading,
  },
  {
    name: "API page (/docs/api)",
    open: () => "/docs/api",
    // Every operation, field list and schema unfolds: hundreds of controls.
    focusStops: 2000,
    ready: heading,
  },
  {
    name: "not found",
    open: () => `/tasks/${"0".repeat(32)}`,
    status: 404,
    ready: heading,
  },
  {
    name: "sign-in (/signin, FATHOM_API_TOKEN set)",
    server: (fixtures) => fixtures.protected,
    open: () => "/signin",
    ready: (page) => page.getByLabel("API token").waitFor(),
  },
  {
    name: "signed in (/ with the sign-out button)",
    server: (fixtures) => fixtures.protected,
    open: async (fixtures, page) => {
      await page.goto(`${fixtures.protected.url}/signin`);
      await page.getByLabel("API token").fill(TOKEN);
      await page.getByLabel("API token").press("Enter");
      await page.waitForURL(`${fixtures.protected.url}/`);
      return "/";
    },
    ready: (page) => page.getByRole("button", { name: /sign out/i }).waitFor(),
  },
  {
    name: "error view (collections whose storage fails)",
    server: (fixtures) => fixtures.broken,
    open: () => "/collections",
    status: null,
    ready: (page) => page.getByRole("heading", { name: "This page could not be loaded" }).waitFor(),
  },
  {
    name: "error view (a collection whose storage fails)",
    server: (fixtures) => fixtures.broken,
    open: (fixtures) => `/collections/${fixtures.collection}`,
    status: null,
    ready: (page) => page.getByRole("heading", { name: "This page could not be loaded" }).waitFor(),
  },
  {
    name: "error view (schedules whose storage fails)",
    server: (fixtures) => fixtures.broken,
    open: () => "/schedules",
    status: null,
    ready: (page) => page.getByRole("heading", { name: "This page could not be loaded" }).waitFor(),
  },
  {
    name: "error view (a document whose storage fails)",
    server: (fixtures) => fixtures.broken,
    open: (fixtures) => `/collections/${fixtures.collection}/documents/${fixtures.documentId}`,
    status: null,
    ready: (page) => page.getByRole("heading", { name: "This page could not be loaded" }).waitFor(),
  },
  {
    name: "error view (a task whose storage fails)",
    server: (fixtures) => fixtures.broken,
    open: () => `/tasks/${BROKEN_TASK_ID}`,
    status: null,
    ready: (page) => page.getByRole("heading", { name: "This task could not be loaded" }).waitFor(),
  },
];

// ---- axe ---------------------------------------------------------------------

/** A violation as the test reports it: the rule, its impact and the elements. */
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

async function runAxe(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE_SOURCE });
  return page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: typeof import("axe-core") }).axe;
    const results = await axe.run(document, {
      runOnly: { type: "tag", values: tags },
      resultTypes: ["violations"],
    });
    return results.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact ?? null,
      help: violation.help,
      nodes: violation.nodes.map((node) => ({
        target: node.target.map(String),
        failureSummary: node.failureSummary,
      })),
    }));
  }, WCAG_TAGS);
}

/** One line per element: `[variant] rule (impact) at selector: what is wrong`. */
function describeViolations(variant: string, violations: AxeViolation[]): string[] {
  return violations.flatMap((violation) =>
    violation.nodes.map(
      (node) =>
        `[${variant}] ${violation.id} (${violation.impact}) at ${node.target.map(String).join(" ")}: ${(
          node.failureSummary ?? violation.help
        )
          .replace(/\s+/g, " ")
          .trim()}`,
    ),
  );
}

// ---- the suites ----------------------------------------------------------------

describeUi("accessibility (axe-core, WCAG 2.1 A/AA, real Chromium)", () => {
  let browser: Browser;
  const fixtures = {} as Fixtures;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const [open, protectedServer, broken, launched] = await Promise.all([
      startServer({
        env: {
          ...SLOW_ENV,
          // A model server that is not there: the failed task fails at its first call.
          OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
          OPENAI_API_KEY: "sk-not-a-real-key",
          OPENAI_MAX_RETRIES: "0",
          STEP_MAX_RETRIES: "0",
        },
      }),
      startServer({ env: { FATHOM_API_TOKEN: TOKEN, LOG_LEVEL: "warn" } }),
      startServer({ env: { LOG_LEVEL: "error" } }),
      launchChromium(),
    ]);
    Object.assign(fixtures, { open, protected: protectedServer, broken });
    browser = launched;

    // The broken server's collections folder becomes a link to itself: listing it fails (ELOOP).
    const collections = path.join(broken.dataDir, "tasks", "collections");
    fs.rmSync(collections, { recursive: true, force: true });
    fs.symlinkSync("collections", collections);
    // …and so does its schedules folder.
    const schedules = path.join(broken.dataDir, "tasks", "schedules");
    fs.rmSync(schedules, { recursive: true, force: true });
    fs.symlinkSync("schedules", schedules);
    fs.symlinkSync(`${BROKEN_TASK_ID}.json`, path.join(broken.dataDir, "tasks", `${BROKEN_TASK_ID}.json`));

    // A completed task with a follow-up (completed too).
    fixtures.completedId = await createTask(open, { query: "Louisiana Purchase", depth: 1, breadth: 1 });
    await waitForStatus(open, fixtures.completedId, "completed");
    const asked = await getJson(`${open.url}/api/tasks/${fixtures.completedId}/follow-up`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query: "What did Jefferson say about New Orleans?" }),
    });
    expect(asked.status).toBe(202);
    fixtures.followUpId = asked.body.taskId;

    fixtures.failedId = await createTask(open, {
      query: "What did presidents say about tariffs?",
      depth: 1,
      breadth: 1,
      llm: { provider: "openai", model: "gpt-test" },
    });
    fixtures.cancelledId = await runningTask(open);
    await control(open, fixtures.cancelledId, "cancel");

    // A collection with one PDF, indexed.
    fixtures.collection = "lighthouse-notes";
    const made = await getJson(`${open.url}/api/collections`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: fixtures.collection, description: "Keeper's logs" }),
    });
    expect(made.status).toBe(201);
    const form = new FormData();
    const pdf = await makePdf([
      "Quillmoor Point Station Log\n\nThis log covers the years 1885 to 1889.",
      "Winter of 1887\n\nThe keeper recorded forty-two storms in the winter of 1887.",
    ]);
    form.append("file", new Blob([Buffer.from(pdf)], { type: "application/pdf" }), "station-log.pdf");
    const uploaded = await fetch(`${open.url}/api/collections/${fixtures.collection}/documents`, {
      method: "POST",
      body: form,
    });
    expect(uploaded.status).toBe(202);
    const uploadedBody = (await uploaded.json()) as { documents: { id: string }[] };
    fixtures.documentId = uploadedBody.documents[0]!.id;
    await waitFor("the PDF to be indexed", async () => {
      const { body } = await getJson(
        `${open.url}/api/collections/${fixtures.collection}/documents/${fixtures.documentId}`,
      );
      return body.status === "ready";
    });

    const schedule = await getJson(`${open.url}/api/schedules`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        name: "Tariffs, every morning",
        request: { query: "What did presidents say about tariffs?", depth: 1, breadth: 1 },
        cron: "0 9 * * 1-5",
        timezone: "Europe/Berlin",
      }),
    });
    expect(schedule.status).toBe(201);
    fixtures.scheduleId = schedule.body.id;

    await waitForStatus(open, fixtures.followUpId, "completed");
    await waitForStatus(open, fixtures.failedId, "failed");
  }, 300_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await Promise.all([fixtures.open?.stop(), fixtures.protected?.stop(), fixtures.broken?.stop()]);
  });

  async function newPage(server: TestServer, variant: Variant): Promise<Page> {
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: variant.viewport,
      isMobile: variant.mobile,
      hasTouch: variant.mobile,
      colorScheme: variant.scheme,
      timezoneId: "Europe/Berlin",
    });
    contexts.push(context);
    const page = await context.newPage();
    await page.emulateMedia({ colorScheme: variant.scheme, reducedMotion: "reduce" });
    return page;
  }

  it.each(pages.map((setup) => [setup.name, setup] as const))(
    "%s: no serious, critical or moderate violation on desktop and phone, light and dark; focus visible on every control",
    async (_name, setup) => {
      const failures: string[] = [];
      for (const variant of VARIANTS) {
        const server = setup.server?.(fixtures) ?? fixtures.open;
        const page = await newPage(server, variant);
        const pathname = await setup.open(fixtures, page);
        try {
          const response = await page.goto(pathname);
          if (setup.status !== null) {
            expect(response?.status(), `${setup.name}: HTTP status`).toBe(setup.status ?? 200);
          }
          await setup.ready(page);
          const violations = await runAxe(page);
          const blocking = violations.filter((violation) => FAILING_IMPACTS.has(violation.impact ?? ""));
          const other = violations.filter((violation) => !FAILING_IMPACTS.has(violation.impact ?? ""));
          if (other.length > 0) console.warn(describeViolations(variant.name, other).join("\n"));
          failures.push(...describeViolations(variant.name, blocking));
          // Every control shows where the focus is (checked once: the keyboard is a desktop's).
          if (variant.name === "desktop light") {
            const walk = await focusWalk(page, setup.focusStops);
            // At least the skip link and the navigation.
            expect(walk.visited, `${setup.name}: focus stops`).toBeGreaterThan(3);
            for (const control of walk.invisible) {
              failures.push(`[${variant.name}] no visible focus indicator on ${control}`);
            }
          }
        } finally {
          await setup.after?.(fixtures, pathname);
          await page.context().close();
        }
      }
      expect(failures.length, `${setup.name}:\n${failures.join("\n")}\n`).toBe(0);
    },
    300_000,
  );
});

// ---- keyboard only ----------------------------------------------------------------

/** The styles that show focus, of the focused element, the element after it and three ancestors. */
interface FocusLook {
  description: string;
  styles: string[];
}

/**
 * Reads the focused element and the look of it and of what may carry its
 * indicator (a styled sibling of a visually hidden input, a `:focus-within`
 * card). The elements are remembered on `window` so the same ones can be
 * read again once the focus has moved on.
 */
function readFocus(page: Page, again: boolean): Promise<FocusLook> {
  return page.evaluate((again) => {
    const store = window as unknown as { __focusTargets?: Element[]; __focused?: Element | null };
    if (!again) {
      const focused = document.activeElement;
      const targets: Element[] = [];
      if (focused && focused !== document.body) {
        targets.push(focused);
        if (focused.nextElementSibling) targets.push(focused.nextElementSibling);
        let parent = focused.parentElement;
        for (let level = 0; parent && level < 3; level += 1, parent = parent.parentElement)
          targets.push(parent);
      }
      store.__focusTargets = targets;
      store.__focused = focused;
    }
    const focused = store.__focused ?? null;
    const styles = (store.__focusTargets ?? []).map((element) => {
      const style = getComputedStyle(element);
      const outline =
        style.outlineStyle === "none"
          ? "none"
          : `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`;
      return `${outline} | ${style.boxShadow} | ${style.borderColor} | ${style.backgroundColor}`;
    });
    const description = focused
      ? `${focused.tagName.toLowerCase()}${focused.className && typeof focused.className === "string" ? `.${focused.className.trim().split(/\s+/).join(".")}` : ""} "${(focused.getAttribute("aria-label") ?? focused.textContent ?? "").trim().slice(0, 40)}"`
      : "nothing";
    return { description, styles };
  }, again);
}

/** The focused element by its accessible-ish name and role, for matching. */
function focusedText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const focused = document.activeElement;
    if (!focused || focused === document.body) return "";
    const label =
      focused.getAttribute("aria-label") ??
      (focused.id ? document.querySelector(`label[for="${focused.id}"]`)?.textContent : null) ??
      focused.textContent ??
      "";
    return `${focused.tagName.toLowerCase()}:${label.replace(/\s+/g, " ").trim()}`;
  });
}

/**
 * The focused control when it does not look focused, else null: its look (or
 * that of its sibling or card) is compared with the look once the focus has
 * moved away, by Shift+Tab, and back with Tab.
 */
async function invisibleFocus(page: Page): Promise<string | null> {
  const focused = await readFocus(page, false);
  if (focused.styles.length === 0) return null;
  await page.keyboard.press("Shift+Tab");
  const unfocused = await readFocus(page, true);
  await page.keyboard.press("Tab");
  return focused.styles.join("\n") === unfocused.styles.join("\n") ? focused.description : null;
}

/**
 * Tabs once round the whole page; the controls whose focus cannot be seen.
 * Each control's look while focused is compared with its look after the next
 * Tab (Shift+Tab from the first control would leave the page).
 */
async function focusWalk(page: Page, maxStops = 150): Promise<{ invisible: string[]; visited: number }> {
  const invisible: string[] = [];
  let visited = 0;
  await page.evaluate(() => {
    (window as unknown as { __firstStop?: Element | null }).__firstStop = null;
  });
  let previous: FocusLook | null = null;
  let outside = 0;
  const stops: string[] = [];
  for (let stop = 0; stop < maxStops; stop += 1) {
    await page.keyboard.press("Tab");
    stops.push(await focusedText(page));
    if (previous !== null) {
      const after = await readFocus(page, true);
      if (after.styles.join("\n") === previous.styles.join("\n")) invisible.push(previous.description);
    }
    const where = await page.evaluate(() => {
      const store = window as unknown as { __firstStop?: Element | null };
      const focused = document.activeElement;
      if (!focused || focused === document.body) return "outside";
      if (store.__firstStop === focused) return "round";
      store.__firstStop ??= focused;
      return "control";
    });
    if (where === "round") return { invisible, visited };
    if (where === "outside") {
      // Past the last control the focus leaves the page, then starts again at the top.
      previous = null;
      outside += 1;
      if (outside > 2) return { invisible, visited };
      continue;
    }
    previous = await readFocus(page, false);
    visited += 1;
  }
  throw new Error(
    `the focus did not come round the page in ${maxStops} stops; the last ones:\n${stops.slice(-30).join("\n")}`,
  );
}

describeUi("keyboard only (real Chromium)", () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let completedId: string;
  /** Focus stops whose focused and unfocused looks were the same. */
  const invisible: string[] = [];

  beforeAll(async () => {
    // Slower output than the page checks: the task this walk starts must still be running when it cancels it.
    [server, browser] = await Promise.all([
      startServer({ env: { ...SLOW_ENV, OUTPUT_CHUNK_DELAY_MS: "400" } }),
      launchChromium(),
    ]);
    completedId = await createTask(server, { query: "Louisiana Purchase", depth: 1, breadth: 1 });
    await waitForStatus(server, completedId, "completed");
    context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.on("pageerror", (error) => console.error("[page error]", error));
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  async function expectVisibleFocus(): Promise<void> {
    const description = await invisibleFocus(page);
    if (description !== null) invisible.push(description);
  }

  /** Tabs (forwards or backwards) until the focused control matches, checking each stop's indicator. */
  async function tabTo(target: RegExp, options: { backwards?: boolean; max?: number } = {}): Promise<void> {
    const seen: string[] = [];
    for (let step = 0; step < (options.max ?? 60); step += 1) {
      await page.keyboard.press(options.backwards ? "Shift+Tab" : "Tab");
      const text = await focusedText(page);
      seen.push(text);
      await expectVisibleFocus();
      if (target.test(text)) return;
    }
    throw new Error(`no focusable control matched ${target}; the focus went through:\n${seen.join("\n")}`);
  }

  it("asks, follows, pauses, resumes, cancels and exports by keyboard alone, with the focus always visible", async () => {
    await page.goto("/");
    await expect
      .poll(() => page.getByRole("button", { name: /start research/i }).isEnabled(), { timeout: 30_000 })
      .toBe(true);
    // The question box has the focus when the page opens.
    expect(await focusedText(page)).toBe("textarea:Research question");
    await page.keyboard.type("Presidents on railroads, canals and internal improvements");
    await tabTo(/^button:Start research/);
    await page.keyboard.press("Enter");

    await page.waitForURL(/\/tasks\/[0-9a-f]{32}$/, { timeout: 30_000 });
    const id = taskIdOf(new URL(page.url()).pathname);
    await waitForReport(page, (state) => state.status === "running", "the task to run");

    await tabTo(/^button:Pause$/);
    await page.keyboard.press("Enter");
    await waitForStatus(server, id, "paused");
    await waitForReport(page, (state) => state.status === "paused", "the page to show the pause");
    // The new status is announced (the task's pill is a live region).
    expect(await page.locator(".task-meta").getByRole("status").textContent()).toBe("Paused");
    // The focus stays on the control, which now resumes.
    await expect.poll(() => focusedText(page), { timeout: 15_000 }).toBe("button:Resume");
    await expectVisibleFocus();
    // The stream can show the pause before the answer to Pause arrives (a loaded machine): until
    // then the controls are busy and ignore a press, so wait for the answer as after Resume below.
    await expect
      .poll(() => page.locator('[data-action="cancel"]').getAttribute("aria-disabled"), { timeout: 15_000 })
      .toBeNull();
    await page.keyboard.press("Space");
    await waitForStatus(server, id, "running");
    // The page has the server's answer to Resume: its controls are no longer busy (a press while busy is ignored).
    await expect
      .poll(() => page.locator('[data-action="cancel"]').getAttribute("aria-disabled"), { timeout: 15_000 })
      .toBeNull();

    await tabTo(/^button:Cancel$/);
    await page.keyboard.press("Enter");
    await waitForStatus(server, id, "cancelled");
    await waitForReport(page, (state) => state.status === "cancelled", "the page to show the cancel");

    // Back to the list by the header's navigation, then the finished task.
    await tabTo(/^a:Tasks$/, { backwards: true });
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/tasks$/);
    await page.locator(`[data-task-id="${completedId}"]`).waitFor();
    await tabTo(/^a:Louisiana Purchase/);
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`/tasks/${completedId}$`));
    await waitForReport(page, (state) => state.connection === "finished", "the finished report");

    await tabTo(/^a:Download as Markdown$/);
    const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
    expect(download.suggestedFilename()).toMatch(/^Louisiana Purchase.*\.md$/);
    const report = (await reportState(page)).text;
    expect(fs.readFileSync(await download.path(), "utf8")).toBe(report);

    expect(invisible, `controls with no visible focus indicator:\n${invisible.join("\n")}`).toEqual([]);

    // The checks see a missing indicator: with the focus styles taken away, controls are reported.
    await page.goto("/");
    await expect
      .poll(() => page.getByRole("button", { name: /start research/i }).isEnabled(), { timeout: 30_000 })
      .toBe(true);
    await page.addStyleTag({
      content: "* { outline: none !important; box-shadow: none !important; }",
    });
    const stripped = await focusWalk(page);
    expect(stripped.invisible.some((control) => /^button[.\w-]* "Start research/.test(control))).toBe(true);
    expect(stripped.invisible.some((control) => /^a[.\w-]* "Skip to content/.test(control))).toBe(true);
    await tabTo(/^button:Start research/);
    expect(invisible.at(-1)).toMatch(/^button[.\w-]* "Start research/);
  }, 300_000);
});
