import { AppError, errorMessage } from "../errors";
import type { Logger } from "../log";
import type { ResearchRequestBody } from "../model/request";
import type { ScheduleJson, ScheduleRunJson } from "../model/schedule";
import { dueFires } from "../model/schedule-clock";
import { isFinished, type TaskJson } from "../model/task-json";
import type { Redact } from "../redact";
import type { ScheduleStore } from "../store/schedules/types";
import type { SubmitOptions, SubmitResult } from "./task-manager";

/** What the runner needs of the task manager. */
export interface ScheduleTasks {
  identify(body: ResearchRequestBody): Promise<{ id: string }>;
  submit(body: ResearchRequestBody, requestId: string, options?: SubmitOptions): Promise<SubmitResult>;
  getTask(id: string): Promise<TaskJson | null>;
}

/** A timer that calls back once after `ms`; returns its cancel. */
export type SetTimer = (callback: () => void, ms: number) => () => void;

/** Options of `ScheduleRunner`. */
export interface ScheduleRunnerOptions {
  schedules: ScheduleStore;
  tasks: ScheduleTasks;
  logger: Logger;
  /** This process's owner id (carried by its claims). */
  ownerId: string;
  /** Every error text passes it before it is stored. */
  redact: Redact;
  /** Time between ticks (SCHEDULE_TICK_MS). */
  tickMs: number;
  /** A fire at most this old when a tick sees it is on time; older ones are missed. Default max(10 s, 5 ticks). */
  graceMs?: number;
  /**
   * How long after a fire its claim may stay without a started run before
   * another process takes the fire over, in ms. Default 60,000: claiming and
   * submitting take milliseconds, and a claimer that paused half of this
   * long gives the fire up itself.
   */
  recoverAfterMs?: number;
  /** Run records older than this are removed (MAX_TASK_AGE_HOURS), in hours. Default: kept. */
  maxRunAgeHours?: number;
  /** How often old run records are pruned, in ms. Default one hour. */
  pruneEveryMs?: number;
  /** Wall clock in ms since the epoch (fire times are wall-clock times). Default `Date.now`. */
  now?: () => number;
  /** Monotonic clock in ms (how long this process held a claim). Default `performance.now`. */
  monotonic?: () => number;
  /** Default: `setTimeout`, unref'd. */
  setTimer?: SetTimer;
}

/** What `fire` did with a fire time. */
export type FireOutcome = { claimed: false } | { claimed: true; run: ScheduleRunJson };

const SECOND_MS = 1000;

/**
 * Fires schedules (docs/ARCHITECTURE.md, "Schedules and webhooks"). Every
 * process runs one; each tick it reads every schedule, works out the fires
 * due since the latest claim (`dueFires`, with the schedule's `missed`
 * policy) and claims each. The claim is exactly-once across processes, and
 * only its winner starts the fire's run: a fresh run of the schedule's task
 * (one task per request, a new run per fire, never a copy).
 *
 * Fires missed while every process was down follow the schedule's
 * `missed` (`dueFires`): under `once` the latest runs as the catch-up;
 * under `skip` the latest is claimed and recorded as not run (`#skip`).
 *
 * A fire while the previous run is still queued, running or paused starts
 * nothing: it is recorded with `run: null` and the error "previous run
 * still running" (the run is never interrupted, and fires do not pile up).
 *
 * A claimer that dies between the claim and the submission would lose the
 * fire, so the order is: claim, record the fire as not started (with the
 * run it expects to start), submit, record it started. Any process that
 * sees the latest claim without a started record for `recoverAfterMs`
 * (on its own monotonic clock, as lease watchers do) claims the fire again as `fire + 1 ms` (fires are whole seconds,
 * so that is never a fire of its own, and exactly one process wins it) and
 * starts the run, unless the task shows the expected run was started
 * already (the claimer died after submitting). A claimer that lost half
 * of `recoverAfterMs` on its own clock before submitting gives the fire up
 * rather than race a recovery. Only the latest claim is checked this way.
 *
 * A run record is completed when its run ends: every process follows the
 * open runs it started or saw, and writes the end from the task's snapshot
 * (the same record whichever process writes it).
 */
export class ScheduleRunner {
  readonly #options: ScheduleRunnerOptions;
  readonly #schedules: ScheduleStore;
  readonly #now: () => number;
  readonly #monotonic: () => number;
  readonly #graceMs: number;
  readonly #recoverAfterMs: number;
  /** Runs not ended yet, by `scheduleId:fireMs`. */
  readonly #open = new Map<string, ScheduleRunJson>();
  /** The latest claim of each schedule known to have its run started (or given up on). */
  readonly #settled = new Map<string, string>();
  /** A latest claim seen without a started run, and since when (monotonic ms), by schedule. */
  readonly #unstarted = new Map<string, { claimed: string; since: number }>();
  #ticking: Promise<void> | null = null;
  #cancelTimer: (() => void) | null = null;
  #stopped = true;
  #lastPrune = Number.NEGATIVE_INFINITY;

  constructor(options: ScheduleRunnerOptions) {
    if (!(options.tickMs > 0)) throw new Error(`tickMs: expected a positive number, got ${options.tickMs}`);
    this.#options = options;
    this.#schedules = options.schedules;
    this.#now = options.now ?? Date.now;
    this.#monotonic = options.monotonic ?? (() => performance.now());
    this.#graceMs = options.graceMs ?? Math.max(10_000, 5 * options.tickMs);
    this.#recoverAfterMs = options.recoverAfterMs ?? 60_000;
  }

  /** Ticks every `tickMs` until `stop` (a tick never overlaps the previous one). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const setTimer: SetTimer =
      this.#options.setTimer ??
      ((callback, ms) => {
        const timer = setTimeout(callback, ms);
        timer.unref();
        return () => clearTimeout(timer);
      });
    const loop = () => {
      this.#cancelTimer = setTimer(() => {
        void this.tick().finally(() => {
          if (!this.#stopped) loop();
        });
      }, this.#options.tickMs);
    };
    loop();
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    await this.#ticking;
  }

  /** One pass over every schedule (concurrent calls share one pass). */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    const { logger } = this.#options;
    try {
      const now = this.#now();
      const schedules = await this.#schedules.listSchedules();
      this.#forgetDeleted(new Set(schedules.map((schedule) => schedule.id)));
      for (const schedule of schedules) {
        try {
          await this.#tickSchedule(schedule, now);
        } catch (error) {
          logger.warn("schedule.tick_failed", { scheduleId: schedule.id, error: errorMessage(error) });
        }
      }
      await this.#followOpenRuns();
      await this.#prune(now);
    } catch (error) {
      // A store that cannot list now (Redis reconnecting) is tried again next tick.
      logger.warn("schedule.tick_failed", { error: errorMessage(error) });
    }
  }

  #forgetDeleted(ids: Set<string>): void {
    for (const map of [this.#settled, this.#unstarted]) {
      for (const id of map.keys()) if (!ids.has(id)) map.delete(id);
    }
  }

  async #tickSchedule(schedule: ScheduleJson, now: number): Promise<void> {
    if (schedule.enabled) {
      const after = Math.max(
        Date.parse(schedule.lastFireAt ?? schedule.createdAt),
        Date.parse(schedule.activeSince ?? schedule.createdAt),
      );
      const due = dueFires(schedule, { after, now, graceMs: this.#graceMs, missed: schedule.missed });
      if (due.latestSkipped !== null) {
        await this.#skip(schedule, due.latestSkipped, due.skipped);
      } else if (due.skipped > 0) {
        this.#options.logger.info("schedule.fires_missed", {
          scheduleId: schedule.id,
          skipped: due.skipped,
          policy: schedule.missed,
        });
      }
      for (const fire of due.fires) {
        await this.fire(schedule, fire, { catchUp: now - fire > this.#graceMs });
      }
    }
    await this.#checkLatestClaim(schedule);
  }

  /**
   * Claims fire `fireTime` (ms, whole seconds) of the schedule and, if this
   * process won it, starts its run. A run-now is such a fire at the current
   * second (`manual`).
   */
  async fire(
    schedule: ScheduleJson,
    fireTime: number,
    flags: { catchUp?: boolean; manual?: boolean } = {},
  ): Promise<FireOutcome> {
    if (fireTime % SECOND_MS !== 0) throw new Error(`fire times are whole seconds, got ${fireTime}`);
    const claimedAt = this.#monotonic();
    if (!(await this.#schedules.claimFire(schedule.id, fireTime, this.#options.ownerId))) {
      return { claimed: false };
    }
    this.#options.logger.info("schedule.fired", {
      scheduleId: schedule.id,
      fireTime: new Date(fireTime).toISOString(),
      ...flags,
    });
    const run = await this.#start(schedule, fireTime, {
      catchUp: flags.catchUp ?? false,
      manual: flags.manual ?? false,
      claimedAt,
    });
    return { claimed: true, run };
  }

  /**
   * Records fires missed under `missed: skip` (every process was down): the
   * latest of them is claimed like any fire, and its winner records it as
   * ended without a run (`run: null`, `success: false`, `catchUp: true`, the error saying how
   * many were skipped). So the history shows the skip once, and the claim
   * moves `lastFireAt` past the missed fires: later ticks count from there
   * rather than finding (and logging) the same missed fires again.
   */
  async #skip(schedule: ScheduleJson, fireTime: number, count: number): Promise<void> {
    if (!(await this.#schedules.claimFire(schedule.id, fireTime, this.#options.ownerId))) return;
    this.#options.logger.info("schedule.fires_missed", {
      scheduleId: schedule.id,
      skipped: count,
      policy: schedule.missed,
    });
    const at = new Date(this.#now()).toISOString();
    await this.#record({
      scheduleId: schedule.id,
      fireTime: new Date(fireTime).toISOString(),
      run: null,
      taskId: null,
      catchUp: true,
      manual: false,
      started: true,
      startedAt: at,
      endedAt: at,
      durationMs: 0,
      // As a fire refused while the previous run runs: not run (the page shows "Skipped").
      success: false,
      error: skippedText(count),
      reportLength: null,
      sources: null,
      newSources: null,
    });
  }

  /**
   * Starts the run of a claimed fire and records it. `pending` is the
   * not-started record a claimer that died left (recovery).
   */
  async #start(
    schedule: ScheduleJson,
    fireTime: number,
    context: { catchUp: boolean; manual: boolean; claimedAt: number; pending?: ScheduleRunJson },
  ): Promise<ScheduleRunJson> {
    const { tasks, redact } = this.#options;
    const startedAt = new Date(this.#now()).toISOString();
    const base: ScheduleRunJson = {
      scheduleId: schedule.id,
      fireTime: new Date(fireTime).toISOString(),
      run: null,
      taskId: null,
      catchUp: context.catchUp,
      manual: context.manual,
      started: true,
      startedAt,
      endedAt: null,
      durationMs: null,
      success: null,
      error: null,
      reportLength: null,
      sources: null,
      newSources: null,
    };
    const refused = (taskId: string | null, error: string): ScheduleRunJson => ({
      ...base,
      taskId,
      endedAt: startedAt,
      durationMs: 0,
      success: false,
      error: redact(error),
    });

    let taskId: string;
    try {
      taskId = (await tasks.identify(schedule.request)).id;
    } catch (error) {
      return this.#record(refused(null, errorMessage(error)));
    }
    const before = await tasks.getTask(taskId);
    const pending = context.pending;
    if (pending && pending.run !== null && before && before.run >= pending.run) {
      // The claimer that died had submitted: its run is this fire's run.
      return this.#record({ ...base, taskId, run: pending.run, startedAt: pending.startedAt });
    }
    if (before && !isFinished(before.status)) {
      const why = before.status === "paused" ? "previous run is paused" : "previous run still running";
      return this.#record(refused(taskId, why));
    }
    const expected = before ? before.run + 1 : 1;
    await this.#record({ ...base, taskId, run: expected, started: false });
    if (this.#monotonic() - context.claimedAt > this.#recoverAfterMs / 2) {
      // Too late to start safely: another process may be recovering this fire.
      this.#options.logger.warn("schedule.fire_abandoned", { scheduleId: schedule.id, fireTime });
      throw new AppError(
        "conflict",
        "The fire's claim is too old to start its run; it is left for recovery.",
      );
    }
    try {
      // The schedule's webhook is told when this fire's run ends (its request's own too).
      const { task } = await tasks.submit(
        {
          ...schedule.request,
          fresh: true,
          ...(schedule.webhook && !schedule.request.webhook ? { webhook: schedule.webhook } : {}),
        },
        `schedule:${schedule.id}:${fireTime}`,
        { newRun: true },
      );
      if (task.run < expected) {
        // No new run started: the previous one had ended but another process
        // still held the task (its runner saving the end, or a requeue), and
        // the submission answered with the task as it was. Recording its run
        // would count the previous run twice (seen with 100 fires a second).
        return this.#record(refused(taskId, "previous run still running"));
      }
      return this.#record({ ...base, taskId, run: task.run });
    } catch (error) {
      return this.#record(refused(taskId, errorMessage(error)));
    }
  }

  /** Saves a run record; an open one is followed until its run ends. */
  async #record(run: ScheduleRunJson): Promise<ScheduleRunJson> {
    const saved = await this.#schedules.saveRun(run);
    if (saved && run.started && run.endedAt === null) this.#open.set(openKey(run), run);
    return run;
  }

  /**
   * The latest claim of a schedule whose run never started (its claimer
   * died in between) is taken over once this process has seen it so for
   * `recoverAfterMs` on its own monotonic clock (a catch-up fire is claimed
   * long after its fire time, so the fire time says nothing about how long
   * its claimer has had); an open run seen here is followed to its end.
   */
  async #checkLatestClaim(schedule: ScheduleJson): Promise<void> {
    const claimed = schedule.lastFireAt;
    if (!claimed || this.#settled.get(schedule.id) === claimed) return;
    const claimedMs = Date.parse(claimed);
    const fireTime = claimedMs - (claimedMs % SECOND_MS);
    const recovering = claimedMs !== fireTime;
    const [newest] = (await this.#schedules.listRuns(schedule.id, { limit: 1 })).runs;
    const newestMs = newest ? Date.parse(newest.fireTime) : null;
    if (newestMs !== null && newestMs > fireTime) return; // A newer fire than this view knows of.
    const record = newestMs === fireTime ? newest : undefined;
    if (record?.started) {
      if (record.endedAt === null && !this.#open.has(openKey(record)))
        this.#open.set(openKey(record), record);
      this.#settled.set(schedule.id, claimed);
      this.#unstarted.delete(schedule.id);
      return;
    }
    const seen = this.#unstarted.get(schedule.id);
    const now = this.#monotonic();
    if (seen?.claimed !== claimed) {
      this.#unstarted.set(schedule.id, { claimed, since: now });
      return;
    }
    if (now - seen.since < this.#recoverAfterMs) return;
    this.#unstarted.delete(schedule.id);
    if (recovering) {
      // The recovering process died too: the fire is lost. Said once per process.
      this.#options.logger.error("schedule.fire_lost", { scheduleId: schedule.id, fireTime: claimed });
      this.#settled.set(schedule.id, claimed);
      return;
    }
    if (!(await this.#schedules.claimFire(schedule.id, fireTime + 1, this.#options.ownerId))) return;
    this.#options.logger.warn("schedule.fire_recovered", {
      scheduleId: schedule.id,
      fireTime: new Date(fireTime).toISOString(),
    });
    await this.#start(schedule, fireTime, {
      catchUp: record?.catchUp ?? false,
      manual: record?.manual ?? false,
      claimedAt: now,
      ...(record ? { pending: record } : {}),
    });
  }

  /** Completes the records of open runs that ended, from their task's snapshot. */
  async #followOpenRuns(): Promise<void> {
    for (const [key, run] of this.#open) {
      try {
        const ended = await this.#endOf(run);
        if (!ended) continue;
        this.#open.delete(key);
        await this.#schedules.saveRun(ended);
      } catch (error) {
        this.#options.logger.warn("schedule.run_follow_failed", {
          scheduleId: run.scheduleId,
          error: errorMessage(error),
        });
      }
    }
  }

  /** The ended record of an open run, or null while it runs. */
  async #endOf(run: ScheduleRunJson): Promise<ScheduleRunJson | null> {
    // Records without a run are written ended; never open.
    if (run.taskId === null || run.run === null) return ended(run, run.startedAt, false, run.error);
    const task = await this.#options.tasks.getTask(run.taskId);
    const at = new Date(this.#now()).toISOString();
    if (!task) return ended(run, at, false, "the task was deleted");
    if (task.run > run.run) {
      // The run ended and the next started between two looks: if it
      // completed, the task keeps it as its previous run (fires a second
      // apart see this); else its outcome is no longer on the task.
      const previous = task.previousRun;
      if (previous?.run === run.run) {
        return {
          ...ended(run, previous.finishedAt, true, null),
          reportLength: previous.reportLength ?? null,
          sources: previous.sources.length,
          newSources: previous.newSources ?? null,
        };
      }
      return ended(run, at, null, "a later run started before this run's end was seen");
    }
    if (task.run < run.run || !isFinished(task.status)) return null;
    const error =
      task.status === "completed"
        ? null
        : this.#options.redact(task.error?.message ?? `the run was ${task.status}`);
    const record = ended(run, task.finishedAt ?? at, task.status === "completed", error);
    const result = task.result;
    return {
      ...record,
      reportLength: result ? (result.reportLength ?? result.report?.length ?? null) : null,
      sources: result ? result.sources.length : null,
      newSources: result?.whatsNew?.sources ?? null,
    };
  }

  async #prune(now: number): Promise<void> {
    const { maxRunAgeHours, pruneEveryMs = 3_600_000 } = this.#options;
    if (maxRunAgeHours === undefined || now - this.#lastPrune < pruneEveryMs) return;
    this.#lastPrune = now;
    const before = new Date(now - maxRunAgeHours * 3_600_000).toISOString();
    for (const schedule of await this.#schedules.listSchedules()) {
      await this.#schedules.pruneRuns(schedule.id, before);
    }
  }
}

/** The error of a skip's record. */
export function skippedText(count: number): string {
  return count === 1
    ? "Not run (missed: skip): this fire passed while no process was running."
    : `Not run (missed: skip): ${count} fires passed while no process was running, this one the last.`;
}

function openKey(run: ScheduleRunJson): string {
  return `${run.scheduleId}:${run.fireTime}`;
}

function ended(
  run: ScheduleRunJson,
  endedAt: string,
  success: boolean | null,
  error: string | null,
): ScheduleRunJson {
  return {
    ...run,
    endedAt,
    durationMs: Math.max(0, Date.parse(endedAt) - Date.parse(run.startedAt)),
    success,
    error,
  };
}
