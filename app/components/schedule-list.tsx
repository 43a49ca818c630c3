"use client";

import Link from "next/link";
import { useTranslations } from "next-intl";
import { useCallback, useState } from "react";
import type { ScheduleView } from "@/lib/model/schedule-view";
import { useErrorText } from "./error-text";
import { ScheduleActions } from "./schedule-actions";
import { ScheduleForm } from "./schedule-form";
import { CronAndNextFire, FireTime, RunOutcome, RunReportLink, ScheduleState } from "./schedule-parts";
import { listSchedules } from "./schedules-api";
import { useNow, usePolling } from "./use-now";

/** How often the list asks for next fires and last runs (they change on the server's clock). */
const REFRESH_MS = 3000;

function ScheduleRow({
  schedule,
  now,
  onChanged,
  onDeleted,
}: {
  schedule: ScheduleView;
  now: number | null;
  onChanged: (schedule?: ScheduleView) => void;
  onDeleted: () => void;
}) {
  const t = useTranslations("schedules");
  return (
    <li className="schedule-row" data-schedule={schedule.id}>
      <div className="schedule-row-main">
        <div className="schedule-row-title">
          <Link href={`/schedules/${schedule.id}`} className="schedule-name">
            {schedule.name}
          </Link>
          <ScheduleState enabled={schedule.enabled} />
        </div>
        <p className="muted small schedule-query-line">{schedule.request.query}</p>
        <dl className="schedule-facts small">
          <CronAndNextFire schedule={schedule} now={now} noNextFire="—" />
          <div>
            <dt>{t("lastRun")}</dt>
            <dd data-testid="schedule-last-run">
              {schedule.lastRun ? (
                <>
                  <RunOutcome run={schedule.lastRun} /> <FireTime iso={schedule.lastRun.fireTime} now={now} />{" "}
                  <RunReportLink run={schedule.lastRun} />
                </>
              ) : (
                <span className="muted">{t("notRunYet")}</span>
              )}
            </dd>
          </div>
        </dl>
      </div>
      <ScheduleActions schedule={schedule} onChanged={onChanged} onDeleted={onDeleted} />
    </li>
  );
}

/** Every schedule with its next fire and last run, and the form that makes a new one. */
export function ScheduleList({
  initialSchedules,
  minIntervalS,
}: {
  initialSchedules: ScheduleView[];
  minIntervalS: number;
}) {
  const t = useTranslations("schedules");
  const describeError = useErrorText();
  const [schedules, setSchedules] = useState(initialSchedules);
  const [error, setError] = useState<string | null>(null);
  // A new key empties the form once a schedule is made from it.
  const [formKey, setFormKey] = useState(0);
  const [created, setCreated] = useState<string | null>(null);
  const now = useNow();

  const refresh = useCallback(async () => {
    try {
      setSchedules(await listSchedules());
      setError(null);
    } catch (caught) {
      setError(describeError(caught));
    }
  }, [describeError]);
  usePolling(refresh, REFRESH_MS);

  const replace = (next: ScheduleView) =>
    setSchedules((previous) => {
      const index = previous.findIndex((other) => other.id === next.id);
      return index === -1
        ? [...previous, next]
        : previous.map((other) => (other.id === next.id ? next : other));
    });

  return (
    <div className="schedules-page">
      <div className="page-head">
        <div>
          <h1 className="page-title">{t("title")}</h1>
          <p className="muted">{t("lede")}</p>
        </div>
      </div>
      <ScheduleForm
        key={formKey}
        minIntervalS={minIntervalS}
        onSaved={(schedule) => {
          replace(schedule);
          setFormKey((key) => key + 1);
          setCreated(t("created", { name: schedule.name }));
        }}
      />
      <p className="small muted schedule-created" role="status">
        {created ?? ""}
      </p>
      <section className="card schedule-table" aria-label={t("title")}>
        {error ? (
          <p className="inline-error" role="alert">
            {error}
          </p>
        ) : null}
        {schedules.length === 0 ? (
          <p className="muted small schedule-empty">{t("empty")}</p>
        ) : (
          <ul className="schedule-rows">
            {schedules.map((schedule) => (
              <ScheduleRow
                key={schedule.id}
                schedule={schedule}
                now={now}
                onChanged={(next) => (next ? replace(next) : void refresh())}
                onDeleted={() =>
                  setSchedules((previous) => previous.filter((other) => other.id !== schedule.id))
                }
              />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
