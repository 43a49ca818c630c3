import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer, tempDir } from "./support/server";
import { getJson, outputText, readSse, waitFor } from "./support/sse";

/**
 * Safe to expose: everything a response can refuse is refused before work
 * starts, every /api error is JSON, each limit answers with its variable and
 * Retry-After, and nothing is written outside the configured folders.
 */

const json = { "Content-Type": "application/json", Accept: "application/json" };

function taskFiles(server: TestServer): string[] {
  const folder = path.join(server.dataDir, "tasks");
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder).filter((name) => /^[0-9a-f]{32}\.json$/.test(name));
}

describe("validation before work", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1", OUTPUT_CHUNK_DELAY_MS: "20" },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const model of ["模型", "a\nb", "a\u0000b", "with space", "x".repeat(201)]) {
    it(`refuses the model name ${JSON.stringify(model).slice(0, 20)} with a 400 and creates no task`, async () => {
      const response = await getJson(`${server.url}/api/research`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ query: "Model names", llm: { provider: "openai", model } }),
      });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toMatch(/llm\.model/);
      const streamed = await fetch(
        `${server.url}/api/research?query=Model%20names&llm=openai&model=${encodeURIComponent(model)}`,
      );
      expect(streamed.status).toBe(400);
      await streamed.body?.cancel();
      expect(taskFiles(server)).toEqual([]);
    });
  }

  it("answers a cursor on a task that does not exist with 404 and creates nothing", async () => {
    const response = await fetch(`${server.url}/api/research?query=Never%20asked%20before&lastEventId=99999`);
    expect(response.status).toBe(404);
    expect((await response.json()).error.code).toBe("not_found");
    const header = await fetch(`${server.url}/api/research?query=Never%20asked%20either`, {
      headers: { "Last-Event-ID": "5" },
    });
    expect(header.status).toBe(404);
    await header.body?.cancel();
    expect(taskFiles(server)).toEqual([]);
  });

  it("answers a cursor past the end with the same 400 whether the task runs or is finished", async () => {
    const query = "Cursor past the end of the canals";
    const started = await getJson(`${server.url}/api/research`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ query, depth: 1, breadth: 1 }),
    });
    expect(started.status).toBe(202);
    const id = started.body.taskId as string;
    const running = await fetch(`${server.url}/api/tasks/${id}/events?lastEventId=99999`);
    expect(running.status).toBe(400);
    expect((await running.json()).error.message).toMatch(/past the task's last event/);
    await waitFor("the task to finish", async () => {
      const { body } = await getJson(`${server.url}/api/tasks/${id}`);
      return body.status === "completed";
    });
    for (const url of [
      `${server.url}/api/tasks/${id}/events?lastEventId=99999`,
      `${server.url}/api/research?query=${encodeURIComponent(query)}&depth=1&breadth=1&lastEventId=99999`,
    ]) {
      const finished = await fetch(url);
      expect(finished.status).toBe(400);
      expect((await finished.json()).error.message).toMatch(/past the task's last event/);
    }
  });
});

describe("every /api error is JSON", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("answers an unknown path with a JSON 404", async () => {
    for (const [method, url] of [
      ["GET", "/api/nope"],
      ["POST", "/api/tasks/x/y/z"],
      ["DELETE", "/api/what/ever"],
    ] as const) {
      const response = await fetch(`${server.url}${url}`, { method });
      expect(response.status, `${method} ${url}`).toBe(404);
      expect(response.headers.get("content-type")).toContain("application/json");
      const body = await response.json();
      expect(body.error).toMatchObject({ code: "not_found", message: expect.stringContaining(url) });
    }
  });

  it("answers a path that is not valid percent-encoding with a JSON 400", async () => {
    for (const url of [
      "/api/tasks/%zz",
      `/api/tasks/%/events`,
      "/api/collections/%E2%80/documents",
      "/api/%",
    ]) {
      const response = await fetch(`${server.url}${url}`);
      expect(response.status, url).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/json");
      expect(response.headers.get("x-request-id")).toBeTruthy();
      const body = await response.json();
      expect(body.error).toMatchObject({
        code: "invalid_request",
        message: expect.stringMatching(/percent-encoding/),
      });
    }
    // The server goes on answering.
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });

  it("answers a method a route does not have with a JSON 405 and Allow", async () => {
    for (const [method, url] of [
      ["PUT", "/api/research"],
      ["DELETE", "/api/tasks"],
      ["POST", "/api/health"],
      ["GET", `/api/tasks/${"a".repeat(32)}/cancel`],
      ["PATCH", `/api/tasks/${"a".repeat(32)}`],
    ] as const) {
      const response = await fetch(`${server.url}${url}`, { method });
      expect(response.status, `${method} ${url}`).toBe(405);
      expect(response.headers.get("allow")).toBeTruthy();
      const body = await response.json();
      expect(body.error.code).toBe("method_not_allowed");
      expect(body.error.message).toContain(method);
    }
  });

  it("answers headers too large with a JSON 431", async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(server.port, "127.0.0.1", () => {
        socket.write(`GET /api/tasks HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(64 * 1024)}\r\n\r\n`);
      });
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk;
      });
      socket.on("end", () => resolve(text));
      socket.on("error", (error) => (text ? resolve(text) : reject(error)));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    expect(raw).toMatch(/content-type: application\/json/i);
    const body = JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4));
    expect(body.error.code).toBe("request_header_fields_too_large");
  });
});

describe("limits", () => {
  let server: TestServer;
  let taskId: string;
  beforeAll(async () => {
    // Behind a trusted proxy, X-Forwarded-For tells clients apart.
    server = await startServer({
      env: {
        TRUST_PROXY: "true",
        RATE_LIMIT_TASKS_PER_MINUTE: "3",
        MAX_SSE_CONNECTIONS_PER_CLIENT: "2",
        MAX_SSE_CONNECTIONS: "3",
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const from = (address: string) => ({ "X-Forwarded-For": `203.0.113.9, ${address}` });
  const create = (address: string, query: string, extra: Record<string, unknown> = {}) =>
    getJson(`${server.url}/api/research`, {
      method: "POST",
      headers: { ...json, ...from(address) },
      body: JSON.stringify({ query, depth: 1, breadth: 1, ...extra }),
    });

  it("limits new tasks and new runs per client, names the limit, and lets clients join for free", async () => {
    const first = await create("10.0.0.1", "Rate limit one");
    expect(first.status).toBe(202);
    taskId = first.body.taskId;
    expect((await create("10.0.0.1", "Rate limit two")).status).toBe(202);
    // Joining an existing task costs nothing.
    for (let index = 0; index < 5; index += 1)
      expect((await create("10.0.0.1", "Rate limit one")).status).toBe(202);
    expect((await create("10.0.0.1", "Rate limit three")).status).toBe(202);
    const refused = await create("10.0.0.1", "Rate limit four");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.body.error).toMatchObject({ code: "rate_limited", limit: "RATE_LIMIT_TASKS_PER_MINUTE" });
    expect(refused.body.error.message).toMatch(/RATE_LIMIT_TASKS_PER_MINUTE/);
    // The refused request created nothing; another client is not affected.
    const { body: list } = await getJson(`${server.url}/api/tasks?q=rate%20limit`);
    expect(list.total).toBe(3);
    expect((await create("10.0.0.2", "Rate limit four")).status).toBe(202);
    // A new run is new work too: `fresh` on the finished task is refused.
    await waitFor("the first task to finish", async () => {
      const { body } = await getJson(`${server.url}/api/tasks/${taskId}`);
      return body.status === "completed";
    });
    // (The bucket refills while the task ran: use it up again first.)
    for (let index = 0; index < 5; index += 1) {
      if ((await create("10.0.0.1", `Rate limit filler ${index}`)).status === 429) break;
    }
    const fresh = await create("10.0.0.1", "Rate limit one", { fresh: true });
    expect(fresh.status).toBe(429);
    const { body: unchanged } = await getJson(`${server.url}/api/tasks/${taskId}`);
    expect(unchanged.run).toBe(1);
  });

  it("limits open event streams per client (429) and per process (503), and frees slots on disconnect", async () => {
    const opened: AbortController[] = [];
    // Held until the end: fetch closes the connection of a response that is garbage-collected
    // with its body unread, which would free its slot in the middle of the test.
    const responses: Response[] = [];
    const open = async (address: string, url = `/api/tasks/${taskId}/events?lastEventId=0`) => {
      const controller = new AbortController();
      opened.push(controller);
      // The list feed never ends by itself; a finished task's replay is held open by not reading it.
      const response = await fetch(`${server.url}${url}`, {
        headers: from(address),
        signal: controller.signal,
      });
      responses.push(response);
      return response;
    };
    try {
      expect((await open("10.0.0.1", "/api/tasks/events")).status).toBe(200);
      expect((await open("10.0.0.1", "/api/tasks/events")).status).toBe(200);
      const perClient = await open("10.0.0.1");
      expect(perClient.status).toBe(429);
      expect(perClient.headers.get("retry-after")).toBeTruthy();
      expect((await perClient.json()).error.limit).toBe("MAX_SSE_CONNECTIONS_PER_CLIENT");
      expect((await open("10.0.0.2", "/api/tasks/events")).status).toBe(200);
      const full = await open("10.0.0.3");
      expect(full.status).toBe(503);
      expect(full.headers.get("retry-after")).toBeTruthy();
      expect((await full.json()).error.limit).toBe("MAX_SSE_CONNECTIONS");
      // Slots come back when clients go away.
      opened[0]!.abort();
      const again = await waitFor("a freed slot", async () => {
        const response = await open("10.0.0.3", "/api/tasks/events");
        if (response.status === 200) return response;
        await response.body?.cancel();
        return null;
      });
      expect(again.status).toBe(200);
    } finally {
      for (const controller of opened) controller.abort();
    }
  });

  it("answers HEAD on an event stream with its headers and holds no stream slot", async () => {
    const openStreams = async () => {
      const metrics = await (await fetch(`${server.url}/api/metrics`)).text();
      return Number(/^fathom_sse_connections (\d+)$/m.exec(metrics)?.[1]);
    };
    // The previous test's aborted streams close a moment after their clients left.
    await waitFor("no open stream", async () => (await openStreams()) === 0);
    // Two slots per client: HEAD requests that kept their streams open would use them up.
    for (let index = 0; index < 3; index += 1) {
      for (const url of ["/api/tasks/events", `/api/tasks/${taskId}/events`]) {
        const response = await fetch(`${server.url}${url}`, { method: "HEAD", headers: from("10.0.0.7") });
        expect(response.status, `HEAD ${url}`).toBe(200);
        expect(response.headers.get("content-type")).toContain("text/event-stream");
        expect(response.headers.get("x-request-id")).toBeTruthy();
      }
    }
    expect(await openStreams()).toBe(0);
    const controller = new AbortController();
    try {
      const stream = await fetch(`${server.url}/api/tasks/events`, {
        headers: from("10.0.0.7"),
        signal: controller.signal,
      });
      expect(stream.status).toBe(200);
    } finally {
      controller.abort();
    }
  });
});

describe("server-wide limits", () => {
  it("refuses new tasks with 503 when the deployment's queue is full, and joining stays free", async () => {
    const server = await startServer({
      env: { MAX_CONCURRENT_TASKS: "1", MAX_QUEUED_TASKS: "1", OUTPUT_CHUNK_DELAY_MS: "200" },
    });
    try {
      const post = (query: string) =>
        getJson(`${server.url}/api/research`, {
          method: "POST",
          headers: json,
          body: JSON.stringify({ query, depth: 1, breadth: 1 }),
        });
      expect((await post("Queue one: the tariff")).status).toBe(202);
      await waitFor("the first task to run", async () => {
        const { body } = await getJson(`${server.url}/api/tasks?status=running`);
        return body.total === 1;
      });
      expect((await post("Queue two: the canals")).status).toBe(202);
      const refused = await post("Queue three: the railroads");
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBeTruthy();
      expect(refused.body.error).toMatchObject({ code: "overloaded", limit: "MAX_QUEUED_TASKS" });
      expect((await post("Queue two: the canals")).status).toBe(202);
      expect(taskFiles(server)).toHaveLength(2);
    } finally {
      await server.stop();
    }
  });

  it("refuses new tasks with 507 over the storage budget while existing tasks keep streaming", async () => {
    const dataDir = tempDir();
    fs.mkdirSync(path.join(dataDir, "tasks"), { recursive: true });
    const server = await startServer({ dataDir, env: { MAX_STORAGE_MB: "2", OUTPUT_CHUNK_DELAY_MS: "30" } });
    try {
      const stream = readSse(`${server.url}/api/research`, {
        method: "POST",
        body: { query: "Storage budget and the national debt", depth: 1, breadth: 1 },
      });
      const id = await waitFor("the first task", async () => taskFiles(server)[0]?.slice(0, 32));
      // Fill the volume past the budget (as other tasks would).
      fs.writeFileSync(path.join(dataDir, "tasks", "ballast.bin"), Buffer.alloc(3 * 1024 * 1024, 1));
      const refused = await waitFor("the budget to be noticed", async () => {
        const response = await getJson(`${server.url}/api/research`, {
          method: "POST",
          headers: json,
          body: JSON.stringify({ query: `Over budget ${Date.now()}`, depth: 1, breadth: 1 }),
        });
        return response.status === 507 ? response : null;
      });
      expect(refused.headers.get("retry-after")).toBeTruthy();
      expect(refused.body.error).toMatchObject({ code: "insufficient_storage", limit: "MAX_STORAGE_MB" });
      // Joining the existing task still works, and it completes.
      const joined = await getJson(`${server.url}/api/research`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ query: "Storage budget and the national debt", depth: 1, breadth: 1 }),
      });
      expect(joined.status).toBe(202);
      expect(joined.body.taskId).toBe(id);
      const result = await stream;
      expect(result.numbered.at(-1)?.event).toBe("done");
      const { body: task } = await getJson(`${server.url}/api/tasks/${id}`);
      expect(outputText(result.events)).toBe(task.result.report);
    } finally {
      await server.stop();
    }
  });
});

// A private mount namespace in which only the data folders stay writable.
const canMount =
  process.platform === "linux" &&
  spawnSync("unshare", ["-m", "--propagation", "private", "true"], { stdio: "ignore" }).status === 0;
if (!canMount) {
  const message = "The read-only test needs `unshare -m` (Linux, run as root).";
  if (process.env.CI === "true") {
    describe("writes only to its folders", () => {
      it("has a mount namespace to run in", () => {
        throw new Error(`${message} CI runs as root, where it must work.`);
      });
    });
  } else {
    console.warn(`\n[exposure.test] SKIPPED: ${message}\n`);
  }
}

(canMount ? describe : describe.skip)("writes only to its folders", () => {
  const readOnlyExcept =
    (...writable: string[]) =>
    (command: string, args: string[]): [string, string[]] => {
      const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
      const binds = writable.map((folder) => `mount --bind ${quote(folder)} ${quote(folder)}`).join(" && ");
      const script = `${binds} && mount -o remount,bind,ro / && exec ${[command, ...args].map(quote).join(" ")}`;
      return ["unshare", ["-m", "--propagation", "private", "sh", "-c", script]];
    };

  for (const withCacheDir of [false, true]) {
    it(`runs research with every other folder read-only${withCacheDir ? " (CACHE_DIR set)" : ""}`, async () => {
      const storage = tempDir();
      const cache = tempDir();
      // A folder corpus: its index is built and cached at run time (the
      // default corpus's comes with the build and is only read).
      const corpus = tempDir();
      fs.writeFileSync(
        path.join(corpus, "erie-canal.md"),
        "# The Erie Canal\n\nThe Erie Canal, finished in 1825, joined the Hudson River to Lake Erie. " +
          "Freight costs between Buffalo and New York fell by nine tenths, and New York City grew " +
          "into the nation's first port.\n\nThe canal's folders of tolls, locks and boats were kept in Albany.",
      );
      const env: Record<string, string> = { TASK_STORAGE_DIR: storage, CORPUS_DIR: corpus };
      if (withCacheDir) env.CACHE_DIR = cache;
      const server = await startServer({
        env,
        wrap: withCacheDir ? readOnlyExcept(storage, cache) : readOnlyExcept(storage),
      });
      try {
        const result = await readSse(`${server.url}/api/research`, {
          method: "POST",
          body: { query: "Read-only folders and the Erie Canal", depth: 1, breadth: 2 },
        });
        expect(result.numbered.at(-1)?.event).toBe("done");
        const id = result.headers.get("x-task-id")!;
        const { body: task } = await getJson(`${server.url}/api/tasks/${id}`);
        expect(task.status).toBe("completed");
        expect(outputText(result.events)).toBe(task.result.report);
        // The search index was cached where configured, not beside the storage folder.
        const cacheFolder = withCacheDir ? cache : path.join(storage, ".cache");
        await waitFor("the index cache", async () =>
          fs.readdirSync(cacheFolder).some((name) => name.startsWith("search-index-")),
        );
        expect(server.output()).not.toMatch(/EROFS|read-only file system/i);
      } finally {
        await server.stop();
      }
    });
  }
});

describe("refused URLs are visible", () => {
  it("logs a refused page (host and reason, no query) and never presents it as a link that was read", async () => {
    // A SearXNG stand-in whose results point at a private address.
    const searxng = http.createServer((request, response) => {
      const { port } = searxng.address() as AddressInfo;
      const query = new URL(request.url ?? "/", "http://x").searchParams.get("q") ?? "";
      response.setHeader("Content-Type", "application/json");
      response.end(
        JSON.stringify({
          results: [
            {
              url: `http://127.0.0.1:${port}/internal/admin?token=s3cret-${query.length}`,
              title: "Internal admin page",
              content: `Internal admin page about ${query}: tariffs, canals and the national debt.`,
            },
          ],
        }),
      );
    });
    await new Promise<void>((resolve) => searxng.listen(0, "127.0.0.1", resolve));
    const { port } = searxng.address() as AddressInfo;
    const server = await startServer({ env: { SEARXNG_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: "info" } });
    try {
      const stream = await readSse(`${server.url}/api/research`, {
        method: "POST",
        body: {
          query: "Tariffs and the internal admin page",
          depth: 1,
          breadth: 1,
          search: { provider: "searxng" },
        },
      });
      expect(stream.numbered.at(-1)?.event).toBe("done");
      const sources = stream.events.filter((event) => event.event === "source");
      expect(sources.length).toBeGreaterThan(0);
      for (const source of sources) expect(source.data.unreadable).toEqual(expect.any(String));
      const id = stream.headers.get("x-task-id")!;
      const { body: task } = await getJson(`${server.url}/api/tasks/${id}`);
      expect(task.status).toBe("completed");
      for (const source of task.result.sources) expect(source.unreadable).toEqual(expect.any(String));
      expect(task.result.report).not.toContain(`](http://127.0.0.1:${port}`);
      expect(task.result.report).toMatch(/page not read/);
      const refusals = server
        .output()
        .split("\n")
        .filter((line) => line.includes('"fetch.refused"'));
      expect(refusals.length).toBeGreaterThan(0);
      for (const line of refusals) {
        expect(JSON.parse(line)).toMatchObject({ host: `127.0.0.1:${port}`, reason: expect.any(String) });
        expect(line).not.toMatch(/s3cret|internal\/admin/);
      }
    } finally {
      await server.stop();
      await new Promise<void>((resolve) => searxng.close(() => resolve()));
    }
  });
});
