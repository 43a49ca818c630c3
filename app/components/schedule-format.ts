/**
 * How the schedule pages show times and outcomes: pure, so the relative and
 * absolute forms are tested without a browser (the clock is passed in).
 */
import type { ScheduleRunJson } from "@/lib/model/schedule";

const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/**
 * "in 3 seconds", "in 2 hours", "5 minutes ago": rounded in the largest unit
 * that fits (numbers always: "tomorrow" would be wrong for a fire 40 hours away),
 * in `locale` ("3 秒后"), `nowWord` for the very instant.
 */
export function formatRelative(iso: string, now: number, locale = "en", nowWord = "now"): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = Math.round((then - now) / 1000);
  if (seconds === 0) return nowWord;
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: "always" });
  for (const [unit, size] of steps) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(seconds, "second");
}

/**
 * The instant in the reader's own zone, to the second (fires can be seconds
 * apart), in `locale` (the page's; default: the browser's).
 */
export function formatAbsolute(iso: string, timeZone?: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "medium",
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
}

/** "850 ms", "12.4 s", "3 min 5 s". */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The tone and words of a run record's outcome. */
export function runOutcome(run: ScheduleRunJson): {
  tone: "running" | "completed" | "failed";
  label: string;
} {
  if (run.success === true) return { tone: "completed", label: "Succeeded" };
  if (run.success === false) return { tone: "failed", label: run.run === null ? "Skipped" : "Failed" };
  return { tone: "running", label: run.started ? "Running" : "Starting" };
}

/** The task page of a run record, or null when the fire started no task. */
export function runTaskHref(run: ScheduleRunJson): string | null {
  return run.taskId ? `/tasks/${run.taskId}` : null;
}

/** Splits an API refusal ("Invalid request: cron: …; timezone: ….") into messages by field. */
export function fieldErrors(message: string): { fields: Record<string, string>; rest: string | null } {
  const body = message.replace(/^Invalid request:\s*/i, "").replace(/\.$/, "");
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  for (const part of body.split("; ")) {
    const match = /^([a-zA-Z]+)(?:\.([a-zA-Z]+))?[^:\s]*: (.+)$/.exec(part);
    if (match?.[1] && match[3]) {
      const field = match[1] === "request" && match[2] ? match[2] : match[1];
      fields[field] = fields[field] ? `${fields[field]}; ${match[3]}` : match[3];
    } else rest.push(part);
  }
  return { fields, rest: rest.length > 0 ? rest.join("; ") : null };
}
