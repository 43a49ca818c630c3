import { afterAll, beforeAll, describe, it } from "vitest";
import { findRedisServer, type RedisTestServer, startRedisServer } from "./support/redis";
import { requireBinary } from "./support/require-binary";
import { proveEveryFireOnce } from "./support/schedules";
import { startServer, type TestServer } from "./support/server";

/**
 * What tests/schedules.test.ts proves on one volume, proved on Redis: three
 * servers that share nothing but Redis fire a one-second expression 100
 * times, each fire exactly once (no duplicate, no miss). A server killed at
 * a fire and the `missed` policies are proved in both store modes in
 * tests/schedule-recovery.test.ts.
 */

const env = {
  MIN_SCHEDULE_INTERVAL_S: "1",
  SCHEDULE_TICK_MS: "250",
  RATE_LIMIT_TASKS_PER_MINUTE: "0",
};

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

  it("runs each of 100 fires of a one-second expression exactly once across three servers", async () => {
    const { runs, started } = await proveEveryFireOnce(servers, {
      fires: 100,
      query: "What did presidents say about the railroads?",
    });
    console.info(
      `schedules on Redis: ${runs.length} fires, ${started.length} runs, ${runs.length - started.length} refused (previous run still running)`,
    );
  }, 300_000);
});
