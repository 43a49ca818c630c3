import { z } from "zod";
import { taskTitle } from "./request";
import { type TaskJson, taskJsonSchema } from "./task-json";
import { usageTotals, usageTotalsSchema } from "./usage";

/**
 * What the API shows of a task (`GET /api/tasks/:id`, the controls, the task
 * page's first HTML): the persisted snapshot without its version, plus where
 * it waits in the queue. Readers that show a result put its report back
 * (`TaskManager.getTaskWithReport`), so `result.report` is present there.
 */
export const taskViewSchema = taskJsonSchema.omit({ version: true }).extend({
  /** 1-based place among queued tasks as the answering process sees it; absent unless queued. */
  queuePosition: z.number().int().positive().optional(),
});
export type TaskView = z.infer<typeof taskViewSchema>;

/** The `task` SSE snapshot: the view without the (possibly large) result, and whether there is one. */
export const taskSnapshotSchema = taskViewSchema.omit({ result: true }).extend({ hasResult: z.boolean() });
export type TaskSnapshot = z.infer<typeof taskSnapshotSchema>;

/** One row of `GET /api/tasks`, and the data of a `task` event on `/api/tasks/events`. */
export const taskSummarySchema = z.object({
  id: taskJsonSchema.shape.id,
  query: z.string(),
  status: taskJsonSchema.shape.status,
  progress: taskJsonSchema.shape.progress,
  step: z.string().nullable(),
  message: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  queuePosition: taskViewSchema.shape.queuePosition,
  /** The task's usage totals (the view has the breakdowns); absent before its first model call. */
  usage: usageTotalsSchema.optional(),
});
export type TaskSummary = z.infer<typeof taskSummarySchema>;

/** `GET /api/tasks`: a page of rows, newest first. */
export const taskListPageSchema = z.object({
  tasks: z.array(taskSummarySchema),
  total: z.number().int().nonnegative(),
  /** Pass as `?cursor=` for the next page; null on the last one. */
  nextCursor: z.string().nullable(),
});
export type TaskListPage = z.infer<typeof taskListPageSchema>;

/** The query of `GET /api/tasks`: `?status=running,queued&q=text&limit=50&cursor=…`. */
export const taskListQuerySchema = z.strictObject({
  status: z.string().min(1).optional().describe("Comma-separated statuses to keep (`running,queued`)."),
  q: z.string().max(4000).optional().describe("Text the task's question contains."),
  limit: z
    .string()
    .regex(/^\d+$/, "limit must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(1, "limit must be at least 1").max(200, "limit must be at most 200"))
    .optional()
    .describe("Rows per page, 1–200 (default 50)."),
  cursor: z.string().max(1000).optional().describe("The previous page's `nextCursor`."),
  token: z.string().optional().describe("The API token, for clients that cannot send a header."),
});

/** The data of a `deleted` event on `/api/tasks/events`. */
export const taskDeletedSchema = z.object({ id: z.string() });

export function taskView(task: TaskJson, queuePosition?: number): TaskView {
  const { version: _version, ...rest } = task;
  return queuePosition === undefined ? rest : { ...rest, queuePosition };
}

export function taskSnapshot(task: TaskJson, queuePosition?: number): TaskSnapshot {
  const { result, ...rest } = taskView(task, queuePosition);
  return { ...rest, hasResult: result !== null };
}

export function taskSummary(task: TaskJson, queuePosition?: number): TaskSummary {
  return {
    id: task.id,
    query: taskTitle(task.request),
    status: task.status,
    progress: task.progress,
    step: task.step,
    message: task.message,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    finishedAt: task.finishedAt,
    ...(queuePosition === undefined ? {} : { queuePosition }),
    ...(task.usage && { usage: usageTotals(task.usage) }),
  };
}
