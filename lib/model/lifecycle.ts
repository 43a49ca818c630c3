import { z } from "zod";
import { AppError } from "../errors";
import type { TaskStatus } from "./task-json";

/**
 * The one transition table of a task's status (docs/ARCHITECTURE.md, "Lifecycle"). Every status
 * change goes through `assertTransition`; anything not listed is refused.
 *
 * - queued → running: a process with a free slot took the task.
 * - running → queued: the runner gave its slot back without finishing (shutdown).
 * - failed | cancelled | completed → queued: a new identical request retries a
 *   failed or cancelled task; `fresh` starts a new run of a completed one.
 * - paused tasks hold no slot; resume puts them back in the queue.
 */
export const transitions: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  queued: ["running", "paused", "cancelled"],
  running: ["completed", "failed", "cancelled", "paused", "queued"],
  paused: ["queued", "cancelled"],
  completed: ["queued"],
  failed: ["queued", "cancelled"],
  cancelled: ["queued"],
};

/** The controls of `POST /api/tasks/:id/<action>`, each a transition of the table above. */
export const taskActions = ["cancel", "pause", "resume", "finish"] as const;
export type TaskAction = (typeof taskActions)[number];

/** The `:action` of `POST /api/tasks/:id/<action>`. */
export const taskActionSchema = z.enum(taskActions, {
  error: `action must be one of ${taskActions.join(", ")}`,
});

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return transitions[from].includes(to);
}

export function assertTransition(from: TaskStatus, to: TaskStatus, action?: string): void {
  if (!canTransition(from, to)) {
    const what = action ?? `move to ${to}`;
    throw new AppError("conflict", `Cannot ${what}: the task is ${from}.`, { details: { from, to } });
  }
}
