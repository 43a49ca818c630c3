import type { ScheduleJson, ScheduleRunJson, ScheduleRunPage } from "../../model/schedule";
import type { DeliveryOutcome, WebhookDeliveryJson } from "../../model/webhook";

/**
 * A claim of one attempt of a webhook delivery: its holder, and only it,
 * sends attempt `attempt` and records its outcome. `generation` grows each
 * time the attempt is claimed again after a claim expired (its holder died).
 */
export interface DeliveryClaim {
  readonly deliveryId: string;
  /** The attempt this claim is for, from 1. */
  readonly attempt: number;
  readonly generation: number;
  readonly ownerId: string;
  /** The delivery as it was when claimed (its payload is what to send). */
  readonly delivery: WebhookDeliveryJson;
}

/** Options of `ScheduleStore.claimDeliveryAttempt`. */
export interface ClaimDeliveryOptions {
  /** The claimer's wall clock: the delivery must be due (`nextAttemptAt` ≤ now). */
  now: Date;
  /**
   * How long the claim holds without its outcome, in ms: longer than one
   * send can take (connect, timeout, recording). Past it, another process
   * may claim the attempt again.
   */
  leaseMs: number;
}

/** What `ScheduleStore.addSubscription` did: added the URL, found it there, or refused it (the run has `limit`). */
export type SubscriptionResult = "added" | "exists" | "full";

/** Options of `ScheduleStore.listRuns`. */
export interface ListRunsOptions {
  /** Runs per page, 1 to `SCHEDULE_LIMITS.runsPerPage`. Default 20. */
  limit?: number;
  /** Only runs whose fire time is before this one (a page's `nextCursor`). */
  before?: string;
}

/**
 * How far back, behind the latest claimed fire of a schedule, a fire can
 * still be claimed, in ms. Claims older than that are forgotten (pruned, or
 * expired in Redis), so a claim that old is refused rather than granted a
 * second time. A scheduler claims fires seconds after it computes them; a
 * day is far beyond any view that stale.
 */
export const FIRE_CLAIM_HORIZON_MS = 24 * 3_600_000;

/**
 * Schedules, their run records and webhook deliveries, shared by every
 * process of a deployment: on the data volume (file store), in Redis, or
 * in memory (tests). `lib/store/schedules/contract.ts` is the suite every
 * implementation passes (docs/ARCHITECTURE.md, "Schedules and webhooks").
 *
 * Guarantees:
 * - Ids are checked before anything is read or written: a schedule id that
 *   is not a nanoid, a task id or a delivery id of the wrong shape is an
 *   `invalid_request` AppError and never becomes a path or a key.
 * - `claimFire` is exactly-once across processes: of any number of claims
 *   of one fire time of one schedule, from any processes on the volume or
 *   Redis, exactly one answers true, ever (within `FIRE_CLAIM_HORIZON_MS`
 *   of the latest claim; older claims answer false). Claims of different
 *   fire times are independent. A deleted schedule's fires answer false.
 * - `createDelivery` is create-if-absent: one delivery per id (task, run
 *   and URL), however many processes create it.
 * - `claimDeliveryAttempt` grants one attempt of a due delivery to one
 *   process at a time; a claim whose outcome is not recorded within its
 *   lease may be taken again (a new generation). `recordDeliveryAttempt`
 *   records an attempt's outcome once: the first holder to record wins,
 *   a holder whose attempt was recorded or reclaimed meanwhile gets null.
 * - `addSubscription` adds a URL to a run's set once (a second add of the
 *   same URL is `exists`), and refuses a new URL once the run has `limit`
 *   (`full`). The cap is exact in Redis (one script) and on memory; on the
 *   volume two processes adding at once may both pass it, by one each.
 * - Writes to a schedule deleted meanwhile (`updateSchedule`, `saveRun`)
 *   write nothing and answer false.
 *
 * Deliberately left out: ordering between two writers of one schedule
 * (`updateSchedule` is last-writer-wins; `lastFireAt` is kept by the claims,
 * never by writers), and a delivery's sender dying after the receiver got
 * the request but before the outcome was recorded: that attempt is sent
 * again after the lease (receivers deduplicate by `deliveryId`).
 */
export interface ScheduleStore {
  /** Stores a new schedule unless one with its id exists (then returns that one, `created: false`). */
  createSchedule(schedule: ScheduleJson): Promise<{ created: boolean; schedule: ScheduleJson }>;
  /** The schedule, its `lastFireAt` the latest claimed fire; null when there is none. */
  getSchedule(id: string): Promise<ScheduleJson | null>;
  /** Every schedule, oldest first (`createdAt`, then id). */
  listSchedules(): Promise<ScheduleJson[]>;
  /** How many schedules there are (for MAX_SCHEDULES). */
  countSchedules(): Promise<number>;
  /** Replaces the schedule (its `lastFireAt` is ignored). False, and nothing written, when it does not exist. */
  updateSchedule(schedule: ScheduleJson): Promise<boolean>;
  /** Removes the schedule with its claims and run records. False when there was none. */
  deleteSchedule(id: string): Promise<boolean>;

  /**
   * Claims fire `fireTime` (ms since the epoch) of the schedule for
   * `ownerId`: true for exactly one claim of that fire across every process.
   */
  claimFire(scheduleId: string, fireTime: number, ownerId: string): Promise<boolean>;

  /** Stores a run record (one per fire time: a second save of one fire replaces it). False when the schedule does not exist. */
  saveRun(run: ScheduleRunJson): Promise<boolean>;
  /** Run records, newest fire first, a page at a time; none for a missing schedule. */
  listRuns(scheduleId: string, options?: ListRunsOptions): Promise<ScheduleRunPage>;
  /** Removes run records whose fire time is before `before` (retention); returns how many. */
  pruneRuns(scheduleId: string, before: string): Promise<number>;

  /** Stores a new delivery unless one with its id exists (then returns that one, `created: false`). */
  createDelivery(delivery: WebhookDeliveryJson): Promise<{ created: boolean; delivery: WebhookDeliveryJson }>;
  getDelivery(id: string): Promise<WebhookDeliveryJson | null>;
  /** Pending deliveries whose next attempt is due at `now`, earliest first, at most `limit`. */
  listDueDeliveries(now: Date, limit: number): Promise<WebhookDeliveryJson[]>;
  /** The deliveries of a task, oldest first (`GET /api/tasks/:id/deliveries`). */
  listDeliveries(taskId: string): Promise<WebhookDeliveryJson[]>;
  /**
   * Claims the next attempt of a due, pending delivery; null when it is not
   * due, not pending, missing, or another process holds a live claim.
   */
  claimDeliveryAttempt(
    id: string,
    ownerId: string,
    options: ClaimDeliveryOptions,
  ): Promise<DeliveryClaim | null>;
  /**
   * Records the outcome of a claimed attempt and returns the delivery after
   * it; null, and nothing written, when the claim was lost (the attempt was
   * recorded, or claimed again by another process).
   */
  recordDeliveryAttempt(claim: DeliveryClaim, outcome: DeliveryOutcome): Promise<WebhookDeliveryJson | null>;
  /** Removes every delivery of a task, and its subscriptions (when the task is deleted). */
  deleteDeliveries(taskId: string): Promise<number>;

  /**
   * Remembers that run `run` of `taskId` notifies `url` when it ends (a
   * request's `webhook`): durable from submission to the run's end, across
   * restarts, and never part of the task's JSON. `limit` caps the URLs of
   * one run.
   */
  addSubscription(taskId: string, run: number, url: string, limit: number): Promise<SubscriptionResult>;
  /** The URLs run `run` of `taskId` notifies, sorted; none for an unknown task or run. */
  listSubscriptions(taskId: string, run: number): Promise<string[]>;
}
