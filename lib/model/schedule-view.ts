import { z } from "zod";
import {
  missedPolicies,
  type ScheduleJson,
  type ScheduleRunJson,
  scheduleJsonSchema,
  scheduleRunJsonSchema,
} from "./schedule";
import { nextFireTimes, PREVIEW_FIRES } from "./schedule-clock";

/**
 * What the API shows of a schedule. The webhook URL is never shown back
 * (it may carry a token in its path or query, and every client with access
 * sees every schedule): only that one is configured and its host.
 */
export const scheduleWebhookViewSchema = z.object({ configured: z.literal(true), host: z.string() });

export const scheduleViewSchema = z.object({
  id: scheduleJsonSchema.shape.id,
  name: z.string(),
  request: scheduleJsonSchema.shape.request,
  cron: z.string(),
  timezone: z.string(),
  enabled: z.boolean(),
  missed: z.enum(missedPolicies),
  webhook: scheduleWebhookViewSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The latest fire claimed (a fire of the expression or a run-now). */
  lastFireAt: z.string().nullable(),
  /** The next fire of the expression; null while paused or when it never fires again. */
  nextFireAt: z.string().nullable(),
  /** The next fires (`PREVIEW_FIRES` of them), whether paused or not. */
  nextFires: z.array(z.string()),
  /** The newest run record, or null before the first fire. */
  lastRun: scheduleRunJsonSchema.nullable(),
  links: z.object({ self: z.string(), runs: z.string(), task: z.string().nullable() }),
});
export type ScheduleView = z.infer<typeof scheduleViewSchema>;

export const scheduleListSchema = z.object({ schedules: z.array(scheduleViewSchema) });

/** The host of a webhook URL, for showing that one is configured without its path, query or credentials. */
export function webhookHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    // The stored URL passed the schema's URL check; an unreadable one is shown as unknown, never echoed.
    return "unknown";
  }
}

/**
 * A claimed fire as shown: fires are whole seconds, and a claim one
 * millisecond after a fire is the recovery claim of that fire
 * (`lib/tasks/schedule-runner.ts`), shown as the fire it recovered.
 */
function fireTimeOf(claimed: string): string {
  const time = Date.parse(claimed);
  return new Date(time - (time % 1000)).toISOString();
}

/** The view of a schedule at `now` (ms), with its newest run record. */
export function scheduleView(
  schedule: ScheduleJson,
  lastRun: ScheduleRunJson | null,
  now: number,
): ScheduleView {
  const nextFires = nextFireTimes(schedule, now, PREVIEW_FIRES).map((time) => new Date(time).toISOString());
  const self = `/api/schedules/${schedule.id}`;
  return {
    id: schedule.id,
    name: schedule.name,
    request: schedule.request,
    cron: schedule.cron,
    timezone: schedule.timezone,
    enabled: schedule.enabled,
    missed: schedule.missed,
    webhook: schedule.webhook ? { configured: true, host: webhookHost(schedule.webhook.url) } : null,
    createdAt: schedule.createdAt,
    updatedAt: schedule.updatedAt,
    lastFireAt: schedule.lastFireAt ? fireTimeOf(schedule.lastFireAt) : null,
    nextFireAt: schedule.enabled ? (nextFires[0] ?? null) : null,
    nextFires,
    lastRun,
    links: {
      self,
      runs: `${self}/runs`,
      task: lastRun?.taskId ? `/api/tasks/${lastRun.taskId}` : null,
    },
  };
}
