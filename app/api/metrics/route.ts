import { taskStatuses } from "@/lib/model/task-json";
import { getTaskManager } from "@/lib/server/manager-instance";
import { otherMethods, preflight, route } from "../_lib/http";
import { streamCounters } from "../_lib/metrics";
import { usageMetricLines } from "../_lib/usage-metrics";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/**
 * Prometheus text format. Counters are per process; task counts are of the
 * whole store. Model usage is both: this process's calls (counters) and the
 * stored tasks' totals (gauges), see `usageMetricLines`.
 */
export const GET = route(async (_request, _context, requestId) => {
  const manager = await getTaskManager();
  const tasks = await manager.index.all();
  const byStatus = new Map<string, number>(taskStatuses.map((status) => [status, 0]));
  for (const task of tasks) byStatus.set(task.status, (byStatus.get(task.status) ?? 0) + 1);
  const streams = streamCounters();
  const lines = [
    "# HELP fathom_tasks Tasks on the store by status.",
    "# TYPE fathom_tasks gauge",
    ...[...byStatus].map(([status, count]) => `fathom_tasks{status="${status}"} ${count}`),
    "# HELP fathom_tasks_running_here Tasks this process runs now.",
    "# TYPE fathom_tasks_running_here gauge",
    `fathom_tasks_running_here ${manager.runningCount}`,
    "# HELP fathom_events_appended_total Events this process appended.",
    "# TYPE fathom_events_appended_total counter",
    `fathom_events_appended_total ${manager.metrics.eventsAppended}`,
    "# HELP fathom_sse_connections Open SSE connections on this process.",
    "# TYPE fathom_sse_connections gauge",
    `fathom_sse_connections ${streams.openStreams}`,
    "# HELP fathom_sse_connections_total SSE connections opened on this process.",
    "# TYPE fathom_sse_connections_total counter",
    `fathom_sse_connections_total ${streams.streamsOpened}`,
    "# HELP fathom_takeovers_total Tasks this process took over from a dead owner.",
    "# TYPE fathom_takeovers_total counter",
    `fathom_takeovers_total ${manager.metrics.takeovers}`,
    "# HELP fathom_step_retries_total Step retries after transient provider errors.",
    "# TYPE fathom_step_retries_total counter",
    `fathom_step_retries_total ${manager.metrics.retries}`,
    "# HELP fathom_runs_started_total Task runs (attempts) this process started.",
    "# TYPE fathom_runs_started_total counter",
    `fathom_runs_started_total ${manager.metrics.runsStarted}`,
    ...usageMetricLines({ processUsage: manager.metrics.usageByModel, tasks }),
    "",
  ];
  return new Response(lines.join("\n"), {
    headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "X-Request-ID": requestId },
  });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
