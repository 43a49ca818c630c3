import fs from "node:fs";
import path from "node:path";
import { EventSource } from "eventsource";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer, tempDir } from "./support/server";
import { getJson, outputText, readSse, waitFor } from "./support/sse";

/** The core contract against the real built server over real HTTP (docs/ARCHITECTURE.md, "Wire format"). */
describe("research API", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ env: { OUTPUT_CHUNK_DELAY_MS: "15" } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const taskUrl = (id: string) => `${server.url}/api/tasks/${id}`;

  it("streams a research request to done; the outputs concatenate to result.report", async () => {
    const stream = await readSse(`${server.url}/api/research`, {
      method: "POST",
      body: { query: "What did presidents say about the Louisiana Purchase?", depth: 1, breadth: 2 },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    expect(stream.headers.get("cache-control")).toContain("no-transform");
    expect(stream.headers.get("x-accel-buffering")).toBe("no");
    expect(stream.headers.get("x-request-id")).toMatch(/^[\w-]{10,}$/);
    const id = stream.headers.get("x-task-id")!;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(stream.ended).toBe(true);
    expect(stream.events[0]!.event).toBe("task");
    expect(stream.events[0]!.id).toBeNull();
    const ids = stream.numbered.map((event) => event.id);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, index) => index + 1));
    expect(stream.numbered.at(-1)!.event).toBe("done");
    const { body: task } = await getJson(taskUrl(id));
    expect(task.status).toBe("completed");
    expect(task.result.report.length).toBeGreaterThan(200);
    expect(outputText(stream.events)).toBe(task.result.report);
    expect(task.result.sources.length).toBeGreaterThan(0);
    for (const source of task.result.sources) {
      expect(source.title).toEqual(expect.any(String));
      expect(source.url ?? source.documentRef).toEqual(expect.any(String));
    }
    // Reconnecting with the last id of a finished task: nothing more, 204.
    const again = await fetch(`${taskUrl(id)}/events`, { headers: { "Last-Event-ID": String(ids.at(-1)) } });
    expect(again.status).toBe(204);
  });

  it("replays a finished task from every cursor (twice: read, then from memory): snapshot without id, retry, no gap", async () => {
    const query = "What did presidents say about canals and railways?";
    const first = await readSse(`${server.url}/api/research`, {
      method: "POST",
      body: { query, depth: 1, breadth: 1 },
    });
    const id = first.headers.get("x-task-id")!;
    const { body: task } = await getJson(taskUrl(id));
    expect(task.status).toBe("completed");
    const last = task.lastEventId as number;
    for (let round = 0; round < 2; round++) {
      for (let cursor = 0; cursor < last; cursor++) {
        const replay = await readSse(`${taskUrl(id)}/events`, {
          headers: { "Last-Event-ID": String(cursor) },
        });
        expect(replay.status).toBe(200);
        expect(replay.ended).toBe(true);
        expect(replay.retry).toBeGreaterThan(0);
        expect(replay.events[0]!.event).toBe("task");
        expect(replay.events[0]!.id).toBeNull();
        const ids = replay.numbered.map((event) => event.id);
        expect(ids).toEqual(Array.from({ length: last - cursor }, (_, index) => cursor + index + 1));
        const before = first.numbered.filter((event) => event.id! <= cursor);
        expect(outputText([...before, ...replay.events])).toBe(task.result.report);
      }
    }
    const done = await fetch(`${taskUrl(id)}/events?lastEventId=${last}`);
    expect(done.status).toBe(204);
  });

  for (const via of ["Last-Event-ID", "lastEventId"] as const) {
    it(`resumes after a disconnect with ${via}: no gap, no duplicate`, async () => {
      const query = `State of the Union remarks on tariffs and trade (${via})`;
      const first = await readSse(
        `${server.url}/api/research?query=${encodeURIComponent(query)}&depth=1&breadth=2`,
        {
          until: (event) => event.event === "output",
        },
      );
      const id = first.headers.get("x-task-id")!;
      const cursor = first.numbered.at(-1)!.id!;
      expect(first.ended).toBe(false);
      const url =
        via === "lastEventId" ? `${taskUrl(id)}/events?lastEventId=${cursor}` : `${taskUrl(id)}/events`;
      const second = await readSse(url, {
        headers: via === "Last-Event-ID" ? { "Last-Event-ID": String(cursor) } : {},
      });
      expect(second.ended).toBe(true);
      const all = [...first.numbered, ...second.numbered].map((event) => event.id);
      expect(all).toEqual(Array.from({ length: all.length }, (_, index) => index + 1));
      const { body: task } = await getJson(taskUrl(id));
      expect(outputText([...first.events, ...second.events])).toBe(task.result.report);
    });
  }

  it("is followed to the end by a standard EventSource, which then stops", async () => {
    const { body } = await getJson(`${server.url}/api/research`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query: "The Monroe Doctrine and European colonization", depth: 1, breadth: 1 }),
    });
    const source = new EventSource(`${server.url}${body.links.events}`);
    const received: { id: string; type: string; data: string }[] = [];
    for (const type of ["progress", "source", "output", "status", "done"]) {
      source.addEventListener(type, (event) =>
        received.push({ id: event.lastEventId, type, data: event.data }),
      );
    }
    await waitFor("EventSource to close", async () => source.readyState === EventSource.CLOSED, 60_000);
    source.close();
    const ids = received.map((event) => Number(event.id));
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, index) => index + 1));
    expect(received.at(-1)!.type).toBe("done");
    const { body: task } = await getJson(`${server.url}/api/tasks/${body.taskId}`);
    const text = received
      .filter((event) => event.type === "output")
      .map((event) => JSON.parse(event.data).text)
      .join("");
    expect(text).toBe(task.result.report);
  });

  it("treats a reconnect to /api/research as a reconnect: no new run, no retry, 204 at the end", async () => {
    const url = `${server.url}/api/research?query=${encodeURIComponent("Reconnects are not requests: the Bank War")}&depth=1&breadth=1&fresh=true`;
    const first = await readSse(url);
    expect(first.ended).toBe(true);
    const id = first.headers.get("x-task-id")!;
    const last = first.numbered.at(-1)!.id!;
    const again = await fetch(url, {
      headers: { "Last-Event-ID": String(last), Accept: "text/event-stream" },
    });
    expect(again.status).toBe(204);
    const { body: task } = await getJson(taskUrl(id));
    expect(task.run).toBe(1);
    expect(task.attempts).toHaveLength(1);
    // A cursor no event has is refused, finished or not (never a 204 that hides it).
    const ahead = await fetch(`${taskUrl(id)}/events`, { headers: { "Last-Event-ID": String(last + 1000) } });
    expect(ahead.status).toBe(400);
  });

  it("answers HEAD on /api/research without starting anything: 404 until the task exists, then its headers", async () => {
    const query = encodeURIComponent("Probed before asked: the Erie Canal");
    const url = `${server.url}/api/research?query=${query}&depth=1&breadth=1`;
    // A link checker or a preview that probes the URL must not start research.
    const probe = await fetch(url, { method: "HEAD" });
    expect(probe.status).toBe(404);
    const { body: list } = await getJson(`${server.url}/api/tasks?q=${encodeURIComponent("Erie Canal")}`);
    expect(list.total).toBe(0);
    const started = await readSse(url);
    expect(started.ended).toBe(true);
    const id = started.headers.get("x-task-id")!;
    const again = await fetch(url, { method: "HEAD" });
    expect(again.status).toBe(200);
    expect(again.headers.get("x-task-id")).toBe(id);
    expect(again.headers.get("content-type")).toContain("text/event-stream");
    const { body: task } = await getJson(taskUrl(id));
    expect(task.run).toBe(1);
  });

  it("refuses a cursor past the end of a task's log, running or finished", async () => {
    const { body } = await getJson(`${server.url}/api/research`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({
        query: "Cursor from the future: the Tariff of Abominations",
        depth: 1,
        breadth: 2,
      }),
    });
    const response = await fetch(`${taskUrl(body.taskId)}/events?lastEventId=999999`);
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toMatch(/past the task's last event/);
  });

  it("answers Accept: application/json with 202, the task id and links; identical requests share the task", async () => {
    const request = () =>
      getJson(`${server.url}/api/research`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ query: "Fifty identical requests about the Panama Canal" }),
      });
    const responses = await Promise.all(Array.from({ length: 50 }, request));
    for (const response of responses) expect(response.status).toBe(202);
    const ids = new Set(responses.map((response) => response.body.taskId));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(responses[0]!.body.links).toEqual({
      self: `/api/tasks/${id}`,
      events: `/api/tasks/${id}/events`,
      page: `/tasks/${id}`,
    });
    const task = await waitFor("completion", async () => {
      const { body } = await getJson(taskUrl(id));
      return body.status === "completed" ? body : null;
    });
    expect(task.attempts).toHaveLength(1);
  });

  it("serves health", async () => {
    const { status, body } = await getJson(`${server.url}/api/health`);
    expect(status).toBe(200);
    expect(body.status).toBe("ok");
  });
});

describe("bad input", () => {
  let server: TestServer;
  let outside: string;

  beforeAll(async () => {
    server = await startServer();
    outside = path.dirname(path.join(server.dataDir, "tasks"));
  });
  afterAll(async () => {
    await server?.stop();
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    getJson(`${server.url}/api/research`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
      body,
    });

  const cases: [string, string, RegExp][] = [
    ["malformed JSON", "{query:", /not valid JSON/],
    ["an empty body", "", /body is empty/],
    ["a wrong type", JSON.stringify({ query: 42 }), /query/],
    ["an unknown key", JSON.stringify({ query: "x", sneaky: true }), /sneaky/],
    ["an empty query", JSON.stringify({ query: "   " }), /query/],
    ["an over-long query", JSON.stringify({ query: "x".repeat(4001) }), /query.*4000/],
    ["a depth out of range", JSON.stringify({ query: "x", depth: 9 }), /depth/],
    ["a breadth out of range", JSON.stringify({ query: "x", breadth: 0 }), /breadth/],
    ["an unknown provider", JSON.stringify({ query: "x", llm: { provider: "magic" } }), /llm\.provider/],
    ["a fresh flag that is not a boolean", JSON.stringify({ query: "x", fresh: "yes" }), /fresh/],
  ];
  for (const [name, body, message] of cases) {
    it(`answers ${name} with a 400 that names the problem`, async () => {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(response.body.error.message).toMatch(message);
    });
  }

  it("refuses a body over 64 KiB with 413", async () => {
    const response = await post(JSON.stringify({ query: "x", pad: "y".repeat(70 * 1024) }));
    expect(response.status).toBe(413);
    expect(response.body.error.message).toMatch(/64 KiB/);
  });

  it("refuses a provider that is not configured, naming the variable", async () => {
    const response = await post(JSON.stringify({ query: "x", llm: { provider: "openai" } }));
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/OPENAI_API_KEY/);
    const search = await post(JSON.stringify({ query: "x", search: { provider: "tavily" } }));
    expect(search.status).toBe(400);
    expect(search.body.error.message).toMatch(/TAVILY_API_KEY/);
  });

  const badIds = [
    "../../etc/passwd",
    "%2e%2e",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "x".repeat(10_000),
    "ABCDEF",
    "0".repeat(31),
  ];
  for (const bad of badIds) {
    it(`answers the id ${bad.slice(0, 30)} with a 4xx and touches no file`, async () => {
      for (const suffix of ["", "/events", "/cancel"]) {
        const response = await fetch(`${server.url}/api/tasks/${bad}${suffix}`, {
          method: suffix === "/cancel" ? "POST" : "GET",
        });
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        await response.body?.cancel();
      }
    });
  }

  it("answers an unknown task with 404 and a bad cursor with 400", async () => {
    const missing = await getJson(`${server.url}/api/tasks/${"a".repeat(32)}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/No task/);
    const stream = await fetch(`${server.url}/api/tasks/${"a".repeat(32)}/events?lastEventId=abc`);
    expect(stream.status).toBe(400);
    // A whole number too large to be an event id is named as such, with what was sent.
    const huge = await getJson(`${server.url}/api/tasks/${"a".repeat(32)}/events`, {
      headers: { "Last-Event-ID": "99999999999999999999" },
    });
    expect(huge.status).toBe(400);
    expect(huge.body.error.message).toMatch(/at most 15 digits.*99999999999999999999/);
  });

  it("keeps serving, and wrote nothing outside the task folder", async () => {
    const { status } = await getJson(`${server.url}/api/health`);
    expect(status).toBe(200);
    const entries = fs.readdirSync(outside).filter((name) => name !== "tasks");
    expect(entries).toEqual([]);
    expect(fs.existsSync(path.join(outside, "etc"))).toBe(false);
  });
});

describe("restart", () => {
  it("finishes a task after SIGKILL and restart; the resumed stream keeps the invariant; the state file stays valid", async () => {
    const dataDir = tempDir();
    const env = { OUTPUT_CHUNK_DELAY_MS: "40", LEASE_TTL_MS: "2000", LEASE_RENEW_MS: "500" };
    let server = await startServer({ dataDir, env });
    // Disconnect at one of the first report pieces, so the kill lands mid-report
    // (a stop at the last piece would let the task finish before the kill).
    const stopAt = 1 + Math.floor(Math.random() * 3);
    let outputs = 0;
    const first = await readSse(`${server.url}/api/research`, {
      method: "POST",
      body: { query: "Railroads, canals and internal improvements", depth: 1, breadth: 2 },
      until: (event) => event.event === "output" && ++outputs >= stopAt,
    });
    const id = first.headers.get("x-task-id")!;
    const stateFile = path.join(dataDir, "tasks", `${id}.json`);
    let checks = 0;
    const checker = setInterval(() => {
      if (!fs.existsSync(stateFile)) return;
      JSON.parse(fs.readFileSync(stateFile, "utf8"));
      checks += 1;
    }, 5);
    server.signal("SIGKILL");
    await server.exited;
    server = await startServer({ dataDir, env });
    try {
      const cursor = first.numbered.at(-1)!.id!;
      const second = await readSse(`${server.url}/api/tasks/${id}/events`, {
        headers: { "Last-Event-ID": String(cursor) },
      });
      clearInterval(checker);
      expect(second.ended).toBe(true);
      const ids = [...first.numbered, ...second.numbered].map((event) => event.id);
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, index) => index + 1));
      const { body: task } = await getJson(`${server.url}/api/tasks/${id}`);
      expect(task.status).toBe("completed");
      expect(outputText([...first.events, ...second.events])).toBe(task.result.report);
      // A loaded machine may stall the new owner past its (short, test) lease once more: more takeovers, same task.
      const kinds = task.attempts.map((attempt: { kind: string }) => attempt.kind);
      expect(kinds[0]).toBe("first");
      expect(kinds.length).toBeGreaterThanOrEqual(2);
      expect(new Set(kinds.slice(1))).toEqual(new Set(["takeover"]));
      expect(checks).toBeGreaterThan(0);
    } finally {
      clearInterval(checker);
      await server.stop();
    }
  });

  it("tolerates a torn last line in the event log", async () => {
    const dataDir = tempDir();
    let server = await startServer({ dataDir });
    const done = await readSse(`${server.url}/api/research`, {
      method: "POST",
      body: { query: "Gold standard", depth: 1, breadth: 1 },
    });
    const id = done.headers.get("x-task-id")!;
    await server.stop();
    const segment = fs
      .readdirSync(path.join(dataDir, "tasks", id))
      .filter((name) => name.startsWith("log-"))
      .sort()
      .at(-1)!;
    fs.appendFileSync(path.join(dataDir, "tasks", id, segment), '{"id":999,"type":"output","data":{"te');
    server = await startServer({ dataDir });
    try {
      const replay = await readSse(`${server.url}/api/tasks/${id}/events`);
      expect(replay.numbered.map((event) => event.id)).toEqual(done.numbered.map((event) => event.id));
      const { body: task } = await getJson(`${server.url}/api/tasks/${id}`);
      expect(outputText(replay.events)).toBe(task.result.report);
    } finally {
      await server.stop();
    }
  });
});

describe("start-up", () => {
  const refuses = async (env: Record<string, string>, message: RegExp) => {
    const server = await startServer({ env, waitReady: false });
    const code = await Promise.race([
      server.exited,
      new Promise<"running">((resolve) => setTimeout(() => resolve("running"), 30_000)),
    ]);
    if (code === "running") await server.stop();
    expect(code).toBe(1);
    expect(server.output()).toMatch(message);
  };

  it("refuses a bad configuration value, naming the variable", async () => {
    await refuses({ LEASE_TTL_MS: "soon" }, /LEASE_TTL_MS/);
    await refuses({ TASK_STORE: "postgres://x" }, /TASK_STORE/);
  });

  it("refuses to start when Redis is unreachable", async () => {
    await refuses({ TASK_STORE: "redis://127.0.0.1:1/0" }, /Cannot connect to Redis/);
  });
});
