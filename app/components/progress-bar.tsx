import type { TaskStatus } from "@/lib/model/task-json";

/** A determinate progress bar; its height never changes, so nothing below it moves. */
export function ProgressBar({
  value,
  status,
  label,
  size = "md",
}: {
  value: number;
  status: TaskStatus;
  label: string;
  size?: "sm" | "md";
}) {
  const percent = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div
      className={`progress progress-${size} progress-${status}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
    >
      <div className="progress-fill" style={{ width: `${percent}%` }} />
    </div>
  );
}
