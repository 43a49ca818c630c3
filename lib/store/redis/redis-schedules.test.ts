import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRedisServer, type RedisTestServer, startRedisServer } from "../../../tests/support/redis";
import {
  describeScheduleStoreContract,
  makeDelivery,
  makeRun,
  makeSchedule,
  type ScheduleHarness,
} from "../schedules/contract";
import { RedisTaskStore } from "./redis-store";
import { redisFootprint } from "./testing/redis-footprint";

const binary = findRedisServer();
const required = process.env.CI === "true";
let server: RedisTestServer | null = null;

function running(): RedisTestServer {
  if (!server) throw new Error("redis-server is not running");
  return server;
}

/**
 * The schedule contract runs in database 2, which nothing else uses, so its
 * footprint (every key of the database, with a digest of its value) shows a
 * key written under any prefix, or none.
 */
const SCHEDULE_DB = 2;

function redisHarness(): ScheduleHarness {
  const url = () => `${running().url}/${SCHEDULE_DB}`;
  return {
    async create(shared) {
      return RedisTaskStore.connect({ url: url(), prefix: `sch:${shared}:`, leaseTtlMs: 1000, pollMs: 20 });
    },
    async footprint() {
      return redisFootprint(url());
    },
  };
}

describe.runIf(binary !== null || required)("RedisSchedules on a real redis-server", () => {
  beforeAll(async () => {
    if (!binary) throw new Error("redis-server not found on PATH; CI=true requires the Redis suite to run.");
    server = await startRedisServer(binary);
  });
  afterAll(async () => {
    await server?.stop();
    server = null;
  });

  describeScheduleStoreContract("redis", redisHarness);

  it("keeps the documented keys, and a deleted schedule leaves none", async () => {
    const prefix = `layout:${Date.now()}:`;
    const store = await RedisTaskStore.connect({ url: running().url, prefix, leaseTtlMs: 1000, pollMs: 20 });
    const raw = new Redis(running().url);
    try {
      const schedule = makeSchedule();
      const fire = Date.UTC(2026, 2, 1, 12);
      await store.schedules.createSchedule(schedule);
      await store.schedules.claimFire(schedule.id, fire, "owner-1");
      await store.schedules.saveRun(makeRun(schedule.id, fire));
      const id = "d".repeat(32);
      const delivery = makeDelivery(id, new Date(fire));
      await store.schedules.createDelivery(delivery);
      await store.schedules.claimDeliveryAttempt(id, "owner-1", { now: new Date(fire), leaseMs: 60_000 });
      expect((await raw.keys(`${prefix}*`)).sort()).toEqual(
        [
          `${prefix}schedules`,
          `${prefix}schedule:${schedule.id}:fires`,
          `${prefix}schedule:${schedule.id}:runs`,
          `${prefix}schedule:${schedule.id}:run-order`,
          `${prefix}webhook:${id}`,
          `${prefix}webhook:${id}:claim`,
          `${prefix}webhooks:due`,
          `${prefix}webhooks:task:${delivery.taskId}`,
        ].sort(),
      );
      expect(await raw.get(`${prefix}webhook:${id}:claim`)).toBe("1:1:owner-1");
      expect(await raw.pttl(`${prefix}webhook:${id}:claim`)).toBeGreaterThan(50_000);
      await store.schedules.deleteSchedule(schedule.id);
      await store.schedules.deleteDeliveries(delivery.taskId);
      expect(await raw.keys(`${prefix}*`)).toEqual([]);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });

  it("answers a retryable storage error while Redis is down", async () => {
    const store = await RedisTaskStore.connect({
      url: running().url,
      prefix: `outage:${Date.now()}:`,
      leaseTtlMs: 1000,
      pollMs: 20,
    });
    try {
      const schedule = makeSchedule();
      await store.schedules.createSchedule(schedule);
      await running().kill();
      await expect(store.schedules.claimFire(schedule.id, 0, "a")).rejects.toMatchObject({
        code: "storage_error",
        retryable: true,
      });
      await running().start();
    } finally {
      await store.close();
    }
  });
});
