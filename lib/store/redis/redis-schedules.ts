import type Redis from "ioredis";
import { z } from "zod";
import { AppError } from "../../errors";
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
  isDeliveryId,
  type WebhookDeliveryJson,
  webhookDeliveryJsonSchema,
  withOutcome,
} from "../../model/webhook";
import { parseJson } from "../../parse-json";
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
import type { RedisErrors } from "./redis-errors";
import type { RedisKeys, TypedKey } from "./redis-keys";
import { parseReply } from "./redis-replies";
import {
  addSubscriptionScript,
  claimDeliveryScript,
  claimFireScript,
  createDeliveryScript,
  createScheduleScript,
  deleteDeliveryScript,
  deleteScheduleScript,
  pruneRunsScript,
  recordAttemptScript,
  saveRunScript,
  updateScheduleScript,
} from "./redis-schedule-scripts";

export interface RedisSchedulesOptions {
  redis: Redis;
  keys: RedisKeys;
  errors: RedisErrors;
  logger?: Logger;
}

const createdReply = z.tuple([z.number(), z.string()]);
const claimReply = z.union([
  z.tuple([z.literal(0)]),
  z.tuple([z.literal(1), z.number(), z.number(), z.string()]),
]);
const countReply = z.number();

/**
 * Schedules, run records and webhook deliveries in Redis (keys in
 * `redis-keys.ts`, scripts in `redis-schedule-scripts.ts`). Every decision
 * with one winner is one script: a fire claim (ZSCORE then ZADD on the
 * schedule's claimed fires, with the schedule's existence checked in the
 * same script), a delivery's creation (HSETNX-like), an attempt claim
 * (SET … PX, the lease expiring on Redis's clock), an attempt's outcome
 * (checked against the attempt count and the claim's generation).
 */
export class RedisSchedules implements ScheduleStore {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #errors: RedisErrors;
  readonly #logger?: Logger;

  constructor(options: RedisSchedulesOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#errors = options.errors;
    this.#logger = options.logger;
  }

  // ── schedules ────────────────────────────────────────────────────────────

  async createSchedule(schedule: ScheduleJson): Promise<{ created: boolean; schedule: ScheduleJson }> {
    const checked = checkSchedule(schedule);
    const key = this.#keys.schedules;
    const reply = await this.#errors.call("create the schedule", [[key, "hash"]], () =>
      createScheduleScript.run(this.#redis, [key], [checked.id, JSON.stringify(checked)]),
    );
    const [created, stored] = parseReply(reply, createdReply, "create schedule");
    if (created === 1) return { created: true, schedule: checked };
    const existing = await this.getSchedule(checked.id);
    return { created: false, schedule: existing ?? parseSchedule(stored, checked.id) };
  }

  async getSchedule(id: string): Promise<ScheduleJson | null> {
    assertScheduleId(id);
    const key = this.#keys.schedules;
    const fires = this.#keys.schedule(id, "fires");
    const [text, latest] = await this.#errors.call(
      "read the schedule",
      [
        [key, "hash"],
        [fires, "zset"],
      ],
      async () => {
        const results = values(
          await this.#redis.multi().hget(key, id).zrange(fires, -1, -1, "WITHSCORES").exec(),
        );
        return [results[0], results[1]] as [unknown, unknown];
      },
    );
    if (typeof text !== "string") return null;
    return withLastFire(parseSchedule(text, id), latestFire(latest));
  }

  async listSchedules(): Promise<ScheduleJson[]> {
    const key = this.#keys.schedules;
    const all = await this.#errors.call("list schedules", [[key, "hash"]], () => this.#redis.hgetall(key));
    const ids = Object.keys(all).filter((id) => isScheduleId(id));
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.zrange(this.#keys.schedule(id, "fires"), -1, -1, "WITHSCORES");
    const latest =
      ids.length > 0 ? values(await this.#errors.call("list schedules", [], () => pipeline.exec())) : [];
    const schedules: ScheduleJson[] = [];
    ids.forEach((id, index) => {
      const schedule = parseJson(all[id] ?? "", scheduleJsonSchema);
      if (schedule) schedules.push(withLastFire(schedule, latestFire(latest[index])));
      else this.#logger?.error("store.schedule_record_damaged", { id });
    });
    return schedules.sort(byCreation);
  }

  async countSchedules(): Promise<number> {
    const key = this.#keys.schedules;
    return this.#errors.call("count schedules", [[key, "hash"]], () => this.#redis.hlen(key));
  }

  async updateSchedule(schedule: ScheduleJson): Promise<boolean> {
    const checked = checkSchedule(schedule);
    const key = this.#keys.schedules;
    const reply = await this.#errors.call("update the schedule", [[key, "hash"]], () =>
      updateScheduleScript.run(this.#redis, [key], [checked.id, JSON.stringify(checked)]),
    );
    return parseReply(reply, countReply, "update schedule") === 1;
  }

  async deleteSchedule(id: string): Promise<boolean> {
    assertScheduleId(id);
    const keys: TypedKey[] = [
      [this.#keys.schedules, "hash"],
      [this.#keys.schedule(id, "fires"), "zset"],
      [this.#keys.schedule(id, "runs"), "hash"],
      [this.#keys.schedule(id, "run-order"), "zset"],
    ];
    const reply = await this.#errors.call("delete the schedule", keys, () =>
      deleteScheduleScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [id],
      ),
    );
    return parseReply(reply, countReply, "delete schedule") === 1;
  }

  async claimFire(scheduleId: string, fireTime: number, ownerId: string): Promise<boolean> {
    assertScheduleId(scheduleId);
    assertFireTime(fireTime);
    assertOwnerId(ownerId);
    const keys: TypedKey[] = [
      [this.#keys.schedules, "hash"],
      [this.#keys.schedule(scheduleId, "fires"), "zset"],
    ];
    const reply = await this.#errors.call("claim the fire", keys, () =>
      claimFireScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [scheduleId, String(fireTime), String(FIRE_CLAIM_HORIZON_MS)],
      ),
    );
    return parseReply(reply, countReply, "claim fire") === 1;
  }

  // ── runs ─────────────────────────────────────────────────────────────────

  async saveRun(run: ScheduleRunJson): Promise<boolean> {
    const checked = checkRun(run);
    const keys: TypedKey[] = [
      [this.#keys.schedules, "hash"],
      [this.#keys.schedule(checked.scheduleId, "runs"), "hash"],
      [this.#keys.schedule(checked.scheduleId, "run-order"), "zset"],
    ];
    const reply = await this.#errors.call("save the run record", keys, () =>
      saveRunScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [checked.scheduleId, String(runKey(checked)), JSON.stringify(checked)],
      ),
    );
    return parseReply(reply, countReply, "save run") === 1;
  }

  async listRuns(scheduleId: string, options?: ListRunsOptions): Promise<ScheduleRunPage> {
    assertScheduleId(scheduleId);
    const { limit, before } = checkRunsPage(options);
    const runs = this.#keys.schedule(scheduleId, "runs");
    const order = this.#keys.schedule(scheduleId, "run-order");
    const keys: TypedKey[] = [
      [runs, "hash"],
      [order, "zset"],
    ];
    const max = before === Number.POSITIVE_INFINITY ? "+inf" : `(${before}`;
    const fires = await this.#errors.call("list run records", keys, () =>
      this.#redis.zrevrangebyscore(order, max, "-inf", "LIMIT", 0, limit + 1),
    );
    if (fires.length === 0) return { runs: [], nextCursor: null };
    const texts = await this.#errors.call("list run records", keys, () => this.#redis.hmget(runs, ...fires));
    const records: ScheduleRunJson[] = [];
    texts.forEach((text, index) => {
      const run = text === null ? null : parseJson(text, scheduleRunJsonSchema);
      if (run) records.push(run);
      else this.#logger?.error("store.schedule_run_damaged", { scheduleId, fireTime: fires[index] });
    });
    return runPage(records, limit);
  }

  async pruneRuns(scheduleId: string, before: string): Promise<number> {
    assertScheduleId(scheduleId);
    const cut = checkRunsPage({ before }).before;
    const keys: TypedKey[] = [
      [this.#keys.schedule(scheduleId, "runs"), "hash"],
      [this.#keys.schedule(scheduleId, "run-order"), "zset"],
    ];
    const reply = await this.#errors.call("prune run records", keys, () =>
      pruneRunsScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [String(cut)],
      ),
    );
    return parseReply(reply, countReply, "prune runs");
  }

  // ── deliveries ───────────────────────────────────────────────────────────

  async createDelivery(
    delivery: WebhookDeliveryJson,
  ): Promise<{ created: boolean; delivery: WebhookDeliveryJson }> {
    const checked = checkNewDelivery(delivery);
    const keys: TypedKey[] = [
      [this.#keys.delivery(checked.id, "record"), "hash"],
      [this.#keys.dueDeliveries, "zset"],
      [this.#keys.taskDeliveries(checked.taskId), "zset"],
    ];
    const reply = await this.#errors.call("create the delivery", keys, () =>
      createDeliveryScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [
          JSON.stringify(checked),
          String(Date.parse(checked.nextAttemptAt ?? checked.createdAt)),
          String(Date.parse(checked.createdAt)),
          checked.id,
        ],
      ),
    );
    const [created, stored] = parseReply(reply, createdReply, "create delivery");
    if (created === 1) return { created: true, delivery: checked };
    return { created: false, delivery: parseDelivery(stored, checked.id) };
  }

  async getDelivery(id: string): Promise<WebhookDeliveryJson | null> {
    assertDeliveryId(id);
    const key = this.#keys.delivery(id, "record");
    const text = await this.#errors.call("read the delivery", [[key, "hash"]], () =>
      this.#redis.hget(key, "json"),
    );
    return text === null ? null : parseDelivery(text, id);
  }

  async listDueDeliveries(now: Date, limit: number): Promise<WebhookDeliveryJson[]> {
    if (limit <= 0) return [];
    const due = this.#keys.dueDeliveries;
    const ids = await this.#errors.call("list due deliveries", [[due, "zset"]], () =>
      this.#redis.zrangebyscore(due, "-inf", String(now.getTime()), "LIMIT", 0, limit),
    );
    return this.#readDeliveries(ids.filter((id) => isDeliveryId(id)));
  }

  async listDeliveries(taskId: string): Promise<WebhookDeliveryJson[]> {
    const key = this.#keys.taskDeliveries(taskId);
    const ids = await this.#errors.call("list the task's deliveries", [[key, "zset"]], () =>
      this.#redis.zrange(key, 0, -1),
    );
    const deliveries = await this.#readDeliveries(ids.filter((id) => isDeliveryId(id)));
    return deliveries.filter((delivery) => delivery.taskId === taskId).sort(byCreation);
  }

  async claimDeliveryAttempt(
    id: string,
    ownerId: string,
    options: ClaimDeliveryOptions,
  ): Promise<DeliveryClaim | null> {
    assertDeliveryId(id);
    assertOwnerId(ownerId);
    const { now, leaseMs } = checkClaimOptions(options);
    const keys: TypedKey[] = [
      [this.#keys.delivery(id, "record"), "hash"],
      [this.#keys.delivery(id, "claim"), "string"],
    ];
    const reply = await this.#errors.call("claim the delivery attempt", keys, () =>
      claimDeliveryScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [String(now), ownerId, String(leaseMs)],
      ),
    );
    const parsed = parseReply(reply, claimReply, "claim delivery");
    if (parsed[0] === 0) return null;
    const [, attempt, generation, json] = parsed;
    return { deliveryId: id, attempt, generation, ownerId, delivery: parseDelivery(json, id) };
  }

  async recordDeliveryAttempt(
    claim: DeliveryClaim,
    outcome: DeliveryOutcome,
  ): Promise<WebhookDeliveryJson | null> {
    checkClaim(claim);
    const checked = checkOutcome(outcome);
    const next = withOutcome(claim.delivery, checked);
    const id = claim.deliveryId;
    const keys: TypedKey[] = [
      [this.#keys.delivery(id, "record"), "hash"],
      [this.#keys.delivery(id, "claim"), "string"],
      [this.#keys.dueDeliveries, "zset"],
    ];
    const reply = await this.#errors.call("record the delivery attempt", keys, () =>
      recordAttemptScript.run(
        this.#redis,
        keys.map(([key]) => key),
        [
          String(claim.attempt),
          String(claim.generation),
          claim.ownerId,
          JSON.stringify(next),
          next.status,
          next.nextAttemptAt === null ? "0" : String(Date.parse(next.nextAttemptAt)),
          id,
        ],
      ),
    );
    return parseReply(reply, countReply, "record attempt") === 1 ? next : null;
  }

  async deleteDeliveries(taskId: string): Promise<number> {
    const taskKey = this.#keys.taskDeliveries(taskId);
    const ids = await this.#errors.call("list the task's deliveries", [[taskKey, "zset"]], () =>
      this.#redis.zrange(taskKey, 0, -1),
    );
    let removed = 0;
    for (const id of ids.filter((value) => isDeliveryId(value))) {
      const keys: TypedKey[] = [
        [this.#keys.delivery(id, "record"), "hash"],
        [this.#keys.delivery(id, "claim"), "string"],
        [this.#keys.dueDeliveries, "zset"],
        [taskKey, "zset"],
      ];
      const reply = await this.#errors.call("delete the delivery", keys, () =>
        deleteDeliveryScript.run(
          this.#redis,
          keys.map(([key]) => key),
          [id],
        ),
      );
      removed += parseReply(reply, countReply, "delete delivery");
    }
    const subscriptions = this.#keys.taskSubscriptions(taskId);
    await this.#errors.call("delete the task's subscriptions", [[subscriptions, "set"]], () =>
      this.#redis.del(subscriptions),
    );
    return removed;
  }

  async addSubscription(
    taskId: string,
    run: number,
    url: string,
    limit: number,
  ): Promise<SubscriptionResult> {
    checkSubscription(taskId, run, url, limit);
    const key = this.#keys.taskSubscriptions(taskId);
    const reply = await this.#errors.call("subscribe to the task", [[key, "set"]], () =>
      addSubscriptionScript.run(this.#redis, [key], [`${run} ${url}`, `${run} `, String(limit)]),
    );
    const result = parseReply(reply, countReply, "add subscription");
    return result === 1 ? "added" : result === 2 ? "full" : "exists";
  }

  async listSubscriptions(taskId: string, run: number): Promise<string[]> {
    checkSubscription(taskId, run);
    const key = this.#keys.taskSubscriptions(taskId);
    const members = await this.#errors.call("list the task's subscriptions", [[key, "set"]], () =>
      this.#redis.smembers(key),
    );
    const prefix = `${run} `;
    return members
      .filter((member) => member.startsWith(prefix))
      .map((member) => member.slice(prefix.length))
      .sort();
  }

  async #readDeliveries(ids: string[]): Promise<WebhookDeliveryJson[]> {
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hget(this.#keys.delivery(id, "record"), "json");
    const results = values(await this.#errors.call("read deliveries", [], () => pipeline.exec()));
    const deliveries: WebhookDeliveryJson[] = [];
    ids.forEach((id, index) => {
      const text = results[index];
      // A delivery deleted between the listing and the read is left out.
      if (typeof text === "string") deliveries.push(parseDelivery(text, id));
    });
    return deliveries;
  }
}

/** The replies of a MULTI or pipeline; the first command's error is thrown. */
function values(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new AppError("storage_error", "A Redis transaction was aborted.");
  for (const [error] of results) if (error) throw error;
  return results.map(([, value]) => value);
}

/** The score of ZRANGE … WITHSCORES's one entry, or null. */
function latestFire(reply: unknown): number | null {
  if (!Array.isArray(reply) || reply.length < 2) return null;
  const value = Number(reply[1]);
  return Number.isFinite(value) ? value : null;
}

function parseSchedule(text: string, id: string): ScheduleJson {
  const schedule = parseJson(text, scheduleJsonSchema);
  if (!schedule) throw new AppError("storage_error", `The record of schedule ${id} is damaged.`);
  return schedule;
}

function parseDelivery(text: string, id: string): WebhookDeliveryJson {
  const delivery = parseJson(text, webhookDeliveryJsonSchema);
  if (!delivery) throw new AppError("storage_error", `The record of delivery ${id} is damaged.`);
  return delivery;
}
