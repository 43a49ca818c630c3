/**
 * Section 4 — takeover and follower latency (one issue, two sections).
 *
 * Takeover: two real servers on one folder with the default lease settings
 * (only OUTPUT_CHUNK_DELAY_MS=200, so that a task is still writing its report
 * when its owner dies). A research task starts; once it streams output, its
 * owner is killed with SIGKILL; the figure is the time until the survivor's
 * stream shows the `status` event of the takeover. Fresh folder and servers
 * each time.
 *
 * Follower latency: the bench process owns a task (appends with the time in
 * the event), a real server follows it, one SSE client in the bench process
 * receives: latency = time received − time of the append call. Twice: as is
 * (fs.watch change events on a local disk), and with fs.watch disabled in the
 * server (bench/no-fs-watch.cjs, preloaded), so that its follower only polls
 * every FOLLOW_POLL_MS — what a network filesystem gives.
 */
import path from "node:path";
import type { TestServer } from "../tests/support/server";
import {
  benchStore,
  type Frame,
  fetchJson,
  figure,
  median,
  openFrameClient,
  ownTask,
  percentile,
  removeDir,
  reportPieces,
  type SectionResult,
  sleep,
  startBenchServer,
  stopServer,
  tempDir,
  waitUntil,
} from "./support";

const TAKEOVER_GOAL_MS = 10_000;
const WATCH_GOAL_P99_MS = 100;
const POLL_GOAL_P99_MS = 1000;
/** The default FOLLOW_POLL_MS (lib/config.ts). */
const DEFAULT_POLL_MS = 250;

export interface TakeoverBenchOptions {
  /** Kills measured (default 3). */
  repeats?: number;
}

export async function benchTakeover(options: TakeoverBenchOptions = {}): Promise<SectionResult> {
  const repeats = options.repeats ?? 3;
  const times: number[] = [];
  for (let index = 0; index < repeats; index++) times.push(await measureTakeover(index));
  return {
    figures: [
      ...times.map((ms, index) => figure(`takeover after SIGKILL, run ${index + 1}`, ms, "ms")),
      figure("takeover after SIGKILL, max", Math.max(...times), "ms", {
        goal: { op: "<=", target: TAKEOVER_GOAL_MS },
      }),
    ],
    notes: [
      "Default LEASE_TTL_MS (6 s), LEASE_RENEW_MS (1.5 s), TAKEOVER_SCAN_MS (1 s): expected about 4.5–8 s (the lease time after the survivor first saw the last heartbeat, plus up to one scan).",
      "Measured from the SIGKILL to the survivor's stream delivering the takeover `status` event.",
    ],
  };
}

async function measureTakeover(index: number): Promise<number> {
  const dataDir = tempDir("takeover");
  const env = { OUTPUT_CHUNK_DELAY_MS: "200" };
  const servers: TestServer[] = [];
  try {
    servers.push(
      ...(await Promise.all([startBenchServer({ dataDir, env }), startBenchServer({ dataDir, env })])),
    );
    const [first] = servers as [TestServer, TestServer];
    const query = `Takeover ${index + 1} (${Date.now()}): how did the United States acquire Louisiana?`;
    const created = await fetchJson<{ taskId: string }>(`${first.url}/api/research`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query, depth: 1, breadth: 2 }),
    });
    const taskId = created.taskId;

    // Wait until the report is being streamed.
    let lastId = 0;
    let streaming = false;
    const watcher = openFrameClient(`${first.url}/api/tasks/${taskId}/events`, (frame) => {
      if (frame.id !== null) lastId = frame.id;
      if (frame.event === "output") streaming = true;
    });
    await waitUntil("the first output event", () => streaming, 60_000);
    watcher.close();

    const owner = await ownerOf(servers, taskId);
    const survivor = servers.find((server) => server !== owner)!;
    owner.signal("SIGKILL");
    const killedAt = performance.now();
    await owner.exited;

    let takenOverAt = 0;
    const resumed = openFrameClient(
      `${survivor.url}/api/tasks/${taskId}/events?lastEventId=${lastId}`,
      (frame) => {
        if (frame.event !== "status" || takenOverAt) return;
        const data = JSON.parse(frame.data) as { attempt?: string };
        if (data.attempt === "takeover") takenOverAt = performance.now();
      },
    );
    try {
      await waitUntil("the takeover status event", () => takenOverAt, 60_000);
    } finally {
      resumed.close();
    }
    return takenOverAt - killedAt;
  } finally {
    await Promise.all(servers.map((server) => stopServer(server)));
    removeDir(dataDir);
  }
}

async function ownerOf(servers: TestServer[], taskId: string): Promise<TestServer> {
  const task = await fetchJson<{ attempts: { ownerId: string; outcome: string }[] }>(
    `${servers[0]!.url}/api/tasks/${taskId}`,
  );
  const attempt = task.attempts.at(-1);
  if (attempt?.outcome !== "running") throw new Error("the task has no running attempt");
  for (const server of servers) {
    const health = await fetchJson<{ ownerId: string }>(`${server.url}/api/health`);
    if (health.ownerId === attempt.ownerId) return server;
  }
  throw new Error(`no server is owner ${attempt.ownerId}`);
}

export interface FollowerBenchOptions {
  /** Events appended (default 500). */
  events?: number;
  /** Pause between appends (default 10 ms). */
  spacingMs?: number;
}

export async function benchFollower(options: FollowerBenchOptions = {}): Promise<SectionResult> {
  const events = options.events ?? 500;
  const spacingMs = options.spacingMs ?? 10;
  const watching = await measureFollower(events, spacingMs, false);
  const polling = await measureFollower(events, spacingMs, true);
  return {
    figures: [
      figure("change events: p50", median(watching), "ms"),
      figure("change events: p99", percentile(watching, 99), "ms", {
        goal: { op: "<", target: WATCH_GOAL_P99_MS },
        note: `max ${Math.max(...watching).toFixed(1)} ms`,
      }),
      figure("polling only: p50", median(polling), "ms"),
      figure("polling only: p99", percentile(polling, 99), "ms", {
        goal: { op: "<", target: POLL_GOAL_P99_MS },
        note: `max ${Math.max(...polling).toFixed(1)} ms; FOLLOW_POLL_MS ${DEFAULT_POLL_MS}`,
      }),
    ],
    notes: [
      `${events} events appended by the bench process (the owner) ${spacingMs} ms apart; one SSE client on a real server that follows the log.`,
      "Polling only: fs.watch made to throw in the server by a preloaded module (bench/no-fs-watch.cjs), as on a network filesystem; lib is unchanged.",
    ],
  };
}

async function measureFollower(events: number, spacingMs: number, pollingOnly: boolean): Promise<number[]> {
  const dataDir = tempDir("follower");
  const env: Record<string, string> = {};
  if (pollingOnly) {
    const preload = `--require ${JSON.stringify(path.join(__dirname, "no-fs-watch.cjs"))}`;
    env.NODE_OPTIONS = [process.env.NODE_OPTIONS, preload].filter(Boolean).join(" ");
  }
  const server = await startBenchServer({ dataDir, env }).catch((error: unknown) => {
    removeDir(dataDir);
    throw error;
  });
  const store = benchStore(path.join(dataDir, "tasks"));
  const owned = await ownTask(store);
  const latencies: number[] = [];
  const onFrame = (frame: Frame) => {
    if (frame.event !== "output") return;
    const { sentAt } = JSON.parse(frame.data) as { sentAt: number };
    latencies.push(frame.receivedAt - sentAt);
  };
  const client = openFrameClient(`${server.url}/api/tasks/${owned.task.id}/events`, onFrame);
  try {
    if ((await client.opened) !== 200) throw new Error("the event stream did not open");
    // Let the server's follower start (its first read) before measuring.
    await sleep(300);
    const pieces = reportPieces(events, 11);
    for (const text of pieces) {
      const sentAt = performance.timeOrigin + performance.now();
      await store.append(owned.lease, [{ event: { type: "output", data: { text, sentAt } } }]);
      await sleep(spacingMs);
    }
    await waitUntil(`${events} events at the client`, () => latencies.length >= events, 30_000);
    if (pollingOnly && !server.output().includes("fs.watch disabled")) {
      throw new Error("the server never tried fs.watch: the polling-only figure would not be one");
    }
    return latencies;
  } finally {
    client.close();
    owned.stop();
    await store.close();
    await stopServer(server);
    removeDir(dataDir);
  }
}
