import "server-only";
import { AppError } from "@/lib/errors";
import type { TaskJson } from "@/lib/model/task-json";
import type { TaskManager } from "@/lib/tasks/task-manager";

/**
 * The task, or 404 (never existed / expired) or 410 (deleted, and this
 * volume still remembers it). Requests for one task that arrive together
 * share one read of its snapshot: the result is read-only.
 */
export async function findTask(manager: TaskManager, id: string): Promise<Readonly<TaskJson>> {
  const task = await manager.lookupTask(id);
  if (task) return task;
  if (await manager.wasDeleted(id)) throw new AppError("gone", `Task ${id} was deleted.`);
  throw new AppError("not_found", `No task ${id}.`);
}
