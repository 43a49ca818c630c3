import { Cron } from "croner";

/**
 * When a schedule fires: cron expressions evaluated in an IANA time zone,
 * with croner. Pure (every instant is passed in, in ms since the epoch) and
 * browser-safe, so the schedule form previews fire times with the same code
 * the server fires by. Times are whole seconds (croner strips milliseconds).
 *
 * Expressions have 5 fields (minute precision) or 6 (seconds first);
 * nicknames such as `@daily` are accepted.
 *
 * Daylight saving time (croner's "no-wildcard" rule, as Vixie cron):
 * - A *fixed-time* expression, whose second, minute and hour fields have no
 *   `*` and no step (`30 2 * * *`, `0 9,17 * * 1-5`), fires once per local
 *   time it names: a time in the spring gap (02:30 that does not exist) fires
 *   at the first valid time after it (03:00), and a time the autumn repeats
 *   (01:30 twice) fires on its first occurrence only. No day loses or doubles
 *   a fire.
 * - An *interval* expression (`*\/15 * * * *`, `0 * * * *`) follows elapsed
 *   time: it fires at every instant whose local time matches, so the repeated
 *   hour fires again (an hour of real time passed) and the skipped hour does
 *   not (it never happened); the interval between fires stays what it says.
 */

/** A schedule's timing: its cron expression and the IANA zone it is read in. */
export interface CronSpec {
  readonly cron: string;
  readonly timezone: string;
}

/** How `missed` fires (while no process was running) are handled. */
export type MissedPolicy = "skip" | "once";

/** How many upcoming fires the interval check looks at (and a preview may ask for at most). */
export const INTERVAL_CHECK_FIRES = 200;
/** Fires the API and the form preview. */
export const PREVIEW_FIRES = 5;

const SECOND_MS = 1000;

function cronOf(spec: CronSpec): Cron {
  return new Cron(spec.cron, {
    timezone: spec.timezone,
    paused: true,
    mode: "5-or-6-parts",
    fixedTimeRule: "no-wildcard",
  });
}

/**
 * True for a time zone name this runtime knows (`Europe/Berlin`, `UTC`).
 * `Intl.supportedValuesOf` leaves out aliases such as `UTC`, so the test is
 * whether `Intl.DateTimeFormat` accepts it; offsets (`+01:00`) are refused:
 * they have no daylight saving rules and are not IANA names.
 */
export function isTimeZone(timezone: string): boolean {
  if (typeof timezone !== "string" || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timezone)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    // A RangeError is the runtime's "unknown time zone"; nothing else is thrown here.
    return false;
  }
}

/** What is wrong with a schedule's timing, naming the field. */
export interface CronProblem {
  readonly field: "cron" | "timezone";
  readonly message: string;
}

/** Options of `checkCronSpec`. */
export interface CronCheckOptions {
  /** Fewest seconds allowed between two fires (MIN_SCHEDULE_INTERVAL_S). */
  minIntervalS: number;
  /** The instant the upcoming fires are counted from, in ms. */
  now: number;
}

/**
 * The problems of a schedule's timing, none when it is valid: an expression
 * croner cannot parse, an unknown zone, an expression that never fires, or
 * one that fires more often than `minIntervalS` anywhere in its next
 * `INTERVAL_CHECK_FIRES` fires (a list such as `0,1 9 * * *` fires twice a
 * minute apart once a day, and is refused as well).
 */
export function checkCronSpec(spec: CronSpec, options: CronCheckOptions): CronProblem[] {
  if (!isTimeZone(spec.timezone)) {
    return [
      {
        field: "timezone",
        message: `timezone ${JSON.stringify(String(spec.timezone).slice(0, 64))} is not an IANA time zone such as Europe/Berlin or America/New_York`,
      },
    ];
  }
  let cron: Cron;
  try {
    cron = cronOf(spec);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, "") : String(error);
    return [
      {
        field: "cron",
        message: `cron ${JSON.stringify(spec.cron.slice(0, 100))} is not a cron expression (${reason}); expected 5 fields (minute hour day month weekday) or 6 (seconds first)`,
      },
    ];
  }
  const fires = cron.nextRuns(INTERVAL_CHECK_FIRES, new Date(options.now)).map((date) => date.getTime());
  if (fires.length === 0) {
    return [{ field: "cron", message: `cron ${JSON.stringify(spec.cron)} never fires` }];
  }
  for (let index = 1; index < fires.length; index++) {
    const gapS = (fires[index]! - fires[index - 1]!) / SECOND_MS;
    if (gapS < options.minIntervalS) {
      return [
        {
          field: "cron",
          message: `cron ${JSON.stringify(spec.cron)} fires ${formatSeconds(gapS)} apart (at ${new Date(fires[index - 1]!).toISOString()} and ${new Date(fires[index]!).toISOString()}); schedules may fire at most every ${formatSeconds(options.minIntervalS)} (MIN_SCHEDULE_INTERVAL_S)`,
        },
      ];
    }
  }
  return [];
}

function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600} h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/**
 * The next `count` fire times strictly after `after`, ascending, in ms (fewer
 * when the expression stops firing). Throws for an invalid spec: callers
 * check it first (`checkCronSpec`).
 */
export function nextFireTimes(spec: CronSpec, after: number, count: number = PREVIEW_FIRES): number[] {
  if (count <= 0) return [];
  return cronOf(spec)
    .nextRuns(count, new Date(after))
    .map((date) => date.getTime());
}

/** The first fire strictly after `after`, or null when there is none. */
export function nextFireTime(spec: CronSpec, after: number): number | null {
  return nextFireTimes(spec, after, 1)[0] ?? null;
}

/**
 * Fire times in `(after, until]`, ascending, at most `limit` (the earliest
 * ones). For showing what is due; `dueFires` decides what actually fires.
 */
export function fireTimesBetween(spec: CronSpec, after: number, until: number, limit: number): number[] {
  const fires: number[] = [];
  if (until <= after || limit <= 0) return fires;
  for (const date of cronOf(spec).enumerate(new Date(after))) {
    const time = date.getTime();
    if (time > until || fires.length >= limit) break;
    fires.push(time);
  }
  return fires;
}

/** Options of `dueFires`. */
export interface DueFiresOptions {
  /** Fires at or before this instant were already handled (the last claimed fire, or the schedule's creation), in ms. */
  after: number;
  /** The evaluating process's clock, in ms. */
  now: number;
  /** A fire at most this old is on time (ticks are late by a little), in ms. */
  graceMs: number;
  missed: MissedPolicy;
}

/** What a tick at `now` should fire, and how many fires it passes over. */
export interface DueFires {
  /** Fire times to claim and run, ascending. */
  fires: number[];
  /** Fires in `(after, now]` that are not run (missed under `skip`, or covered by the one catch-up under `once`). */
  skipped: number;
  /**
   * Under `skip`, the latest of the missed fires (null when none was
   * missed): the runner records it as the skip, so the history shows it and
   * the next tick counts from there. Null under `once` (its catch-up is that fire).
   */
  latestSkipped: number | null;
}

/** Fires counted one by one at most this many; past it the count of skipped fires is a lower bound. */
const MAX_COUNTED_FIRES = 10_000;

/**
 * The fires due at `now`: every fire in `(after, now]`, sorted into on time
 * (at most `graceMs` old) and missed (older: every process was down, or
 * the schedule was paused).
 *
 * - `skip`: only the on-time fires run; missed ones are passed over.
 * - `once`: the on-time fires run; if there are none, the latest missed fire
 *   runs once as the catch-up for all of them (started late, named by its
 *   fire time). Nothing missed ever runs more than once.
 *
 * Each fire returned is still to be claimed (`ScheduleStore.claimFire`):
 * processes whose clocks or ticks differ may compute different answers,
 * and the claim is what makes a fire run once.
 */
export function dueFires(spec: CronSpec, options: DueFiresOptions): DueFires {
  const { after, now, graceMs, missed } = options;
  if (now <= after) return { fires: [], skipped: 0, latestSkipped: null };
  const onTimeFrom = Math.max(after, now - graceMs - 1);
  const onTime = fireTimesBetween(spec, onTimeFrom, now, MAX_COUNTED_FIRES);
  // The missed fires are those in (after, onTimeFrom]; only their number and the latest matter.
  const missedFires = fireTimesBetween(spec, after, onTimeFrom, MAX_COUNTED_FIRES);
  const latestMissed =
    missedFires.length < MAX_COUNTED_FIRES
      ? (missedFires.at(-1) ?? null)
      : latestFireAtOrBefore(spec, after, onTimeFrom);
  if (missed === "once" && onTime.length === 0 && latestMissed !== null) {
    return { fires: [latestMissed], skipped: missedFires.length - 1, latestSkipped: null };
  }
  return {
    fires: onTime,
    skipped: missedFires.length,
    latestSkipped: missed === "skip" ? latestMissed : null,
  };
}

/** The latest fire in `(after, until]`, or null. */
function latestFireAtOrBefore(spec: CronSpec, after: number, until: number): number | null {
  if (until <= after) return null;
  // previousRuns counts back from a reference, including a fire in the
  // reference's own second; ask from just after `until` and check the bounds.
  const [previous] = cronOf(spec).previousRuns(1, new Date(until + 1));
  const time = previous?.getTime();
  if (time === undefined || time <= after) return null;
  if (time > until) {
    const [earlier] = cronOf(spec).previousRuns(1, new Date(time));
    const value = earlier?.getTime();
    return value !== undefined && value > after && value <= until ? value : null;
  }
  return time;
}
