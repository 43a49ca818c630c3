"use client";

import Link from "next/link";
import type { ScheduleRunJson } from "@/lib/model/schedule";
import { formatAbsolute, formatRelative, runOutcome, runTaskHref } from "./schedule-format";

/** An instant as "in 3 minutes" with the absolute time beside it (both in the reader's zone). */
export function FireTime({ iso, now }: { iso: string; now: number | null }) {
  return (
    <span className="fire-time">
      <time dateTime={iso} title={iso}>
        {formatAbsolute(iso)}
      </time>
      {now === null ? null : <span className="muted small"> ({formatRelative(iso, now)})</span>}
    </span>
  );
}

/** A run record's outcome as a pill, with its error as the title. */
export function RunOutcome({ run }: { run: ScheduleRunJson }) {
  const outcome = runOutcome(run);
  return (
    <span className={`pill pill-${outcome.tone}`} title={run.error ?? undefined} data-outcome={outcome.tone}>
      <span className="pill-dot" aria-hidden="true" />
      {outcome.label}
    </span>
  );
}

/** A link to the task page of a run record's report, or a dash when the fire started none. */
export function RunReportLink({ run, label = "Report" }: { run: ScheduleRunJson; label?: string }) {
  const href = runTaskHref(run);
  if (!href) return <span className="muted">—</span>;
  return (
    <Link href={href} className="text-link" data-testid="run-report-link">
      {label}
      {run.run ? ` (run ${run.run})` : ""}
    </Link>
  );
}

/** "paused" / "active", as a pill. */
export function ScheduleState({ enabled }: { enabled: boolean }) {
  return (
    <span className={`pill ${enabled ? "pill-completed" : "pill-paused"}`} data-testid="schedule-state">
      <span className="pill-dot" aria-hidden="true" />
      {enabled ? "Active" : "Paused"}
    </span>
  );
}
