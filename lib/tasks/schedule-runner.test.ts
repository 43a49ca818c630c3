import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isAppError } from "../errors";
import { createLogger, silentLogger } from "../log";
import type { ResearchRequestBody } from "../model/request";
import {
  newSchedule,
  type ScheduleJson,
  type ScheduleRunJson,
  scheduleCreateSchema,
} from "../model/schedule";
import { isFinished, newTaskJson, previousRunOf, type TaskJson, type TaskStatus } from "../model/task-json";
import { MemoryTaskStore, MemoryVolume } from "../store/memory-store";
import type { ScheduleStore } from "../store/schedules/types";
import { ScheduleRunner, type ScheduleTasks, skippedText } from "./schedule-runner";
import { ScheduleService } from "./schedule-service";
import type { SubmitOptions, SubmitResult } from "./task-manager";

/**
 * The scheduler against the in-memory store with an injected clock: ticks
 * are called by the test at the instants it chooses, and the tasks are a
 * table the test finishes by hand (what a run does is the manager's).
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Tasks as the manager keeps them, reduced to what the scheduler sees: one per request, runs counted. */
class FakeTasks implements ScheduleTasks {
  readonly tasks = new Map<string, TaskJson>();
  /** Submissions that started a run (a new task or a fresh run). */
  runsStarted = 0;
  /** The next fresh run of a finished task is not started (another process holds the task). */
  holdNext = false;

  idOf(body: ResearchRequestBody): string {
    return createHash("sha256").update(body.query).digest("hex").slice(0, 32);
  }

  async identify(body: ResearchRequestBody): Promise<{ id: string }> {
    return { id: this.idOf(body) };
  }

  async submit(
    body: ResearchRequestBody,
    _requestId: string,
    options?: SubmitOptions,
  ): Promise<SubmitResult> {
    const id = this.idOf(body);
    const existing = this.tasks.get(id);
    if (!existing) {
      const task = newTaskJson({ id, request: body as TaskJson["request"], priority: 0, now: "x" });
      task.status = "running";
      this.tasks.set(id, task);
      this.runsStarted += 1;
      return { task, created: true };
    }
    if (body.fresh && isFinished(existing.status) && this.holdNext) {
      this.holdNext = false;
      return { task: existing, created: false };
    }
    if (body.fresh && isFinished(existing.status)) {
      expect(options?.newRun).toBe(true);
      existing.previousRun = previousRunOf(existing) ?? existing.previousRun ?? null;
      existing.run += 1;
      existing.status = "running";
      existing.result = null;
      existing.error = null;
      this.runsStarted += 1;
    }
    return { task: existing, created: false };
  }

  async getTask(id: string): Promise<TaskJson | null> {
    return this.tasks.get(id) ?? null;
  }

  /** Ends the current run of every task that runs. */
  finishAll(status: TaskStatus = "completed", at = "2025-01-01T00:00:00.000Z"): void {
    for (const task of this.tasks.values()) {
      if (isFinished(task.status)) continue;
      task.status = status;
      task.finishedAt = at;
      task.result =
        status === "completed" ? { reportLength: 42, sources: [source(1), source(2)], learnings: [] } : null;
      task.error =
        status === "failed" ? { code: "provider_error", message: "it broke: api_key=sekrit" } : null;
    }
  }
}

function source(number: number) {
  return { number, title: `Source ${number}`, passages: [] };
}

const request = { query: "What did presidents say about tariffs?", depth: 1, breadth: 1 };

function makeSchedule(
  fields: Partial<Omit<ScheduleJson, "createdAt">> & { cron: string; createdAt: number },
): ScheduleJson {
  const input = scheduleCreateSchema({ minIntervalS: 1, now: fields.createdAt }).parse({
    name: "tariffs",
    request,
    cron: fields.cron,
    timezone: fields.timezone ?? "UTC",
    missed: fields.missed ?? "once",
  });
  const id = `sched${String(Math.random()).slice(2, 18).padEnd(16, "0")}`;
  return newSchedule(input, id, new Date(fields.createdAt));
}

/** One "process": its own store view of the shared volume, and its runner with the shared clock. */
function process_(volume: MemoryVolume, tasks: FakeTasks, clock: Clock, ownerId: string, graceMs?: number) {
  const store = new MemoryTaskStore({ volume, leaseTtlMs: 1000 });
  const runner = new ScheduleRunner({
    schedules: store.schedules,
    tasks,
    logger: silentLogger,
    ownerId,
    redact: (text) => text.replace(/sekrit/g, "[redacted]"),
    tickMs: 1000,
    ...(graceMs !== undefined ? { graceMs } : {}),
    recoverAfterMs: 60_000,
    now: () => clock.wall,
    monotonic: () => clock.mono,
  });
  return { store: store.schedules, runner };
}

interface Clock {
  wall: number;
  mono: number;
}

function setup(options: { processes?: number; graceMs?: number } = {}) {
  const volume = new MemoryVolume();
  const tasks = new FakeTasks();
  const clock: Clock = { wall: 0, mono: 0 };
  const processes = Array.from({ length: options.processes ?? 1 }, (_, index) =>
    process_(volume, tasks, clock, `owner-${index}`, options.graceMs),
  );
  const store = processes[0]!.store;
  /** Moves both clocks to `wall` and ticks every process, all at once. */
  const tickAt = async (wall: number) => {
    clock.mono += Math.max(0, wall - clock.wall);
    clock.wall = wall;
    await Promise.all(processes.map(({ runner }) => runner.tick()));
  };
  return { volume, tasks, clock, processes, store, tickAt };
}

async function allRuns(store: ScheduleStore, id: string): Promise<ScheduleRunJson[]> {
  return (await store.listRuns(id, { limit: 100 })).runs.reverse();
}

const T0 = Date.UTC(2025, 0, 6, 9, 0, 0); // a Monday, 09:00 UTC

describe("ScheduleRunner", () => {
  it("fires on time, once per fire across processes, and records each run's end", async () => {
    const { tasks, store, tickAt } = setup({ processes: 3 });
    const schedule = makeSchedule({ cron: "0 * * * *", createdAt: T0 });
    await store.createSchedule(schedule);

    await tickAt(T0 + 30 * MINUTE);
    expect(await allRuns(store, schedule.id)).toEqual([]);

    for (let hour = 1; hour <= 3; hour++) {
      await tickAt(T0 + hour * HOUR + 400);
      const runs = await allRuns(store, schedule.id);
      expect(runs).toHaveLength(hour);
      const run = runs.at(-1)!;
      expect(run).toMatchObject({
        fireTime: new Date(T0 + hour * HOUR).toISOString(),
        run: hour,
        taskId: tasks.idOf(request),
        started: true,
        catchUp: false,
        manual: false,
        endedAt: null,
        success: null,
      });
      tasks.finishAll("completed", new Date(T0 + hour * HOUR + 5000).toISOString());
      await tickAt(T0 + hour * HOUR + 1400);
      const ended = (await allRuns(store, schedule.id)).at(-1)!;
      expect(ended).toMatchObject({
        success: true,
        reportLength: 42,
        sources: 2,
        durationMs: 4600,
        error: null,
      });
    }
    // Three processes ticked at every instant: one run per fire, one task.
    expect(tasks.runsStarted).toBe(3);
    expect(tasks.tasks.size).toBe(1);
    expect((await store.getSchedule(schedule.id))?.lastFireAt).toBe(new Date(T0 + 3 * HOUR).toISOString());
  });

  it("records a failed run with its error redacted", async () => {
    const { tasks, store, tickAt } = setup();
    const schedule = makeSchedule({ cron: "0 * * * *", createdAt: T0 });
    await store.createSchedule(schedule);
    await tickAt(T0 + HOUR);
    tasks.finishAll("failed");
    await tickAt(T0 + HOUR + 1000);
    const [run] = await allRuns(store, schedule.id);
    expect(run).toMatchObject({ success: false, error: "it broke: api_key=[redacted]" });
    // The next fire is a new run of the failed task (not a retry of it).
    await tickAt(T0 + 2 * HOUR);
    expect((await allRuns(store, schedule.id)).at(-1)).toMatchObject({ run: 2, started: true });
  });

  it("records a fire whose submission started no new run as refused, not as the previous run again", async () => {
    const { tasks, store, tickAt } = setup();
    const schedule = makeSchedule({ cron: "0 * * * *", createdAt: T0 });
    await store.createSchedule(schedule);
    await tickAt(T0 + HOUR);
    tasks.finishAll();
    // The run ended, but the task is still held elsewhere: the submission answers with run 1 as it was.
    tasks.holdNext = true;
    await tickAt(T0 + 2 * HOUR);
    tasks.finishAll();
    await tickAt(T0 + 3 * HOUR);
    const runs = await allRuns(store, schedule.id);
    expect(runs.map((run) => run.run)).toEqual([1, null, 2]);
    expect(runs[1]).toMatchObject({ success: false, error: "previous run still running" });
    expect(tasks.runsStarted).toBe(2);
  });

  it("completes the record of a run that ended and was followed by the next before it looked", async () => {
    const { tasks, store, tickAt } = setup();
    const schedule = makeSchedule({ cron: "0 * * * *", createdAt: T0 });
    await store.createSchedule(schedule);
    await tickAt(T0 + HOUR);
    tasks.finishAll("completed", "2025-01-06T10:00:30.000Z");
    // Someone else starts run 2 before the runner's next look at run 1.
    await tasks.submit({ ...request, fresh: true }, "client", { newRun: true });
    await tickAt(T0 + HOUR + 1000);
    const [first] = await allRuns(store, schedule.id);
    expect(first).toMatchObject({
      run: 1,
      success: true,
      error: null,
      endedAt: "2025-01-06T10:00:30.000Z",
      reportLength: 42,
      sources: 2,
    });
  });

  it("skips a fire while the previous run still runs, without touching it", async () => {
    const { tasks, store, tickAt } = setup();
    const schedule = makeSchedule({ cron: "0 * * * *", createdAt: T0 });
    await store.createSchedule(schedule);
    await tickAt(T0 + HOUR);
    await tickAt(T0 + 2 * HOUR);
    const runs = await allRuns(store, schedule.id);
    expect(runs.map((run) => run.run)).toEqual([1, null]);
    expect(runs[1]).toMatchObject({ success: false, error: "previous run still running", durationMs: 0 });
    expect(tasks.runsStarted).toBe(1);
    expect(tasks.tasks.get(tasks.idOf(request))?.status).toBe("running");
  });

  it("after a downtime, `skip` passes the missed fires over and `once` runs one catch-up", async () => {
    for (const missed of ["skip", "once"] as const) {
      const { tasks, store, tickAt } = setup();
      const schedule = makeSchedule({ cron: "0 * * * *", createdAt: T0, missed });
      await store.createSchedule(schedule);
      // Every process was down from T0 until 5 h 30 min later: 5 fires passed.
      await tickAt(T0 + 5 * HOUR + 30 * MINUTE);
      const runs = await allRuns(store, schedule.id);
      if (missed === "skip") {
        // One record says what was skipped; nothing ran.
        expect(runs).toHaveLength(1);
        expect(runs[0]).toMatchObject({
          fireTime: new Date(T0 + 5 * HOUR).toISOString(),
          catchUp: true,
          run: null,
          taskId: null,
          success: false,
          error: skippedText(5),
        });
        expect(runs[0]!.endedAt).not.toBeNull();
        expect(tasks.runsStarted).toBe(0);
      } else {
        expect(runs).toHaveLength(1);
        expect(runs[0]).toMatchObject({
          fireTime: new Date(T0 + 5 * HOUR).toISOString(),
          catchUp: true,
          run: 1,
        });
      }
      tasks.finishAll();
      await tickAt(T0 + 6 * HOUR + 500);
      const after = await allRuns(store, schedule.id);
      expect(after.at(-1)).toMatchObject({ fireTime: new Date(T0 + 6 * HOUR).toISOString(), catchUp: false });
      expect(after).toHaveLength(2);
    }
  });

  it("`skip` records missed fires once: later ticks neither record nor log them again", async () => {
    const lines: string[] = [];
    const volume = new MemoryVolume();
    const tasks = new FakeTasks();
    const clock: Clock = { wall: 0, mono: 0 };
    const runners = [0, 1].map((index) => {
      const store = new MemoryTaskStore({ volume, leaseTtlMs: 1000 });
      return new ScheduleRunner({
        schedules: store.schedules,
        tasks,
        logger: createLogger({ level: "info", format: "json", write: (line) => lines.push(line) }),
        ownerId: `owner-${index}`,
        redact: (text) => text,
        tickMs: 1000,
        now: () => clock.wall,
        monotonic: () => clock.mono,
      });
    });
    const store = new MemoryTaskStore({ volume, leaseTtlMs: 1000 }).schedules;
    const schedule = makeSchedule({ cron: "0 0 * * *", createdAt: T0, missed: "skip" });
    await store.createSchedule(schedule);
    // Down across three daily fires; then both processes tick every second for a minute.
    for (let time = T0 + 3 * 24 * HOUR + HOUR; time < T0 + 3 * 24 * HOUR + HOUR + MINUTE; time += 1000) {
      clock.mono += 1000;
      clock.wall = time;
      await Promise.all(runners.map((runner) => runner.tick()));
    }
    const runs = await allRuns(store, schedule.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ run: null, catchUp: true, error: skippedText(3) });
    expect((await store.getSchedule(schedule.id))?.lastFireAt).toBe(runs[0]!.fireTime);
    const missedLines = lines.filter((line) => line.includes("schedule.fires_missed"));
    expect(missedLines).toHaveLength(1);
    expect(JSON.parse(missedLines[0]!)).toMatchObject({ skipped: 3, policy: "skip" });
    expect(tasks.runsStarted).toBe(0);
  });

  it("neither skips nor doubles a fixed-time fire across DST in America/New_York; an hourly one follows elapsed time", async () => {
    // Fires at most 11 min old are on time: ticks every 10 min see each one.
    const cases = [
      // Spring forward, 2025-03-09: 02:30 does not exist that day and fires at 03:00 EDT.
      {
        cron: "30 2 * * *",
        from: Date.UTC(2025, 2, 8, 17),
        expected: ["2025-03-09T07:00:00.000Z", "2025-03-10T06:30:00.000Z"],
      },
      // Fall back, 2025-11-02: 01:30 happens twice and fires once, on its first occurrence (EDT).
      {
        cron: "30 1 * * *",
        from: Date.UTC(2025, 10, 1, 16),
        expected: ["2025-11-02T05:30:00.000Z", "2025-11-03T06:30:00.000Z"],
      },
    ];
    for (const { cron, from, expected } of cases) {
      const { tasks, store, tickAt } = setup({ graceMs: 11 * MINUTE });
      const schedule = makeSchedule({ cron, timezone: "America/New_York", createdAt: from });
      await store.createSchedule(schedule);
      for (let time = from; time <= from + 40 * HOUR; time += 10 * MINUTE) {
        await tickAt(time);
        tasks.finishAll();
      }
      const runs = await allRuns(store, schedule.id);
      expect(runs.map((run) => run.fireTime)).toEqual(expected);
      expect(runs.map((run) => run.run)).toEqual([1, 2]);
    }
    // Hourly on the local day of the fall-back: 25 fires (the repeated hour is an hour of real time).
    const { tasks, store, tickAt } = setup({ graceMs: 11 * MINUTE });
    const dayStart = Date.UTC(2025, 10, 2, 4); // 00:00 EDT
    const schedule = makeSchedule({
      cron: "0 * * * *",
      timezone: "America/New_York",
      createdAt: dayStart - 1000,
    });
    await store.createSchedule(schedule);
    for (let time = dayStart; time < dayStart + 25 * HOUR; time += 10 * MINUTE) {
      await tickAt(time);
      tasks.finishAll();
    }
    expect(await allRuns(store, schedule.id)).toHaveLength(25);
  });

  it("a claim whose run never started is taken over once, after recoverAfterMs", async () => {
    const { tasks, store, tickAt, clock } = setup({ processes: 2 });
    const schedule = makeSchedule({ cron: "0 * * * *", createdAt: T0 });
    await store.createSchedule(schedule);
    // A process claims the fire and dies before it records or submits anything.
    clock.wall = T0 + HOUR;
    expect(await store.claimFire(schedule.id, T0 + HOUR, "dead")).toBe(true);
    await tickAt(T0 + HOUR + 1000);
    await tickAt(T0 + HOUR + 30_000);
    expect(await allRuns(store, schedule.id)).toEqual([]);
    await tickAt(T0 + HOUR + 62_000);
    const runs = await allRuns(store, schedule.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ fireTime: new Date(T0 + HOUR).toISOString(), run: 1, started: true });
    expect(tasks.runsStarted).toBe(1);
    // Recovered once: later ticks of both processes start nothing more.
    tasks.finishAll();
    await tickAt(T0 + HOUR + 200_000);
    expect(tasks.runsStarted).toBe(1);
    // The next fire is on time as usual.
    await tickAt(T0 + 2 * HOUR);
    expect((await allRuns(store, schedule.id)).map((run) => run.run)).toEqual([1, 2]);
  });

  it("a claimer that died after submitting is not run again: its run is adopted", async () => {
    const { tasks, store, tickAt } = setup();
    const schedule = makeSchedule({ cron: "0 * * * *", createdAt: T0 });
    await store.createSchedule(schedule);
    expect(await store.claimFire(schedule.id, T0 + HOUR, "dead")).toBe(true);
    await store.saveRun({
      scheduleId: schedule.id,
      fireTime: new Date(T0 + HOUR).toISOString(),
      run: 1,
      taskId: tasks.idOf(request),
      catchUp: false,
      manual: false,
      started: false,
      startedAt: new Date(T0 + HOUR).toISOString(),
      endedAt: null,
      durationMs: null,
      success: null,
      error: null,
      reportLength: null,
      sources: null,
      newSources: null,
    });
    await tasks.submit({ ...request, fresh: true }, "dead", { newRun: true });
    await tickAt(T0 + HOUR + 1000);
    await tickAt(T0 + HOUR + 70_000);
    expect(tasks.runsStarted).toBe(1);
    expect(await allRuns(store, schedule.id)).toMatchObject([{ run: 1, started: true, endedAt: null }]);
  });
});

describe("ScheduleService", () => {
  function service() {
    const context = setup();
    const [{ runner }] = context.processes as [(typeof context.processes)[number]];
    const schedules = new ScheduleService({
      schedules: context.store,
      tasks: context.tasks,
      runner,
      logger: silentLogger,
      minIntervalS: 60,
      maxSchedules: 2,
      now: () => context.clock.wall,
    });
    return { ...context, schedules };
  }

  async function create(schedules: ScheduleService, cron = "0 * * * *") {
    const input = schedules.createSchema().parse({ name: "tariffs", request, cron, timezone: "UTC" });
    return schedules.create(input);
  }

  it("pause stops the fires; resume does not catch up the paused ones, even with `once`", async () => {
    const { schedules, store, tickAt, clock } = service();
    clock.wall = T0;
    const created = await create(schedules);
    expect(created.nextFires).toHaveLength(5);
    expect(created.nextFireAt).toBe(new Date(T0 + HOUR).toISOString());
    await schedules.pause(created.id);
    expect((await schedules.get(created.id)).nextFireAt).toBeNull();
    for (let hour = 1; hour <= 3; hour++) await tickAt(T0 + hour * HOUR);
    expect(await allRuns(store, created.id)).toEqual([]);
    clock.wall = T0 + 3 * HOUR + 10 * MINUTE;
    await schedules.resume(created.id);
    await tickAt(T0 + 3 * HOUR + 11 * MINUTE);
    expect(await allRuns(store, created.id)).toEqual([]);
    await tickAt(T0 + 4 * HOUR);
    expect((await allRuns(store, created.id)).map((run) => run.fireTime)).toEqual([
      new Date(T0 + 4 * HOUR).toISOString(),
    ]);
  });

  it("run now is a claimed fire: a manual run, refused while the previous one runs", async () => {
    const { schedules, store, tasks, clock, tickAt } = service();
    clock.wall = T0;
    const created = await create(schedules);
    clock.wall = T0 + 10 * MINUTE + 123;
    const run = await schedules.runNow(created.id);
    expect(run).toMatchObject({ manual: true, run: 1, fireTime: new Date(T0 + 10 * MINUTE).toISOString() });
    const refusal = await schedules.runNow(created.id).catch((error: unknown) => error);
    expect(isAppError(refusal) && refusal.code).toBe("conflict");
    tasks.finishAll();
    await tickAt(T0 + 10 * MINUTE + 1000);
    expect((await schedules.get(created.id)).lastRun).toMatchObject({ success: true, manual: true });
    clock.wall = T0 + 20 * MINUTE;
    expect((await schedules.runNow(created.id)).run).toBe(2);
    expect((await allRuns(store, created.id)).map((entry) => entry.run)).toEqual([1, 2]);
  });

  it("refuses past MAX_SCHEDULES with its name, and hides the webhook URL", async () => {
    const { schedules } = service();
    const input = schedules.createSchema().parse({
      name: "hooked",
      request,
      cron: "0 9 * * *",
      timezone: "Europe/Berlin",
      webhook: { url: "https://hooks.example.com/secret-path?token=abc" },
    });
    const view = await schedules.create(input);
    expect(view.webhook).toEqual({ configured: true, host: "hooks.example.com" });
    expect(JSON.stringify(view)).not.toContain("secret-path");
    await create(schedules);
    const refusal = await create(schedules).catch((error: unknown) => error);
    expect(isAppError(refusal) && [refusal.code, refusal.limit]).toEqual([
      "insufficient_storage",
      "MAX_SCHEDULES",
    ]);
  });

  it("refuses an expression that fires too often, naming the field", () => {
    const { schedules } = service();
    const parsed = schedules
      .createSchema()
      .safeParse({ name: "x", request, cron: "*/10 * * * * *", timezone: "UTC" });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(["cron"]);
  });
});
