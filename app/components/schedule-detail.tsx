"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useFormatter, useLocale, useTranslations } from "next-intl";
import { useCallback, useState } from "react";
import type { ScheduleRunJson } from "@/lib/model/schedule";
import type { ScheduleView } from "@/lib/model/schedule-view";
import { useErrorText } from "./error-text";
import { ScheduleActions } from "./schedule-actions";
import { ScheduleForm } from "./schedule-form";
import { CronAndNextFire, FireTime, RunOutcome, RunReportLink, ScheduleState } from "./schedule-parts";
import { getSchedule, listScheduleRuns } from "./schedules-api";
import { useFormat } from "./use-format";
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

/** "850 ms", "12.4 s", "3 min 5 s" in the page's language. */
function useDuration(): (ms: number | null) => string {
  const t = useTranslations("schedules");
  const format = useFormatter();
  return (ms) => {
    if (ms === null) return "—";
    if (ms < 1000) return t("durationMs", { ms });
    if (ms < 60_000)
      return t("durationS", {
        seconds: format.number(ms / 1000, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
      });
    const seconds = Math.round(ms / 1000);
    return t("durationMin", { minutes: Math.floor(seconds / 60), seconds: seconds % 60 });
  };
}

function RunRow({ run, now }: { run: ScheduleRunJson; now: number | null }) {
  const t = useTranslations("schedules");
  const format = useFormat();
  // The reader's own zone (the browser's), in the page's language.
  const locale = useLocale();
  const duration = useDuration();
  return (
    <tr data-fire={run.fireTime} data-testid="schedule-run">
      <td>
        <FireTime iso={run.fireTime} now={now} />
        {run.manual ? <span className="badge">{t("badgeRunNow")}</span> : null}
        {run.catchUp ? <span className="badge">{t("badgeCatchUp")}</span> : null}
      </td>
      <td className="num">{run.run ?? "—"}</td>
      <td>
        <time dateTime={run.startedAt}>{new Date(run.startedAt).toLocaleTimeString(locale)}</time>
      </td>
      <td className="num">{duration(run.durationMs)}</td>
      <td>
        <RunOutcome run={run} />
        {run.error ? <span className="run-error small">{run.error}</span> : null}
      </td>
      <td className="num">{format.count("character", run.reportLength)}</td>
      <td className="num">
        {run.sources ?? "—"}
        {run.newSources ? (
          <span className="muted small">{t("newSources", { count: run.newSources })}</span>
        ) : null}
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
  const t = useTranslations("schedules");
  const describeError = useErrorText();
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
  }, [id, describeError]);
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
        {t("back")}
      </Link>
      <div className="page-head">
        <div>
          <h1 className="page-title">
            {schedule.name} <ScheduleState enabled={schedule.enabled} />
          </h1>
          <p className="muted">{schedule.request.query}</p>
        </div>
      </div>
      <section className="card schedule-summary" aria-label={t("schedule")}>
        <dl className="schedule-facts">
          <CronAndNextFire schedule={schedule} now={now} noNextFire={t("paused")} />
          <div>
            <dt>{t("missed")}</dt>
            <dd>{schedule.missed === "once" ? t("missedOnce") : t("missedSkip")}</dd>
          </div>
          <div>
            <dt>{t("webhook")}</dt>
            <dd>{schedule.webhook ? schedule.webhook.host : <span className="muted">{t("none")}</span>}</dd>
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
              {t("edit")}
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
          {t("history")}
        </h2>
        {error ? (
          <p className="inline-error" role="alert">
            {error}
          </p>
        ) : null}
        {runs.length === 0 ? (
          <p className="muted small schedule-empty" data-testid="schedule-no-runs">
            {t("noRuns")}
          </p>
        ) : (
          <div className="run-table-scroll">
            <table className="run-table">
              <thead>
                <tr>
                  <th scope="col">{t("colFire")}</th>
                  <th scope="col">{t("colRun")}</th>
                  <th scope="col">{t("colStarted")}</th>
                  <th scope="col">{t("colDuration")}</th>
                  <th scope="col">{t("colResult")}</th>
                  <th scope="col">{t("colReport")}</th>
                  <th scope="col">{t("colSources")}</th>
                  <th scope="col">{t("colTask")}</th>
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
            {loadingMore ? t("loading") : t("olderRuns")}
          </button>
        ) : null}
      </section>
    </div>
  );
}
