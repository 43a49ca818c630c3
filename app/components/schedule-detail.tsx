"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useState } from "react";
import type { ScheduleRunJson } from "@/lib/model/schedule";
import type { ScheduleView } from "@/lib/model/schedule-view";
import { describeError } from "./api";
import { countLabel } from "./document-format";
import { ScheduleActions } from "./schedule-actions";
import { ScheduleForm } from "./schedule-form";
import { formatDuration } from "./schedule-format";
import { FireTime, RunOutcome, RunReportLink, ScheduleState } from "./schedule-parts";
import { getSchedule, listScheduleRuns } from "./schedules-api";
import { useNow, usePolling } from "./use-now";

/** How often the page asks for the schedule and its newest runs. */
const REFRESH_MS = 2000;

/** Merges a fresh first page into what is shown: newer records replace theirs, older pages stay. */
function mergeRuns(fresh: ScheduleRunJson[], shown: ScheduleRunJson[]): ScheduleRunJson[] {
  const byFire = new Map(fresh.map((run) => [run.fireTime, run]));
  const oldest = fresh.at(-1)?.fireTime;
  const older = oldest ? shown.filter((run) => run.fireTime < oldest && !byFire.has(run.fireTime)) : [];
  return [...fresh, ...older];
}

function RunRow({ run, now }: { run: ScheduleRunJson; now: number | null }) {
  return (
    <tr data-fire={run.fireTime} data-testid="schedule-run">
      <td>
        <FireTime iso={run.fireTime} now={now} />
        {run.manual ? <span className="badge">Run now</span> : null}
        {run.catchUp ? <span className="badge">Catch-up</span> : null}
      </td>
      <td className="num">{run.run ?? "—"}</td>
      <td>
        <time dateTime={run.startedAt}>{new Date(run.startedAt).toLocaleTimeString()}</time>
      </td>
      <td className="num">{formatDuration(run.durationMs)}</td>
      <td>
        <RunOutcome run={run} />
        {run.error ? <span className="run-error small">{run.error}</span> : null}
      </td>
      <td className="num">{run.reportLength === null ? "—" : countLabel(run.reportLength, "character")}</td>
      <td className="num">
        {run.sources ?? "—"}
        {run.newSources ? <span className="muted small"> ({run.newSources} new)</span> : null}
      </td>
      <td>
        <RunReportLink run={run} />
      </td>
    </tr>
  );
}

/** One schedule: what it runs and when, its controls, editing it, and its run history with links to the reports. */
export function ScheduleDetail({
  initialSchedule,
  initialRuns,
  initialCursor,
  minIntervalS,
}: {
  initialSchedule: ScheduleView;
  initialRuns: ScheduleRunJson[];
  initialCursor: string | null;
  minIntervalS: number;
}) {
  const router = useRouter();
  const [schedule, setSchedule] = useState(initialSchedule);
  const [runs, setRuns] = useState(initialRuns);
  const [cursor, setCursor] = useState(initialCursor);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const now = useNow();
  const id = schedule.id;

  const refresh = useCallback(async () => {
    try {
      const [fresh, page] = await Promise.all([getSchedule(id), listScheduleRuns(id)]);
      setSchedule(fresh);
      setRuns((shown) => mergeRuns(page.runs, shown));
      setError(null);
    } catch (caught) {
      setError(describeError(caught));
    }
  }, [id]);
  usePolling(refresh, REFRESH_MS);

  async function loadMore() {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await listScheduleRuns(id, { cursor });
      setRuns((shown) => [
        ...shown,
        ...page.runs.filter((run) => !shown.some((other) => other.fireTime === run.fireTime)),
      ]);
      setCursor(page.nextCursor);
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setLoadingMore(false);
    }
  }

  return (
    <div className="schedule-detail">
      <Link href="/schedules" className="back-link">
        ← Schedules
      </Link>
      <div className="page-head">
        <div>
          <h1 className="page-title">
            {schedule.name} <ScheduleState enabled={schedule.enabled} />
          </h1>
          <p className="muted">{schedule.request.query}</p>
        </div>
      </div>
      <section className="card schedule-summary" aria-label="Schedule">
        <dl className="schedule-facts">
          <div>
            <dt>Cron</dt>
            <dd>
              <code className="mono">{schedule.cron}</code> <span className="muted">{schedule.timezone}</span>
            </dd>
          </div>
          <div>
            <dt>Next fire</dt>
            <dd data-testid="schedule-next-fire">
              {schedule.nextFireAt ? (
                <FireTime iso={schedule.nextFireAt} now={now} />
              ) : (
                <span className="muted">Paused</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Missed fires</dt>
            <dd>{schedule.missed === "once" ? "Run once to catch up" : "Skipped"}</dd>
          </div>
          <div>
            <dt>Webhook</dt>
            <dd>{schedule.webhook ? schedule.webhook.host : <span className="muted">None</span>}</dd>
          </div>
        </dl>
        <div className="schedule-summary-actions">
          <ScheduleActions
            schedule={schedule}
            onChanged={(next) => (next ? setSchedule(next) : void refresh())}
            onDeleted={() => router.push("/schedules")}
          />
          {editing ? null : (
            <button type="button" className="button button-small" onClick={() => setEditing(true)}>
              Edit
            </button>
          )}
        </div>
      </section>
      {editing ? (
        <ScheduleForm
          schedule={schedule}
          minIntervalS={minIntervalS}
          onSaved={(saved) => {
            setSchedule(saved);
            setEditing(false);
          }}
          onCancel={() => setEditing(false)}
        />
      ) : null}
      <section className="card schedule-runs" aria-labelledby="schedule-runs-title">
        <h2 id="schedule-runs-title" className="section-title">
          Run history
        </h2>
        {error ? (
          <p className="inline-error" role="alert">
            {error}
          </p>
        ) : null}
        {runs.length === 0 ? (
          <p className="muted small schedule-empty" data-testid="schedule-no-runs">
            No run yet.
          </p>
        ) : (
          <div className="run-table-scroll">
            <table className="run-table">
              <thead>
                <tr>
                  <th scope="col">Fire time</th>
                  <th scope="col">Run</th>
                  <th scope="col">Started</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Result</th>
                  <th scope="col">Report</th>
                  <th scope="col">Sources</th>
                  <th scope="col">Task</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((run) => (
                  <RunRow key={run.fireTime} run={run} now={now} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {cursor ? (
          <button type="button" className="button load-more" onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? "Loading…" : "Older runs"}
          </button>
        ) : null}
      </section>
    </div>
  );
}
