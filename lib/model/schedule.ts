import { z } from "zod";
import { AppError } from "../errors";
import { researchRequestSchema } from "./request";
import { type CronProblem, checkCronSpec } from "./schedule-clock";
import { TASK_ID_PATTERN } from "./task-json";
import { WEBHOOK_URL_MAX_LENGTH, webhookTargetSchema, webhookUrlSchema } from "./webhook-target";

/**
 * Schedules: a saved research request that runs again on a cron expression
 * read in an IANA time zone (docs/ARCHITECTURE.md, "Schedules and
 * webhooks"). Each fire is one fresh run of the request's task, claimed once
 * across every process; its outcome is a run record of the schedule.
 */

/** A schedule's id: a 21-character nanoid (it names a folder and Redis keys). */
export const SCHEDULE_ID_PATTERN = /^[A-Za-z0-9_-]{21}$/;
export const scheduleIdSchema = z
  .string()
  .regex(SCHEDULE_ID_PATTERN, "expected a schedule id (21 characters)");

export function isScheduleId(value: unknown): value is string {
  return typeof value === "string" && SCHEDULE_ID_PATTERN.test(value);
}

export const missedPolicies = ["skip", "once"] as const;

/** Limits of a schedule's fields (the server's own are configured: MIN_SCHEDULE_INTERVAL_S, MAX_SCHEDULES). */
export const SCHEDULE_LIMITS = {
  nameMaxLength: 100,
  cronMaxLength: 200,
  urlMaxLength: WEBHOOK_URL_MAX_LENGTH,
  /** Run records one page of `GET /api/schedules/:id/runs` holds at most. */
  runsPerPage: 100,
} as const;

export { webhookTargetSchema, webhookUrlSchema };

const nameSchema = z
  .string()
  .trim()
  .min(1, "name must not be empty")
  .max(SCHEDULE_LIMITS.nameMaxLength, `name must be at most ${SCHEDULE_LIMITS.nameMaxLength} characters`);

const cronSchema = z
  .string()
  .trim()
  .min(1, "cron must not be empty")
  .max(SCHEDULE_LIMITS.cronMaxLength, `cron must be at most ${SCHEDULE_LIMITS.cronMaxLength} characters`);

const timezoneSchema = z.string().trim().min(1, "timezone must not be empty").max(64, "timezone is too long");

/** An ISO 8601 instant as the stores write it (`Date.prototype.toISOString`). */
const instantSchema = z.iso.datetime();

/** A stored schedule. */
export const scheduleJsonSchema = z.object({
  id: scheduleIdSchema,
  name: z.string(),
  /** The research request each fire submits (a fresh run of its task). */
  request: researchRequestSchema,
  cron: z.string(),
  timezone: z.string(),
  enabled: z.boolean(),
  missed: z.enum(missedPolicies),
  /** Notified when a run of this schedule ends (besides the server's WEBHOOK_URL). Never shown to other clients. */
  webhook: webhookTargetSchema.optional(),
  createdAt: instantSchema,
  updatedAt: instantSchema,
  /** The latest fire claimed; the store keeps it from its claims (`ScheduleStore.claimFire`). */
  lastFireAt: instantSchema.optional(),
  /** The next fire, as last computed by the scheduler (views compute their own). */
  nextFireAt: instantSchema.optional(),
  /**
   * Fires at or before this instant are never due: set when the schedule is
   * resumed or its timing changes, so fires passed while it was paused, or
   * under its old expression, are not caught up. Absent: `createdAt`.
   */
  activeSince: instantSchema.optional(),
});
export type ScheduleJson = z.infer<typeof scheduleJsonSchema>;

/** Options of the schedule input checks. */
export interface ScheduleInputOptions {
  /** MIN_SCHEDULE_INTERVAL_S. */
  minIntervalS: number;
  /** The instant the interval check counts fires from, in ms. Default `Date.now()`. */
  now?: number;
}

function addTimingIssues(
  spec: { cron: string; timezone: string },
  options: ScheduleInputOptions,
  context: z.RefinementCtx,
): void {
  const problems: CronProblem[] = checkCronSpec(spec, {
    minIntervalS: options.minIntervalS,
    now: options.now ?? Date.now(),
  });
  for (const problem of problems) {
    context.addIssue({ code: "custom", path: [problem.field], message: problem.message });
  }
}

const createFields = {
  name: nameSchema,
  request: researchRequestSchema,
  cron: cronSchema,
  timezone: timezoneSchema,
  /** Default true. */
  enabled: z.boolean().default(true),
  /** Default `once`: after downtime, one catch-up run for everything missed. */
  missed: z.enum(missedPolicies).default("once"),
  webhook: webhookTargetSchema.optional(),
};

/**
 * The body of `POST /api/schedules`, checked: an expression croner parses,
 * a known zone, and no two of the next fires closer than `minIntervalS`.
 * Each refusal is an issue on the field it is about, with a message that
 * names the problem.
 */
export function scheduleCreateSchema(options: ScheduleInputOptions) {
  return z.strictObject(createFields).superRefine((input, context) => {
    addTimingIssues(input, options, context);
  });
}
export type ScheduleCreateInput = z.output<ReturnType<typeof scheduleCreateSchema>>;

/** The body of `PATCH /api/schedules/:id`: any field of a create, at least one. */
export const schedulePatchSchema = z
  .strictObject({
    name: nameSchema.optional(),
    request: researchRequestSchema.optional(),
    cron: cronSchema.optional(),
    timezone: timezoneSchema.optional(),
    enabled: z.boolean().optional(),
    missed: z.enum(missedPolicies).optional(),
    /** null removes the schedule's webhook. */
    webhook: webhookTargetSchema.nullable().optional(),
  })
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), {
    message: "expected at least one field to change",
  });
export type SchedulePatch = z.output<typeof schedulePatchSchema>;

/** A new schedule from a checked create body. */
export function newSchedule(input: ScheduleCreateInput, id: string, now: Date): ScheduleJson {
  const at = now.toISOString();
  return scheduleJsonSchema.parse({
    id,
    name: input.name,
    request: input.request,
    cron: input.cron,
    timezone: input.timezone,
    enabled: input.enabled,
    missed: input.missed,
    ...(input.webhook ? { webhook: input.webhook } : {}),
    createdAt: at,
    updatedAt: at,
  });
}

/**
 * The schedule with a checked patch applied. A changed cron or timezone is
 * checked together with the other one (a zone change can make a valid
 * expression fire too often only in combination); a problem is an
 * `invalid_request` that names it.
 */
export function applySchedulePatch(
  schedule: ScheduleJson,
  patch: SchedulePatch,
  options: ScheduleInputOptions & { now: number },
): ScheduleJson {
  const cron = patch.cron ?? schedule.cron;
  const timezone = patch.timezone ?? schedule.timezone;
  if (patch.cron !== undefined || patch.timezone !== undefined) {
    const problems = checkCronSpec({ cron, timezone }, options);
    if (problems.length > 0) {
      throw new AppError("invalid_request", problems.map((problem) => problem.message).join("; "), {
        details: problems,
      });
    }
  }
  const { webhook: _dropped, nextFireAt: _stale, ...rest } = schedule;
  const webhook = patch.webhook === null ? undefined : (patch.webhook ?? schedule.webhook);
  return scheduleJsonSchema.parse({
    ...rest,
    name: patch.name ?? schedule.name,
    request: patch.request ?? schedule.request,
    cron,
    timezone,
    enabled: patch.enabled ?? schedule.enabled,
    missed: patch.missed ?? schedule.missed,
    ...(webhook ? { webhook } : {}),
    updatedAt: new Date(options.now).toISOString(),
  });
}

/**
 * One fire of a schedule and what came of it (`GET /api/schedules/:id/runs`).
 * Written when the fire is claimed (its task and run known, nothing ended),
 * and again when the run ends.
 */
export const scheduleRunJsonSchema = z.object({
  scheduleId: scheduleIdSchema,
  /** The fire this run is for (a catch-up run is named by the latest fire it covers). */
  fireTime: instantSchema,
  /**
   * The task's run number this fire started (`TaskJson.run`): one task per
   * schedule, a fresh run per fire. null when the fire started no run (the
   * previous run was still running, or the request was refused). While
   * `started` is false, the run the fire is about to start.
   */
  run: z.number().int().positive().nullable(),
  /** The schedule's task; null when the request could not become one (the refusal is in `error`). */
  taskId: z.string().regex(TASK_ID_PATTERN).nullable(),
  /** True for the catch-up run of fires missed while no process ran (`missed: "once"`). */
  catchUp: z.boolean().default(false),
  /** True for a fire asked for by `POST /api/schedules/:id/run` rather than by the expression. */
  manual: z.boolean().default(false),
  /**
   * False between the fire's claim and its run's submission: a record left
   * false (or none at all) well after the fire tells another process that
   * the claimer died before starting the run (docs/ARCHITECTURE.md,
   * "Schedules and webhooks").
   */
  started: z.boolean().default(true),
  startedAt: instantSchema,
  endedAt: instantSchema.nullable(),
  durationMs: z.number().int().nonnegative().nullable(),
  /** null while the run has not ended. */
  success: z.boolean().nullable(),
  /** The run's error, redacted before it is stored. */
  error: z.string().nullable(),
  reportLength: z.number().int().nonnegative().nullable(),
  sources: z.number().int().nonnegative().nullable(),
  /** Sources not among the previous run's (the "what's new" count); null for the first run or before it ends. */
  newSources: z.number().int().nonnegative().nullable(),
});
export type ScheduleRunJson = z.infer<typeof scheduleRunJsonSchema>;
export type ScheduleRunInput = z.input<typeof scheduleRunJsonSchema>;

/** The query of `GET /api/schedules/:id/runs`. */
export const scheduleRunsQuerySchema = z.strictObject({
  limit: z.coerce
    .number()
    .int("limit must be a whole number")
    .min(1, "limit must be at least 1")
    .max(SCHEDULE_LIMITS.runsPerPage, `limit must be at most ${SCHEDULE_LIMITS.runsPerPage}`)
    .optional()
    .describe(`Run records per page (default and most ${SCHEDULE_LIMITS.runsPerPage}).`),
  cursor: z.iso
    .datetime({ error: "cursor must be a page's nextCursor (an ISO instant)" })
    .optional()
    .describe("The previous page's `nextCursor`."),
});

/** The `:action` of `POST /api/schedules/:id/<action>`. */
export const scheduleActions = ["pause", "resume", "run"] as const;
export const scheduleActionSchema = z.enum(scheduleActions, {
  error: `action must be one of ${scheduleActions.join(", ")}`,
});

/** The `202` answer of `POST /api/schedules/:id/run`: the fire's run record. */
export const scheduleRunStartedSchema = z.object({ run: scheduleRunJsonSchema });

/** A page of run records, newest fire first; `nextCursor` continues it (the fire time to list before). */
export const scheduleRunPageSchema = z.object({
  runs: z.array(scheduleRunJsonSchema),
  nextCursor: z.string().nullable(),
});
export type ScheduleRunPage = z.infer<typeof scheduleRunPageSchema>;
