"use client";

import { useState } from "react";
import type { ScheduleView } from "@/lib/model/schedule-view";
import { describeError } from "./api";
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
      setNotice(run.run ? `Run ${run.run} started.` : "Fired.");
      onChanged();
    });
  const remove = () =>
    act(async () => {
      await deleteSchedule(schedule.id);
      onDeleted();
    });

  return (
    <div className="schedule-actions" role="group" aria-label={`Actions for ${schedule.name}`}>
      <button type="button" className="button button-small" onClick={toggle} disabled={busy}>
        <Icon name={schedule.enabled ? "pause" : "play"} /> {schedule.enabled ? "Pause" : "Resume"}
      </button>
      <button type="button" className="button button-small" onClick={runNow} disabled={busy}>
        <Icon name="refresh" /> Run now
      </button>
      {confirming ? (
        <span className="confirm" role="group" aria-label={`Delete ${schedule.name}?`}>
          <span className="small">Delete this schedule? Its reports stay.</span>
          <button
            type="button"
            className="button button-small button-danger"
            onClick={remove}
            disabled={busy}
          >
            Delete
          </button>
          <button
            type="button"
            className="button button-small"
            onClick={() => setConfirming(false)}
            disabled={busy}
          >
            Keep
          </button>
        </span>
      ) : (
        <button
          type="button"
          className="button button-small button-danger"
          onClick={() => setConfirming(true)}
          aria-label={`Delete schedule ${schedule.name}`}
        >
          <Icon name="trash" /> Delete
        </button>
      )}
      <p className="small schedule-action-status" role="status">
        {error ? <span className="inline-error">{error}</span> : (notice ?? "")}
      </p>
    </div>
  );
}
