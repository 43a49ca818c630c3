import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server";
import { getJson, waitFor } from "./support/sse";

/**
 * "What's new" against the real server: a schedule firing every second
 * searches a SearXNG stand-in on loopback whose results gain a page between
 * runs; the run after the change ends with the section naming that page, and
 * its record counts it. (Loopback pages are refused to the page reader: every
 * source stands on its search snippet, which is all this needs.)
 */

const PAGES = [
  {
    path: "/canal-history",
    title: "Canal history",
    content: "The Erie Canal opened in 1825 and linked the Hudson River to Lake Erie.",
  },
  {
    path: "/canal-locks",
    title: "Canal engineering",
    content: "The Erie Canal used 83 locks to climb 568 feet between the Hudson and Lake Erie.",
  },
];
const NEWS = {
  path: "/canal-enlargement",
  title: "Canal enlargement",
  content: "The Erie Canal was enlarged between 1836 and 1862 so that larger grain boats could pass.",
};

let searxng: http.Server;
let base = "";
let server: TestServer;
/** What the stand-in answers; the test adds NEWS between runs. */
const current = { pages: [...PAGES] };

beforeAll(async () => {
  searxng = http.createServer((_request, response) => {
    response.setHeader("Content-Type", "application/json");
    response.end(
      JSON.stringify({
        results: current.pages.map((page) => ({
          url: `${base}${page.path}`,
          title: page.title,
          content: page.content,
        })),
      }),
    );
  });
  await new Promise<void>((resolve) => searxng.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(searxng.address() as AddressInfo).port}`;
  server = await startServer({
    env: {
      SEARXNG_URL: base,
      MIN_SCHEDULE_INTERVAL_S: "1",
      SCHEDULE_TICK_MS: "250",
      RATE_LIMIT_TASKS_PER_MINUTE: "0",
    },
  });
});

afterAll(async () => {
  await server?.stop();
  await new Promise<void>((resolve) => searxng.close(() => resolve()));
});

function send(method: string, path: string) {
  return getJson(`${server.url}${path}`, { method });
}

interface RunRecord {
  run: number | null;
  taskId: string;
  endedAt: string | null;
  success: boolean | null;
  sources: number | null;
  newSources: number | null;
}

/** Lets the schedule fire until a run that started after `afterRun` completed, then pauses it and waits for every run to end. */
async function nextCompletedRun(id: string, afterRun: number): Promise<RunRecord[]> {
  await send("POST", `/api/schedules/${id}/resume`);
  await waitFor(
    `a completed run after run ${afterRun}`,
    async () =>
      (await send("GET", `/api/schedules/${id}/runs?limit=100`)).body.runs.some(
        (run: RunRecord) => run.run !== null && run.run > afterRun && run.success === true,
      ),
    30_000,
  );
  await send("POST", `/api/schedules/${id}/pause`);
  return waitFor("every run's end", async () => {
    const { runs } = (await send("GET", `/api/schedules/${id}/runs?limit=100`)).body;
    return runs.every((run: RunRecord) => run.endedAt !== null) ? (runs as RunRecord[]) : null;
  });
}

describe("what's new since the previous run", () => {
  it("ends the run after the search results changed with the new source, and counts it in the history", async () => {
    const created = await getJson(`${server.url}/api/schedules`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        name: "Erie Canal, every second",
        request: { query: "Erie Canal history", depth: 1, breadth: 1, search: { provider: "searxng" } },
        cron: "* * * * * *",
        timezone: "UTC",
        missed: "skip",
        enabled: false,
      }),
    });
    expect(created.status).toBe(201);
    const id = created.body.id;

    const before = await nextCompletedRun(id, 0);
    const started = before.filter((run) => run.run !== null);
    const first = started.find((run) => run.run === 1)!;
    expect(first).toMatchObject({ success: true, newSources: null });
    // Later runs over the same results found nothing new.
    for (const run of started) if (run.run! > 1 && run.success) expect(run.newSources).toBe(0);
    const lastBefore = Math.max(...started.map((run) => run.run!));

    current.pages = [...PAGES, NEWS];
    const after = await nextCompletedRun(id, lastBefore);
    const latest = after
      .filter((run) => run.run !== null && run.run > lastBefore)
      .sort((a, b) => b.run! - a.run!)[0]!;
    expect(latest).toMatchObject({ success: true, newSources: 1, sources: 3 });

    const task = (await send("GET", `/api/tasks/${latest.taskId}`)).body;
    expect(task.run).toBe(latest.run);
    const report: string = task.result.report;
    const section = report.slice(report.indexOf("\n## What's new since "), report.indexOf("\n## Sources\n"));
    expect(section).toMatch(/^\n## What's new since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n/);
    expect(section).toContain("New sources (1):");
    expect(section).toContain(`Canal enlargement — ${base}${NEWS.path}`);
    expect(section).not.toContain(PAGES[0]!.path);
    expect(task.result.whatsNew).toMatchObject({ sources: 1 });
  }, 90_000);
});
