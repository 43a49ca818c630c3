/**
 * Section 3 — SSE fan-out: one task's events to 1,000 subscribers on one
 * server process, delivered events per second, side by side in the same run
 * with a raw `node:http` SSE server (bench/raw-sse-server.mjs) doing the same
 * fan-out — the practical limit of one Node process.
 *
 * Fathom: the real built server follows a task whose owner is the bench
 * process (FileTaskStore on the same folder), as a non-owner serves any task.
 * Raw: the bench streams the same batches to the raw server in one POST
 * (a line per batch, so that, as with Fathom's log, the producer never waits
 * for the server's busy event loop between batches). Both get the same
 * events in the same shape, from the same producer pace: batches of 100
 * events sent back to back (a fast runner appending as fast as the disk
 * takes it), after a warm-up batch every client must have received first.
 * Both are read by the same client code (frames counted, not parsed).
 */
import type { ChildProcess } from "node:child_process";
import http from "node:http";
import path from "node:path";
import type { TaskEvent } from "../lib/model/events";
import { spawnGuarded } from "../tests/support/spawn-guarded";
import {
  BENCH_LIMITS,
  benchStore,
  type CountingClient,
  figure,
  NO_LIMITS,
  openCountingClient,
  ownTask,
  removeDir,
  reportPieces,
  type SectionResult,
  startBenchServer,
  stopServer,
  tempDir,
  within,
} from "./support";

export interface FanoutBenchOptions {
  /** Subscribers (default 1,000). */
  clients?: number;
  /** Events measured (default 10,000), after a warm-up batch. */
  events?: number;
  /** Events per append / publish (default 100). */
  batch?: number;
  /** Give up on one contender after this long (default 150 s). */
  timeoutMs?: number;
}

const GOAL_OF_RAW = 0.7;
/** The exposure limits must cost nothing measurable: limits on ÷ limits off. */
const GOAL_OF_LIMITS_OFF = 0.95;

type Batch = Omit<TaskEvent, "id">[];

interface Contender {
  /** The URL clients subscribe to. */
  url: string;
  /** Hands the batches over the contender's way, back to back; resolves once all are accepted. */
  send(batches: Batch[]): Promise<void>;
  close(): Promise<void>;
}

interface Run {
  ms: number;
  producerMs: number;
  bytesPerClient: number;
}

export async function benchFanout(options: FanoutBenchOptions = {}): Promise<SectionResult> {
  const clients = options.clients ?? 1000;
  const events = options.events ?? 10_000;
  const batchSize = options.batch ?? 100;
  const timeoutMs = options.timeoutMs ?? 150_000;
  const pieces = reportPieces(events + batchSize, 3);
  const batches: Batch[] = [];
  for (let from = 0; from < pieces.length; from += batchSize) {
    batches.push(pieces.slice(from, from + batchSize).map((text) => ({ type: "output", data: { text } })));
  }

  // Limits on and off alternate, twice each, and each keeps its best run: the
  // first server of a run warms the machine up (and noise comes in bursts), so
  // one run after the other would measure the order, not the limits.
  const fastest = (a: Run, b: Run) => (a.ms <= b.ms ? a : b);
  let fathom = await measure(await startFathom(BENCH_LIMITS), batches, clients, timeoutMs);
  let unlimited = await measure(await startFathom(NO_LIMITS), batches, clients, timeoutMs);
  fathom = fastest(fathom, await measure(await startFathom(BENCH_LIMITS), batches, clients, timeoutMs));
  unlimited = fastest(unlimited, await measure(await startFathom(NO_LIMITS), batches, clients, timeoutMs));
  const raw = await measure(await startRaw(), batches, clients, timeoutMs);

  const rate = (run: Run) => (events * clients) / (run.ms / 1000);
  return {
    figures: [
      figure("fathom: delivered events/s", rate(fathom), "events/s", {
        note: `${Math.round(fathom.ms)} ms for all clients; appends took ${Math.round(fathom.producerMs)} ms`,
      }),
      figure("raw node:http: delivered events/s", rate(raw), "events/s", {
        note: `${Math.round(raw.ms)} ms for all clients; publishing took ${Math.round(raw.producerMs)} ms`,
      }),
      figure("fathom ÷ raw", rate(fathom) / rate(raw), "×", { goal: { op: ">=", target: GOAL_OF_RAW } }),
      figure("fathom, limits off: delivered events/s", rate(unlimited), "events/s", {
        note: `${Math.round(unlimited.ms)} ms for all clients; appends took ${Math.round(unlimited.producerMs)} ms`,
      }),
      figure("fathom: limits on ÷ limits off", rate(fathom) / rate(unlimited), "×", {
        goal: { op: ">=", target: GOAL_OF_LIMITS_OFF },
      }),
      figure("bytes per client", fathom.bytesPerClient / 1e6, "MB", {
        note: `raw: ${(raw.bytesPerClient / 1e6).toFixed(2)} MB (Fathom adds its task snapshot)`,
      }),
    ],
    notes: [
      `${clients} subscribers × ${events} events, sent as ${events / batchSize} batches of ${batchSize} back to back, after a warm-up batch of ${batchSize}.`,
      "Fathom's events are appended by the bench process (the owner) to the store; the server follows the log (fs.watch + poll) like any non-owner. Its LEASE_TTL_MS is 60 s so that it never takes the bench's task over (the bench's renewal timer competes with 1,000 clients).",
      "Limits on: MAX_SSE_CONNECTIONS and MAX_SSE_CONNECTIONS_PER_CLIENT at 100,000 (every client comes from one address), RATE_LIMIT_TASKS_PER_MINUTE 0; limits off: all three 0. Same build, same run: on, off, on, off, each the best of its two.",
      "Time: from the first measured batch sent to the last client having every event. Clients run in the bench process, on the same 2 cores.",
    ],
  };
}

async function measure(
  contender: Contender,
  batches: Batch[],
  count: number,
  timeoutMs: number,
): Promise<Run> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const [warmUp, ...measured] = batches as [Batch, ...Batch[]];
  const total = warmUp.length + measured.reduce((sum, batch) => sum + batch.length, 0);
  const open: CountingClient[] = [];
  try {
    // In waves, so that no connection waits in a full accept queue.
    for (let from = 0; from < count; from += 100) {
      const wave = Array.from({ length: Math.min(100, count - from) }, () =>
        openCountingClient(contender.url, agent, total),
      );
      open.push(...wave);
      const statuses = await Promise.all(wave.map((client) => client.opened));
      if (statuses.some((status) => status !== 200))
        throw new Error(`subscribe answered ${statuses.find((s) => s !== 200)}`);
    }

    await contender.send([warmUp]);
    await within(
      waitForCounts(open, warmUp.length),
      timeoutMs,
      () => `warm-up: ${progress(open, warmUp.length)}`,
    );

    const started = performance.now();
    await contender.send(measured);
    const producerMs = performance.now() - started;
    await within(
      Promise.all(open.map((client) => client.done)),
      timeoutMs,
      () => `fan-out: ${progress(open, total)}`,
    );
    const ms = performance.now() - started;
    const bytesPerClient = open.reduce((sum, client) => sum + client.bytes, 0) / open.length;
    return { ms, producerMs, bytesPerClient };
  } finally {
    for (const client of open) client.close();
    agent.destroy();
    await contender.close();
  }
}

/** Resolves once every client has counted `target` frames (checked every 10 ms: cheap for 1,000 clients). */
async function waitForCounts(clients: CountingClient[], target: number): Promise<void> {
  while (clients.some((client) => client.count < target))
    await new Promise((resolve) => setTimeout(resolve, 10));
}

function progress(clients: CountingClient[], target: number): string {
  const counts = clients.map((client) => client.count);
  return `slowest client at ${Math.min(...counts)} of ${target} events`;
}

async function startFathom(limits: Readonly<Record<string, string>>): Promise<Contender> {
  const dataDir = tempDir("fanout");
  // The bench process owns the task and renews its lease on a timer that
  // 1,000 busy clients in the same process can delay past the default lease
  // time; a takeover would start the research on the server mid-measurement.
  const server = await startBenchServer({ dataDir, env: { ...limits, LEASE_TTL_MS: "60000" } }).catch(
    (error: unknown) => {
      removeDir(dataDir);
      throw error;
    },
  );
  const store = benchStore(path.join(dataDir, "tasks"));
  const owned = await ownTask(store);
  return {
    url: `${server.url}/api/tasks/${owned.task.id}/events`,
    send: async (batches) => {
      for (const batch of batches)
        await store.append(
          owned.lease,
          batch.map((event) => ({ event })),
        );
    },
    close: async () => {
      owned.stop();
      await store.close();
      await stopServer(server);
      removeDir(dataDir);
    },
  };
}

async function startRaw(): Promise<Contender> {
  const child: ChildProcess = spawnGuarded(process.execPath, [path.join(__dirname, "raw-sse-server.mjs")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`raw SSE server exited with ${code}`)));
    child.stdout?.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
  const base = `http://127.0.0.1:${port}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url: `${base}/events`,
    // One streamed request per call, a line per batch, written as fast as the socket takes them.
    send: (batches) =>
      new Promise<void>((resolve, reject) => {
        const request = http.request(
          `${base}/publish`,
          { method: "POST", agent, headers: { "content-type": "application/x-ndjson" } },
          (response) => {
            response.resume();
            response.on("end", () =>
              response.statusCode === 200 ? resolve() : reject(new Error(`publish: ${response.statusCode}`)),
            );
          },
        );
        request.on("error", reject);
        void (async () => {
          for (const batch of batches) {
            if (!request.write(`${JSON.stringify(batch)}\n`))
              await new Promise((drained) => request.once("drain", drained));
          }
          request.end();
        })();
      }),
    close: async () => {
      agent.destroy();
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
