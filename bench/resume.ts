/**
 * Section 2 — resume latency: time to the first replayed event when a client
 * resumes at the middle of a log of 100 events and of one of 100,000.
 *
 * Store level: `read(id, middle, 100)` on a fresh FileTaskStore per sample
 * (no epoch cache, no follower buffer: what a process that never saw the task
 * does). HTTP level: a real server on the same folder, time from sending
 * `GET /api/tasks/:id/events?lastEventId=<middle>` to the first numbered
 * frame, a new connection per sample. The two tasks are finished, so the
 * server runs nothing meanwhile.
 */
import http from "node:http";
import path from "node:path";
import type { TaskJson } from "../lib/model/task-json";
import {
  benchStore,
  figure,
  median,
  openCountingClient,
  percentile,
  removeDir,
  type SectionResult,
  startBenchServer,
  stopServer,
  tempDir,
  writeFinishedTask,
} from "./support";

export interface ResumeBenchOptions {
  /** HTTP samples per log length (default 30; the store gets three times as many: they are cheap). */
  samples?: number;
  /** The two log lengths (default 100 and 100,000). */
  small?: number;
  large?: number;
}

const GOAL_RATIO = 2;

export async function benchResume(options: ResumeBenchOptions = {}): Promise<SectionResult> {
  const samples = options.samples ?? 30;
  const storeSamples = samples * 3;
  const sizes = [options.small ?? 100, options.large ?? 100_000] as const;
  const dataDir = tempDir("resume");
  const storageDir = path.join(dataDir, "tasks");
  try {
    const tasks: TaskJson[] = [];
    const writer = benchStore(storageDir);
    for (const size of sizes) tasks.push(await writeFinishedTask(writer, size));
    await writer.close();

    // [limit 100, limit 1] × [small, large]
    const storeMs: number[][][] = [];
    for (const limit of [100, 1]) {
      const perTask: number[][] = [];
      for (const task of tasks) perTask.push(await timeStoreReads(storageDir, task, limit, storeSamples));
      storeMs.push(perTask);
    }

    const server = await startBenchServer({ dataDir });
    const httpMs: number[][] = [];
    const agent = new http.Agent({ keepAlive: false });
    try {
      for (const task of tasks) {
        const middle = Math.floor(task.lastEventId / 2);
        const times: number[] = [];
        for (let index = 0; index < samples + 1; index++) {
          const started = performance.now();
          const client = openCountingClient(
            `${server.url}/api/tasks/${task.id}/events?lastEventId=${middle}`,
            agent,
            1,
          );
          const status = await client.opened;
          if (status !== 200) throw new Error(`resume answered ${status}`);
          await client.done;
          const elapsed = performance.now() - started;
          client.close();
          if (index > 0) times.push(elapsed);
        }
        httpMs.push(times);
      }
    } finally {
      agent.destroy();
      await stopServer(server);
    }

    const [storeSmall, storeLarge] = storeMs[0] as [number[], number[]];
    const [seekSmall, seekLarge] = storeMs[1] as [number[], number[]];
    const [httpSmall, httpLarge] = httpMs as [number[], number[]];
    const [small, large] = sizes;
    return {
      figures: [
        figure(`store: first event, log of ${small} (median)`, median(storeSmall), "ms", {
          note: `p90 ${percentile(storeSmall, 90).toFixed(2)} ms`,
        }),
        figure(`store: first event, log of ${large} (median)`, median(storeLarge), "ms", {
          note: `p90 ${percentile(storeLarge, 90).toFixed(2)} ms`,
        }),
        figure(`store: ratio ${large} ÷ ${small}`, median(storeLarge) / median(storeSmall), "×", {
          goal: { op: "<=", target: GOAL_RATIO },
        }),
        figure(`store, limit 1: first event, log of ${small} (median)`, median(seekSmall), "ms", {
          note: `p90 ${percentile(seekSmall, 90).toFixed(2)} ms`,
        }),
        figure(`store, limit 1: first event, log of ${large} (median)`, median(seekLarge), "ms", {
          note: `p90 ${percentile(seekLarge, 90).toFixed(2)} ms; ratio ${(median(seekLarge) / median(seekSmall)).toFixed(2)}×`,
        }),
        figure(`http: first event, log of ${small} (median)`, median(httpSmall), "ms", {
          note: `p90 ${percentile(httpSmall, 90).toFixed(2)} ms`,
        }),
        figure(`http: first event, log of ${large} (median)`, median(httpLarge), "ms", {
          note: `p90 ${percentile(httpLarge, 90).toFixed(2)} ms`,
        }),
        figure(`http: ratio ${large} ÷ ${small}`, median(httpLarge) / median(httpSmall), "×", {
          goal: { op: "<=", target: GOAL_RATIO },
        }),
      ],
      notes: [
        "store: read(id, middle, 100) as the issue asks (the 100-event log has only 50 events after its middle); limit 1 isolates the seek.",
        "http: the server's catch-up read takes up to 1,000 events before the first frame is sent.",
        `Resume at the middle of each log; ${storeSamples} store and ${samples} HTTP samples each after one discarded warm-up; a fresh store instance per store sample, a new connection per HTTP sample.`,
      ],
    };
  } finally {
    removeDir(dataDir);
  }
}

/** ms per `read(middle, limit)` on a fresh store each time (no epoch cache). */
async function timeStoreReads(
  storageDir: string,
  task: TaskJson,
  limit: number,
  samples: number,
): Promise<number[]> {
  const middle = Math.floor(task.lastEventId / 2);
  const times: number[] = [];
  for (let index = 0; index < samples + 1; index++) {
    const store = benchStore(storageDir);
    const started = performance.now();
    const { events } = await store.read(task.id, middle, limit);
    const elapsed = performance.now() - started;
    await store.close();
    if (events[0]?.id !== middle + 1)
      throw new Error(`read returned event ${events[0]?.id}, expected ${middle + 1}`);
    // The first sample pays for loading code paths (JIT): discarded.
    if (index > 0) times.push(elapsed);
  }
  return times;
}
