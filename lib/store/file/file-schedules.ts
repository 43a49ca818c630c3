import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { nanoid } from "nanoid";
import { z } from "zod";
import { AppError, errorMessage, isAppError } from "../../errors";
import type { Logger } from "../../log";
import {
  isScheduleId,
  type ScheduleJson,
  type ScheduleRunJson,
  type ScheduleRunPage,
  scheduleJsonSchema,
  scheduleRunJsonSchema,
} from "../../model/schedule";
import {
  type DeliveryOutcome,
  deliveryAttemptSchema,
  isDeliveryId,
  type WebhookDeliveryJson,
  webhookDeliveryJsonSchema,
  withOutcome,
} from "../../model/webhook";
import { webhookUrlSchema } from "../../model/webhook-target";
import { parseJson } from "../../parse-json";
import { ClaimWatch } from "../schedules/claim-watch";
import {
  assertDeliveryId,
  assertFireTime,
  assertOwnerId,
  assertScheduleId,
  byCreation,
  checkClaim,
  checkClaimOptions,
  checkNewDelivery,
  checkOutcome,
  checkRun,
  checkRunsPage,
  checkSchedule,
  checkSubscription,
  nextAttemptMs,
  runKey,
  runPage,
  withLastFire,
} from "../schedules/schedule-records";
import {
  type ClaimDeliveryOptions,
  type DeliveryClaim,
  FIRE_CLAIM_HORIZON_MS,
  type ListRunsOptions,
  type ScheduleStore,
  type SubscriptionResult,
} from "../schedules/types";
import {
  ignoreMissing,
  isCode,
  isMissing,
  readText,
  storageError,
  syncDirectory,
  writeNewFile,
} from "./file-io";
import type { FileLayout } from "./file-layout";
import type { StorageRoot } from "./storage-root";

export interface FileSchedulesOptions {
  layout: FileLayout;
  /** Exclusive creates (fire claims, delivery records, attempt claims and outcomes). */
  root: StorageRoot;
  /** `fsync`: replacements and deletes sync their folder too, as creates always do. */
  durability: "none" | "fsync";
  /** Monotonic clock in ms: when another process's attempt claim expires (`ClaimWatch`). */
  now: () => number;
  logger?: Logger;
}

/** What an attempt claim file holds. */
const claimFileSchema = z.object({ ownerId: z.string(), leaseMs: z.number().positive() });
/** What an attempt outcome file holds. */
const outcomeFileSchema = z.object({
  attempt: deliveryAttemptSchema,
  delivered: z.boolean(),
  nextAttemptAt: z.string().nullable(),
});

const FIRE_FILE = /^\d{1,16}$/;
const RUN_FILE = /^(\d{1,16})\.json$/;
const CLAIM_FILE = /^claim-(\d{1,6})-(\d{1,9})\.json$/;
const ATTEMPT_FILE = /^attempt-(\d{1,6})\.json$/;

/**
 * Schedules, run records and webhook deliveries on the volume (layout in
 * `file-layout.ts`). Every one-winner decision is an exclusive create
 * (link(2) of a staged file: exactly one process on the volume succeeds):
 *
 * - a fire is claimed by creating `fires/<fireMs>` in the schedule's folder;
 * - a delivery is created by creating its `delivery.json`;
 * - attempt n is claimed by creating `claim-<n>-<g>.json` (g = 1, and one
 *   more for each claim taken after the previous expired);
 * - the outcome of attempt n is `attempt-<n>.json`: the first holder to
 *   create it records the attempt, any other gets null.
 *
 * A delivery is therefore never rewritten: it is its creation record folded
 * with its outcome files (`withOutcome`), so no two writers can overwrite
 * each other. Schedules and run records are replaced by writing a uniquely
 * named file and renaming it over the old one (write-file-atomic names temp
 * files from the pid, which is 1 in every container).
 *
 * A schedule appears whole (built in `.staging`, renamed in) and goes whole
 * (renamed into `.trash`, then removed); writes go through its folder's
 * path, so after a delete they fail with ENOENT instead of resurrecting it.
 */
export class FileSchedules implements ScheduleStore {
  readonly #layout: FileLayout;
  readonly #root: StorageRoot;
  readonly #durable: boolean;
  readonly #watch: ClaimWatch;
  readonly #logger?: Logger;

  constructor(options: FileSchedulesOptions) {
    this.#layout = options.layout;
    this.#root = options.root;
    this.#durable = options.durability === "fsync";
    this.#watch = new ClaimWatch(options.now);
    this.#logger = options.logger;
  }

  // ── schedules ────────────────────────────────────────────────────────────

  async createSchedule(schedule: ScheduleJson): Promise<{ created: boolean; schedule: ScheduleJson }> {
    const checked = checkSchedule(schedule);
    const target = this.#layout.scheduleDir(checked.id);
    await this.#prepare();
    const staging = this.#layout.schedulesScratch("staging", checked.id, nanoid(10));
    try {
      await fs.mkdir(staging);
      await writeNewFile(
        path.join(/*turbopackIgnore: true*/ staging, "schedule.json"),
        JSON.stringify(checked),
      );
      await fs.mkdir(path.join(/*turbopackIgnore: true*/ staging, "fires"));
      await fs.mkdir(path.join(/*turbopackIgnore: true*/ staging, "runs"));
      await syncDirectory(staging);
      await fs.rename(staging, target);
      await syncDirectory(this.#layout.schedulesDir);
      return { created: true, schedule: checked };
    } catch (error) {
      await this.#remove(staging);
      if (isCode(error, "ENOTEMPTY") || isCode(error, "EEXIST")) {
        const existing = await this.getSchedule(checked.id);
        if (existing) return { created: false, schedule: existing };
      }
      throw storageError(`create schedule ${checked.id}`, error);
    }
  }

  async getSchedule(id: string): Promise<ScheduleJson | null> {
    const file = this.#layout.scheduleFile(id, "schedule.json");
    const text = await readText(file);
    if (text === null) return null;
    const schedule = parseJson(text, scheduleJsonSchema);
    if (!schedule) throw new AppError("storage_error", `The record of schedule ${id} is damaged.`);
    const fires = await this.#fireTimes(id);
    return withLastFire(schedule, fires.length > 0 ? Math.max(...fires) : null);
  }

  async listSchedules(): Promise<ScheduleJson[]> {
    const schedules: ScheduleJson[] = [];
    for (const id of await this.#scheduleIds()) {
      const schedule = await this.getSchedule(id).catch((error: unknown) => {
        this.#logger?.error("store.schedule_unreadable", { id, error: errorMessage(error) });
        return null;
      });
      if (schedule) schedules.push(schedule);
    }
    return schedules.sort(byCreation);
  }

  async countSchedules(): Promise<number> {
    return (await this.#scheduleIds()).length;
  }

  async updateSchedule(schedule: ScheduleJson): Promise<boolean> {
    const checked = checkSchedule(schedule);
    return this.#replace(this.#layout.scheduleFile(checked.id, "schedule.json"), JSON.stringify(checked));
  }

  async deleteSchedule(id: string): Promise<boolean> {
    const folder = this.#layout.scheduleDir(id);
    await this.#prepare();
    const trash = this.#layout.schedulesScratch("trash", id, nanoid(10));
    try {
      await fs.rename(folder, trash);
    } catch (error) {
      if (isMissing(error)) return false;
      throw storageError(`delete schedule ${id}`, error);
    }
    if (this.#durable) await syncDirectory(this.#layout.schedulesDir);
    await this.#remove(trash);
    return true;
  }

  // ── fires ────────────────────────────────────────────────────────────────

  async claimFire(scheduleId: string, fireTime: number, ownerId: string): Promise<boolean> {
    assertScheduleId(scheduleId);
    assertFireTime(fireTime);
    assertOwnerId(ownerId);
    const won = await this.#createExclusive(this.#layout.fireClaimPath(scheduleId, fireTime), ownerId);
    if (!won) return false;
    // A claim behind the horizon may be a second claim of a fire whose first
    // was pruned: refused. Claims only grow, so a newer one seen here is
    // never unseen by a later claimer.
    const fires = await this.#fireTimes(scheduleId);
    const latest = Math.max(fireTime, ...fires);
    const forgetBefore = latest - FIRE_CLAIM_HORIZON_MS;
    for (const time of fires) {
      if (time < forgetBefore && time !== fireTime) {
        await fs.unlink(this.#layout.fireClaimPath(scheduleId, time)).catch(ignoreMissing);
      }
    }
    return fireTime >= forgetBefore;
  }

  // ── runs ─────────────────────────────────────────────────────────────────

  async saveRun(run: ScheduleRunJson): Promise<boolean> {
    const checked = checkRun(run);
    return this.#replace(this.#layout.runPath(checked.scheduleId, runKey(checked)), JSON.stringify(checked));
  }

  async listRuns(scheduleId: string, options?: ListRunsOptions): Promise<ScheduleRunPage> {
    const folder = this.#layout.scheduleFile(scheduleId, "runs");
    const { limit, before } = checkRunsPage(options);
    const times = (await this.#runTimes(folder)).filter((time) => time < before).sort((a, b) => b - a);
    const runs: ScheduleRunJson[] = [];
    for (const time of times) {
      if (runs.length > limit) break;
      const text = await readText(this.#layout.runPath(scheduleId, time));
      const run = text === null ? null : parseJson(text, scheduleRunJsonSchema);
      if (run) runs.push(run);
      else if (text !== null)
        this.#logger?.error("store.schedule_run_damaged", { scheduleId, fireTime: time });
    }
    return runPage(runs, limit);
  }

  async pruneRuns(scheduleId: string, before: string): Promise<number> {
    const folder = this.#layout.scheduleFile(scheduleId, "runs");
    const cut = checkRunsPage({ before }).before;
    let removed = 0;
    for (const time of await this.#runTimes(folder)) {
      if (time >= cut) continue;
      await fs.unlink(this.#layout.runPath(scheduleId, time)).then(() => {
        removed += 1;
      }, ignoreMissing);
    }
    return removed;
  }

  // ── deliveries ───────────────────────────────────────────────────────────

  async createDelivery(
    delivery: WebhookDeliveryJson,
  ): Promise<{ created: boolean; delivery: WebhookDeliveryJson }> {
    const checked = checkNewDelivery(delivery);
    await this.#prepare();
    // Markers first: a crash before the record leaves markers that point at
    // nothing (skipped), never a record no listing finds.
    await fs.mkdir(this.#layout.taskDeliveriesDir(checked.taskId), { recursive: true });
    await fs.writeFile(this.#layout.taskDeliveryMarker(checked.taskId, checked.id), "");
    await fs.writeFile(this.#layout.pendingMarker(checked.id), "");
    await fs.mkdir(this.#layout.deliveryDir(checked.id)).catch((error: unknown) => {
      if (!isCode(error, "EEXIST")) throw storageError(`create delivery ${checked.id}`, error);
    });
    const created = await this.#createExclusive(
      this.#layout.deliveryFile(checked.id, "delivery.json"),
      JSON.stringify(checked),
    );
    if (created) return { created: true, delivery: checked };
    const existing = await this.getDelivery(checked.id);
    if (!existing)
      throw new AppError("storage_error", `Delivery ${checked.id} vanished while it was created.`);
    return { created: false, delivery: existing };
  }

  async getDelivery(id: string): Promise<WebhookDeliveryJson | null> {
    return (await this.#readDelivery(id))?.delivery ?? null;
  }

  async listDueDeliveries(now: Date, limit: number): Promise<WebhookDeliveryJson[]> {
    const at = now.getTime();
    const due: WebhookDeliveryJson[] = [];
    for (const id of await this.#names(this.#layout.pendingDeliveriesDir)) {
      if (!isDeliveryId(id)) continue;
      const read = await this.#readDelivery(id);
      if (!read) continue;
      if (read.delivery.status !== "pending") {
        await fs.unlink(this.#layout.pendingMarker(id)).catch(ignoreMissing);
        continue;
      }
      if (nextAttemptMs(read.delivery) <= at) due.push(read.delivery);
    }
    return due
      .sort((a, b) => nextAttemptMs(a) - nextAttemptMs(b) || byCreation(a, b))
      .slice(0, Math.max(0, limit));
  }

  async listDeliveries(taskId: string): Promise<WebhookDeliveryJson[]> {
    const deliveries: WebhookDeliveryJson[] = [];
    for (const id of await this.#names(this.#layout.taskDeliveriesDir(taskId))) {
      if (!isDeliveryId(id)) continue;
      const read = await this.#readDelivery(id);
      if (read && read.delivery.taskId === taskId) deliveries.push(read.delivery);
    }
    return deliveries.sort(byCreation);
  }

  async claimDeliveryAttempt(
    id: string,
    ownerId: string,
    options: ClaimDeliveryOptions,
  ): Promise<DeliveryClaim | null> {
    assertDeliveryId(id);
    assertOwnerId(ownerId);
    const { now, leaseMs } = checkClaimOptions(options);
    const read = await this.#readDelivery(id);
    if (!read || nextAttemptMs(read.delivery) > now) return null;
    const attempt = read.delivery.attempts.length + 1;
    const generation = read.claims.get(attempt) ?? 0;
    if (generation > 0) {
      const file = this.#layout.deliveryFile(id, `claim-${attempt}-${generation}.json`);
      const text = await readText(file);
      const claim = text === null ? null : parseJson(text, claimFileSchema);
      // A damaged claim file counts with the shortest lease this claim could have asked for.
      if (!this.#watch.expired(`${id}/${attempt}/${generation}`, claim?.leaseMs ?? leaseMs)) return null;
    }
    const next = generation + 1;
    const won = await this.#createExclusive(
      this.#layout.deliveryFile(id, `claim-${attempt}-${next}.json`),
      JSON.stringify({ ownerId, leaseMs }),
    );
    if (!won) return null;
    this.#watch.made(`${id}/${attempt}/${next}`);
    return { deliveryId: id, attempt, generation: next, ownerId, delivery: read.delivery };
  }

  async recordDeliveryAttempt(
    claim: DeliveryClaim,
    outcome: DeliveryOutcome,
  ): Promise<WebhookDeliveryJson | null> {
    checkClaim(claim);
    const checked = checkOutcome(outcome);
    const id = claim.deliveryId;
    const read = await this.#readDelivery(id);
    if (!read) return null;
    if (read.delivery.attempts.length !== claim.attempt - 1) return null;
    if ((read.claims.get(claim.attempt) ?? 0) !== claim.generation) return null;
    const won = await this.#createExclusive(
      this.#layout.deliveryFile(id, `attempt-${claim.attempt}.json`),
      JSON.stringify(checked),
    );
    if (!won) return null;
    this.#watch.forget(`${id}/`);
    const next = withOutcome(read.delivery, checked);
    if (next.status !== "pending") await fs.unlink(this.#layout.pendingMarker(id)).catch(ignoreMissing);
    return next;
  }

  async deleteDeliveries(taskId: string): Promise<number> {
    const folder = this.#layout.taskDeliveriesDir(taskId);
    let removed = 0;
    for (const id of await this.#names(folder)) {
      if (!isDeliveryId(id)) continue;
      const trash = this.#layout.schedulesScratch("webhook-trash", id, nanoid(10));
      await this.#prepare();
      const moved = await fs.rename(this.#layout.deliveryDir(id), trash).then(
        () => true,
        (error: unknown) => {
          if (isMissing(error)) return false;
          throw storageError(`delete delivery ${id}`, error);
        },
      );
      await fs.unlink(this.#layout.pendingMarker(id)).catch(ignoreMissing);
      await fs.unlink(this.#layout.taskDeliveryMarker(taskId, id)).catch(ignoreMissing);
      if (moved) {
        removed += 1;
        await this.#remove(trash);
      }
    }
    await fs.rmdir(folder).catch((error: unknown) => {
      // Another delivery of the task was created meanwhile: its folder stays.
      if (!isMissing(error) && !isCode(error, "ENOTEMPTY")) throw error;
    });
    await fs
      .rm(this.#layout.subscriptionsDir(taskId), { recursive: true, force: true })
      .catch((error: unknown) => {
        throw storageError(`delete the subscriptions of task ${taskId}`, error);
      });
    return removed;
  }

  // ── subscriptions ──────────────────────────────────────────────────────

  async addSubscription(
    taskId: string,
    run: number,
    url: string,
    limit: number,
  ): Promise<SubscriptionResult> {
    checkSubscription(taskId, run, url, limit);
    const target = this.#layout.subscriptionFile(taskId, run, urlHash(url));
    if ((await readText(target)) !== null) return "exists";
    // Counted before the create: two processes adding at once may both pass
    // the cap (types.ts says so); the same URL twice is still one file.
    if ((await this.#subscriptionFiles(taskId, run)).length >= limit) return "full";
    await this.#prepare();
    await fs.mkdir(this.#layout.subscriptionsDir(taskId), { recursive: true }).catch((error: unknown) => {
      throw storageError(`subscribe to task ${taskId}`, error);
    });
    return (await this.#createExclusive(target, url)) ? "added" : "exists";
  }

  async listSubscriptions(taskId: string, run: number): Promise<string[]> {
    checkSubscription(taskId, run);
    const urls: string[] = [];
    for (const name of await this.#subscriptionFiles(taskId, run)) {
      const text = await readText(
        path.join(/*turbopackIgnore: true*/ this.#layout.subscriptionsDir(taskId), name),
      );
      if (text !== null && webhookUrlSchema.safeParse(text).data === text) urls.push(text);
      else if (text !== null) this.#logger?.error("store.subscription_damaged", { taskId, run });
    }
    return urls.sort();
  }

  async #subscriptionFiles(taskId: string, run: number): Promise<string[]> {
    const pattern = new RegExp(`^${run}-[0-9a-f]{32}$`);
    return (await this.#names(this.#layout.subscriptionsDir(taskId))).filter((name) => pattern.test(name));
  }

  // ── helpers ──────────────────────────────────────────────────────────────

  /** The delivery folded with its outcomes, and the latest claim generation of each attempt. */
  async #readDelivery(
    id: string,
  ): Promise<{ delivery: WebhookDeliveryJson; claims: Map<number, number> } | null> {
    const folder = this.#layout.deliveryDir(id);
    const text = await readText(this.#layout.deliveryFile(id, "delivery.json"));
    if (text === null) return null;
    let delivery = parseJson(text, webhookDeliveryJsonSchema);
    if (!delivery) throw new AppError("storage_error", `The record of delivery ${id} is damaged.`);
    const claims = new Map<number, number>();
    const attempts = new Set<number>();
    for (const name of await this.#names(folder)) {
      const claim = CLAIM_FILE.exec(name);
      if (claim) {
        const attempt = Number(claim[1]);
        claims.set(attempt, Math.max(claims.get(attempt) ?? 0, Number(claim[2])));
      }
      const attempt = ATTEMPT_FILE.exec(name);
      if (attempt) attempts.add(Number(attempt[1]));
    }
    for (let attempt = 1; attempts.has(attempt); attempt++) {
      const outcomeText = await readText(this.#layout.deliveryFile(id, `attempt-${attempt}.json`));
      const outcome = outcomeText === null ? null : parseJson(outcomeText, outcomeFileSchema);
      if (!outcome) throw new AppError("storage_error", `Attempt ${attempt} of delivery ${id} is damaged.`);
      delivery = withOutcome(delivery, outcome);
    }
    return { delivery, claims };
  }

  async #fireTimes(scheduleId: string): Promise<number[]> {
    const names = await this.#names(this.#layout.scheduleFile(scheduleId, "fires"));
    return names.filter((name) => FIRE_FILE.test(name)).map(Number);
  }

  async #runTimes(folder: string): Promise<number[]> {
    const times: number[] = [];
    for (const name of await this.#names(folder)) {
      const match = RUN_FILE.exec(name);
      if (match) times.push(Number(match[1]));
    }
    return times;
  }

  async #scheduleIds(): Promise<string[]> {
    return (await this.#names(this.#layout.schedulesDir)).filter((name) => isScheduleId(name));
  }

  /** The names in a folder; none when it does not exist. */
  async #names(folder: string): Promise<string[]> {
    try {
      return await fs.readdir(folder);
    } catch (error) {
      if (isMissing(error)) return [];
      throw storageError(`read ${path.basename(folder)}`, error);
    }
  }

  /**
   * Exclusive create of `target` through the storage root (one winner on the
   * volume); false when it exists or its folder is gone (a deleted schedule).
   */
  async #createExclusive(target: string, content: string): Promise<boolean> {
    try {
      return await this.#root.createExclusive(target, content);
    } catch (error) {
      if (isAppError(error) && isMissing(error.cause)) return false;
      throw error;
    }
  }

  /**
   * Replaces `target` with `content`: a uniquely named file beside it,
   * fsynced, renamed over it. False, and nothing left behind, when the
   * folder is gone (the schedule was deleted).
   */
  async #replace(target: string, content: string): Promise<boolean> {
    const temporary = `${target}.${nanoid(10)}.tmp`;
    try {
      await writeNewFile(temporary, content);
      await fs.rename(temporary, target);
    } catch (error) {
      await fs.unlink(temporary).catch(ignoreMissing);
      if (isMissing(error)) return false;
      throw storageError(`write ${path.basename(target)}`, error);
    }
    if (this.#durable) await syncDirectory(path.dirname(target));
    return true;
  }

  /** Creates the top folders once (again after a failure). */
  #prepared: Promise<void> | null = null;
  async #prepare(): Promise<void> {
    this.#prepared ??= (async () => {
      await this.#root.ensure();
      for (const folder of [
        path.join(/*turbopackIgnore: true*/ this.#layout.schedulesDir, ".staging"),
        path.join(/*turbopackIgnore: true*/ this.#layout.schedulesDir, ".trash"),
        path.join(/*turbopackIgnore: true*/ this.#layout.webhooksDir, ".pending"),
        path.join(/*turbopackIgnore: true*/ this.#layout.webhooksDir, ".tasks"),
        path.join(/*turbopackIgnore: true*/ this.#layout.webhooksDir, ".trash"),
      ]) {
        await fs.mkdir(folder, { recursive: true });
      }
    })().catch((error: unknown) => {
      this.#prepared = null;
      throw storageError("create the schedule folders", error);
    });
    return this.#prepared;
  }

  /** Removes a folder of `.staging` or `.trash`; a failure is logged and left behind. */
  async #remove(folder: string): Promise<void> {
    await fs.rm(folder, { recursive: true, force: true }).catch((error: unknown) => {
      this.#logger?.warn("store.cleanup_failed", {
        folder: path.basename(folder),
        error: errorMessage(error),
      });
    });
  }
}

/** The name part of a subscription's file: 32 hex digits of the SHA-256 of its URL. */
function urlHash(url: string): string {
  return createHash("sha256").update(url).digest("hex").slice(0, 32);
}
