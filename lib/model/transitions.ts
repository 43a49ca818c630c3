import { AppError } from "../errors";
import type { NewRecord, TaskEvent } from "./events";
import { assertTransition, canTransition } from "./lifecycle";
import { type AttemptJson, isFinished, previousRunOf, type TaskJson, type TaskStatus } from "./task-json";

/**
 * Every status change of a task, as pure functions beside the table
 * (`lifecycle.ts`): each takes a task and returns the next task and the
 * records that announce the change in its log. The manager and the runner
 * call these and only then append and save; neither sets a status by hand.
 * (docs/ARCHITECTURE.md, "Lifecycle".)
 */
export interface Transition {
  /** The task after the change (a copy; the input is not modified). */
  task: TaskJson;
  /** Records to append, in order, before saving `task`. */
  records: NewRecord[];
  /** True when the first record starts a new run (its id becomes `runStartEventId`). */
  startsRun?: boolean;
}

/** The states a run ends in (paused ends the attempt, not the task). */
export type SettledStatus = Extract<TaskStatus, "completed" | "failed" | "cancelled" | "paused">;

/** The controls a client can send (`POST /api/tasks/:id/<action>`). */
export type ControlAction = "cancel" | "pause" | "resume" | "finish";

/**
 * Ends an attempt: outcome, end time and duration (and the error text, already
 * redacted by the caller). The one definition, for the runner and the manager.
 */
export function endAttempt(
  attempt: AttemptJson,
  outcome: AttemptJson["outcome"],
  now: string,
  error: string | null = attempt.error,
): void {
  attempt.outcome = outcome;
  attempt.endedAt = now;
  attempt.durationMs = Date.parse(now) - Date.parse(attempt.startedAt);
  attempt.error = error;
}

/** Ends every attempt still marked running (its owner vanished, or the run just settled). */
export function endRunningAttempts(
  task: TaskJson,
  outcome: AttemptJson["outcome"],
  now: string,
  error: string | null = null,
): void {
  for (const attempt of task.attempts) {
    if (attempt.outcome === "running") endAttempt(attempt, outcome, now, error ?? attempt.error);
  }
}

/**
 * A run ends: completed, failed or cancelled (with a `done` event that tells
 * clients the stream is over), or paused (its slot given back, no `done`).
 * `error.message` must already be redacted.
 */
export function settle(
  task: TaskJson,
  options: { status: SettledStatus; now: string; error?: TaskJson["error"]; result?: TaskJson["result"] },
): Transition {
  const { status, now } = options;
  const error = options.error ?? null;
  const result = options.result ?? null;
  assertTransition(task.status, status);
  const next = structuredClone(task);
  next.status = status;
  next.error = error;
  next.updatedAt = now;
  if (result) next.result = result;
  if (status !== "paused") {
    next.finishedAt = now;
    if (status === "completed") next.progress = 100;
  }
  endRunningAttempts(next, status, now, error?.message ?? null);
  const records: NewRecord[] = [
    { event: { type: "status", data: error ? { status, error: error.message } : { status } } },
  ];
  if (status !== "paused") {
    records.push({
      event: {
        type: "done",
        data: {
          status,
          ...(error ? { error: error.message } : {}),
          result: result
            ? {
                sources: result.sources,
                learnings: result.learnings,
                reportLength: result.report?.length ?? 0,
              }
            : null,
        },
      },
    });
  }
  return { task: next, records };
}

/**
 * A finished task asked for again: a retry keeps its recorded steps (a failed
 * or cancelled task asked for again), a new run (`fresh` on a completed task)
 * drops them. Both start a new run: clients without a cursor start at its
 * first event, never at the old run's `done`.
 */
export function requeue(task: TaskJson, options: { newRun: boolean; now: string }): Transition {
  // running → queued exists in the table (a runner handing its slot back), but that is no new run.
  if (!isFinished(task.status)) {
    throw new AppError("conflict", `Cannot start a new run: the task is ${task.status}.`);
  }
  assertTransition(task.status, "queued");
  const { newRun, now } = options;
  const run = task.run + 1;
  const checkpointRun = newRun ? run : task.checkpointRun;
  const next: TaskJson = {
    ...structuredClone(task),
    status: "queued",
    message: newRun ? "A new run was requested." : "Retrying.",
    finishedAt: null,
    error: null,
    finishRequested: false,
    updatedAt: now,
    run,
    checkpointRun,
    result: null,
  };
  if (newRun) {
    // The run this one is compared with: the one ending now if it completed,
    // else the last one that did (a failed run has nothing to compare).
    next.previousRun = previousRunOf(task) ?? task.previousRun ?? null;
    next.progress = 0;
    next.step = null;
    next.startedAt = null;
  }
  const message = newRun
    ? "A new run of this research started."
    : "The task is retried from its last completed step.";
  return {
    task: next,
    records: [{ event: { type: "status", data: { status: "queued", run, checkpointRun, message } } }],
    startsRun: true,
  };
}

/** Whether `action` is allowed now; a refusal is the 409 a client gets, naming the state. */
export function assertControl(task: TaskJson, action: ControlAction): void {
  const allowed =
    action === "finish"
      ? task.status === "running" || task.status === "queued" || task.status === "paused"
      : action === "resume"
        ? task.status === "paused"
        : action === "cancel" && task.status === "cancelled"
          ? true // idempotent
          : canTransition(task.status, action === "cancel" ? "cancelled" : "paused");
  if (!allowed) {
    throw new AppError(
      "conflict",
      `Cannot ${action === "finish" ? "finish now" : action}: the task is ${task.status}.`,
    );
  }
}

/**
 * A control applied by a process holding the task's lease while no runner
 * of it is running (the owner died, or the task waits in the queue or is
 * paused). A runner applies cancel and pause itself, through `settle`.
 */
export function control(
  task: TaskJson,
  action: ControlAction,
  now: string,
  /** What a cancelled task keeps: the report its run wrote so far (from the log). */
  partial?: TaskJson["result"],
): Transition {
  assertControl(task, action);
  switch (action) {
    case "cancel":
      if (task.status === "cancelled") return { task, records: [] };
      return settle(task, { status: "cancelled", now, result: partial ?? null });
    case "pause":
      return settle(task, { status: "paused", now });
    case "resume": {
      assertTransition(task.status, "queued", "resume");
      return {
        task: { ...structuredClone(task), status: "queued", updatedAt: now },
        records: [
          {
            event: { type: "status", data: { status: "queued", message: "Resumed; waiting for a worker." } },
          },
        ],
      };
    }
    case "finish": {
      const next: TaskJson = { ...structuredClone(task), finishRequested: true, updatedAt: now };
      if (task.status !== "paused") return { task: next, records: [] };
      assertTransition(task.status, "queued", "finish now");
      next.status = "queued";
      return {
        task: next,
        records: [{ event: { type: "status", data: { status: "queued", message: "Finishing now." } } }],
      };
    }
  }
}

/** `task` after its transition's records were appended as `events`: the cursor fields follow the log. */
export function afterAppend(task: TaskJson, events: readonly TaskEvent[], startsRun = false): TaskJson {
  const last = events.at(-1);
  if (!last) return task;
  const next = { ...task, lastEventId: Math.max(task.lastEventId, last.id) };
  if (startsRun) next.runStartEventId = events[0]!.id;
  return next;
}
