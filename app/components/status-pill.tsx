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

export function StatusPill({ status }: { status: TaskStatus }) {
  const t = useTranslations("format.taskStatus");
  return (
    <span className={`pill pill-${status}`} data-status={status}>
      <span className="pill-dot" aria-hidden="true" />
      {status in labels ? t(status) : status}
    </span>
  );
}
