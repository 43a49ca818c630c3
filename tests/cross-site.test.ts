import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, launchChromium, requireChromium } from "./support/browser";
import { startServer, type TestServer } from "./support/server";

const ALLOWED = "https://app.example";
const EVIL = "http://evil.example";

interface TaskRow {
  id: string;
  query: string;
  status: string;
}

async function listTasks(server: TestServer): Promise<TaskRow[]> {
  const response = await fetch(`${server.url}/api/tasks?limit=200`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { tasks: TaskRow[] }).tasks;
}

async function taskStatus(server: TestServer, id: string): Promise<string> {
  const response = await fetch(`${server.url}/api/tasks/${id}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as TaskRow).status;
}

/** A program creates a task: no Origin, no Sec-Fetch-Site. */
async function createTask(server: TestServer, query: string): Promise<string> {
  const response = await fetch(`${server.url}/api/research`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ query, depth: 2, breadth: 3 }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { taskId: string }).taskId;
}

async function expectRefused(
  response: Response,
  status: number,
  code: string,
  message: RegExp,
): Promise<void> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message).toMatch(message);
}

describe("cross-site requests (HTTP, browser headers)", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({
      env: { CORS_ORIGINS: ALLOWED, OUTPUT_CHUNK_DELAY_MS: "200", LOG_LEVEL: "warn" },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("refuses a form POST from another site that would cancel a task, and the task runs on", async () => {
    const id = await createTask(server, "cross-site cancel: railroads and canals");
    const before = await taskStatus(server, id);
    const response = await fetch(`${server.url}/api/tasks/${id}/cancel`, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: EVIL,
        "Sec-Fetch-Site": "cross-site",
      },
      body: "confirm=1",
    });
    await expectRefused(
      response,
      403,
      "forbidden",
      /Cross-site request refused.*evil\.example.*CORS_ORIGINS/,
    );
    expect(["queued", "running"]).toContain(before);
    expect(["queued", "running"]).toContain(await taskStatus(server, id));
    // The same without Sec-Fetch-Site (an older browser): the Origin alone decides.
    const noFetchMetadata = await fetch(`${server.url}/api/tasks/${id}/cancel`, {
      method: "POST",
      headers: { Origin: EVIL },
    });
    await expectRefused(noFetchMetadata, 403, "forbidden", /evil\.example/);
    const deletion = await fetch(`${server.url}/api/tasks/${id}`, {
      method: "DELETE",
      headers: { Origin: EVIL },
    });
    await expectRefused(deletion, 403, "forbidden", /Cross-site/);
    expect(["queued", "running"]).toContain(await taskStatus(server, id));
    // A program still can.
    const cancel = await fetch(`${server.url}/api/tasks/${id}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(200);
    await expect.poll(() => taskStatus(server, id), { timeout: 15_000 }).toBe("cancelled");
  });

  it("refuses task creation by <img>, body-less fetch or a same-site neighbour, and creates nothing", async () => {
    const before = await listTasks(server);
    const img = await fetch(`${server.url}/api/research?query=${encodeURIComponent("img started this")}`, {
      headers: { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image", Accept: "image/*" },
    });
    await expectRefused(img, 403, "forbidden", /Sec-Fetch-Site: cross-site/);
    const neighbour = await fetch(
      `${server.url}/api/research?query=${encodeURIComponent("neighbour started this")}`,
      {
        headers: { "Sec-Fetch-Site": "same-site" },
      },
    );
    await expectRefused(neighbour, 403, "forbidden", /Sec-Fetch-Site: same-site/);
    const noCors = await fetch(`${server.url}/api/research`, {
      method: "POST",
      headers: { Origin: EVIL, "Sec-Fetch-Site": "cross-site" },
      body: new Blob([JSON.stringify({ query: "no-cors fetch started this" })]),
    });
    await expectRefused(noCors, 403, "forbidden", /evil\.example/);
    const textPlain = await fetch(`${server.url}/api/research`, {
      method: "POST",
      headers: { Origin: EVIL, "Content-Type": "text/plain" },
      body: JSON.stringify({ query: "text/plain started this" }),
    });
    await expectRefused(textPlain, 403, "forbidden", /evil\.example/);
    const after = await listTasks(server);
    expect(after.map((task) => task.id)).toEqual(before.map((task) => task.id));
    expect(after.some((task) => /started this/.test(task.query))).toBe(false);
  });

  it("requires Content-Type: application/json on a body, from anyone (415), and creates nothing", async () => {
    const before = await listTasks(server);
    const missing = await fetch(`${server.url}/api/research`, {
      method: "POST",
      body: new Blob([JSON.stringify({ query: "untyped body started this" })]),
    });
    await expectRefused(
      missing,
      415,
      "unsupported_media_type",
      /Content-Type: application\/json.*no Content-Type/,
    );
    const form = await fetch(`${server.url}/api/research`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "query=form+started+this",
    });
    await expectRefused(form, 415, "unsupported_media_type", /application\/x-www-form-urlencoded/);
    expect((await listTasks(server)).map((task) => task.id)).toEqual(before.map((task) => task.id));
  });

  it("lets programs, the server's own pages and CORS_ORIGINS through", async () => {
    const own = new URL(server.url).host;
    const fromOwnPage = await fetch(`${server.url}/api/research`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Origin: `http://${own}`,
        "Sec-Fetch-Site": "same-origin",
      },
      body: JSON.stringify({ query: "own page started this", depth: 1, breadth: 1 }),
    });
    expect(fromOwnPage.status).toBe(202);
    // An EventSource on an allowed origin: cross-site, with its Origin; it may start a task.
    const eventSource = await fetch(
      `${server.url}/api/research?query=${encodeURIComponent("allowed origin started this")}&depth=1&breadth=1`,
      { headers: { Origin: ALLOWED, "Sec-Fetch-Site": "cross-site", Accept: "text/event-stream" } },
    );
    expect(eventSource.status).toBe(200);
    expect(eventSource.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    await eventSource.body?.cancel();
    // A reconnect (with a cursor) starts nothing, so it is not a change; reads are never refused.
    const id = eventSource.headers.get("x-task-id")!;
    const reconnect = await fetch(
      `${server.url}/api/research?query=${encodeURIComponent("allowed origin started this")}&depth=1&breadth=1&lastEventId=0`,
      { headers: { "Sec-Fetch-Site": "cross-site", Accept: "text/event-stream" } },
    );
    expect([200, 204], await reconnect.clone().text()).toContain(reconnect.status);
    await reconnect.body?.cancel();
    const read = await fetch(`${server.url}/api/tasks/${id}`, {
      headers: { Origin: EVIL, "Sec-Fetch-Site": "cross-site" },
    });
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
    const queries = (await listTasks(server)).map((task) => task.query);
    expect(queries).toEqual(expect.arrayContaining(["own page started this", "allowed origin started this"]));
  });
});

requireChromium("cross-site requests (real Chromium)");

/** A one-page site on its own origin (`http://localhost:<port>`: another site than 127.0.0.1). */
async function startSite(html: () => string): Promise<{ origin: string; close: () => Promise<void> }> {
  const site = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(html());
  });
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  const { port } = site.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    close: () => new Promise((resolve) => site.close(() => resolve())),
  };
}

describe.skipIf(!hasChromium)("cross-site requests (real Chromium)", () => {
  let server: TestServer;
  let evil: Awaited<ReturnType<typeof startSite>>;
  let friend: Awaited<ReturnType<typeof startSite>>;
  let target = "";
  let victimId = "";

  beforeAll(async () => {
    evil = await startSite(
      () => `<!doctype html><title>evil</title>
<form id="cancel" method="POST" action="${server.url}/api/tasks/${victimId}/cancel"><input name="x" value="1"></form>
<img src="${server.url}/api/research?query=${encodeURIComponent("evil img task")}">
<script>
  fetch(${JSON.stringify(`${server.url}/api/research`)}, { method: "POST", mode: "no-cors", body: new Blob([${JSON.stringify(JSON.stringify({ query: "evil fetch task" }))}]) });
  fetch(${JSON.stringify(`${server.url}/api/research?query=${encodeURIComponent("evil get task")}`)}, { mode: "no-cors" });
  setTimeout(() => document.getElementById("cancel").submit(), 300);
</script>`,
    );
    friend = await startSite(
      () => `<!doctype html><title>friend</title><script>
  window.result = { outputs: "", done: null, error: null };
  const source = new EventSource(${JSON.stringify(target)});
  source.addEventListener("output", (event) => { window.result.outputs += JSON.parse(event.data).text; });
  source.addEventListener("done", (event) => { window.result.done = JSON.parse(event.data); source.close(); });
  source.onerror = () => { if (!window.result.done) window.result.error = "error"; };
</script>`,
    );
    server = await startServer({
      env: { CORS_ORIGINS: friend.origin, OUTPUT_CHUNK_DELAY_MS: "100", LOG_LEVEL: "warn" },
    });
    target = `${server.url}/api/research?query=${encodeURIComponent("friendly origin research on tariffs")}&depth=1&breadth=1`;
  });
  afterAll(async () => {
    await server?.stop();
    await evil?.close();
    await friend?.close();
  });

  it("a page on another site cannot cancel or start tasks; an allowed origin's EventSource works", async () => {
    victimId = await createTask(server, "cross-site victim: presidents on the national debt");
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      // Every request the page sends to the server, once settled. Chromium blocks the
      // opaque answers of no-cors fetches (reported as aborted), so their status
      // is not visible here; what matters is that they reached the server and
      // changed nothing, which the server's state shows below.
      const settled: { method: string; url: string; status: number | null }[] = [];
      const toServer = (url: string) => url.startsWith(server.url);
      page.on("requestfinished", async (request) => {
        if (!toServer(request.url())) return;
        const response = await request.response();
        settled.push({ method: request.method(), url: request.url(), status: response?.status() ?? null });
      });
      page.on("requestfailed", (request) => {
        if (toServer(request.url()))
          settled.push({ method: request.method(), url: request.url(), status: null });
      });
      await page.goto(`${evil.origin}/`);
      // Four requests: the img, two no-cors fetches and the form post (which navigates).
      // Chromium hides the img's JSON answer too (opaque-response blocking).
      await expect.poll(() => settled.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
      const form = settled.find((request) => request.url.endsWith("/cancel"));
      expect(form).toMatchObject({ method: "POST", status: 403 });
      expect(await page.textContent("body")).toContain("forbidden");
      expect(settled.filter((request) => request.url.includes("/api/research"))).toHaveLength(3);
      expect(await taskStatus(server, victimId)).not.toBe("cancelled");
      const queries = (await listTasks(server)).map((task) => task.query);
      expect(queries.filter((query) => query.startsWith("evil"))).toEqual([]);

      const friendly = await browser.newPage();
      await friendly.goto(`${friend.origin}/`);
      await expect
        .poll(
          () => friendly.evaluate(() => (window as unknown as { result: { done: unknown } }).result.done),
          {
            timeout: 90_000,
          },
        )
        .not.toBeNull();
      const received = await friendly.evaluate(
        () => (window as unknown as { result: { outputs: string; done: { status: string } } }).result,
      );
      expect(received.done.status).toBe("completed");
      const row = (await listTasks(server)).find(
        (task) => task.query === "friendly origin research on tariffs",
      )!;
      const task = (await (await fetch(`${server.url}/api/tasks/${row.id}`)).json()) as {
        result: { report: string };
      };
      expect(received.outputs).toBe(task.result.report);
    } finally {
      await browser.close();
    }
  }, 150_000);
});
