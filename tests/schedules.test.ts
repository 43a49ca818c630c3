import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer, tempDir } from "./support/server";
import { proveEveryFireOnce } from "./support/schedules";
import { getJson, waitFor } from "./support/sse";

/**
 * Schedules against real servers (docs/ARCHITECTURE.md, "Schedules and
 * webhooks"): the API, and three processes on one data volume firing a
 * one-second expression 100 times, each fire exactly once (the same proof
 * on Redis is in tests/schedule-proofs.test.ts).
 */

const env = {
  MIN_SCHEDULE_INTERVAL_S: "1",
  SCHEDULE_TICK_MS: "250",
  MAX_SCHEDULES: "4",
  RATE_LIMIT_TASKS_PER_MINUTE: "0",
};

let servers: TestServer[] = [];

beforeAll(async () => {
  const dataDir = tempDir();
  servers = await Promise.all([0, 1, 2].map(() => startServer({ dataDir, env })));
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

function send(server: TestServer, method: string, path: string, body?: unknown) {
  return getJson(`${server.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
  });
}

const request = { query: "What did presidents say about tariffs?", depth: 1, breadth: 1 };

describe("schedules API", () => {
  it("creates, shows, changes, pauses, runs now and deletes a schedule", async () => {
    const server = servers[0]!;
    const created = await send(server, "POST", "/api/schedules", {
      name: "Tariffs, every morning",
      request,
      cron: "0 9 * * 1-5",
      timezone: "Europe/Berlin",
      webhook: { url: "https://hooks.example.com/private/path?token=abc" },
    });
    expect(created.status).toBe(201);
    const schedule = created.body;
    expect(created.headers.get("location")).toBe(`/api/schedules/${schedule.id}`);
    expect(schedule).toMatchObject({ enabled: true, missed: "once", lastRun: null, lastFireAt: null });
    expect(schedule.nextFires).toHaveLength(5);
    expect(schedule.nextFireAt).toBe(schedule.nextFires[0]);
    expect(schedule.webhook).toEqual({ configured: true, host: "hooks.example.com" });

    const listed = await send(servers[1]!, "GET", "/api/schedules");
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain("private/path");
    expect(listed.body.schedules.map((entry: { id: string }) => entry.id)).toContain(schedule.id);

    const patched = await send(server, "PATCH", `/api/schedules/${schedule.id}`, {
      name: "Tariffs",
      webhook: null,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: "Tariffs", webhook: null });

    const paused = await send(server, "POST", `/api/schedules/${schedule.id}/pause`);
    expect(paused.body).toMatchObject({ enabled: false, nextFireAt: null });
    const resumed = await send(server, "POST", `/api/schedules/${schedule.id}/resume`);
    expect(resumed.body.enabled).toBe(true);

    const ran = await send(server, "POST", `/api/schedules/${schedule.id}/run`);
    expect(ran.status).toBe(202);
    expect(ran.body.run).toMatchObject({ manual: true, run: 1, started: true });
    const taskId = ran.body.run.taskId;
    expect(ran.headers.get("x-task-id")).toBe(taskId);
    const done = await waitFor("the run's end in its record", async () => {
      const runs = await send(server, "GET", `/api/schedules/${schedule.id}/runs?limit=5`);
      const [run] = runs.body.runs;
      return run?.endedAt ? run : null;
    });
    expect(done).toMatchObject({ success: true, taskId, error: null });
    expect(done.reportLength).toBeGreaterThan(0);
    expect(done.sources).toBeGreaterThan(0);
    const task = await send(server, "GET", `/api/tasks/${taskId}`);
    expect(task.body.status).toBe("completed");

    const deleted = await send(server, "DELETE", `/api/schedules/${schedule.id}`);
    expect(deleted.status).toBe(204);
    expect((await send(server, "GET", `/api/schedules/${schedule.id}`)).status).toBe(404);
  });

  it("refuses bad input with a 400 naming the field, unknown methods with 405, and past MAX_SCHEDULES with 507", async () => {
    const server = servers[0]!;
    const base = { name: "x", request, cron: "0 9 * * *", timezone: "UTC" };
    const cases: [Record<string, unknown>, string][] = [
      [{ cron: "61 * * * *" }, "cron"],
      [{ timezone: "Mars/Olympus_Mons" }, "timezone"],
      [{ name: " " }, "name"],
    ];
    for (const [change, field] of cases) {
      const response = await send(server, "POST", "/api/schedules", { ...base, ...change });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(`${field}:`);
    }
    expect((await send(server, "PUT", "/api/schedules")).status).toBe(405);
    expect((await send(server, "GET", "/api/schedules/not-an-id")).status).toBe(400);
    expect((await send(server, "GET", `/api/schedules/${"A".repeat(21)}/runs?limit=0`)).status).toBe(400);

    const ids: string[] = [];
    for (;;) {
      const response = await send(server, "POST", "/api/schedules", { ...base, enabled: false });
      if (response.status !== 201) {
        expect(response.status).toBe(507);
        expect(response.body.error.limit).toBe("MAX_SCHEDULES");
        expect(response.body.error.message).toContain("MAX_SCHEDULES");
        break;
      }
      ids.push(response.body.id);
      expect(ids.length).toBeLessThanOrEqual(4);
    }
    for (const id of ids) expect((await send(server, "DELETE", `/api/schedules/${id}`)).status).toBe(204);
  });
});

describe("firing across three processes on one volume", () => {
  it("runs each of 100 fires of a one-second expression exactly once, each a new run of one task or refused while the previous runs", async () => {
    const { runs, started } = await proveEveryFireOnce(servers, {
      fires: 100,
      query: "What did presidents say about the railroads?",
    });
    console.info(
      `schedules on one volume: ${runs.length} fires, ${started.length} runs, ${runs.length - started.length} refused (previous run still running)`,
    );
  }, 300_000);
});
