import type { TaskJson } from "./task-json";

/** What clients see of a task: its snapshot plus where it waits in the queue. */
export function taskView(task: TaskJson, queuePosition?: number) {
  const { version: _version, ...rest } = task;
  return queuePosition === undefined ? rest : { ...rest, queuePosition };
}

/** The `task` SSE snapshot: everything but the (possibly large) result. */
export function taskSnapshot(task: TaskJson, queuePosition?: number) {
  const { result, ...rest } = taskView(task, queuePosition);
  return { ...rest, hasResult: result !== null };
}

/** One row of the task list. */
export function taskSummary(task: TaskJson, queuePosition?: number) {
  return {
    id: task.id,
    query: task.request.query,
    status: task.status,
    progress: task.progress,
    step: task.step,
    message: task.message,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    finishedAt: task.finishedAt,
    ...(queuePosition === undefined ? {} : { queuePosition }),
  };
}
