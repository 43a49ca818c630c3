"use client";

import { useTranslations } from "next-intl";
import { useState } from "react";
import type { ScheduleView } from "@/lib/model/schedule-view";
import { useErrorText } from "./error-text";
import { Icon } from "./icons";
import { deleteSchedule, runScheduleNow, setSchedulePaused } from "./schedules-api";

/**
 * Pause or resume, run now, and delete (with a confirmation) for one
 * schedule. `onChanged` gets the schedule as it is after a pause or resume,
 * or nothing after a run (its record appears in the history);
 * `onDeleted` runs once it is gone.
 */
export function ScheduleActions({
  schedule,
  onChanged,
  onDeleted,
}: {
  schedule: ScheduleView;
  onChanged: (schedule?: ScheduleView) => void;
  onDeleted: () => void;
}) {
  const t = useTranslations("schedules");
  const describeError = useErrorText();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function act(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await action();
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  }

  const toggle = () => act(async () => onChanged(await setSchedulePaused(schedule.id, schedule.enabled)));
  const runNow = () =>
    act(async () => {
      const run = await runScheduleNow(schedule.id);
      setNotice(run.run ? t("runStarted", { run: run.run }) : t("fired"));
      onChanged();
    });
  const remove = () =>
    act(async () => {
      await deleteSchedule(schedule.id);
      onDeleted();
    });

  return (
    <div className="schedule-actions" role="group" aria-label={t("actionsFor", { name: schedule.name })}>
      <button type="button" className="button button-small" onClick={toggle} disabled={busy}>
        <Icon name={schedule.enabled ? "pause" : "play"} /> {schedule.enabled ? t("pause") : t("resume")}
      </button>
      <button type="button" className="button button-small" onClick={runNow} disabled={busy}>
        <Icon name="refresh" /> {t("runNow")}
      </button>
      {confirming ? (
        <span className="confirm" role="group" aria-label={t("confirmDeleteLabel", { name: schedule.name })}>
          <span className="small">{t("confirmDelete")}</span>
          <button
            type="button"
            className="button button-small button-danger"
            onClick={remove}
            disabled={busy}
          >
            {t("delete")}
          </button>
          <button
            type="button"
            className="button button-small"
            onClick={() => setConfirming(false)}
            disabled={busy}
          >
            {t("keep")}
          </button>
        </span>
      ) : (
        <button
          type="button"
          className="button button-small button-danger"
          onClick={() => setConfirming(true)}
          aria-label={t("deleteLabel", { name: schedule.name })}
        >
          <Icon name="trash" /> {t("delete")}
        </button>
      )}
      <p className="small schedule-action-status" role="status">
        {error ? <span className="inline-error">{error}</span> : (notice ?? "")}
      </p>
    </div>
  );
}
