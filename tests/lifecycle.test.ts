import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerChecker } from "./support/openapi";
import { startServer, type TestServer } from "./support/server";
import { getJson, outputText, readSse, waitFor } from "./support/sse";

/** The operational surface through the API of a real server (docs/ARCHITECTURE.md, "Lifecycle"). */
describe("task lifecycle", () => {
  let server: TestServer;
  let counter = 0;

  beforeAll(async () => {
    server = await startServer({ env: { MAX_CONCURRENT_TASKS: "1", OUTPUT_CHUNK_DELAY_MS: "120" } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const create = async (query = `Lifecycle ${++counter}: the Homestead Act`) => {
    const { status, body } = await getJson(`${server.url}/api/research`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query, depth: 1, breadth: 1 }),
    });
    expect(status).toBe(202);
    return body.taskId as string;
  };
  const control = (id: string, action: string) =>
    getJson(`${server.url}/api/tasks/${id}/${action}`, { method: "POST" });
  const state = async (id: string) => (await getJson(`${server.url}/api/tasks/${id}`)).body;
  const until = (id: string, status: string) =>
    waitFor(
      `${id} to be ${status}`,
      async () => ((await state(id)).status === status ? state(id) : null),
      90_000,
    );

  it("queues tasks beyond MAX_CONCURRENT_TASKS, reports positions, and runs them one after another", async () => {
    const ids = [await create(), await create(), await create()];
    await until(ids[0]!, "running");
    const second = await state(ids[1]!);
    const third = await state(ids[2]!);
    expect(second.status).toBe("queued");
    expect(second.queuePosition).toBe(1);
    expect(third.queuePosition).toBe(2);
    const list = await getJson(`${server.url}/api/tasks?status=queued`);
    expect(list.body.tasks.map((task: { id: string }) => task.id)).toEqual([ids[2], ids[1]]);
    const done = [];
    for (const id of ids) done.push(await until(id, "completed"));
    expect(Date.parse(done[1].startedAt)).toBeGreaterThanOrEqual(Date.parse(done[0].finishedAt));
    expect(Date.parse(done[2].startedAt)).toBeGreaterThanOrEqual(Date.parse(done[1].finishedAt));
  });

  it("pauses and resumes a running task; the stream across it keeps the invariant", async () => {
    const id = await create();
    const first = await readSse(`${server.url}/api/tasks/${id}/events`, {
      until: (event) => event.event === "output",
    });
    const paused = await control(id, "pause");
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe("paused");
    expect((await control(id, "pause")).status).toBe(409);
    const resumed = await control(id, "resume");
    expect(resumed.body.status).toBe("queued");
    const rest = await readSse(
      `${server.url}/api/tasks/${id}/events?lastEventId=${first.numbered.at(-1)!.id}`,
    );
    const task = await until(id, "completed");
    const ids = [...first.numbered, ...rest.numbered].map((event) => event.id);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, index) => index + 1));
    expect(outputText([...first.events, ...rest.events])).toBe(task.result.report);
    expect(task.attempts.map((attempt: { outcome: string }) => attempt.outcome)).toEqual([
      "paused",
      "completed",
    ]);
  });

  it("finishes now: the report is written from what was found so far", async () => {
    const id = await create("Finish now: westward expansion and the frontier");
    await waitFor("running", async () => (await state(id)).status === "running");
    const finishing = await control(id, "finish");
    expect(finishing.status).toBe(200);
    const stream = await readSse(`${server.url}/api/tasks/${id}/events`);
    const task = await until(id, "completed");
    expect(task.finishRequested).toBe(true);
    expect(task.result.report).toMatch(/^# /);
    expect(outputText(stream.events)).toBe(task.result.report);
  });

  it("cancels a running task (idempotently); it keeps what it had and its stream ends", async () => {
    const id = await create();
    const first = await readSse(`${server.url}/api/tasks/${id}/events`, {
      until: (event) => event.event === "output",
    });
    const cancelled = await control(id, "cancel");
    expect(cancelled.body.status).toBe("cancelled");
    expect((await control(id, "cancel")).body.status).toBe("cancelled");
    const rest = await readSse(
      `${server.url}/api/tasks/${id}/events?lastEventId=${first.numbered.at(-1)!.id}`,
    );
    expect(rest.ended).toBe(true);
    expect(rest.numbered.at(-1)!.event).toBe("done");
    const task = await state(id);
    expect(task.result.report).toBe(outputText([...first.events, ...rest.events]));
    for (const action of ["pause", "resume", "finish"]) {
      const refused = await control(id, action);
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/cancelled/);
    }
  });

  it("moves queued and paused tasks only where the table allows", async () => {
    const blocker = await create();
    await until(blocker, "running");
    const queued = await create();
    expect((await state(queued)).status).toBe("queued");
    expect((await control(queued, "resume")).status).toBe(409);
    expect((await control(queued, "pause")).body.status).toBe("paused");
    expect((await control(queued, "cancel")).body.status).toBe("cancelled");
    await control(blocker, "cancel");
    const completed = await create("Completed tasks refuse controls: the Gadsden Purchase");
    await until(completed, "completed");
    for (const action of ["cancel", "pause", "resume", "finish"]) {
      const refused = await control(completed, action);
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/completed/);
    }
    expect((await control(completed, "explode")).status).toBe(400);
    expect((await control("f".repeat(32), "cancel")).status).toBe(404);
  });

  it("lists tasks newest first with filters, paging and a total", async () => {
    const page = await getJson(`${server.url}/api/tasks?limit=2`);
    expect(page.status).toBe(200);
    expect(page.body.tasks).toHaveLength(2);
    expect(page.body.total).toBeGreaterThanOrEqual(5);
    const next = await getJson(`${server.url}/api/tasks?limit=2&cursor=${page.body.nextCursor}`);
    expect(next.body.tasks[0].id).not.toBe(page.body.tasks[1].id);
    expect(Date.parse(next.body.tasks[0].createdAt)).toBeLessThanOrEqual(
      Date.parse(page.body.tasks[1].createdAt),
    );
    const text = await getJson(`${server.url}/api/tasks?q=gadsden`);
    expect(text.body.tasks.map((task: { query: string }) => task.query)).toEqual([
      "Completed tasks refuse controls: the Gadsden Purchase",
    ]);
    for (const bad of ["cursor=nonsense", "status=sleeping", "limit=0", "limit=abc", "unknown=1"]) {
      const response = await getJson(`${server.url}/api/tasks?${bad}`);
      expect(response.status).toBe(400);
      expect(response.body.error.message).toEqual(expect.any(String));
    }
  });

  it("deletes a task: its files go, its endpoints answer 410", async () => {
    const id = await create("To be deleted: the Alaska purchase");
    await until(id, "completed");
    const response = await fetch(`${server.url}/api/tasks/${id}`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect((await fetch(`${server.url}/api/tasks/${id}`)).status).toBe(410);
    expect((await fetch(`${server.url}/api/tasks/${id}/events`)).status).toBe(410);
    const list = await getJson(`${server.url}/api/tasks?q=alaska`);
    expect(list.body.total).toBe(0);
  });

  it("ends a stream whose task is deleted with the documented error event", async () => {
    const id = await create("Deleted while watched: the Gadsden purchase");
    await until(id, "running");
    const stream = readSse(`${server.url}/api/tasks/${id}/events`, { timeoutMs: 30_000 });
    await waitFor("the stream to have sent an event", async () => (await state(id)).lastEventId > 0);
    expect((await fetch(`${server.url}/api/tasks/${id}`, { method: "DELETE" })).status).toBe(204);
    const { events, ended } = await stream;
    expect(ended).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: "error", id: null, data: { message: expect.any(String) } });
    // Every event type it sent, this one included, is in the API document with its schema.
    const document = await (await fetch(`${server.url}/api/openapi.json`)).json();
    answerChecker(document).events("GET", "/api/tasks/{id}/events", events);
  });

  it("sends live list changes on one connection", async () => {
    const changes = readSse(`${server.url}/api/tasks/events`, {
      until: (event) =>
        event.event === "task" && event.data.query.includes("Live list") && event.data.status === "completed",
      timeoutMs: 90_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await create("Live list: the Oregon Trail");
    const result = await changes;
    const statuses = result.events
      .filter((event) => event.data.query?.includes("Live list"))
      .map((event) => event.data.status);
    expect(statuses[0]).toBe("queued");
    expect(statuses).toContain("running");
    expect(statuses.at(-1)).toBe("completed");
  });

  it("exposes Prometheus metrics", async () => {
    const response = await fetch(`${server.url}/api/metrics`);
    const text = await response.text();
    expect(response.headers.get("content-type")).toContain("text/plain");
    expect(text).toMatch(/fathom_tasks\{status="completed"\} \d+/);
    expect(text).toMatch(/fathom_events_appended_total \d+/);
    expect(text).toMatch(/fathom_sse_connections \d+/);
    expect(text).toMatch(/fathom_takeovers_total \d+/);
    expect(text).toMatch(/fathom_step_retries_total \d+/);
    // Offline research calls no model: the usage families are named, with no samples yet.
    for (const family of ["fathom_model_tokens_total counter", "fathom_task_tokens gauge"])
      expect(text).toContain(`# TYPE ${family}`);
    expect(text).not.toMatch(/^fathom_model_tokens_total\{/m);
  });
});

describe("access token", () => {
  let server: TestServer;
  const token = "s3cret-token-for-tests";

  beforeAll(async () => {
    server = await startServer({ env: { FATHOM_API_TOKEN: token, CORS_ORIGINS: "https://app.example" } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("requires the token on every API route except health", async () => {
    const id = "0".repeat(32);
    const routes: [string, string][] = [
      ["GET", "/api/research?query=x"],
      ["POST", "/api/research"],
      ["GET", "/api/tasks"],
      ["GET", "/api/tasks/events"],
      ["GET", `/api/tasks/${id}`],
      ["DELETE", `/api/tasks/${id}`],
      ["GET", `/api/tasks/${id}/events`],
      ["POST", `/api/tasks/${id}/cancel`],
      ["GET", "/api/metrics"],
      ["GET", "/api/providers"],
    ];
    for (const [method, route] of routes) {
      const without = await fetch(`${server.url}${route}`, { method });
      expect(without.status, `${method} ${route}`).toBe(401);
      const body = await without.json();
      expect(body.error.message).toBe("Missing or wrong API token.");
      const wrong = await fetch(`${server.url}${route}`, {
        method,
        headers: { Authorization: "Bearer nope" },
      });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${server.url}${route}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: method === "POST" && route === "/api/research" ? JSON.stringify({ query: "token" }) : undefined,
      });
      expect(right.status, `${method} ${route}`).not.toBe(401);
      await right.body?.cancel();
    }
    const viaQuery = await fetch(`${server.url}/api/tasks?token=${token}`);
    expect(viaQuery.status).toBe(200);
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });

  it("says how to authenticate on a 401, and reads the scheme as case-insensitive", async () => {
    const refused = await fetch(`${server.url}/api/tasks`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    await refused.body?.cancel();
    // RFC 9110 §11.1: the scheme is case-insensitive; clients send `bearer` too.
    for (const header of [`bearer ${token}`, `BEARER ${token}`, `Bearer  ${token}`]) {
      const response = await fetch(`${server.url}/api/tasks`, { headers: { Authorization: header } });
      expect(response.status, header).toBe(200);
      await response.body?.cancel();
    }
    for (const header of [`Basic ${token}`, `Bearer${token}`, `Bearer ${token}x`]) {
      const response = await fetch(`${server.url}/api/tasks`, { headers: { Authorization: header } });
      expect(response.status, header).toBe(401);
      await response.body?.cancel();
    }
  });

  it("answers the CORS preflight of every route and method for allowed origins", async () => {
    const id = "0".repeat(32);
    const document = "0".repeat(32);
    for (const [method, route] of [
      ["GET", "/api/providers"],
      ["GET", "/api/health"],
      ["GET", "/api/metrics"],
      ["GET", "/api/openapi.json"],
      ["GET", "/api/tasks/events"],
      ["GET", `/api/tasks/${id}/events`],
      ["GET", `/api/collections/mine/documents/${document}/text`],
      ["GET", `/api/collections/mine/documents/${document}/original`],
      ["POST", "/api/research"],
      ["DELETE", `/api/tasks/${id}`],
      ["PATCH", "/api/schedules/V1StGXR8_Z5jdHi6B-myT"],
    ] as const) {
      const preflight = await fetch(`${server.url}${route}`, {
        method: "OPTIONS",
        headers: {
          Origin: "https://app.example",
          "Access-Control-Request-Method": method,
          "Access-Control-Request-Headers": "authorization, content-type",
        },
      });
      expect(preflight.status, `${method} ${route}`).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin"), `${method} ${route}`).toBe(
        "https://app.example",
      );
      expect(preflight.headers.get("access-control-allow-methods"), `${method} ${route}`).toContain(method);
      expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
      expect(preflight.headers.get("x-request-id")).toBeTruthy();
    }
  });

  it("answers CORS for allowed origins only", async () => {
    const allowed = await fetch(`${server.url}/api/tasks`, {
      headers: { Origin: "https://app.example", Authorization: `Bearer ${token}` },
    });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const other = await fetch(`${server.url}/api/tasks`, {
      headers: { Origin: "https://evil.example", Authorization: `Bearer ${token}` },
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
