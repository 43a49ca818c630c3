import { z } from "zod";
import { isTaskId, TASK_ID_PATTERN, type TaskJson, taskStatuses } from "./task-json";

/**
 * Webhooks: a JSON POST to a URL when a task's run ends, signed
 * (`lib/tasks/webhook-signature.ts`), retried with backoff for up to
 * WEBHOOK_MAX_AGE_HOURS. Each delivery is a durable record in the store,
 * created once per run and URL, its attempts claimed one at a time by
 * exactly one process (docs/ARCHITECTURE.md, "Schedules and webhooks").
 */

/** A delivery's id: 32 hex digits, derived from its task, run and URL (`deliveryIdOf`). */
export const DELIVERY_ID_PATTERN = /^[0-9a-f]{32}$/;

export function isDeliveryId(value: unknown): value is string {
  return typeof value === "string" && DELIVERY_ID_PATTERN.test(value);
}

/**
 * The id of the delivery of run `run` of `taskId` to `url`: the first 32 hex
 * digits of the SHA-256 of the three. The same run notifying the same URL
 * is one delivery, however many processes create it; the URL is not
 * readable from the id.
 *
 * `endEventId`, the id of the last event of the run's ending (its `done`),
 * tells apart two endings of one run: a failed run that is retried and
 * then completes ends twice, and each ending is notified once. Every
 * process that creates the delivery of one ending reads the same id from
 * the finished task's snapshot (`lastEventId`).
 */
export async function deliveryIdOf(
  taskId: string,
  run: number,
  url: string,
  endEventId?: number,
): Promise<string> {
  if (!isTaskId(taskId)) throw new TypeError("deliveryIdOf: expected a task id");
  const key =
    endEventId === undefined ? `${taskId}\n${run}\n${url}` : `${taskId}\n${run}\n${endEventId}\n${url}`;
  const bytes = new TextEncoder().encode(key);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.slice(0, 16)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Limits of webhooks. A request that joins a task is free (no rate limit),
 * so the URLs one run notifies are capped: past the cap a new URL is
 * refused (429) instead of adding a delivery per request.
 */
export const WEBHOOK_LIMITS = {
  /** URLs one run of a task notifies, besides the server's WEBHOOK_URL. */
  subscriptionsPerRun: 10,
} as const;

const instantSchema = z.iso.datetime();

export const webhookEventTypes = ["task.finished"] as const;

/** What a webhook POSTs (the raw body is this as JSON; the signature covers it byte for byte). */
export const webhookPayloadSchema = z.object({
  type: z.enum(webhookEventTypes),
  /** The delivery's id: the same in every retry, for the receiver to deduplicate. */
  deliveryId: z.string().regex(DELIVERY_ID_PATTERN),
  taskId: z.string().regex(TASK_ID_PATTERN),
  run: z.number().int().positive(),
  /** How the run ended. */
  status: z.enum(taskStatuses),
  reportLength: z.number().int().nonnegative(),
  /** The error of a failed run, redacted. */
  error: z.string().nullable(),
  /** The schedule whose fire started the run, if any. */
  scheduleId: z.string().nullable(),
  finishedAt: instantSchema,
  /** Absolute when the server knows its public address, else paths. */
  links: z.object({ task: z.string(), events: z.string(), page: z.string() }),
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** The links of a task for a payload; `baseUrl` (no trailing slash) makes them absolute. */
export function webhookLinks(taskId: string, baseUrl = ""): WebhookPayload["links"] {
  return {
    task: `${baseUrl}/api/tasks/${taskId}`,
    events: `${baseUrl}/api/tasks/${taskId}/events`,
    page: `${baseUrl}/tasks/${taskId}`,
  };
}

export const deliveryStatuses = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** One attempt to deliver: when, the HTTP status the receiver answered, or why there was none. */
export const deliveryAttemptSchema = z.object({
  at: instantSchema,
  /** The receiver's HTTP status; absent when no answer came (refused, timed out). */
  status: z.number().int().min(100).max(599).optional(),
  /** What went wrong, redacted; absent for a 2xx. */
  error: z.string().optional(),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

/** A stored delivery (`GET /api/tasks/:id/deliveries` shows them, without the URL to other clients). */
export const webhookDeliveryJsonSchema = z.object({
  id: z.string().regex(DELIVERY_ID_PATTERN),
  taskId: z.string().regex(TASK_ID_PATTERN),
  run: z.number().int().positive(),
  url: z.string(),
  status: z.enum(deliveryStatuses),
  attempts: z.array(deliveryAttemptSchema),
  /** When the next attempt is due; null once delivered or given up. */
  nextAttemptAt: instantSchema.nullable(),
  createdAt: instantSchema,
  /** The body every attempt sends (the signature's timestamp is per attempt). */
  payload: webhookPayloadSchema,
});
export type WebhookDeliveryJson = z.infer<typeof webhookDeliveryJsonSchema>;

/** The outcome of one attempt, as its sender records it. */
export interface DeliveryOutcome {
  attempt: DeliveryAttempt;
  /** True when the receiver answered 2xx. */
  delivered: boolean;
  /** When to try again; null gives up (the delivery is `failed`). Ignored when delivered. */
  nextAttemptAt: string | null;
}

/** The delivery after an outcome: its attempt added, its status and next attempt set. */
export function withOutcome(delivery: WebhookDeliveryJson, outcome: DeliveryOutcome): WebhookDeliveryJson {
  const status: DeliveryStatus = outcome.delivered
    ? "delivered"
    : outcome.nextAttemptAt === null
      ? "failed"
      : "pending";
  return webhookDeliveryJsonSchema.parse({
    ...delivery,
    status,
    attempts: [...delivery.attempts, outcome.attempt],
    nextAttemptAt: status === "pending" ? outcome.nextAttemptAt : null,
  });
}

/** The payload of the delivery `deliveryId` of a finished task's run (its current ending). */
export function runEndPayload(
  task: TaskJson,
  deliveryId: string,
  options: {
    now: Date;
    /** PUBLIC_URL: makes the links absolute. */
    baseUrl?: string;
    /** The schedule whose fire started the run. */
    scheduleId?: string | null;
  },
): WebhookPayload {
  return webhookPayloadSchema.parse({
    type: "task.finished",
    deliveryId,
    taskId: task.id,
    run: task.run,
    status: task.status,
    reportLength: task.result?.reportLength ?? task.result?.report?.length ?? 0,
    error: task.error?.message ?? null,
    scheduleId: options.scheduleId ?? null,
    finishedAt: task.finishedAt ?? options.now.toISOString(),
    links: webhookLinks(task.id, options.baseUrl),
  });
}

/**
 * A delivery as `GET /api/tasks/:id/deliveries` shows it: the URL cut to
 * its origin (scheme, host and port; a path or query may carry a token of
 * the receiver's), the attempts, the next attempt. Anyone who may read the
 * task may read this, so nothing more of the URL is shown.
 */
export const deliveryViewSchema = z.object({
  id: z.string(),
  run: z.number().int().positive(),
  /** The receiver's origin (`https://hooks.example.com`). */
  target: z.string(),
  status: z.enum(deliveryStatuses),
  /** How the run ended, as the payload says. */
  runStatus: z.enum(taskStatuses),
  attempts: z.array(deliveryAttemptSchema),
  nextAttemptAt: instantSchema.nullable(),
  createdAt: instantSchema,
});
export type DeliveryView = z.infer<typeof deliveryViewSchema>;

/** `GET /api/tasks/:id/deliveries`: the task's webhook deliveries, oldest first. */
export const deliveryListSchema = z.object({ taskId: z.string(), deliveries: z.array(deliveryViewSchema) });

export function deliveryView(delivery: WebhookDeliveryJson): DeliveryView {
  return {
    id: delivery.id,
    run: delivery.run,
    target: originOf(delivery.url),
    status: delivery.status,
    runStatus: delivery.payload.status,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.nextAttemptAt,
    createdAt: delivery.createdAt,
  };
}

/** The origin of a URL (`https://host:port`), or "" for one that does not parse. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    // A stored URL was checked when it was given; an unparsable one shows nothing.
    return "";
  }
}
