import { z } from "zod";
import type { TaskJson } from "./task-json";
import { taskSummary, taskSummarySchema } from "./task-view";

/**
 * `GET /api/tasks/:id/follow-ups`: a task's place in its thread — the task
 * it follows up (null for a first question, or when that task is gone) and
 * its own follow-ups, oldest first.
 */
export const followUpsSchema = z.object({
  taskId: z.string(),
  parent: taskSummarySchema.nullable(),
  followUps: z.array(taskSummarySchema),
});
export type FollowUps = z.infer<typeof followUpsSchema>;

export function followUpsView(taskId: string, parent: TaskJson | null, followUps: TaskJson[]): FollowUps {
  return {
    taskId,
    parent: parent ? taskSummary(parent) : null,
    followUps: followUps.map((task) => taskSummary(task)),
  };
}
