import "server-only";
import { cache } from "react";
import { hasPageAccess } from "@/app/_lib/page-access";
import { isTaskId } from "@/lib/model/task-json";
import { type TaskView, taskView } from "@/lib/model/task-view";
import { getTaskManager } from "@/lib/server/manager-instance";

/**
 * What the task page knows before the browser connects:
 * - `invalid` / `missing`: answer with the not-found page (a real 404);
 * - `found`: the task as `GET /api/tasks/:id` shows it, rendered at once (a
 *   finished task's whole report is in the first HTML);
 * - `protected`: the visitor has no access (no session, no token): nothing
 *   about the task is rendered (the page itself redirects to sign-in; this
 *   keeps the title out of metadata rendered alongside).
 */
export type LoadedTask =
  | { kind: "invalid" }
  | { kind: "missing" }
  | { kind: "protected" }
  | { kind: "found"; task: TaskView };

export const loadTask = cache(async (id: string): Promise<LoadedTask> => {
  if (!isTaskId(id)) return { kind: "invalid" };
  if (!(await hasPageAccess())) return { kind: "protected" };
  const manager = await getTaskManager();
  const task = await manager.getTaskWithReport(id);
  if (!task) return { kind: "missing" };
  // Exactly what `GET /api/tasks/:id` answers, so the page and the API agree.
  // getTaskWithReport put the report back into any result, so a finished page shows it at once.
  return { kind: "found", task: taskView(task, manager.queuePosition(id)) };
});
