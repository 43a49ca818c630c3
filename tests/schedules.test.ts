import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer, tempDir } from "./support/server";
import { getJson, waitFor } from "./support/sse";

/**
 * Schedules against real servers (docs/ARCHITECTURE.md, "Schedules and
 * webhooks"): the API, and three processes on one data volume firing a
 * second-level expression, each fire exactly once.
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
  it("runs each fire of a 2-second expression exactly once, each as a new run of one task", async () => {
    const fires = 10;
    const created = await send(servers[0]!, "POST", "/api/schedules", {
      name: "Every two seconds",
      request: { ...request, query: "What did presidents say about the railroads?" },
      cron: "*/2 * * * * *",
      timezone: "UTC",
      missed: "skip",
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await waitFor(
      `${fires} fires`,
      async () =>
        (await send(servers[1]!, "GET", `/api/schedules/${id}/runs?limit=100`)).body.runs.length >= fires,
      60_000,
    );
    await send(servers[2]!, "POST", `/api/schedules/${id}/pause`);
    // Ticks that read the schedule before the pause may still claim a fire; then every run ends.
    const runs = await waitFor("every run's end", async () => {
      const page = (await send(servers[0]!, "GET", `/api/schedules/${id}/runs?limit=100`)).body;
      return page.runs.every((run: { endedAt: string | null }) => run.endedAt !== null) ? page.runs : null;
    });
    const times: number[] = runs
      .map((run: { fireTime: string }) => Date.parse(run.fireTime))
      .sort((a: number, b: number) => a - b);
    // No duplicate (one record per fire time is the store's; one claim per fire is the test) and no miss.
    expect(new Set(times).size).toBe(times.length);
    for (let index = 1; index < times.length; index++) expect(times[index]! - times[index - 1]!).toBe(2000);

    const started = runs.filter((run: { run: number | null }) => run.run !== null);
    const skipped = runs.filter((run: { run: number | null }) => run.run === null);
    for (const run of skipped) expect(run.error).toBe("previous run still running");
    const taskIds = new Set(runs.map((run: { taskId: string }) => run.taskId));
    expect(taskIds.size).toBe(1);
    const numbers = started.map((run: { run: number }) => run.run).sort((a: number, b: number) => a - b);
    expect(numbers).toEqual(numbers.map((_: number, index: number) => index + 1));
    expect(started.length).toBeGreaterThanOrEqual(3);
    const task = await send(servers[0]!, "GET", `/api/tasks/${[...taskIds][0]}`);
    expect(task.body.run).toBe(started.length);
    for (const run of started) expect(run.success).toBe(true);
    console.info(
      `schedules: ${runs.length} fires, ${started.length} runs, ${skipped.length} skipped (previous run still running)`,
    );
  });
});
