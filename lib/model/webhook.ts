import { z } from "zod";
import { isTaskId, TASK_ID_PATTERN, taskStatuses } from "./task-json";

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
 */
export async function deliveryIdOf(taskId: string, run: number, url: string): Promise<string> {
  if (!isTaskId(taskId)) throw new TypeError("deliveryIdOf: expected a task id");
  const bytes = new TextEncoder().encode(`${taskId}\n${run}\n${url}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.slice(0, 16)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

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
