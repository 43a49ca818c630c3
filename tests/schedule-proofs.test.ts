import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRedisServer, type RedisTestServer, startRedisServer } from "./support/redis";
import { requireBinary } from "./support/require-binary";
import { startServer, type TestServer, tempDir } from "./support/server";
import { getJson, waitFor } from "./support/sse";

/**
 * What tests/schedules.test.ts proves on one volume, proved where it is
 * hardest: three servers on Redis fire each second exactly once, and a
 * server killed right after claiming a fire does not lose it.
 */

const env = {
  MIN_SCHEDULE_INTERVAL_S: "1",
  SCHEDULE_TICK_MS: "250",
  RATE_LIMIT_TASKS_PER_MINUTE: "0",
};
const request = { query: "What did presidents say about the railroads?", depth: 1, breadth: 1 };

interface RunRecord {
  fireTime: string;
  run: number | null;
  taskId: string | null;
  started: boolean;
  endedAt: string | null;
  success: boolean | null;
  error: string | null;
}

function send(server: TestServer, method: string, route: string, body?: unknown) {
  return getJson(`${server.url}${route}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
  });
}

async function runsOf(server: TestServer, id: string): Promise<RunRecord[]> {
  return (await send(server, "GET", `/api/schedules/${id}/runs?limit=100`)).body.runs;
}

const redisBinary = findRedisServer();
requireBinary(
  "schedules on Redis",
  redisBinary !== null,
  "redis-server is not installed (apt-get install redis-server).",
);

describe.runIf(redisBinary !== null)("schedules on Redis", () => {
  let redis: RedisTestServer | null = null;
  let servers: TestServer[] = [];

  beforeAll(async () => {
    redis = await startRedisServer(redisBinary!);
    // Separate data folders: Redis is all they share.
    servers = await Promise.all(
      [0, 1, 2].map(() => startServer({ env: { ...env, TASK_STORE: redis!.url } })),
    );
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await redis?.stop();
  });

  it("runs each fire of a one-second expression exactly once across three servers", async () => {
    const fires = 10;
    const created = await send(servers[0]!, "POST", "/api/schedules", {
      name: "Every second",
      request,
      cron: "* * * * * *",
      timezone: "UTC",
      missed: "skip",
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await waitFor(`${fires} fires`, async () => (await runsOf(servers[1]!, id)).length >= fires, 60_000);
    await send(servers[2]!, "POST", `/api/schedules/${id}/pause`);
    const runs = await waitFor("every run's end", async () => {
      const page = await runsOf(servers[0]!, id);
      return page.every((run) => run.endedAt !== null) ? page : null;
    });
    const times = runs.map((run) => Date.parse(run.fireTime)).sort((a, b) => a - b);
    expect(new Set(times).size).toBe(times.length);
    for (let index = 1; index < times.length; index++) expect(times[index]! - times[index - 1]!).toBe(1000);

    const started = runs.filter((run) => run.run !== null);
    for (const run of runs) if (run.run === null) expect(run.error).toBe("previous run still running");
    expect(new Set(runs.map((run) => run.taskId)).size).toBe(1);
    const numbers = started.map((run) => run.run!).sort((a, b) => a - b);
    expect(numbers).toEqual(numbers.map((_, index) => index + 1));
    expect(started.length).toBeGreaterThanOrEqual(2);
    for (const run of started) expect(run.success).toBe(true);
    const task = await send(servers[0]!, "GET", `/api/tasks/${runs[0]!.taskId}`);
    expect(task.body.run).toBe(started.length);
    console.info(`schedules on Redis: ${runs.length} fires, ${started.length} runs`);
  }, 90_000);
});

describe("a server killed at a fire", () => {
  let servers: TestServer[] = [];

  afterAll(async () => {
    for (const server of servers) server.signal("SIGCONT");
    await Promise.all(servers.map((server) => server.stop()));
  });

  it("does not lose the fire: another server records it and runs it", async () => {
    const dataDir = tempDir();
    const fast = { ...env, SCHEDULE_RECOVER_AFTER_MS: "2000", LEASE_TTL_MS: "3000", LEASE_RENEW_MS: "1000" };
    const [claimer, survivor] = await Promise.all([0, 1].map(() => startServer({ dataDir, env: fast })));
    servers = [claimer!, survivor!];

    // One fire, a few seconds from now (a fixed time of day, so nothing fires after it).
    const fireTime = Math.ceil(Date.now() / 1000) * 1000 + 6000;
    const at = new Date(fireTime);
    const created = await send(claimer!, "POST", "/api/schedules", {
      name: "Once, in a few seconds",
      request: { ...request, query: "What did presidents say about the telegraph?" },
      cron: `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`,
      timezone: "UTC",
      missed: "skip",
    });
    expect(created.status).toBe(201);
    const id = created.body.id;

    // Only the claimer can claim; it is killed the moment its claim is on the volume.
    survivor!.signal("SIGSTOP");
    const claim = path.join(dataDir, "tasks", "schedules", id, "fires", String(fireTime));
    const deadline = Date.now() + 20_000;
    while (!fs.existsSync(claim)) {
      if (Date.now() > deadline) throw new Error("timed out waiting for the fire's claim");
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    claimer!.signal("SIGKILL");
    await claimer!.exited;
    const left = leftOnVolume(dataDir, id, fireTime);
    survivor!.signal("SIGCONT");

    const record = await waitFor(
      "the fire's run, recorded by the survivor",
      async () => {
        const [run] = await runsOf(survivor!, id);
        return run && Date.parse(run.fireTime) === fireTime && run.started && run.run !== null ? run : null;
      },
      30_000,
    );
    expect(record).toMatchObject({ run: 1, started: true, taskId: expect.any(String) });
    const ended = await waitFor(
      "the run's end",
      async () => {
        const [run] = await runsOf(survivor!, id);
        return run?.endedAt ? run : null;
      },
      60_000,
    );
    expect(ended).toMatchObject({ success: true, run: 1, error: null });
    const task = await send(survivor!, "GET", `/api/tasks/${record.taskId}`);
    expect(task.body).toMatchObject({ status: "completed", run: 1 });
    console.info(`killed claimer left: ${left}`);
  }, 90_000);
});

/** What the killed claimer left of the fire's record (read from the volume, for the log). */
function leftOnVolume(dataDir: string, id: string, fireTime: number): string {
  const file = path.join(dataDir, "tasks", "schedules", id, "runs", `${fireTime}.json`);
  if (!fs.existsSync(file)) return "no record";
  const record = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<RunRecord>;
  return `a record with started: ${record.started}, run: ${record.run}`;
}
