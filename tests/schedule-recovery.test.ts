import fs from "node:fs";
import path from "node:path";
import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skippedText } from "../lib/tasks/schedule-runner";
import { findRedisServer, type RedisTestServer, startRedisServer } from "./support/redis";
import { requireBinary } from "./support/require-binary";
import { allRuns, type RunRecord, send } from "./support/schedules";
import { startServer, type TestServer, tempDir } from "./support/server";
import { waitFor } from "./support/sse";

/**
 * Schedules when processes die or are all down (docs/ARCHITECTURE.md,
 * "Schedules and webhooks"), in both store modes: a server killed the moment
 * its claim of a fire is stored does not lose the fire, and fires missed
 * while every server was down follow the schedule's `missed` policy.
 */

const env = {
  MIN_SCHEDULE_INTERVAL_S: "1",
  SCHEDULE_TICK_MS: "250",
  RATE_LIMIT_TASKS_PER_MINUTE: "0",
};
/** The runner's grace: a fire older than this when a tick sees it is missed (max(10 s, 5 ticks)). */
const GRACE_MS = 10_000;
const request = { depth: 1, breadth: 1 };
const REDIS_PREFIX = "fathom:";

const redisBinary = findRedisServer();
requireBinary(
  "schedule recovery on Redis",
  redisBinary !== null,
  "redis-server is not installed (apt-get install redis-server).",
);

/** A store mode: how servers share it, and how a test sees a claim land in it. */
interface Mode {
  name: string;
  /** Starts a server on the shared store. */
  start(extra?: Record<string, string>): Promise<TestServer>;
  /** Resolves once the claim of `fireTime` of schedule `id` is stored. */
  claimStored(id: string, fireTime: number): Promise<void>;
  /** What a killed claimer left of the fire's record (for the log). */
  left(id: string, fireTime: number): Promise<string>;
  close(): Promise<void>;
}

function describeRecord(text: string | null): string {
  if (text === null) return "no record";
  const record = JSON.parse(text) as Partial<RunRecord>;
  return `a record with started: ${record.started}, run: ${record.run}`;
}

function volumeMode(): Mode {
  const dataDir = tempDir();
  return {
    name: "one volume",
    start: (extra = {}) => startServer({ dataDir, env: { ...env, ...extra } }),
    async claimStored(id, fireTime) {
      const claim = path.join(dataDir, "tasks", "schedules", id, "fires", String(fireTime));
      const deadline = Date.now() + 30_000;
      while (!fs.existsSync(claim)) {
        if (Date.now() > deadline) throw new Error("timed out waiting for the fire's claim");
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
    async left(id, fireTime) {
      const file = path.join(dataDir, "tasks", "schedules", id, "runs", `${fireTime}.json`);
      return describeRecord(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null);
    },
    async close() {},
  };
}

async function redisMode(): Promise<Mode> {
  const redis: RedisTestServer = await startRedisServer(redisBinary!);
  const client = new Redis(redis.url);
  return {
    name: "Redis",
    // Separate data folders: Redis is all they share.
    start: (extra = {}) => startServer({ env: { ...env, TASK_STORE: redis.url, ...extra } }),
    async claimStored(id, fireTime) {
      // Keyspace notifications tell of the claim's ZADD the moment it is stored.
      const key = `${REDIS_PREFIX}schedule:${id}:fires`;
      await client.config("SET", "notify-keyspace-events", "Kz");
      const subscriber = new Redis(redis.url);
      try {
        const claimed = new Promise<void>((resolve) => {
          subscriber.on("message", () => {
            void client.zscore(key, String(fireTime)).then((score) => {
              if (score !== null) resolve();
            });
          });
        });
        await subscriber.subscribe(`__keyspace@0__:${key}`);
        // A claim made before the subscription is seen here.
        if ((await client.zscore(key, String(fireTime))) !== null) return;
        await Promise.race([
          claimed,
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error("timed out waiting for the fire's claim")), 30_000),
          ),
        ]);
      } finally {
        subscriber.disconnect();
      }
    },
    async left(id, fireTime) {
      return describeRecord(await client.hget(`${REDIS_PREFIX}schedule:${id}:runs`, String(fireTime)));
    },
    async close() {
      client.disconnect();
      await redis.stop();
    },
  };
}

const modes: [string, () => Promise<Mode>][] = [
  ["one volume", async () => volumeMode()],
  ...(redisBinary !== null ? ([["Redis", redisMode]] as [string, () => Promise<Mode>][]) : []),
];

/** `HH:MM:SS` fields of a cron expression that fires at exactly these times (same minute of the same hour, UTC). */
function cronAt(times: number[]): string {
  const dates = times.map((time) => new Date(time));
  const first = dates[0]!;
  for (const date of dates) {
    if (date.getUTCMinutes() !== first.getUTCMinutes() || date.getUTCHours() !== first.getUTCHours())
      throw new Error("the fire times must fall in one minute");
  }
  return `${dates.map((date) => date.getUTCSeconds()).join(",")} ${first.getUTCMinutes()} ${first.getUTCHours()} * * *`;
}

/** Whole-second fire times `offsets` seconds from now, all in one minute (waits for the next minute when needed). */
async function firesInOneMinute(offsets: number[]): Promise<number[]> {
  for (;;) {
    const base = Math.ceil(Date.now() / 1000) * 1000;
    const times = offsets.map((offset) => base + offset * 1000);
    const minute = (time: number) => Math.floor(time / 60_000);
    if (minute(times[0]!) === minute(times.at(-1)!)) return times;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

describe.each(modes)("schedules on %s", (_name, makeMode) => {
  let mode: Mode;
  let servers: TestServer[] = [];

  beforeAll(async () => {
    mode = await makeMode();
  });

  afterAll(async () => {
    for (const server of servers) server.signal("SIGCONT");
    await Promise.all(servers.map((server) => server.stop()));
    await mode?.close();
  });

  it("does not lose a fire whose claimer is killed the moment its claim is stored: another server runs it once", async () => {
    const fast = { SCHEDULE_RECOVER_AFTER_MS: "2000", LEASE_TTL_MS: "3000", LEASE_RENEW_MS: "1000" };
    const [claimer, survivor] = await Promise.all([mode.start(fast), mode.start(fast)]);
    servers.push(claimer!, survivor!);

    // One fire, a few seconds from now (a fixed time of day, so nothing fires after it).
    const [fireTime] = await firesInOneMinute([6]);
    const created = await send(claimer!, "POST", "/api/schedules", {
      name: "Once, in a few seconds",
      request: { ...request, query: `What did presidents say about the telegraph? (${mode.name})` },
      cron: cronAt([fireTime!]),
      timezone: "UTC",
      missed: "skip",
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;

    // Only the claimer can claim; it is killed the moment its claim is stored.
    survivor!.signal("SIGSTOP");
    await mode.claimStored(id, fireTime!);
    claimer!.signal("SIGKILL");
    await claimer!.exited;
    const left = await mode.left(id, fireTime!);
    survivor!.signal("SIGCONT");

    const record = await waitFor(
      "the fire's run, recorded by the survivor",
      async () => {
        const [run] = await allRuns(survivor!, id);
        return run && Date.parse(run.fireTime) === fireTime && run.started && run.run !== null ? run : null;
      },
      60_000,
    );
    expect(record).toMatchObject({ run: 1, started: true, taskId: expect.any(String) });
    const ended = await waitFor(
      "the run's end",
      async () => {
        const [run] = await allRuns(survivor!, id);
        return run?.endedAt ? run : null;
      },
      90_000,
    );
    expect(ended).toMatchObject({ success: true, run: 1, error: null });
    // One record of the one fire: the recovery (`fire + 1 ms`) is no fire of its own.
    expect(await allRuns(survivor!, id)).toHaveLength(1);
    const task = await send(survivor!, "GET", `/api/tasks/${record.taskId}`);
    expect(task.body).toMatchObject({ status: "completed", run: 1 });
    console.info(`${mode.name}: the killed claimer left ${left}`);
    await Promise.all([claimer!.stop(), survivor!.stop()]);
    servers = [];
  }, 240_000);

  it("after every server was down across three fires: `skip` runs none and records the skip once, `once` runs the latest once, late", async () => {
    let running = await Promise.all([mode.start(), mode.start()]);
    servers.push(...running);
    // Three fires far enough ahead that both servers are down before the first.
    const fires = await firesInOneMinute([20, 22, 24]);
    const cron = cronAt(fires);
    const create = async (missed: "skip" | "once") => {
      const created = await send(running[0]!, "POST", "/api/schedules", {
        name: `Missed: ${missed}`,
        request: { ...request, query: `What did presidents say about canals? (${mode.name}, ${missed})` },
        cron,
        timezone: "UTC",
        missed,
      });
      expect(created.status).toBe(201);
      return created.body.id as string;
    };
    const skipId = await create("skip");
    const onceId = await create("once");
    await Promise.all(running.map((server) => server.stop()));
    servers = [];
    // A precondition of the proof, not a timing assertion: nothing ran while the servers were up.
    expect(Date.now()).toBeLessThan(fires[0]!);

    // Down until the last fire is past the grace: every one of the three is missed.
    const upAt = fires.at(-1)! + GRACE_MS + 2000;
    await new Promise((resolve) => setTimeout(resolve, upAt - Date.now()));
    running = await Promise.all([mode.start(), mode.start()]);
    servers.push(...running);

    const missedLog = (id: string) =>
      running
        .flatMap((server) => server.output().split("\n"))
        .filter((line) => line.includes('"schedule.fires_missed"') && line.includes(id))
        .map((line) => JSON.parse(line) as { skipped: number; policy: string });
    // `once`: exactly one record, the latest missed fire, started late as the catch-up.
    const [caughtUp] = await waitFor(
      "the catch-up run's end",
      async () => {
        const runs = await allRuns(running[0]!, onceId);
        return runs.length > 0 && runs.every((run) => run.endedAt !== null) ? runs : null;
      },
      90_000,
    );
    const onceRuns = await allRuns(running[1]!, onceId);
    expect(onceRuns).toHaveLength(1);
    expect(caughtUp).toMatchObject({
      fireTime: new Date(fires.at(-1)!).toISOString(),
      catchUp: true,
      run: 1,
      success: true,
    });
    expect(missedLog(onceId)[0]).toMatchObject({ skipped: 2, policy: "once" });
    // Nothing of it ran twice: one run of the task.
    expect((await send(running[1]!, "GET", `/api/tasks/${caughtUp!.taskId}`)).body.run).toBe(1);

    // `skip`: one record of the three missed fires, at the latest, ended without a run.
    const [skipped] = await waitFor("the skip's record", async () => {
      const runs = await allRuns(running[0]!, skipId);
      return runs.length > 0 ? runs : null;
    });
    expect(skipped).toMatchObject({
      fireTime: new Date(fires.at(-1)!).toISOString(),
      catchUp: true,
      run: null,
      taskId: null,
      success: false,
      error: skippedText(3),
    });
    expect(missedLog(skipId)).toEqual([expect.objectContaining({ skipped: 3, policy: "skip" })]);
    const skipSchedule = await send(running[1]!, "GET", `/api/schedules/${skipId}`);
    expect(skipSchedule.body.lastFireAt).toBe(new Date(fires.at(-1)!).toISOString());
    // The catch-up claimed the latest fire: the schedule shows it as its last.
    const onceSchedule = await send(running[0]!, "GET", `/api/schedules/${onceId}`);
    expect(onceSchedule.body.lastFireAt).toBe(new Date(fires.at(-1)!).toISOString());
  }, 240_000);
});
