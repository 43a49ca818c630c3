import type { TaskEvent } from "../model/events";
import type { CompactedJson, TaskJson } from "../model/task-json";

/** Attempts listed per kept run, on average; older ones are only counted. */
const ATTEMPTS_PER_RUN = 2;

/**
 * Compaction of a task's older runs (MAX_RUNS_KEPT), decided from its log.
 *
 * A run starts with the `status` event that carries its number (`run`); run 1
 * starts at the task's first event. When run `current` starts, runs below
 * `current - maxRunsKept + 1` go — except that the run whose checkpoints the
 * current run reuses (`checkpointRun`, a retry keeps them) is never removed.
 * Returns the first event id kept and the new summary, or null when nothing
 * more is to be removed.
 */
export function planCompaction(
  task: TaskJson,
  events: readonly TaskEvent[],
  maxRunsKept: number,
): { beforeEventId: number; compacted: CompactedJson; attempts: TaskJson["attempts"] } | null {
  const oldestKept = Math.min(task.run - maxRunsKept + 1, task.checkpointRun);
  if (oldestKept <= 1) return null;
  let beforeEventId: number | null = null;
  for (const event of events) {
    if (event.type === "status" && event.data.run === oldestKept) {
      beforeEventId = event.id;
      break;
    }
  }
  const previous = task.compacted ?? null;
  // Not in the log: compacted already (or its start was lost in a crash; then keep everything).
  if (beforeEventId === null || beforeEventId <= (previous?.throughEventId ?? 0) + 1) return null;
  const keep = Math.max(1, maxRunsKept * ATTEMPTS_PER_RUN);
  const dropped = task.attempts.slice(0, Math.max(0, task.attempts.length - keep));
  const outcomes: Record<string, number> = { ...(previous?.outcomes ?? {}) };
  for (const attempt of dropped) outcomes[attempt.outcome] = (outcomes[attempt.outcome] ?? 0) + 1;
  return {
    beforeEventId,
    compacted: {
      runs: oldestKept - 1,
      throughEventId: beforeEventId - 1,
      attempts: (previous?.attempts ?? 0) + dropped.length,
      outcomes,
    },
    attempts: task.attempts.slice(task.attempts.length - Math.min(keep, task.attempts.length)),
  };
}
