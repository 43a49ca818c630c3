import { AppError } from "@/lib/errors";
import { exportTask, hasReport } from "@/lib/export";
import { exportFormatSchema } from "@/lib/model/export-format";
import { getTaskManager } from "@/lib/server/manager-instance";
import { findTask } from "../../../_lib/find-task";
import { otherMethods, parseWith, preflight, route, taskIdFrom } from "../../../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/**
 * `GET /api/tasks/:id/export?format=md|html|pdf|docx|json`: the task's report
 * as a download named after its title. 409 while the task has no report;
 * 404/410 like the other task routes.
 */
export const GET = route<Context>(async (request, context, requestId) => {
  const id = taskIdFrom((await context.params).id);
  const url = new URL(request.url);
  const format = parseWith(exportFormatSchema, url.searchParams.get("format") ?? undefined);
  const manager = await getTaskManager();
  const task = (await manager.getTaskWithReport(id)) ?? (await findTask(manager, id));
  if (!hasReport(task))
    throw new AppError(
      "conflict",
      `Task ${id} has no report to export yet (it is ${task.status}); try again when it has completed.`,
    );
  const file = await exportTask(task, format, { appUrl: url.origin });
  const body = typeof file.body === "string" ? new TextEncoder().encode(file.body) : file.body;
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": file.contentType,
      "Content-Disposition": file.contentDisposition,
      "Content-Length": String(body.byteLength),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      "X-Request-ID": requestId,
      "X-Task-ID": id,
    },
  });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
