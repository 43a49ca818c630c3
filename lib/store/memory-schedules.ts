import { AppError } from "../errors";
import {
  type ScheduleJson,
  type ScheduleRunJson,
  scheduleJsonSchema,
  scheduleRunJsonSchema,
} from "../model/schedule";
import {
  type DeliveryOutcome,
  type WebhookDeliveryJson,
  webhookDeliveryJsonSchema,
  withOutcome,
} from "../model/webhook";
import { parseJson } from "../parse-json";
import { ClaimWatch } from "./schedules/claim-watch";
import {
  assertDeliveryId,
  assertFireTime,
  assertOwnerId,
  assertScheduleId,
  assertTaskIdOf,
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
} from "./schedules/schedule-records";
import {
  type ClaimDeliveryOptions,
  type DeliveryClaim,
  FIRE_CLAIM_HORIZON_MS,
  type ListRunsOptions,
  type ScheduleStore,
  type SubscriptionResult,
} from "./schedules/types";

/** One stored schedule: its record, its claimed fires (fire ms → owner) and run records (fire ms → JSON). */
interface MemorySchedule {
  record: string;
  fires: Map<number, string>;
  runs: Map<number, string>;
}

/** One stored delivery: the delivery as JSON, and the claims of its next attempt. */
interface MemoryDelivery {
  json: string;
  /** Generation of the latest claim of attempt `attempts + 1` (0: none yet). */
  generation: number;
  leaseMs: number;
}

/** What stores sharing a `MemoryVolume` share of schedules and deliveries. */
export class MemoryScheduleData {
  readonly schedules = new Map<string, MemorySchedule>();
  readonly deliveries = new Map<string, MemoryDelivery>();
  /** Task id → run → subscribed URLs. */
  readonly subscriptions = new Map<string, Map<number, Set<string>>>();
}

/**
 * Schedules and deliveries in memory (`schedules/types.ts`), for tests; JSON
 * text is kept, so every reader gets its own copy. Claims of another store
 * on the volume expire on this store's clock (`ClaimWatch`), as on files.
 */
export class MemorySchedules implements ScheduleStore {
  readonly #data: MemoryScheduleData;
  readonly #watch: ClaimWatch;

  constructor(data: MemoryScheduleData, now: () => number) {
    this.#data = data;
    this.#watch = new ClaimWatch(now);
  }

  async createSchedule(schedule: ScheduleJson): Promise<{ created: boolean; schedule: ScheduleJson }> {
    const checked = checkSchedule(schedule);
    const existing = this.#data.schedules.get(checked.id);
    if (existing) return { created: false, schedule: this.#view(existing) };
    this.#data.schedules.set(checked.id, {
      record: JSON.stringify(checked),
      fires: new Map(),
      runs: new Map(),
    });
    return { created: true, schedule: checked };
  }

  async getSchedule(id: string): Promise<ScheduleJson | null> {
    assertScheduleId(id);
    const stored = this.#data.schedules.get(id);
    return stored ? this.#view(stored) : null;
  }

  async listSchedules(): Promise<ScheduleJson[]> {
    return [...this.#data.schedules.values()].map((stored) => this.#view(stored)).sort(byCreation);
  }

  async countSchedules(): Promise<number> {
    return this.#data.schedules.size;
  }

  async updateSchedule(schedule: ScheduleJson): Promise<boolean> {
    const checked = checkSchedule(schedule);
    const stored = this.#data.schedules.get(checked.id);
    if (!stored) return false;
    stored.record = JSON.stringify(checked);
    return true;
  }

  async deleteSchedule(id: string): Promise<boolean> {
    assertScheduleId(id);
    return this.#data.schedules.delete(id);
  }

  async claimFire(scheduleId: string, fireTime: number, ownerId: string): Promise<boolean> {
    assertScheduleId(scheduleId);
    assertFireTime(fireTime);
    assertOwnerId(ownerId);
    const stored = this.#data.schedules.get(scheduleId);
    if (!stored || stored.fires.has(fireTime)) return false;
    const latest = Math.max(-1, ...stored.fires.keys());
    if (fireTime < latest - FIRE_CLAIM_HORIZON_MS) return false;
    stored.fires.set(fireTime, ownerId);
    const forgetBefore = Math.max(latest, fireTime) - FIRE_CLAIM_HORIZON_MS;
    for (const time of stored.fires.keys()) if (time < forgetBefore) stored.fires.delete(time);
    return true;
  }

  async saveRun(run: ScheduleRunJson): Promise<boolean> {
    const checked = checkRun(run);
    const stored = this.#data.schedules.get(checked.scheduleId);
    if (!stored) return false;
    stored.runs.set(runKey(checked), JSON.stringify(checked));
    return true;
  }

  async listRuns(scheduleId: string, options?: ListRunsOptions) {
    assertScheduleId(scheduleId);
    const { limit, before } = checkRunsPage(options);
    const stored = this.#data.schedules.get(scheduleId);
    if (!stored) return { runs: [], nextCursor: null };
    const times = [...stored.runs.keys()].filter((time) => time < before).sort((a, b) => b - a);
    const runs = times
      .slice(0, limit + 1)
      .map((time) => scheduleRunJsonSchema.parse(JSON.parse(stored.runs.get(time) ?? "null")));
    return runPage(runs, limit);
  }

  async pruneRuns(scheduleId: string, before: string): Promise<number> {
    assertScheduleId(scheduleId);
    const cut = checkRunsPage({ before }).before;
    const stored = this.#data.schedules.get(scheduleId);
    let removed = 0;
    for (const time of stored?.runs.keys() ?? []) {
      if (time < cut && stored?.runs.delete(time)) removed += 1;
    }
    return removed;
  }

  async createDelivery(
    delivery: WebhookDeliveryJson,
  ): Promise<{ created: boolean; delivery: WebhookDeliveryJson }> {
    const checked = checkNewDelivery(delivery);
    const existing = this.#data.deliveries.get(checked.id);
    if (existing) return { created: false, delivery: parseDelivery(existing.json) };
    this.#data.deliveries.set(checked.id, { json: JSON.stringify(checked), generation: 0, leaseMs: 0 });
    return { created: true, delivery: checked };
  }

  async getDelivery(id: string): Promise<WebhookDeliveryJson | null> {
    assertDeliveryId(id);
    const stored = this.#data.deliveries.get(id);
    return stored ? parseDelivery(stored.json) : null;
  }

  async listDueDeliveries(now: Date, limit: number): Promise<WebhookDeliveryJson[]> {
    const at = now.getTime();
    return [...this.#data.deliveries.values()]
      .map((stored) => parseDelivery(stored.json))
      .filter((delivery) => nextAttemptMs(delivery) <= at)
      .sort((a, b) => nextAttemptMs(a) - nextAttemptMs(b) || byCreation(a, b))
      .slice(0, Math.max(0, limit));
  }

  async listDeliveries(taskId: string): Promise<WebhookDeliveryJson[]> {
    assertTaskIdOf(taskId);
    return [...this.#data.deliveries.values()]
      .map((stored) => parseDelivery(stored.json))
      .filter((delivery) => delivery.taskId === taskId)
      .sort(byCreation);
  }

  async claimDeliveryAttempt(
    id: string,
    ownerId: string,
    options: ClaimDeliveryOptions,
  ): Promise<DeliveryClaim | null> {
    assertDeliveryId(id);
    assertOwnerId(ownerId);
    const { now, leaseMs } = checkClaimOptions(options);
    const stored = this.#data.deliveries.get(id);
    if (!stored) return null;
    const delivery = parseDelivery(stored.json);
    if (nextAttemptMs(delivery) > now) return null;
    const attempt = delivery.attempts.length + 1;
    if (
      stored.generation > 0 &&
      !this.#watch.expired(`${id}/${attempt}/${stored.generation}`, stored.leaseMs)
    ) {
      return null;
    }
    stored.generation += 1;
    stored.leaseMs = leaseMs;
    this.#watch.made(`${id}/${attempt}/${stored.generation}`);
    return { deliveryId: id, attempt, generation: stored.generation, ownerId, delivery };
  }

  async recordDeliveryAttempt(
    claim: DeliveryClaim,
    outcome: DeliveryOutcome,
  ): Promise<WebhookDeliveryJson | null> {
    checkClaim(claim);
    const checked = checkOutcome(outcome);
    const stored = this.#data.deliveries.get(claim.deliveryId);
    if (!stored) return null;
    const delivery = parseDelivery(stored.json);
    if (delivery.attempts.length !== claim.attempt - 1 || stored.generation !== claim.generation) return null;
    const next = withOutcome(delivery, checked);
    stored.json = JSON.stringify(next);
    stored.generation = 0;
    this.#watch.forget(`${claim.deliveryId}/`);
    return next;
  }

  async deleteDeliveries(taskId: string): Promise<number> {
    assertTaskIdOf(taskId);
    this.#data.subscriptions.delete(taskId);
    let removed = 0;
    for (const [id, stored] of this.#data.deliveries) {
      if (parseDelivery(stored.json).taskId === taskId && this.#data.deliveries.delete(id)) removed += 1;
    }
    return removed;
  }

  async addSubscription(
    taskId: string,
    run: number,
    url: string,
    limit: number,
  ): Promise<SubscriptionResult> {
    checkSubscription(taskId, run, url, limit);
    let runs = this.#data.subscriptions.get(taskId);
    if (!runs) {
      runs = new Map();
      this.#data.subscriptions.set(taskId, runs);
    }
    let urls = runs.get(run);
    if (!urls) {
      urls = new Set();
      runs.set(run, urls);
    }
    if (urls.has(url)) return "exists";
    if (urls.size >= limit) return "full";
    urls.add(url);
    return "added";
  }

  async listSubscriptions(taskId: string, run: number): Promise<string[]> {
    checkSubscription(taskId, run);
    return [...(this.#data.subscriptions.get(taskId)?.get(run) ?? [])].sort();
  }

  #view(stored: MemorySchedule): ScheduleJson {
    const schedule = parseJson(stored.record, scheduleJsonSchema);
    if (!schedule) throw new AppError("storage_error", "A stored schedule is damaged.");
    const latest = stored.fires.size > 0 ? Math.max(...stored.fires.keys()) : null;
    return withLastFire(schedule, latest);
  }
}

function parseDelivery(json: string): WebhookDeliveryJson {
  const delivery = parseJson(json, webhookDeliveryJsonSchema);
  if (!delivery) throw new AppError("storage_error", "A stored delivery is damaged.");
  return delivery;
}
