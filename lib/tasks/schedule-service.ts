import { nanoid } from "nanoid";
import { AppError } from "../errors";
import type { Logger } from "../log";
import {
  applySchedulePatch,
  newSchedule,
  SCHEDULE_LIMITS,
  type ScheduleCreateInput,
  type ScheduleJson,
  type SchedulePatch,
  type ScheduleRunJson,
  type ScheduleRunPage,
  scheduleCreateSchema,
  scheduleIdSchema,
} from "../model/schedule";
import { type ScheduleView, scheduleView } from "../model/schedule-view";
import { isFinished } from "../model/task-json";
import type { ScheduleStore } from "../store/schedules/types";
import type { ScheduleRunner, ScheduleTasks } from "./schedule-runner";

/** Options of `ScheduleService`. */
export interface ScheduleServiceOptions {
  schedules: ScheduleStore;
  /** Checks that a schedule's request can become a task on this server (providers, collections). */
  tasks: Pick<ScheduleTasks, "identify" | "getTask">;
  runner: ScheduleRunner;
  logger: Logger;
  /** MIN_SCHEDULE_INTERVAL_S. */
  minIntervalS: number;
  /** MAX_SCHEDULES. */
  maxSchedules: number;
  /** Wall clock in ms. Default `Date.now`. */
  now?: () => number;
  /** Schedule ids. Default: 21-character nanoids. */
  generateId?: () => string;
}

/**
 * Schedules as the API offers them: create, read, change, pause, resume,
 * run now, and each one's run history. Firing is the runner's
 * (`schedule-runner.ts`); a run-now is one of its claimed fires.
 */
export class ScheduleService {
  readonly #options: ScheduleServiceOptions;
  readonly #store: ScheduleStore;
  readonly #now: () => number;

  constructor(options: ScheduleServiceOptions) {
    this.#options = options;
    this.#store = options.schedules;
    this.#now = options.now ?? Date.now;
  }

  /** The schema of a create body, with the interval check at this instant. */
  createSchema() {
    return scheduleCreateSchema({ minIntervalS: this.#options.minIntervalS, now: this.#now() });
  }

  async create(input: ScheduleCreateInput): Promise<ScheduleView> {
    const { maxSchedules } = this.#options;
    if ((await this.#store.countSchedules()) >= maxSchedules) {
      throw new AppError(
        "insufficient_storage",
        `This server holds at most ${maxSchedules} schedules (MAX_SCHEDULES); delete one first.`,
        { limit: "MAX_SCHEDULES" },
      );
    }
    await this.#checkRequest(input.request);
    const now = this.#now();
    const schedule = newSchedule(input, this.#options.generateId?.() ?? nanoid(21), new Date(now));
    const { schedule: stored } = await this.#store.createSchedule(schedule);
    this.#options.logger.info("schedule.created", { scheduleId: stored.id, cron: stored.cron });
    return scheduleView(stored, null, now);
  }

  async list(): Promise<ScheduleView[]> {
    const now = this.#now();
    const schedules = await this.#store.listSchedules();
    return Promise.all(
      schedules.map(async (schedule) => scheduleView(schedule, await this.#lastRun(schedule.id), now)),
    );
  }

  async get(id: string): Promise<ScheduleView> {
    const schedule = await this.#schedule(id);
    return scheduleView(schedule, await this.#lastRun(schedule.id), this.#now());
  }

  async update(id: string, patch: SchedulePatch): Promise<ScheduleView> {
    const schedule = await this.#schedule(id);
    if (patch.request) await this.#checkRequest(patch.request);
    const now = this.#now();
    let next = applySchedulePatch(schedule, patch, { minIntervalS: this.#options.minIntervalS, now });
    const timingChanged = next.cron !== schedule.cron || next.timezone !== schedule.timezone;
    if ((next.enabled && !schedule.enabled) || timingChanged) {
      // Fires passed while paused, or under the old timing, are not caught up.
      next = { ...next, activeSince: new Date(now).toISOString() };
    }
    if (!(await this.#store.updateSchedule(next))) throw this.#notFound(id);
    this.#options.logger.info("schedule.updated", { scheduleId: id, fields: Object.keys(patch) });
    return this.get(id);
  }

  pause(id: string): Promise<ScheduleView> {
    return this.update(id, { enabled: false });
  }

  resume(id: string): Promise<ScheduleView> {
    return this.update(id, { enabled: true });
  }

  async delete(id: string): Promise<void> {
    if (!(await this.#store.deleteSchedule(this.#id(id)))) throw this.#notFound(id);
    this.#options.logger.info("schedule.deleted", { scheduleId: id });
  }

  /**
   * Fires the schedule now (paused or not): a claimed fire at the current
   * second, like one of its expression. 409 when the previous run is still
   * running (nothing is claimed then) or that second's fire was claimed.
   */
  async runNow(id: string): Promise<ScheduleRunJson> {
    const schedule = await this.#schedule(id);
    const { id: taskId } = await this.#options.tasks.identify(schedule.request);
    const task = await this.#options.tasks.getTask(taskId);
    if (task && !isFinished(task.status)) {
      throw new AppError(
        "conflict",
        `The previous run of this schedule's task is still ${task.status === "paused" ? "paused" : "running"} (task ${taskId}); run now starts nothing until it ends.`,
      );
    }
    const now = this.#now();
    const outcome = await this.#options.runner.fire(schedule, now - (now % 1000), { manual: true });
    if (!outcome.claimed) {
      throw new AppError("conflict", "This second's fire of the schedule was claimed already; try again.");
    }
    return outcome.run;
  }

  async runs(id: string, options: { limit?: number; cursor?: string }): Promise<ScheduleRunPage> {
    const schedule = await this.#schedule(id);
    const limit = options.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > SCHEDULE_LIMITS.runsPerPage) {
      throw new AppError(
        "invalid_request",
        `limit: expected 1 to ${SCHEDULE_LIMITS.runsPerPage}, got ${String(options.limit)}.`,
      );
    }
    return this.#store.listRuns(schedule.id, {
      limit,
      ...(options.cursor !== undefined ? { before: options.cursor } : {}),
    });
  }

  async #lastRun(id: string): Promise<ScheduleRunJson | null> {
    return (await this.#store.listRuns(id, { limit: 1 })).runs[0] ?? null;
  }

  async #checkRequest(request: ScheduleJson["request"]): Promise<void> {
    // Throws what a submission would: a provider this server lacks, a collection that does not exist.
    await this.#options.tasks.identify(request);
  }

  #id(id: string): string {
    const parsed = scheduleIdSchema.safeParse(id);
    if (!parsed.success) {
      const shown = id.length > 40 ? `${id.slice(0, 40)}…` : id;
      throw new AppError("invalid_request", `"${shown}" is not a schedule id (21 characters).`);
    }
    return parsed.data;
  }

  async #schedule(id: string): Promise<ScheduleJson> {
    const schedule = await this.#store.getSchedule(this.#id(id));
    if (!schedule) throw this.#notFound(id);
    return schedule;
  }

  #notFound(id: string): AppError {
    return new AppError("not_found", `No schedule ${id}.`);
  }
}
