import { useTranslations } from "next-intl";
import type { TaskStatus } from "@/lib/model/task-json";

const labels: Record<TaskStatus, string> = {
  queued: "Queued",
  running: "Running",
  paused: "Paused",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};

export function statusLabel(status: TaskStatus): string {
  return labels[status] ?? status;
}

/**
 * A task's status as a pill. `live`: a polite live region, so a screen
 * reader says the new status when it changes (the task page's own pill; a
 * list of pills stays quiet).
 */
export function StatusPill({ status, live = false }: { status: TaskStatus; live?: boolean }) {
  const t = useTranslations("format.taskStatus");
  return (
    <span className={`pill pill-${status}`} data-status={status} role={live ? "status" : undefined}>
      <span className="pill-dot" aria-hidden="true" />
      {status in labels ? t(status) : status}
    </span>
  );
}
