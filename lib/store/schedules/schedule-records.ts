import { AppError } from "../../errors";
import {
  isScheduleId,
  SCHEDULE_LIMITS,
  type ScheduleJson,
  type ScheduleRunJson,
  scheduleJsonSchema,
  scheduleRunJsonSchema,
} from "../../model/schedule";
import { isTaskId } from "../../model/task-json";
import {
  type DeliveryOutcome,
  deliveryAttemptSchema,
  isDeliveryId,
  type WebhookDeliveryJson,
  webhookDeliveryJsonSchema,
} from "../../model/webhook";
import { webhookUrlSchema } from "../../model/webhook-target";
import type { ClaimDeliveryOptions, DeliveryClaim, ListRunsOptions } from "./types";

/**
 * What every schedule store checks and orders the same way: ids before they
 * become a path or a key, the records handed in, and the order of listings.
 */

export function assertScheduleId(id: unknown): asserts id is string {
  if (!isScheduleId(id)) throw new AppError("invalid_request", `Not a schedule id: ${describe(id)}.`);
}

export function assertDeliveryId(id: unknown): asserts id is string {
  if (!isDeliveryId(id)) {
    throw new AppError("invalid_request", `Not a delivery id: ${describe(id)} (expected 32 hex digits).`);
  }
}

export function assertTaskIdOf(id: unknown): asserts id is string {
  if (!isTaskId(id)) throw new AppError("invalid_request", `Not a task id: ${describe(id)}.`);
}

/** An owner id as claims carry it: 1–64 printable characters without `:` or `/`. */
export function assertOwnerId(ownerId: unknown): asserts ownerId is string {
  if (typeof ownerId !== "string" || !/^[\x21-\x2e\x30-\x39\x3b-\x7e]{1,64}$/.test(ownerId)) {
    throw new AppError("invalid_request", `Not an owner id: ${describe(ownerId)}.`);
  }
}

/** A fire time: whole milliseconds since the epoch, not negative. */
export function assertFireTime(fireTime: unknown): asserts fireTime is number {
  if (typeof fireTime !== "number" || !Number.isSafeInteger(fireTime) || fireTime < 0) {
    throw new AppError(
      "invalid_request",
      `Not a fire time: ${describe(fireTime)} (expected ms since the epoch).`,
    );
  }
}

function invalid(what: string, issues: { message: string; path: PropertyKey[] }[]): AppError {
  const issue = issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return new AppError("invalid_request", `Not a ${what}: ${where}${issue?.message ?? "invalid"}.`);
}

/** The schedule to store, checked; `lastFireAt` dropped (the claims keep it). */
export function checkSchedule(schedule: ScheduleJson): ScheduleJson {
  assertScheduleId(schedule?.id);
  const parsed = scheduleJsonSchema.safeParse(schedule);
  if (!parsed.success) throw invalid("schedule", parsed.error.issues);
  const { lastFireAt: _kept, ...rest } = parsed.data;
  return rest;
}

export function checkRun(run: ScheduleRunJson): ScheduleRunJson {
  assertScheduleId(run?.scheduleId);
  const parsed = scheduleRunJsonSchema.safeParse(run);
  if (!parsed.success) throw invalid("run record", parsed.error.issues);
  return parsed.data;
}

export function checkDelivery(delivery: WebhookDeliveryJson): WebhookDeliveryJson {
  assertDeliveryId(delivery?.id);
  assertTaskIdOf(delivery.taskId);
  const parsed = webhookDeliveryJsonSchema.safeParse(delivery);
  if (!parsed.success) throw invalid("delivery", parsed.error.issues);
  if (
    parsed.data.payload.deliveryId !== parsed.data.id ||
    parsed.data.payload.taskId !== parsed.data.taskId
  ) {
    throw new AppError("invalid_request", "Not a delivery: its payload names another delivery or task.");
  }
  return parsed.data;
}

/** A subscription's arguments, checked: a task id, a run from 1, an http(s) URL, a limit from 1. */
export function checkSubscription(taskId: unknown, run: unknown, url?: unknown, limit?: unknown): void {
  assertTaskIdOf(taskId);
  if (typeof run !== "number" || !Number.isSafeInteger(run) || run < 1) {
    throw new AppError("invalid_request", `Not a run number: ${describe(run)}.`);
  }
  if (url !== undefined && webhookUrlSchema.safeParse(url).data !== url) {
    throw new AppError("invalid_request", `Not a webhook URL: ${describe(url)}.`);
  }
  if (limit !== undefined && (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 1)) {
    throw new AppError("invalid_request", `Expected a positive limit, got ${describe(limit)}.`);
  }
}

/** A new delivery: pending, no attempts yet, due at `nextAttemptAt`. */
export function checkNewDelivery(delivery: WebhookDeliveryJson): WebhookDeliveryJson {
  const checked = checkDelivery(delivery);
  if (checked.status !== "pending" || checked.attempts.length > 0 || checked.nextAttemptAt === null) {
    throw new AppError(
      "invalid_request",
      "A new delivery must be pending, with no attempts and a first attempt time.",
    );
  }
  return checked;
}

export function checkOutcome(outcome: DeliveryOutcome): DeliveryOutcome {
  const attempt = deliveryAttemptSchema.safeParse(outcome?.attempt);
  if (!attempt.success) throw invalid("delivery attempt", attempt.error.issues);
  if (typeof outcome.delivered !== "boolean")
    throw new AppError("invalid_request", "Expected delivered: boolean.");
  if (outcome.nextAttemptAt !== null && Number.isNaN(Date.parse(outcome.nextAttemptAt))) {
    throw new AppError("invalid_request", "Expected nextAttemptAt as an ISO time or null.");
  }
  return { ...outcome, attempt: attempt.data };
}

export function checkClaim(claim: DeliveryClaim): void {
  assertDeliveryId(claim?.deliveryId);
  assertOwnerId(claim.ownerId);
  if (!Number.isSafeInteger(claim.attempt) || claim.attempt < 1) {
    throw new AppError("invalid_request", `Not an attempt number: ${claim.attempt}.`);
  }
  if (!Number.isSafeInteger(claim.generation) || claim.generation < 1) {
    throw new AppError("invalid_request", `Not a claim generation: ${claim.generation}.`);
  }
}

export function checkClaimOptions(options: ClaimDeliveryOptions): { now: number; leaseMs: number } {
  const now = options?.now instanceof Date ? options.now.getTime() : Number.NaN;
  if (Number.isNaN(now)) throw new AppError("invalid_request", "Expected now as a Date.");
  if (!(options.leaseMs > 0) || !Number.isFinite(options.leaseMs)) {
    throw new AppError("invalid_request", `Expected a positive lease time, got ${options.leaseMs}.`);
  }
  return { now, leaseMs: Math.ceil(options.leaseMs) };
}

/** A page request, checked: the limit and the cursor's fire time in ms (Infinity: from the newest). */
export function checkRunsPage(options: ListRunsOptions = {}): { limit: number; before: number } {
  const limit = options.limit ?? 20;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > SCHEDULE_LIMITS.runsPerPage) {
    throw new AppError(
      "invalid_request",
      `Expected a limit from 1 to ${SCHEDULE_LIMITS.runsPerPage}, got ${describe(limit)}.`,
    );
  }
  if (options.before === undefined) return { limit, before: Number.POSITIVE_INFINITY };
  const before = Date.parse(options.before);
  if (Number.isNaN(before))
    throw new AppError("invalid_request", `Not a cursor: ${describe(options.before)}.`);
  return { limit, before };
}

/** The page of `runs` (newest first, one more than `limit` if there is more). */
export function runPage(
  runs: ScheduleRunJson[],
  limit: number,
): { runs: ScheduleRunJson[]; nextCursor: string | null } {
  const page = runs.slice(0, limit);
  return { runs: page, nextCursor: runs.length > limit ? (page.at(-1)?.fireTime ?? null) : null };
}

/** The key of a run record: its fire time in ms. */
export function runKey(run: ScheduleRunJson): number {
  return Date.parse(run.fireTime);
}

export function byCreation(
  a: { createdAt: string; id: string },
  b: { createdAt: string; id: string },
): number {
  const at = Date.parse(a.createdAt) - Date.parse(b.createdAt);
  if (at !== 0 && !Number.isNaN(at)) return at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The delivery's next attempt in ms (Infinity when none is due ever). */
export function nextAttemptMs(delivery: WebhookDeliveryJson): number {
  return delivery.status === "pending" && delivery.nextAttemptAt !== null
    ? Date.parse(delivery.nextAttemptAt)
    : Number.POSITIVE_INFINITY;
}

/** The schedule with the latest claimed fire as its `lastFireAt`. */
export function withLastFire(schedule: ScheduleJson, lastFire: number | null): ScheduleJson {
  const { lastFireAt: _stored, ...rest } = schedule;
  return lastFire === null ? rest : { ...rest, lastFireAt: new Date(lastFire).toISOString() };
}

function describe(value: unknown): string {
  if (typeof value !== "string") return typeof value === "number" ? String(value) : `a ${typeof value}`;
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
