/**
 * Section 3b — reconnect storm: a replica restarted and 1,000 clients
 * reconnect to it at once, each replaying a finished task of 1,000 events
 * from the start. Delivered events per second and the time to each client's
 * first event, side by side in the same run with two raw `node:http`
 * servers replaying the same events (bench/raw-replay-server.mjs): one that
 * encoded them once and writes the same buffer to everyone (the ceiling), one
 * that re-reads and re-encodes the log per request (what no cache costs).
 *
 * Fathom: the real built server, started on a data folder holding the
 * finished task, so nothing of it is in memory when the storm hits. Half the
 * clients send no cursor, half `?lastEventId=0`: both replay the whole run.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { spawnGuarded } from "../tests/support/spawn-guarded";
import {
  benchStore,
  type CountingClient,
  figure,
  median,
  openCountingClient,
  percentile,
  removeDir,
  type SectionResult,
  startBenchServer,
  stopServer,
  tempDir,
  within,
  writeFinishedTask,
} from "./support";

export interface StormBenchOptions {
  /** Clients reconnecting at once (default 1,000). */
  clients?: number;
  /** Events in the finished task's log (default 1,000). */
  events?: number;
  /** Give up on one contender after this long (default 120 s). */
  timeoutMs?: number;
}

const GOAL_OF_RAW = 0.7;
const GOAL_FIRST_EVENT_MS = 1000;

interface Contender {
  /** The URL of client `index`. */
  url: (index: number) => string;
  /** A URL that loads the contender's code paths but not the storm's task (warm-up). */
  warmUpUrl: string;
  warmUpEvents: number;
  close(): Promise<void>;
}

interface Storm {
  ms: number;
  firstEventMs: number[];
  bytesPerClient: number;
}

export async function benchReconnectStorm(options: StormBenchOptions = {}): Promise<SectionResult> {
  const clients = options.clients ?? 1000;
  const events = options.events ?? 1000;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const dataDir = tempDir("storm");
  try {
    const store = benchStore(path.join(dataDir, "tasks"));
    const task = await writeFinishedTask(store, events);
    const warmUpTask = await writeFinishedTask(store, 10);
    // The raw servers replay the very same events, from a file of their own.
    const eventsFile = path.join(dataDir, "events.ndjson");
    const { events: logged, more } = await store.read(task.id, 0, events + 1);
    if (more || logged.length !== events) throw new Error(`read ${logged.length} events, expected ${events}`);
    fs.writeFileSync(eventsFile, logged.map((event) => `${JSON.stringify(event)}\n`).join(""));
    await store.close();

    const fathom = await storm(
      await startFathom(dataDir, task.id, warmUpTask.id),
      clients,
      events,
      timeoutMs,
    );
    const memory = await storm(await startRaw("memory", eventsFile), clients, events, timeoutMs);
    const reread = await storm(await startRaw("reread", eventsFile), clients, events, timeoutMs);

    const rate = (run: Storm) => (events * clients) / (run.ms / 1000);
    const firstEvent = (name: string, run: Storm, goal: boolean) =>
      figure(`${name}: first event (median)`, median(run.firstEventMs), "ms", {
        ...(goal ? { goal: { op: "<" as const, target: GOAL_FIRST_EVENT_MS } } : {}),
        note: `p90 ${Math.round(percentile(run.firstEventMs, 90))} ms`,
      });
    return {
      figures: [
        figure("fathom: delivered events/s", rate(fathom), "events/s", {
          note: `${Math.round(fathom.ms)} ms until every client had every event`,
        }),
        firstEvent("fathom", fathom, true),
        figure("fathom: first event (p90)", percentile(fathom.firstEventMs, 90), "ms"),
        figure("raw, in memory: delivered events/s", rate(memory), "events/s", {
          note: `${Math.round(memory.ms)} ms`,
        }),
        firstEvent("raw, in memory", memory, false),
        figure("raw, re-reading: delivered events/s", rate(reread), "events/s", {
          note: `${Math.round(reread.ms)} ms`,
        }),
        firstEvent("raw, re-reading", reread, false),
        figure("fathom ÷ raw in memory", rate(fathom) / rate(memory), "×", {
          goal: { op: ">=", target: GOAL_OF_RAW },
        }),
        figure("fathom ÷ raw re-reading", rate(fathom) / rate(reread), "×"),
        figure("bytes per client", fathom.bytesPerClient / 1e6, "MB", {
          note: `raw: ${(memory.bytesPerClient / 1e6).toFixed(2)} MB (Fathom adds its task snapshot)`,
        }),
      ],
      notes: [
        `${clients} clients opened in the same tick, each replaying a finished task of ${events} events (outputs of 40–400 characters, then \`done\`) to its end.`,
        "Fathom: a server started on the task's folder just before the storm (nothing of the task in memory); one request to another, small task first loads the route's code. Raw servers get one warm-up request too.",
        "Time to first event: from sending the request to the first numbered frame. Clients run in the bench process, on the same cores as the servers.",
      ],
    };
  } finally {
    removeDir(dataDir);
  }
}

async function storm(contender: Contender, count: number, events: number, timeoutMs: number): Promise<Storm> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const open: CountingClient[] = [];
  try {
    const warmUp = openCountingClient(contender.warmUpUrl, agent, contender.warmUpEvents);
    await within(warmUp.done, timeoutMs, () => "warm-up request");
    warmUp.close();

    const started = performance.now();
    for (let index = 0; index < count; index++)
      open.push(openCountingClient(contender.url(index), agent, events));
    const statuses = await within(
      Promise.all(open.map((client) => client.opened)),
      timeoutMs,
      () => "responses",
    );
    const refused = statuses.find((status) => status !== 200);
    if (refused !== undefined) throw new Error(`reconnect answered ${refused}`);
    await within(Promise.all(open.map((client) => client.done)), timeoutMs, () => {
      const counts = open.map((client) => client.count);
      return `slowest client at ${Math.min(...counts)} of ${events} events`;
    });
    const ms = performance.now() - started;
    return {
      ms,
      firstEventMs: open.map((client) => client.firstEventAt! - client.startedAt),
      bytesPerClient: open.reduce((sum, client) => sum + client.bytes, 0) / open.length,
    };
  } finally {
    for (const client of open) client.close();
    agent.destroy();
    await contender.close();
  }
}

async function startFathom(dataDir: string, taskId: string, warmUpTaskId: string): Promise<Contender> {
  const server = await startBenchServer({ dataDir });
  const base = `${server.url}/api/tasks`;
  return {
    url: (index) => `${base}/${taskId}/events${index % 2 === 0 ? "" : "?lastEventId=0"}`,
    warmUpUrl: `${base}/${warmUpTaskId}/events`,
    warmUpEvents: 10,
    close: () => stopServer(server),
  };
}

async function startRaw(mode: "memory" | "reread", eventsFile: string): Promise<Contender> {
  const child: ChildProcess = spawnGuarded(
    process.execPath,
    [path.join(__dirname, "raw-replay-server.mjs"), mode, eventsFile],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`raw replay server exited with ${code}`)));
    child.stdout?.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
  const lines = fs.readFileSync(eventsFile, "utf8").split("\n").filter(Boolean).length;
  return {
    url: () => `http://127.0.0.1:${port}/events`,
    warmUpUrl: `http://127.0.0.1:${port}/events`,
    warmUpEvents: lines,
    close: async () => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
