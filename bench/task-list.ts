/**
 * Section 5 — the task list: `GET /api/tasks?limit=50` (the first page) with
 * 10,000 tasks on the volume, in a cold process and then warm.
 *
 * The tasks are written by FileTaskStore.createTask as finished snapshots of
 * realistic size (most completed, with a ~5 KB report, sources and learnings;
 * some failed or cancelled; a few paused), created over the last six days so
 * that retention (7 days by default) keeps them all, and none is active, so
 * the server runs nothing. Cold: the first request, sent as soon as the fresh
 * process answers its health check. Warm: 200 sequential requests after it.
 */
import http from "node:http";
import path from "node:path";
import type { TaskJson, TaskStatus } from "../lib/model/task-json";
import { persistedTask } from "../lib/model/task-json";
import {
  benchStore,
  ensureIndexTemplate,
  figure,
  makeTask,
  median,
  percentile,
  random,
  removeDir,
  reportPieces,
  type SectionResult,
  startBenchServer,
  stopServer,
  tempDir,
} from "./support";

export interface TaskListBenchOptions {
  /** Tasks on the volume (default 10,000). */
  tasks?: number;
  /** Warm requests (default 200). */
  requests?: number;
}

const COLD_GOAL_MS = 1000;
const WARM_GOAL_P99_MS = 50;

export async function benchTaskList(options: TaskListBenchOptions = {}): Promise<SectionResult> {
  const count = options.tasks ?? 10_000;
  const requests = options.requests ?? 200;
  const dataDir = tempDir("list");
  try {
    const writeStarted = performance.now();
    const volumeBytes = await writeTasks(path.join(dataDir, "tasks"), count);
    const writeMs = performance.now() - writeStarted;

    await ensureIndexTemplate();
    const spawned = performance.now();
    const server = await startBenchServer({ dataDir });
    const readyMs = performance.now() - spawned;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const url = `${server.url}/api/tasks?limit=50`;
      let started = performance.now();
      const first = await get(url, agent);
      const coldMs = performance.now() - started;
      if (first.total !== count) throw new Error(`the list holds ${first.total} tasks, expected ${count}`);
      const warm: number[] = [];
      for (let index = 0; index < requests; index++) {
        started = performance.now();
        await get(url, agent);
        warm.push(performance.now() - started);
      }
      return {
        figures: [
          figure("cold: first page", coldMs, "ms", {
            goal: { op: "<", target: COLD_GOAL_MS },
            note: `${Math.round(readyMs)} ms from spawn to the manager started`,
          }),
          figure("warm: p50", median(warm), "ms"),
          figure("warm: p99", percentile(warm, 99), "ms", {
            goal: { op: "<", target: WARM_GOAL_P99_MS },
            note: `max ${Math.max(...warm).toFixed(1)} ms`,
          }),
        ],
        notes: [
          `${count} task snapshots (${(volumeBytes / 1e6).toFixed(1)} MB of state files, written in ${Math.round(writeMs)} ms): 70% completed with a ~5 KB report, 15% failed, 10% cancelled, 5% paused.`,
          `Cold: the first request once the process is up (its boot-time retention sweep may already be reading the snapshots); warm: ${requests} sequential requests on one keep-alive connection.`,
        ],
      };
    } finally {
      agent.destroy();
      await stopServer(server);
    }
  } finally {
    removeDir(dataDir);
  }
}

/** Writes `count` finished tasks; returns the bytes of their state files. */
async function writeTasks(storageDir: string, count: number): Promise<number> {
  const store = benchStore(storageDir);
  const next = random(5);
  const report = reportPieces(30, 5).join("").slice(0, 5000);
  const sixDays = 6 * 24 * 3_600_000;
  const now = Date.now();
  let bytes = 0;
  let created = 0;
  const worker = async () => {
    for (let index = created++; index < count; index = created++) {
      // As the runner persists it: the report's text stays in the (here absent) log.
      const task = persistedTask(finishedTask(index, now - Math.floor(next() * sixDays), next(), report));
      bytes += Buffer.byteLength(`${JSON.stringify(task)}\n`);
      await store.createTask(task);
      await store.setActive(task.id, false);
    }
  };
  try {
    await Promise.all(Array.from({ length: 16 }, worker));
  } finally {
    await store.close();
  }
  return bytes;
}

function finishedTask(index: number, createdAtMs: number, draw: number, report: string): TaskJson {
  const status: TaskStatus =
    draw < 0.7 ? "completed" : draw < 0.85 ? "failed" : draw < 0.95 ? "cancelled" : "paused";
  const createdAt = new Date(createdAtMs).toISOString();
  const finishedAt = new Date(createdAtMs + 90_000).toISOString();
  const base = makeTask();
  return {
    ...base,
    request: {
      ...base.request,
      query: `Research question ${index}: the economic history of canal building, part ${index % 97}`,
    },
    status,
    progress: status === "completed" ? 100 : 40 + (index % 50),
    step: status === "completed" ? "report" : "search",
    message: status === "completed" ? "Done" : "Searching",
    createdAt,
    updatedAt: finishedAt,
    startedAt: createdAt,
    finishedAt: status === "paused" ? null : finishedAt,
    attempts: [
      {
        id: `attempt${index}`,
        kind: "first",
        ownerId: "bench-owner",
        epoch: 1,
        startedAt: createdAt,
        endedAt: finishedAt,
        durationMs: 90_000,
        outcome: status === "paused" ? "paused" : status,
        error: status === "failed" ? "The search provider did not answer." : null,
      },
    ],
    lastEventId: status === "completed" ? 160 : 40,
    result:
      status === "completed"
        ? {
            report,
            sources: Array.from({ length: 8 }, (_, number) => ({
              number: number + 1,
              title: `State of the Union address ${1800 + number * 7}`,
              documentRef: `sotu/${1800 + number * 7}.txt`,
              passages: ["A passage of about a hundred characters quoted from the document as evidence."],
            })),
            learnings: ["The canal lowered freight costs.", "Tariffs funded internal improvements."],
          }
        : null,
    error:
      status === "failed" ? { code: "provider_error", message: "The search provider did not answer." } : null,
  };
}

/** GETs the list; returns its total (and checks the status). */
function get(url: string, agent: http.Agent): Promise<{ total: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          if (response.statusCode !== 200) {
            reject(new Error(`GET ${url}: ${response.statusCode}`));
            return;
          }
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as { total: number });
        });
      })
      .on("error", reject);
  });
}
