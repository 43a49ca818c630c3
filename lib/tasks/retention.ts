import { errorMessage } from "../errors";
import type { Logger } from "../log";
import { isFinished } from "../model/task-json";
import type { TaskStore } from "../store/types";
import type { TaskIndex } from "./task-index";

/**
 * Retention: removes finished tasks that finished more than `maxAgeHours`
 * ago (MAX_TASK_AGE_HOURS). Their endpoints then answer 410 (the store keeps
 * a tombstone) or 404. Returns how many were removed; a failure is logged,
 * never thrown (the next sweep tries again).
 */
export async function sweepExpired(options: {
  store: TaskStore;
  index: TaskIndex;
  logger: Logger;
  maxAgeHours: number;
  now: Date;
}): Promise<number> {
  const { store, index, logger } = options;
  const cutoff = options.now.getTime() - options.maxAgeHours * 3_600_000;
  let removed = 0;
  try {
    await index.refresh();
    for (const task of await index.all()) {
      if (!isFinished(task.status) || !task.finishedAt || Date.parse(task.finishedAt) > cutoff) continue;
      await store.deleteTask(task.id);
      await store.schedules.deleteDeliveries(task.id);
      index.remove(task.id);
      removed += 1;
      logger.info("task.expired", { taskId: task.id, finishedAt: task.finishedAt });
    }
  } catch (error) {
    logger.error("manager.sweep_failed", { error: errorMessage(error) });
  }
  return removed;
}
