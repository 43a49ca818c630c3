import { z } from "zod";

/** Longest webhook URL accepted, in characters. */
export const WEBHOOK_URL_MAX_LENGTH = 2000;

/**
 * Where a webhook is sent: an http(s) URL. Whether its host may be reached
 * (the SSRF guard, FETCH_ALLOW_PRIVATE) is decided where it is sent.
 * (Its own file so that the research request and the schedule both use it
 * without importing each other.)
 */
export const webhookUrlSchema = z
  .string()
  .trim()
  .max(WEBHOOK_URL_MAX_LENGTH, `webhook url must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`)
  .pipe(z.url({ protocol: /^https?$/, error: "webhook url must be an http:// or https:// URL" }));

/** `{url}`: what a request or a schedule names to be notified when a run ends. */
export const webhookTargetSchema = z.strictObject({ url: webhookUrlSchema });
export type WebhookTarget = z.infer<typeof webhookTargetSchema>;
