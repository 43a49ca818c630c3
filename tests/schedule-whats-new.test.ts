import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Brain, type ModelServer, researchBrain, startModelServer } from "./support/model-servers";
import { startServer, type TestServer } from "./support/server";
import { getJson, waitFor } from "./support/sse";

/**
 * "What's new" against the real server: a schedule firing every second
 * searches a SearXNG stand-in on loopback whose results gain a page between
 * runs; the run after the change ends with the section naming that page, and
 * its record counts it. Offline the section is computed without a model; with
 * a model (the OpenAI wire, served locally) the model's summary of the new
 * findings opens it. (Loopback pages are refused to the page reader: every
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
/** The offline writer (the default), and one with a model on the OpenAI wire. */
let server: TestServer;
let modelled: TestServer;
let model: ModelServer;
/** What the model server's brain answered to "what's new" prompts. */
const summaries: string[] = [];
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
  const env = {
    SEARXNG_URL: base,
    MIN_SCHEDULE_INTERVAL_S: "1",
    SCHEDULE_TICK_MS: "250",
    RATE_LIMIT_TASKS_PER_MINUTE: "0",
  };
  model = await startModelServer({ wire: "openai", brain: summarizingBrain });
  [server, modelled] = await Promise.all([
    startServer({ env }),
    startServer({ env: { ...env, OPENAI_BASE_URL: model.baseURL, OPENAI_API_KEY: "sk-openai-test" } }),
  ]);
});

/**
 * The research brain, and for the "what's new" prompt a summary naming each
 * new source it was given by number and title (parsed from the prompt).
 */
const summarizingBrain: Brain = (request) => {
  if (!request.prompt.includes("what is new since the previous run")) return researchBrain(request);
  const listed = request.prompt.slice(
    request.prompt.indexOf("<new_sources>"),
    request.prompt.indexOf("</new_sources>"),
  );
  const named = [...listed.matchAll(/^\[(\d+)\] ([^<\n]+?)(?: <[^>]*>)?$/gm)].map(
    ([, number, title]) => `${title} [${number}]`,
  );
  const text = `Model summary: since the last run the research found ${named.join(" and ")}.`;
  summaries.push(text);
  return { text };
};

afterAll(async () => {
  await Promise.all([server?.stop(), modelled?.stop()]);
  await model?.close();
  await new Promise<void>((resolve) => searxng.close(() => resolve()));
});

function send(method: string, path: string, on: TestServer = server) {
  return getJson(`${on.url}${path}`, { method });
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
async function nextCompletedRun(id: string, afterRun: number, on: TestServer = server): Promise<RunRecord[]> {
  await send("POST", `/api/schedules/${id}/resume`, on);
  await waitFor(
    `a completed run after run ${afterRun}`,
    async () =>
      (await send("GET", `/api/schedules/${id}/runs?limit=100`, on)).body.runs.some(
        (run: RunRecord) => run.run !== null && run.run > afterRun && run.success === true,
      ),
    60_000,
  );
  await send("POST", `/api/schedules/${id}/pause`, on);
  return waitFor("every run's end", async () => {
    const { runs } = (await send("GET", `/api/schedules/${id}/runs?limit=100`, on)).body;
    return runs.every((run: RunRecord) => run.endedAt !== null) ? (runs as RunRecord[]) : null;
  });
}

/** Fires the (paused) schedule now and waits for that run's end: the only run then. */
async function runNow(on: TestServer, id: string): Promise<RunRecord> {
  let ran = await send("POST", `/api/schedules/${id}/run`, on);
  // A run now is that second's fire: after a run that ended within the second it started, the next second's.
  for (let tries = 0; ran.status === 409 && tries < 3; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    ran = await send("POST", `/api/schedules/${id}/run`, on);
  }
  expect(ran.status).toBe(202);
  const { run, taskId } = ran.body.run as { run: number; taskId: string };
  return waitFor(
    `run ${run}'s end`,
    async () => {
      const [record] = (await send("GET", `/api/schedules/${id}/runs?limit=1`, on)).body.runs;
      return record?.run === run && record.endedAt !== null ? { ...record, taskId } : null;
    },
    60_000,
  );
}

describe("what's new since the previous run", () => {
  it("ends the run after the search results changed with the new source, and counts it in the history", async () => {
    current.pages = [...PAGES];
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
    // The schedule is paused now: one run by hand is the only run after the change.
    const latest = await runNow(server, id);
    expect(latest).toMatchObject({ run: lastBefore + 1, success: true, newSources: 1, sources: 3 });

    const task = (await send("GET", `/api/tasks/${latest.taskId}`)).body;
    expect(task.run).toBe(latest.run);
    const report: string = task.result.report;
    const section = report.slice(report.indexOf("\n## What's new since "), report.indexOf("\n## Sources\n"));
    expect(section).toMatch(/^\n## What's new since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n/);
    // Offline, no model: the section is the computed lists, right after its heading.
    expect(section).toMatch(/^\n## What's new since [^\n]+\n\nNew sources \(1\):\n/);
    expect(section).toContain(`Canal enlargement — ${base}${NEWS.path}`);
    expect(section).not.toContain(PAGES[0]!.path);
    expect(task.result.whatsNew).toMatchObject({ sources: 1 });
    expect(summaries).toEqual([]);
  }, 120_000);

  it("with a model configured, opens the section with the model's summary of what is new (and asks nothing when nothing is)", async () => {
    current.pages = [...PAGES];
    const created = await getJson(`${modelled.url}/api/schedules`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        name: "Erie Canal with a model, run by hand",
        request: {
          query: "Erie Canal history",
          depth: 1,
          breadth: 1,
          search: { provider: "searxng" },
          llm: { provider: "openai", model: "gpt-4o-mini" },
        },
        cron: "* * * * * *",
        timezone: "UTC",
        missed: "skip",
        enabled: false,
      }),
    });
    expect(created.status).toBe(201);
    const id = created.body.id;

    // Fired by run now (the schedule stays paused), so each run is the only one.
    expect(await runNow(modelled, id)).toMatchObject({ run: 1, success: true, newSources: null });
    // Nothing new in the second run: no summary was asked for.
    expect(await runNow(modelled, id)).toMatchObject({ run: 2, success: true, newSources: 0 });
    expect(summaries).toEqual([]);

    current.pages = [...PAGES, NEWS];
    const latest = await runNow(modelled, id);
    expect(latest).toMatchObject({ run: 3, success: true, newSources: 1 });
    const task = (await send("GET", `/api/tasks/${latest.taskId}`, modelled)).body;
    expect(task.run).toBe(3);
    const report: string = task.result.report;
    const section = report.slice(report.indexOf("\n## What's new since "), report.indexOf("\n## Sources\n"));
    const number = task.result.sources.find(
      (source: { title: string }) => source.title === NEWS.title,
    ).number;
    // The model's summary opens the section, naming the new source by its citation; the computed lists follow.
    expect(section).toMatch(
      new RegExp(
        `^\\n## What's new since [^\\n]+\\n\\nModel summary: since the last run the research found Canal enlargement \\[${number}\\]\\.\\n\\nNew sources \\(1\\):\\n`,
      ),
    );
    expect(summaries[0]).toContain(`Canal enlargement [${number}]`);
    // Its prompt carried the new source only, not the ones the previous run had.
    const asked = model.requests.filter((request) =>
      JSON.stringify(request).includes("what is new since the previous run"),
    );
    expect(asked.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(asked[0])).toContain(NEWS.path);
    expect(JSON.stringify(asked[0])).not.toContain(PAGES[0]!.path);
  }, 180_000);
});
