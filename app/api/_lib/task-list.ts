import "server-only";
import { type TaskListPage, taskSummary } from "@/lib/model/task-view";
import { parseStatuses } from "@/lib/tasks/task-index";
import type { TaskManager } from "@/lib/tasks/task-manager";

/** What a listing asks for (`GET /api/tasks`, the MCP tool `list_tasks`). */
export interface TaskListQuery {
  /** Comma-separated statuses (`running,queued`); every status when absent. */
  status?: string;
  /** Text to look for in the queries. */
  q?: string;
  /** Page size, 1–200 (default 50). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** Research tasks, newest first, one page at a time. */
export async function taskListPage(manager: TaskManager, query: TaskListQuery): Promise<TaskListPage> {
  const page = await manager.index.list({
    statuses: query.status ? parseStatuses(query.status) : undefined,
    text: query.q?.trim() || undefined,
    limit: query.limit ?? 50,
    cursor: query.cursor,
  });
  return {
    tasks: page.tasks.map((task) => taskSummary(task, manager.queuePosition(task.id))),
    total: page.total,
    nextCursor: page.nextCursor,
  };
}
