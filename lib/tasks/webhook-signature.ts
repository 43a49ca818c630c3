import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signing webhooks (docs/ARCHITECTURE.md, "Schedules and webhooks"). Pure:
 * the time and the random numbers are passed in.
 *
 * A webhook POST carries `Fathom-Signature: t=<unix seconds>,v1=<hex>`,
 * where the hex is the HMAC-SHA256, keyed with WEBHOOK_SECRET, of
 * `<t>.<raw body>`. A receiver recomputes it over the bytes it received
 * (before parsing them), compares in constant time, and refuses a timestamp
 * further than its tolerance from its own clock (a replayed request). The
 * README's verification example is `verifyWebhook` in ten lines.
 */

/** The header that carries the signature. */
export const SIGNATURE_HEADER = "Fathom-Signature";
/** The header that carries the delivery's id (the same in every retry). */
export const DELIVERY_HEADER = "Fathom-Delivery";
/** Default tolerance of `verifyWebhook`, in seconds. */
export const DEFAULT_TOLERANCE_S = 300;

/** The hex HMAC-SHA256 of `<timestamp>.<rawBody>` keyed with `secret`. */
export function webhookSignature(rawBody: string, timestampS: number, secret: string): string {
  return createHmac("sha256", secret).update(`${timestampS}.${rawBody}`).digest("hex");
}

/** The `Fathom-Signature` value for a body sent at `nowMs`. */
export function signatureHeader(rawBody: string, secret: string, nowMs: number): string {
  const timestampS = Math.floor(nowMs / 1000);
  return `t=${timestampS},v1=${webhookSignature(rawBody, timestampS, secret)}`;
}

/** The headers of a webhook POST: JSON, the delivery id, and the signature when a secret is configured. */
export function webhookHeaders(
  rawBody: string,
  deliveryId: string,
  secret: string | undefined,
  nowMs: number,
): Record<string, string> {
  return {
    "Content-Type": "application/json",
    "User-Agent": "Fathom-Webhook/1",
    [DELIVERY_HEADER]: deliveryId,
    ...(secret ? { [SIGNATURE_HEADER]: signatureHeader(rawBody, secret, nowMs) } : {}),
  };
}

/** Why a signature was not accepted, or that it was. */
export type WebhookVerdict =
  | { ok: true; timestampS: number }
  | { ok: false; reason: "malformed" | "stale" | "mismatch" };

/**
 * Checks a received webhook: the header's timestamp within `toleranceS` of
 * `nowMs`, and one of its `v1` signatures equal (in constant time) to the
 * HMAC of `<t>.<rawBody>`. `rawBody` must be the bytes as received, not
 * JSON parsed and printed again.
 */
export function verifyWebhook(
  rawBody: string,
  header: string | null | undefined,
  secret: string,
  toleranceS: number = DEFAULT_TOLERANCE_S,
  nowMs: number = Date.now(),
): WebhookVerdict {
  if (!header) return { ok: false, reason: "malformed" };
  const parts = header.split(",").map((part) => part.trim().split("="));
  const t = parts.find(([key]) => key === "t")?.[1];
  const signatures = parts
    .filter(([key, value]) => key === "v1" && value)
    .map(([, value]) => value as string);
  if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0) return { ok: false, reason: "malformed" };
  const timestampS = Number(t);
  if (Math.abs(nowMs / 1000 - timestampS) > toleranceS) return { ok: false, reason: "stale" };
  const expected = Buffer.from(webhookSignature(rawBody, timestampS, secret), "hex");
  const matches = signatures.some((signature) => {
    if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
    return timingSafeEqual(Buffer.from(signature, "hex"), expected);
  });
  return matches ? { ok: true, timestampS } : { ok: false, reason: "mismatch" };
}

/** Options of `nextWebhookAttempt`. */
export interface WebhookRetryOptions {
  /** WEBHOOK_RETRY_BASE_S: the first retry comes at least this long after the first attempt. */
  baseS: number;
  /** WEBHOOK_MAX_AGE_HOURS: no attempt is made later than this after the delivery was created. */
  maxAgeHours: number;
  /** Longest pause between two attempts, in seconds. Default 3600. */
  maxDelayS?: number;
  /** Uniform random numbers in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/**
 * The pause after failed attempt `attempt` (1 for the first), in ms:
 * `baseS·2^(attempt−1)`, at most `maxDelayS`, stretched by a random factor
 * in [1, 1.25) so deliveries that failed together (a receiver that was
 * down) do not all come back in the same second. Never shorter than the
 * exponential figure: the first retry waits at least `baseS`.
 */
export function webhookRetryDelayMs(attempt: number, options: WebhookRetryOptions): number {
  const maxDelayS = options.maxDelayS ?? 3600;
  const random = options.random ?? Math.random;
  const exponent = Math.max(0, Math.min(attempt - 1, 40));
  const delayS = Math.min(maxDelayS, options.baseS * 2 ** exponent);
  return Math.round(delayS * 1000 * (1 + random() * 0.25));
}

/**
 * When to try a delivery again after failed attempt `attempt` at `nowMs`,
 * or null to give up: the next attempt would come later than
 * `maxAgeHours` after the delivery's creation.
 */
export function nextWebhookAttempt(
  attempt: number,
  createdAtMs: number,
  nowMs: number,
  options: WebhookRetryOptions,
): Date | null {
  const next = nowMs + webhookRetryDelayMs(attempt, options);
  return next > createdAtMs + options.maxAgeHours * 3_600_000 ? null : new Date(next);
}
