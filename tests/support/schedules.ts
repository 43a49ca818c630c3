import { expect } from "vitest";
import type { TestServer } from "./server";
import { getJson, waitFor } from "./sse";

/** A run record as `GET /api/schedules/:id/runs` shows it. */
export interface RunRecord {
  fireTime: string;
  run: number | null;
  taskId: string | null;
  catchUp: boolean;
  manual: boolean;
  started: boolean;
  endedAt: string | null;
  success: boolean | null;
  error: string | null;
}

/** A JSON request to a server (`body` sent as JSON when given). */
export function send(server: TestServer, method: string, route: string, body?: unknown) {
  return getJson(`${server.url}${route}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
  });
}

/** Every run record of a schedule, newest fire first (all pages). */
export async function allRuns(server: TestServer, id: string): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page = await send(server, "GET", `/api/schedules/${id}/runs?limit=100${query}`);
    expect(page.status).toBe(200);
    runs.push(...page.body.runs);
    cursor = page.body.nextCursor ?? null;
  } while (cursor);
  return runs;
}

/**
 * Proves the exactly-once claim where it matters: a one-second expression
 * fires `fires` times across `servers` (every one ticking, all sharing one
 * store), then is paused; every fire time from the first to the last has
 * exactly one record (no duplicate, no miss), the fires that found the
 * previous run still going say so and start nothing, and the others are the
 * task's runs 1, 2, 3 … in order, each completed. Answers the records.
 */
export async function proveEveryFireOnce(
  servers: readonly TestServer[],
  options: { fires: number; query: string },
): Promise<{ runs: RunRecord[]; started: RunRecord[] }> {
  const created = await send(servers[0]!, "POST", "/api/schedules", {
    name: `Every second (${options.fires} fires)`,
    request: { query: options.query, depth: 1, breadth: 1 },
    cron: "* * * * * *",
    timezone: "UTC",
    missed: "skip",
  });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  await waitFor(
    `${options.fires} fires`,
    async () => {
      const page = await send(servers[1 % servers.length]!, "GET", `/api/schedules/${id}/runs?limit=100`);
      return page.body.runs.length >= options.fires;
    },
    // One a second, with room for a slow machine (a late tick still fires: the grace is 10 s).
    options.fires * 1000 + 60_000,
  );
  await send(servers[2 % servers.length]!, "POST", `/api/schedules/${id}/pause`);
  // Ticks that read the schedule before the pause may still claim a fire; then every run ends.
  const runs = await waitFor(
    "every run's end",
    async () => {
      const records = await allRuns(servers[0]!, id);
      return records.every((run) => run.endedAt !== null) ? records : null;
    },
    60_000,
  );
  expect(runs.length).toBeGreaterThanOrEqual(options.fires);
  const times = runs.map((run) => Date.parse(run.fireTime)).sort((a, b) => a - b);
  // No duplicate (the store keeps one record per fire time; one claim per fire is what is proved) …
  expect(new Set(times).size).toBe(times.length);
  // … and no miss: every second from the first fire to the last.
  expect(times.at(-1)! - times[0]!).toBe((times.length - 1) * 1000);
  for (const run of runs) expect(run.catchUp).toBe(false);

  const started = runs.filter((run) => run.run !== null);
  for (const run of runs) if (run.run === null) expect(run.error).toBe("previous run still running");
  expect(new Set(runs.map((run) => run.taskId)).size).toBe(1);
  const numbers = started.map((run) => run.run!).sort((a, b) => a - b);
  expect(numbers).toEqual(numbers.map((_, index) => index + 1));
  expect(started.length).toBeGreaterThanOrEqual(2);
  for (const run of started) expect(run.success).toBe(true);
  const task = await send(servers[0]!, "GET", `/api/tasks/${runs[0]!.taskId}`);
  expect(task.body.run).toBe(started.length);
  return { runs, started };
}
