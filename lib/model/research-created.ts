import { z } from "zod";
import { type TaskJson, taskJsonSchema } from "./task-json";
import { taskView, taskViewSchema } from "./task-view";

/** The `202` answer of `POST /api/research` with `Accept: application/json`. */
export const researchCreatedSchema = z.object({
  taskId: taskJsonSchema.shape.id,
  status: taskJsonSchema.shape.status,
  /** False when the request joined an identical task that already existed. */
  created: z.boolean(),
  task: taskViewSchema,
  links: z.object({ self: z.string(), events: z.string(), page: z.string() }),
});
export type ResearchCreated = z.infer<typeof researchCreatedSchema>;

export function researchCreated(task: TaskJson, created: boolean, queuePosition?: number): ResearchCreated {
  return {
    taskId: task.id,
    status: task.status,
    created,
    task: taskView(task, queuePosition),
    links: {
      self: `/api/tasks/${task.id}`,
      events: `/api/tasks/${task.id}/events`,
      page: `/tasks/${task.id}`,
    },
  };
}
