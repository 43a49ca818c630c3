import { nanoid } from "nanoid";
import { afterEach, describe, expect, it } from "vitest";
import type { ScheduleJson, ScheduleRunJson } from "../../model/schedule";
import { type WebhookDeliveryJson, webhookLinks } from "../../model/webhook";
import type { StoreHarness } from "../testing/store-harness";
import type { TaskStore } from "../types";
import { FIRE_CLAIM_HORIZON_MS } from "./types";

/**
 * The ScheduleStore contract, written once and run against every store
 * (file, Redis, memory) through the task store that carries it
 * (`TaskStore.schedules`). Several stores on one `shared` key are several
 * processes ("containers") on one volume or Redis.
 */
export type ScheduleHarness = StoreHarness;

let counter = 0;

/** A fresh schedule id (a nanoid, as the API makes them). */
export function scheduleId(): string {
  return nanoid();
}

export function makeSchedule(overrides: Partial<ScheduleJson> = {}): ScheduleJson {
  counter += 1;
  return {
    id: scheduleId(),
    name: `Schedule ${counter}`,
    request: { query: `question ${counter}` },
    cron: "0 * * * *",
    timezone: "Europe/Berlin",
    enabled: true,
    missed: "once",
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, counter % 60, counter)).toISOString(),
    updatedAt: new Date(Date.UTC(2026, 0, 1)).toISOString(),
    ...overrides,
  };
}

const TASK = "0123456789abcdef0123456789abcdef";
const OTHER_TASK = "fedcba9876543210fedcba9876543210";

export function makeRun(
  scheduleId: string,
  fireTime: number,
  overrides: Partial<ScheduleRunJson> = {},
): ScheduleRunJson {
  return {
    scheduleId,
    fireTime: new Date(fireTime).toISOString(),
    run: 1,
    taskId: TASK,
    catchUp: false,
    manual: false,
    started: true,
    startedAt: new Date(fireTime + 100).toISOString(),
    endedAt: null,
    durationMs: null,
    success: null,
    error: null,
    reportLength: null,
    sources: null,
    newSources: null,
    ...overrides,
  };
}

/** A new delivery whose first attempt is due at `due`. */
export function makeDelivery(
  id: string,
  due: Date,
  overrides: Partial<WebhookDeliveryJson> = {},
): WebhookDeliveryJson {
  const taskId = overrides.taskId ?? TASK;
  const run = overrides.run ?? 1;
  return {
    id,
    taskId,
    run,
    url: "https://receiver.example/hook",
    status: "pending",
    attempts: [],
    nextAttemptAt: due.toISOString(),
    createdAt: due.toISOString(),
    payload: {
      type: "task.finished",
      deliveryId: id,
      taskId,
      run,
      status: "completed",
      reportLength: 1234,
      error: null,
      scheduleId: null,
      finishedAt: due.toISOString(),
      links: webhookLinks(taskId),
    },
    ...overrides,
  };
}

const deliveryId = (digit: string) => digit.repeat(32);
const HOUR = 3_600_000;
const BASE = Date.UTC(2026, 2, 1, 12);

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error("waitFor: timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Ids and arguments that must never reach the disk or Redis. */
const BAD_IDS = [
  "../x",
  "..",
  ".",
  "",
  "a/b",
  "a\\b",
  "x".repeat(22),
  "abc:def",
  " abcdefghijklmnopqrstu",
  "%2e%2e",
];

export function describeScheduleStoreContract(label: string, makeHarness: () => ScheduleHarness): void {
  describe(`ScheduleStore contract: ${label}`, () => {
    const harness = makeHarness();
    const opened: TaskStore[] = [];
    let sharedCounter = 0;

    async function processes(count: number): Promise<{ shared: string; stores: TaskStore[] }> {
      sharedCounter += 1;
      const shared = `${label}-${sharedCounter}-${Date.now()}`;
      const stores: TaskStore[] = [];
      for (let index = 0; index < count; index++) stores.push(await harness.create(shared));
      opened.push(...stores);
      return { shared, stores };
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
      await harness.cleanup?.();
    });

    describe("schedules", () => {
      it("creates, reads, lists oldest first, counts, updates and deletes", async () => {
        const {
          stores: [a, b],
        } = await processes(2);
        const first = makeSchedule({ createdAt: "2026-01-01T00:00:02.000Z" });
        const second = makeSchedule({
          createdAt: "2026-01-01T00:00:01.000Z",
          webhook: { url: "https://x.example/h" },
        });
        expect(await a!.schedules.createSchedule(first)).toEqual({ created: true, schedule: first });
        await a!.schedules.createSchedule(second);
        expect(await b!.schedules.createSchedule({ ...first, name: "other" })).toEqual({
          created: false,
          schedule: first,
        });
        expect(await b!.schedules.getSchedule(first.id)).toEqual(first);
        expect((await b!.schedules.listSchedules()).map((schedule) => schedule.id)).toEqual([
          second.id,
          first.id,
        ]);
        expect(await b!.schedules.countSchedules()).toBe(2);
        const renamed = { ...first, name: "Renamed", enabled: false, lastFireAt: "2030-01-01T00:00:00.000Z" };
        expect(await b!.schedules.updateSchedule(renamed)).toBe(true);
        const { lastFireAt: _ignored, ...stored } = renamed;
        expect(await a!.schedules.getSchedule(first.id)).toEqual(stored);
        expect(await a!.schedules.deleteSchedule(first.id)).toBe(true);
        expect(await a!.schedules.deleteSchedule(first.id)).toBe(false);
        expect(await b!.schedules.getSchedule(first.id)).toBeNull();
        expect(await b!.schedules.updateSchedule(renamed)).toBe(false);
        expect(await b!.schedules.getSchedule(first.id)).toBeNull();
        expect(await b!.schedules.countSchedules()).toBe(1);
      });

      it("refuses a record that is not a schedule", async () => {
        const {
          stores: [a],
        } = await processes(1);
        await expect(
          a!.schedules.createSchedule({ ...makeSchedule(), missed: "always" } as unknown as ScheduleJson),
        ).rejects.toMatchObject({ code: "invalid_request", message: expect.stringContaining("missed") });
      });
    });

    describe("claimFire", () => {
      it("grants exactly one of 100 concurrent claims of one fire from 3 processes", async () => {
        const { stores } = await processes(3);
        const schedule = makeSchedule();
        await stores[0]!.schedules.createSchedule(schedule);
        const fire = BASE;
        const claims = Array.from({ length: 100 }, (_, index) =>
          stores[index % 3]!.schedules.claimFire(schedule.id, fire, `owner-${index % 3}`),
        );
        const results = await Promise.all(claims);
        expect(results.filter(Boolean)).toHaveLength(1);
        // Later claims of the same fire lose too.
        for (const store of stores)
          expect(await store.schedules.claimFire(schedule.id, fire, "late")).toBe(false);
        expect((await stores[2]!.schedules.getSchedule(schedule.id))?.lastFireAt).toBe(
          new Date(fire).toISOString(),
        );
      });

      it("grants one claim per fire, each fire independently, over many fires from 3 processes", async () => {
        const { stores } = await processes(3);
        const schedule = makeSchedule();
        await stores[0]!.schedules.createSchedule(schedule);
        const fires = Array.from({ length: 40 }, (_, index) => BASE + index * 60_000);
        const results = await Promise.all(
          fires.flatMap((fire) =>
            stores.map(async (store, index) => ({
              fire,
              won: await store.schedules.claimFire(schedule.id, fire, `owner-${index}`),
            })),
          ),
        );
        for (const fire of fires) {
          expect(results.filter((result) => result.fire === fire && result.won)).toHaveLength(1);
        }
        expect((await stores[1]!.schedules.getSchedule(schedule.id))?.lastFireAt).toBe(
          new Date(fires.at(-1)!).toISOString(),
        );
      });

      it("keeps claims of two schedules apart, and refuses fires of a missing or deleted schedule", async () => {
        const {
          stores: [a, b],
        } = await processes(2);
        const one = makeSchedule();
        const two = makeSchedule();
        await a!.schedules.createSchedule(one);
        await a!.schedules.createSchedule(two);
        expect(await a!.schedules.claimFire(one.id, BASE, "a")).toBe(true);
        expect(await b!.schedules.claimFire(two.id, BASE, "b")).toBe(true);
        expect(await b!.schedules.claimFire(makeSchedule().id, BASE, "b")).toBe(false);
        await a!.schedules.deleteSchedule(one.id);
        expect(await b!.schedules.claimFire(one.id, BASE + HOUR, "b")).toBe(false);
        expect(await b!.schedules.getSchedule(one.id)).toBeNull();
      });

      it("refuses a fire older than the claim horizon behind the latest claim (its claim may be forgotten)", async () => {
        const {
          stores: [a],
        } = await processes(1);
        const schedule = makeSchedule();
        await a!.schedules.createSchedule(schedule);
        expect(await a!.schedules.claimFire(schedule.id, BASE, "a")).toBe(true);
        expect(await a!.schedules.claimFire(schedule.id, BASE + FIRE_CLAIM_HORIZON_MS + HOUR, "a")).toBe(
          true,
        );
        expect(await a!.schedules.claimFire(schedule.id, BASE, "a")).toBe(false);
        expect(await a!.schedules.claimFire(schedule.id, BASE + HOUR / 2, "a")).toBe(false);
        // Within the horizon an unclaimed earlier fire is still its own fire.
        expect(await a!.schedules.claimFire(schedule.id, BASE + FIRE_CLAIM_HORIZON_MS, "a")).toBe(true);
        expect((await a!.schedules.getSchedule(schedule.id))?.lastFireAt).toBe(
          new Date(BASE + FIRE_CLAIM_HORIZON_MS + HOUR).toISOString(),
        );
      });
    });

    describe("run records", () => {
      it("pages newest first, replaces a fire's record, prunes, and answers nothing for a missing schedule", async () => {
        const {
          stores: [a, b],
        } = await processes(2);
        const schedule = makeSchedule();
        await a!.schedules.createSchedule(schedule);
        const fires = Array.from({ length: 25 }, (_, index) => BASE + index * HOUR);
        await Promise.all(
          fires.map((fire, index) =>
            (index % 2 ? a : b)!.schedules.saveRun(makeRun(schedule.id, fire, { run: index + 1 })),
          ),
        );
        const ended = makeRun(schedule.id, fires[24]!, {
          run: 25,
          endedAt: new Date(fires[24]! + 5000).toISOString(),
          durationMs: 4900,
          success: true,
          reportLength: 900,
          sources: 7,
          newSources: 2,
        });
        expect(await b!.schedules.saveRun(ended)).toBe(true);

        const first = await b!.schedules.listRuns(schedule.id, { limit: 10 });
        expect(first.runs.map((run) => run.run)).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
        expect(first.runs[0]).toEqual(ended);
        const second = await a!.schedules.listRuns(schedule.id, { limit: 10, before: first.nextCursor! });
        expect(second.runs.map((run) => run.run)).toEqual([15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
        const third = await a!.schedules.listRuns(schedule.id, { limit: 10, before: second.nextCursor! });
        expect(third.runs.map((run) => run.run)).toEqual([5, 4, 3, 2, 1]);
        expect(third.nextCursor).toBeNull();

        expect(await a!.schedules.pruneRuns(schedule.id, new Date(fires[5]!).toISOString())).toBe(5);
        expect((await b!.schedules.listRuns(schedule.id, { limit: 100 })).runs).toHaveLength(20);

        await a!.schedules.deleteSchedule(schedule.id);
        expect(await b!.schedules.listRuns(schedule.id)).toEqual({ runs: [], nextCursor: null });
        expect(await b!.schedules.saveRun(makeRun(schedule.id, BASE))).toBe(false);
        await expect(b!.schedules.listRuns(schedule.id, { limit: 0 })).rejects.toMatchObject({
          code: "invalid_request",
        });
      });
    });

    describe("webhook deliveries", () => {
      it("creates one delivery per id however many processes create it, and lists by task", async () => {
        const { stores } = await processes(3);
        const due = new Date(BASE);
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, index) =>
            stores[index % 3]!.schedules.createDelivery(makeDelivery(deliveryId("a"), due)),
          ),
        );
        expect(results.filter((result) => result.created)).toHaveLength(1);
        await stores[1]!.schedules.createDelivery(
          makeDelivery(deliveryId("b"), new Date(BASE + 1000), { run: 2 }),
        );
        await stores[1]!.schedules.createDelivery(makeDelivery(deliveryId("c"), due, { taskId: OTHER_TASK }));
        expect((await stores[2]!.schedules.listDeliveries(TASK)).map((delivery) => delivery.id)).toEqual([
          deliveryId("a"),
          deliveryId("b"),
        ]);
        expect(await stores[0]!.schedules.getDelivery(deliveryId("a"))).toEqual(
          makeDelivery(deliveryId("a"), due),
        );
        expect(await stores[0]!.schedules.getDelivery(deliveryId("d"))).toBeNull();
      });

      it("lists due deliveries earliest first, and grants one attempt to one process", async () => {
        const { stores } = await processes(3);
        const [a, b, c] = stores as [TaskStore, TaskStore, TaskStore];
        await a.schedules.createDelivery(makeDelivery(deliveryId("1"), new Date(BASE + 2000)));
        await a.schedules.createDelivery(makeDelivery(deliveryId("2"), new Date(BASE + 1000), { run: 2 }));
        await a.schedules.createDelivery(makeDelivery(deliveryId("3"), new Date(BASE + 60_000), { run: 3 }));
        expect(await b.schedules.listDueDeliveries(new Date(BASE), 10)).toEqual([]);
        expect(
          (await b.schedules.listDueDeliveries(new Date(BASE + 5000), 10)).map((delivery) => delivery.id),
        ).toEqual([deliveryId("2"), deliveryId("1")]);
        expect(await b.schedules.listDueDeliveries(new Date(BASE + 5000), 1)).toHaveLength(1);

        // Not due yet: nobody may claim it.
        expect(
          await c.schedules.claimDeliveryAttempt(deliveryId("3"), "c", {
            now: new Date(BASE),
            leaseMs: 60_000,
          }),
        ).toBeNull();

        const now = new Date(BASE + 5000);
        const claims = await Promise.all(
          Array.from({ length: 30 }, (_, index) =>
            stores[index % 3]!.schedules.claimDeliveryAttempt(deliveryId("1"), `owner-${index % 3}`, {
              now,
              leaseMs: 60_000,
            }),
          ),
        );
        const granted = claims.filter((claim) => claim !== null);
        expect(granted).toHaveLength(1);
        const claim = granted[0]!;
        expect(claim).toMatchObject({ deliveryId: deliveryId("1"), attempt: 1, generation: 1 });
        expect(claim.delivery.payload.reportLength).toBe(1234);

        const failed = await b.schedules.recordDeliveryAttempt(claim, {
          attempt: { at: now.toISOString(), status: 503, error: "HTTP 503" },
          delivered: false,
          nextAttemptAt: new Date(BASE + 15_000).toISOString(),
        });
        expect(failed).toMatchObject({
          status: "pending",
          nextAttemptAt: new Date(BASE + 15_000).toISOString(),
        });
        expect(failed?.attempts).toEqual([{ at: now.toISOString(), status: 503, error: "HTTP 503" }]);
        // Recorded once: the same claim cannot record again.
        expect(
          await a.schedules.recordDeliveryAttempt(claim, {
            attempt: { at: now.toISOString(), status: 200 },
            delivered: true,
            nextAttemptAt: null,
          }),
        ).toBeNull();
        // The retry is not due yet, then is, for one process again.
        expect(
          await c.schedules.claimDeliveryAttempt(deliveryId("1"), "c", { now, leaseMs: 60_000 }),
        ).toBeNull();
        const later = new Date(BASE + 20_000);
        const second = await Promise.all(
          stores.map((store, index) =>
            store.schedules.claimDeliveryAttempt(deliveryId("1"), `owner-${index}`, {
              now: later,
              leaseMs: 60_000,
            }),
          ),
        );
        const retry = second.filter((claim) => claim !== null);
        expect(retry).toHaveLength(1);
        expect(retry[0]).toMatchObject({ attempt: 2, generation: 1 });
        const delivered = await c.schedules.recordDeliveryAttempt(retry[0]!, {
          attempt: { at: later.toISOString(), status: 204 },
          delivered: true,
          nextAttemptAt: null,
        });
        expect(delivered).toMatchObject({ status: "delivered", nextAttemptAt: null });
        expect(delivered?.attempts).toHaveLength(2);
        expect(await a.schedules.getDelivery(deliveryId("1"))).toEqual(delivered);
        // Delivered: never due, never claimable again.
        expect((await a.schedules.listDueDeliveries(new Date(BASE + HOUR), 10)).map((d) => d.id)).toEqual([
          deliveryId("2"),
          deliveryId("3"),
        ]);
        expect(
          await a.schedules.claimDeliveryAttempt(deliveryId("1"), "a", {
            now: new Date(BASE + HOUR),
            leaseMs: 1000,
          }),
        ).toBeNull();
      });

      it("lets another process claim an attempt whose holder died, after the lease, and fences the old holder", async () => {
        const {
          stores: [a, b],
        } = await processes(2);
        await a!.schedules.createDelivery(makeDelivery(deliveryId("e"), new Date(BASE)));
        const now = new Date(BASE + 1000);
        const leaseMs = 300;
        const dead = await a!.schedules.claimDeliveryAttempt(deliveryId("e"), "a", { now, leaseMs });
        expect(dead).toMatchObject({ attempt: 1, generation: 1 });
        expect(await b!.schedules.claimDeliveryAttempt(deliveryId("e"), "b", { now, leaseMs })).toBeNull();
        const startedWaiting = Date.now();
        const taken = await waitFor(() =>
          b!.schedules.claimDeliveryAttempt(deliveryId("e"), "b", { now, leaseMs }),
        );
        expect(Date.now() - startedWaiting).toBeGreaterThanOrEqual(leaseMs - 50);
        expect(taken).toMatchObject({ attempt: 1, generation: 2, ownerId: "b" });
        const recorded = await b!.schedules.recordDeliveryAttempt(taken, {
          attempt: { at: now.toISOString(), error: "connection refused" },
          delivered: false,
          nextAttemptAt: null,
        });
        expect(recorded).toMatchObject({ status: "failed", nextAttemptAt: null });
        // The old holder comes back: its outcome is refused, nothing changes.
        expect(
          await a!.schedules.recordDeliveryAttempt(dead!, {
            attempt: { at: now.toISOString(), status: 200 },
            delivered: true,
            nextAttemptAt: null,
          }),
        ).toBeNull();
        expect(await a!.schedules.getDelivery(deliveryId("e"))).toEqual(recorded);
        expect(await a!.schedules.listDueDeliveries(new Date(BASE + HOUR), 10)).toEqual([]);
      });

      it("records an expired claim's late outcome when nobody claimed the attempt again", async () => {
        const {
          stores: [a],
        } = await processes(1);
        await a!.schedules.createDelivery(makeDelivery(deliveryId("f"), new Date(BASE)));
        const claim = await a!.schedules.claimDeliveryAttempt(deliveryId("f"), "a", {
          now: new Date(BASE),
          leaseMs: 50,
        });
        await new Promise((resolve) => setTimeout(resolve, 120));
        const recorded = await a!.schedules.recordDeliveryAttempt(claim!, {
          attempt: { at: new Date(BASE).toISOString(), status: 200 },
          delivered: true,
          nextAttemptAt: null,
        });
        expect(recorded?.status).toBe("delivered");
      });

      it("deletes a task's deliveries", async () => {
        const {
          stores: [a, b],
        } = await processes(2);
        await a!.schedules.createDelivery(makeDelivery(deliveryId("7"), new Date(BASE)));
        await a!.schedules.createDelivery(
          makeDelivery(deliveryId("8"), new Date(BASE), { taskId: OTHER_TASK }),
        );
        expect(await b!.schedules.deleteDeliveries(TASK)).toBe(1);
        expect(await a!.schedules.listDeliveries(TASK)).toEqual([]);
        expect(await a!.schedules.getDelivery(deliveryId("7"))).toBeNull();
        expect(await a!.schedules.listDueDeliveries(new Date(BASE + 1), 10)).toHaveLength(1);
      });
    });

    describe("webhook subscriptions", () => {
      it("keeps each run's URLs once, across processes, up to the limit", async () => {
        const {
          stores: [a, b, c],
        } = await processes(3);
        const url = (n: number) => `https://hooks.example.com/run/${n}?token=t${n}`;
        expect(await a!.schedules.listSubscriptions(TASK, 1)).toEqual([]);
        // The same URL added at once by three processes: one "added".
        const results = await Promise.all(
          [a, b, c, a, b, c].map((store) => store!.schedules.addSubscription(TASK, 1, url(1), 3)),
        );
        expect(results.filter((result) => result === "added")).toHaveLength(1);
        expect(results.filter((result) => result === "exists")).toHaveLength(5);
        expect(await b!.schedules.addSubscription(TASK, 1, url(2), 3)).toBe("added");
        expect(await c!.schedules.addSubscription(TASK, 1, url(3), 3)).toBe("added");
        expect(await a!.schedules.addSubscription(TASK, 1, url(4), 3)).toBe("full");
        expect(await a!.schedules.addSubscription(TASK, 1, url(3), 3)).toBe("exists");
        // Runs and tasks are apart.
        expect(await a!.schedules.addSubscription(TASK, 2, url(4), 3)).toBe("added");
        expect(await a!.schedules.addSubscription(OTHER_TASK, 1, url(4), 3)).toBe("added");
        expect(await c!.schedules.listSubscriptions(TASK, 1)).toEqual([url(1), url(2), url(3)]);
        expect(await c!.schedules.listSubscriptions(TASK, 2)).toEqual([url(4)]);
        expect(await c!.schedules.listSubscriptions(TASK, 3)).toEqual([]);
        // Deleting a task's deliveries removes its subscriptions, not another task's.
        await b!.schedules.deleteDeliveries(TASK);
        expect(await a!.schedules.listSubscriptions(TASK, 1)).toEqual([]);
        expect(await a!.schedules.listSubscriptions(TASK, 2)).toEqual([]);
        expect(await a!.schedules.listSubscriptions(OTHER_TASK, 1)).toEqual([url(4)]);
      });

      it("refuses what is not a task id, a run, an http(s) URL or a limit, writing nothing", async () => {
        const {
          shared,
          stores: [a],
        } = await processes(1);
        const before = await harness.footprint(shared);
        const bad: [string, number, string, number][] = [
          ["../etc", 1, "https://a.example/", 3],
          [TASK, 0, "https://a.example/", 3],
          [TASK, 1.5, "https://a.example/", 3],
          [TASK, 1, "file:///etc/passwd", 3],
          [TASK, 1, " https://a.example/", 3],
          [TASK, 1, `https://a.example/${"x".repeat(2001)}`, 3],
          [TASK, 1, "https://a.example/", 0],
        ];
        for (const [taskId, run, url, limit] of bad) {
          await expect(a!.schedules.addSubscription(taskId, run, url, limit)).rejects.toMatchObject({
            code: "invalid_request",
          });
        }
        await expect(a!.schedules.listSubscriptions("../etc", 1)).rejects.toMatchObject({
          code: "invalid_request",
        });
        expect(await harness.footprint(shared)).toEqual(before);
      });
    });

    describe("ids before paths and keys", () => {
      it("refuses every id that is not one, writing nothing", async () => {
        const {
          shared,
          stores: [a],
        } = await processes(1);
        const schedule = makeSchedule();
        await a!.schedules.createSchedule(schedule);
        const before = await harness.footprint(shared);
        const now = new Date(BASE);
        for (const bad of BAD_IDS) {
          const calls: Promise<unknown>[] = [
            a!.schedules.getSchedule(bad),
            a!.schedules.deleteSchedule(bad),
            a!.schedules.createSchedule({ ...makeSchedule(), id: bad }),
            a!.schedules.updateSchedule({ ...schedule, id: bad }),
            a!.schedules.claimFire(bad, BASE, "a"),
            a!.schedules.saveRun(makeRun(bad, BASE)),
            a!.schedules.listRuns(bad),
            a!.schedules.pruneRuns(bad, now.toISOString()),
            a!.schedules.getDelivery(bad),
            a!.schedules.listDeliveries(bad),
            a!.schedules.deleteDeliveries(bad),
            a!.schedules.claimDeliveryAttempt(bad, "a", { now, leaseMs: 1000 }),
            a!.schedules.createDelivery(makeDelivery(bad, now)),
            a!.schedules.createDelivery(makeDelivery(deliveryId("9"), now, { taskId: bad })),
          ];
          for (const call of calls) {
            await expect(call, bad).rejects.toMatchObject({ code: "invalid_request" });
          }
        }
        for (const owner of ["", "a/b", "a:b", "x".repeat(65), "a b"]) {
          await expect(a!.schedules.claimFire(schedule.id, BASE, owner)).rejects.toMatchObject({
            code: "invalid_request",
          });
        }
        for (const fire of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(a!.schedules.claimFire(schedule.id, fire, "a")).rejects.toMatchObject({
            code: "invalid_request",
          });
        }
        expect(await harness.footprint(shared)).toEqual(before);
      });
    });
  });
}
