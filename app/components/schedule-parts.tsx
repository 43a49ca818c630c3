"use client";

import Link from "next/link";
import { useLocale, useTranslations } from "next-intl";
import type { ScheduleRunJson } from "@/lib/model/schedule";
import type { ScheduleView } from "@/lib/model/schedule-view";
import { formatAbsolute, formatRelative, runOutcome, runTaskHref } from "./schedule-format";

/** An instant as "in 3 minutes" with the absolute time beside it (both in the reader's zone). */
export function FireTime({ iso, now }: { iso: string; now: number | null }) {
  const locale = useLocale();
  const t = useTranslations("schedules");
  return (
    <span className="fire-time">
      <time dateTime={iso} title={iso}>
        {formatAbsolute(iso, undefined, locale)}
      </time>
      {now === null ? null : (
        <span className="muted small"> ({formatRelative(iso, now, locale, t("now"))})</span>
      )}
    </span>
  );
}

/** A run record's outcome as a pill, with its error as the title. */
const outcomeKeys = {
  Succeeded: "outcomeSucceeded",
  Skipped: "outcomeSkipped",
  Failed: "outcomeFailed",
  Running: "outcomeRunning",
  Starting: "outcomeStarting",
} as const;

export function RunOutcome({ run }: { run: ScheduleRunJson }) {
  const t = useTranslations("schedules");
  const outcome = runOutcome(run);
  const key = outcomeKeys[outcome.label as keyof typeof outcomeKeys];
  return (
    <span className={`pill pill-${outcome.tone}`} title={run.error ?? undefined} data-outcome={outcome.tone}>
      <span className="pill-dot" aria-hidden="true" />
      {key ? t(key) : outcome.label}
    </span>
  );
}

/** A link to the task page of a run record's report, or a dash when the fire started none. */
export function RunReportLink({ run, label }: { run: ScheduleRunJson; label?: string }) {
  const t = useTranslations("schedules");
  const href = runTaskHref(run);
  if (!href) return <span className="muted">—</span>;
  return (
    <Link href={href} className="text-link" data-testid="run-report-link">
      {label ?? t("report")}
      {run.run ? t("runSuffix", { run: run.run }) : ""}
    </Link>
  );
}

/** "paused" / "active", as a pill. */
export function ScheduleState({ enabled }: { enabled: boolean }) {
  const t = useTranslations("schedules");
  return (
    <span className={`pill ${enabled ? "pill-completed" : "pill-paused"}`} data-testid="schedule-state">
      <span className="pill-dot" aria-hidden="true" />
      {enabled ? t("active") : t("paused")}
    </span>
  );
}

/**
 * The cron fact and the next-fire fact of a schedule's `<dl>` (the list's
 * rows and the schedule's page): `noNextFire` stands where a paused schedule
 * has no next fire.
 */
export function CronAndNextFire({
  schedule,
  now,
  noNextFire,
}: {
  schedule: ScheduleView;
  now: number | null;
  noNextFire: string;
}) {
  const t = useTranslations("schedules");
  return (
    <>
      <div>
        <dt>{t("cron")}</dt>
        <dd>
          <code className="mono">{schedule.cron}</code> <span className="muted">{schedule.timezone}</span>
        </dd>
      </div>
      <div>
        <dt>{t("nextFire")}</dt>
        <dd data-testid="schedule-next-fire">
          {schedule.nextFireAt ? (
            <FireTime iso={schedule.nextFireAt} now={now} />
          ) : (
            <span className="muted">{noNextFire}</span>
          )}
        </dd>
      </div>
    </>
  );
}
