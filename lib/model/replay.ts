import type { TaskEvent } from "./events";
import { resultJsonSchema, type TaskJson, taskStatuses } from "./task-json";

/**
 * Rebuilds a task's snapshot from its creation snapshot and its events, for
 * when `<id>.json` was lost or damaged. The log is the source of truth.
 */
export function replayEvents(created: TaskJson, events: TaskEvent[]): TaskJson {
  const task: TaskJson = structuredClone(created);
  let report = "";
  for (const event of events) {
    if (event.id < task.runStartEventId) continue;
    task.lastEventId = event.id;
    switch (event.type) {
      case "progress": {
        const { percentage, step, message } = event.data;
        if (typeof percentage === "number") task.progress = percentage;
        if (typeof step === "string") task.step = step;
        if (typeof message === "string") task.message = message;
        break;
      }
      case "output":
        if (typeof event.data.text === "string") report += event.data.text;
        break;
      case "status": {
        const status = taskStatuses.find((value) => value === event.data.status);
        if (status) task.status = status;
        if (typeof event.data.run === "number" && event.data.run > task.run) {
          task.run = event.data.run;
          task.runStartEventId = event.id;
          if (typeof event.data.checkpointRun === "number") task.checkpointRun = event.data.checkpointRun;
          task.result = null;
          report = "";
        }
        break;
      }
      case "done": {
        const status = taskStatuses.find((value) => value === event.data.status);
        if (status) task.status = status;
        const result = resultJsonSchema.safeParse({
          ...(event.data.result as object),
          reportLength: report.length,
        });
        if (result.success) task.result = result.data;
        else if (report) task.result = { reportLength: report.length, sources: [], learnings: [] };
        if (typeof event.data.error === "string") task.error = { code: "failed", message: event.data.error };
        if (status === "completed") task.progress = 100;
        break;
      }
      case "source":
        break;
    }
  }
  return task;
}
