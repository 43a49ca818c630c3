/**
 * Shared plumbing of the benchmark sections: the shape of a figure, small
 * statistics, realistic report text, task snapshots, a store opened by the
 * bench process, real servers with a warm search index, and SSE clients cheap
 * enough to run a thousand of in one process.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { newTaskJson, type TaskJson, type TaskStatus } from "../lib/model/task-json";
import { FileTaskStore } from "../lib/store/file/file-store";
import type { Lease } from "../lib/store/types";
import { seededRandom } from "../tests/support/seeded-random";
import { type StartOptions, startServer, type TestServer } from "../tests/support/server";

// ── figures ────────────────────────────────────────────────────────────────

/** A goal a figure is checked against: `value op target`. */
export interface Goal {
  op: "<" | "<=" | ">" | ">=";
  target: number;
}

/** One measured number. `goal`/`met` only on figures the issues set a goal for. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  goal?: Goal;
  met?: boolean;
  note?: string;
}

/** What a section returns: its figures and free-text notes on how they were measured. */
export interface SectionResult {
  figures: Figure[];
  notes?: string[];
}

export function figure(
  name: string,
  value: number,
  unit: string,
  extra: { goal?: Goal; note?: string } = {},
): Figure {
  const rounded = round(value);
  const result: Figure = { name, value: rounded, unit };
  if (extra.goal) {
    result.goal = extra.goal;
    result.met = meets(value, extra.goal);
  }
  if (extra.note) result.note = extra.note;
  return result;
}

function meets(value: number, goal: Goal): boolean {
  switch (goal.op) {
    case "<":
      return value < goal.target;
    case "<=":
      return value <= goal.target;
    case ">":
      return value > goal.target;
    case ">=":
      return value >= goal.target;
  }
}

/** Three significant digits, at most two decimals: enough for a table. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const magnitude = Math.abs(value);
  const decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2;
  return Number(value.toFixed(decimals));
}

// ── statistics ─────────────────────────────────────────────────────────────

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** `promise`, or an error naming what was awaited (`describe()`) once `ms` have passed. */
export async function within<T>(promise: Promise<T>, ms: number, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms (${describe()})`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every 50 ms until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs: number,
): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

// ── report text ────────────────────────────────────────────────────────────

/** The tests' seeded generator (mulberry32), so every run writes the same text. */
export const random = seededRandom;

const WORDS = (
  "the treaty purchase territory congress president annual message revenue tariff canal railway " +
  "settlers frontier commerce navigation river port customs duties appropriation militia navy " +
  "administration report union states government citizens policy foreign relations négociation " +
  "expenditure surplus debt currency bank credit harvest manufactures industry labor wages " +
  "population census district court constitution amendment senate representatives session"
).split(" ");

/**
 * Pieces of a report as a writer streams them: sentences of a generated
 * paragraph, 40–400 characters each, with the odd markdown and non-ASCII
 * character (so byte counts are not character counts).
 */
export function reportPieces(count: number, seed = 1): string[] {
  const next = random(seed);
  const pieces: string[] = [];
  for (let index = 0; index < count; index++) {
    const length = 40 + Math.floor(next() * 361);
    let sentence = index % 25 === 0 ? "\n\n## Section — " : "";
    while (sentence.length < length) {
      const word = WORDS[Math.floor(next() * WORDS.length)]!;
      sentence += sentence.length === 0 ? word[0]!.toUpperCase() + word.slice(1) : ` ${word}`;
      if (next() < 0.04) sentence += next() < 0.5 ? ` [${1 + Math.floor(next() * 12)}]` : ",";
    }
    pieces.push(`${sentence.slice(0, length - 2).trimEnd()}. `);
  }
  return pieces;
}

// ── tasks and the store ────────────────────────────────────────────────────

let taskCounter = 0;

/** A task id (32 hex digits) unique within and across runs. */
export function newTaskId(): string {
  taskCounter += 1;
  const random16 = Math.floor(Math.random() * 2 ** 48)
    .toString(16)
    .padStart(12, "0");
  return `${Date.now().toString(16)}${taskCounter.toString(16).padStart(8, "0")}${random16}`
    .padEnd(32, "0")
    .slice(0, 32);
}

/** A task snapshot as the runner writes it (no result until it finishes). */
export function makeTask(overrides: Partial<TaskJson> = {}): TaskJson {
  const now = new Date().toISOString();
  const request: TaskJson["request"] = {
    query: "How did the United States acquire Louisiana?",
    depth: 2,
    breadth: 3,
    language: "en",
    llm: { provider: "offline" },
    search: { provider: "local", maxResults: 5 },
  };
  return {
    ...newTaskJson({ id: newTaskId(), request, priority: 0, now }),
    status: "running" satisfies TaskStatus,
    message: null,
    startedAt: now,
    ...overrides,
  };
}

/**
 * A file store opened by the bench process on a server's task folder. Its own
 * lease time is long so that a busy bench never drops a lease by its own clock;
 * servers judge the lease by their default time, so `keepLease` renews it.
 */
export function benchStore(storageDir: string): FileTaskStore {
  return new FileTaskStore({ root: storageDir, leaseTtlMs: 600_000, pollMs: 250 });
}

/**
 * Creates a running task owned by the bench process and renews its lease every
 * second (servers take over a lease whose heartbeat stops for LEASE_TTL_MS).
 */
export async function ownTask(
  store: FileTaskStore,
  task: TaskJson = makeTask(),
): Promise<{ task: TaskJson; lease: Lease; stop: () => void }> {
  await store.createTask(task);
  const lease = await store.acquireLease(task.id, "bench-owner");
  if (!lease) throw new Error(`could not acquire the lease of task ${task.id}`);
  const timer = setInterval(() => {
    store
      .renewLease(lease)
      .catch((error: unknown) => console.error(`bench lease renewal failed: ${String(error)}`));
  }, 1000);
  return { task, lease, stop: () => clearInterval(timer) };
}

/** A completed task whose log holds `count` events (outputs, then `done`). */
export async function writeFinishedTask(store: FileTaskStore, count: number): Promise<TaskJson> {
  const task = makeTask();
  await store.createTask(task);
  const lease = await store.acquireLease(task.id, "bench-owner");
  if (!lease) throw new Error("could not acquire the lease");
  const pieces = reportPieces(Math.min(count, 5000), count);
  for (let from = 0; from < count; from += 1000) {
    const records = [];
    for (let index = from; index < Math.min(count, from + 1000); index++) {
      records.push(
        index === count - 1
          ? { event: { type: "done" as const, data: { status: "completed" } } }
          : { event: { type: "output" as const, data: { text: pieces[index % pieces.length]! } } },
      );
    }
    await store.append(lease, records);
  }
  const now = new Date().toISOString();
  const finished: TaskJson = {
    ...task,
    status: "completed",
    progress: 100,
    lastEventId: count,
    finishedAt: now,
    updatedAt: now,
    result: { report: "(bench)", sources: [], learnings: [] },
  };
  await store.saveTask(lease, finished);
  await store.releaseLease(lease);
  await store.setActive(task.id, false);
  return finished;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `fathom-bench-${prefix}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

// ── real servers ───────────────────────────────────────────────────────────

const running = new Set<TestServer>();
let indexTemplate: Promise<string> | null = null;

/**
 * The exposure limits of a bench server: a thousand clients from one address
 * are the point of several sections, so the per-process and per-client
 * connection limits are far above them and the task rate limit is off.
 * A section may override them (the fan-out section also runs with every
 * limit off, to price the limits themselves).
 */
export const BENCH_LIMITS: Readonly<Record<string, string>> = {
  MAX_SSE_CONNECTIONS: "100000",
  MAX_SSE_CONNECTIONS_PER_CLIENT: "100000",
  RATE_LIMIT_TASKS_PER_MINUTE: "0",
};

/** Every exposure limit disabled (0 disables each). */
export const NO_LIMITS: Readonly<Record<string, string>> = {
  MAX_SSE_CONNECTIONS: "0",
  MAX_SSE_CONNECTIONS_PER_CLIENT: "0",
  RATE_LIMIT_TASKS_PER_MINUTE: "0",
};

/**
 * Starts the built server on `dataDir` and waits until its manager has
 * started (the search index is loaded). Each new data folder gets a copy of
 * a search index built once per bench run, so no server spends seconds of
 * CPU building one in the middle of a measurement. The server gets
 * BENCH_LIMITS unless `env` says otherwise.
 */
export async function startBenchServer(options: StartOptions & { dataDir: string }): Promise<TestServer> {
  const cache = path.join(await ensureIndexTemplate(), "tasks", ".cache");
  if (fs.existsSync(cache))
    fs.cpSync(cache, path.join(options.dataDir, "tasks", ".cache"), { recursive: true });
  const server = await startBuilt({ ...options, env: { ...BENCH_LIMITS, ...options.env } });
  await waitForLog(server, "manager.started", 60_000);
  return server;
}

const BUILT_SERVER = path.join(__dirname, "..", ".next", "standalone", "server.js");

/**
 * Starts the server; if it could not start because the build is missing (a
 * `next build` of someone working in the same checkout replaces it), waits
 * for the build to be back and tries once more.
 */
async function startBuilt(options: StartOptions): Promise<TestServer> {
  for (let attempt = 1; ; attempt++) {
    await waitUntil("the production build (.next/standalone)", () => fs.existsSync(BUILT_SERVER), 300_000);
    try {
      const server = await startServer(options);
      running.add(server);
      return server;
    } catch (error) {
      if (attempt >= 2 || fs.existsSync(BUILT_SERVER)) throw error;
      console.error("The build was replaced while a server started; waiting for it and retrying.");
    }
  }
}

/** The data folder holding the search index servers copy (built on first use). */
export function ensureIndexTemplate(): Promise<string> {
  indexTemplate ??= buildIndexTemplate().catch((error: unknown) => {
    indexTemplate = null;
    throw error;
  });
  return indexTemplate;
}

/** A data folder in which a server has built and cached the search index. */
async function buildIndexTemplate(): Promise<string> {
  const template = tempDir("index");
  try {
    const server = await startBuilt({ dataDir: template });
    try {
      await waitForLog(server, "manager.started", 120_000);
    } finally {
      await stopServer(server);
    }
    return template;
  } catch (error) {
    removeDir(template);
    throw error;
  }
}

export async function waitForLog(server: TestServer, message: string, timeoutMs: number): Promise<void> {
  await waitUntil(
    `"${message}" in the server log`,
    () => server.output().includes(`"${message}"`),
    timeoutMs,
  );
}

export async function stopServer(server: TestServer): Promise<void> {
  await server.stop();
  running.delete(server);
}

/** Stops every server still running (after a section failed). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((server) => stopServer(server)));
}

/** Removes the search index template (end of the run). */
export async function removeIndexTemplate(): Promise<void> {
  const template = await indexTemplate?.catch(() => null);
  if (template) removeDir(template);
  indexTemplate = null;
}

// ── SSE clients ────────────────────────────────────────────────────────────

const ID_MARK = Buffer.from("\nid: ");

/**
 * A client that only counts numbered frames: occurrences of "\nid: " (every
 * frame before a numbered one ends with a blank line), including one split
 * across two chunks. Cheap enough for a thousand clients in one process.
 */
export interface CountingClient {
  /** Response headers arrived (with the status). */
  opened: Promise<number>;
  /** Resolves when `target` numbered frames arrived. */
  done: Promise<void>;
  readonly count: number;
  readonly bytes: number;
  /** performance.now() when the request was sent, and when its first numbered frame arrived (null before). */
  readonly startedAt: number;
  readonly firstEventAt: number | null;
  close(): void;
}

export function openCountingClient(url: string, agent: http.Agent, target: number): CountingClient {
  let count = 0;
  let bytes = 0;
  let firstEventAt: number | null = null;
  const startedAt = performance.now();
  let tail: Buffer | null = null;
  let resolveOpened!: (status: number) => void;
  let resolveDone!: () => void;
  let rejectAll!: (error: unknown) => void;
  const opened = new Promise<number>((resolve, reject) => {
    resolveOpened = resolve;
    rejectAll = reject;
  });
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // Whoever awaits these sees the error; unawaited ones must not crash the run.
  opened.catch(() => undefined);
  done.catch(() => undefined);
  const request = http.get(url, { agent, headers: { accept: "text/event-stream" } }, (response) => {
    resolveOpened(response.statusCode ?? 0);
    response.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (tail) {
        // A mark split across chunks starts in the last 4 bytes of the previous one.
        const joined = Buffer.concat([tail, chunk.subarray(0, ID_MARK.length - 1)]);
        if (joined.indexOf(ID_MARK) !== -1) count += 1;
      }
      for (let at = chunk.indexOf(ID_MARK); at !== -1; at = chunk.indexOf(ID_MARK, at + 1)) count += 1;
      tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - (ID_MARK.length - 1))));
      if (count > 0 && firstEventAt === null) firstEventAt = performance.now();
      if (count >= target) resolveDone();
    });
    response.on("end", () => rejectDone(new Error(`stream ended after ${count} of ${target} events`)));
    response.on("error", (error) => rejectDone(error));
  });
  request.on("error", (error) => {
    rejectAll(error);
    rejectDone(error);
  });
  return {
    opened,
    done,
    get count() {
      return count;
    },
    get bytes() {
      return bytes;
    },
    startedAt,
    get firstEventAt() {
      return firstEventAt;
    },
    close: () => request.destroy(),
  };
}

/** One parsed SSE frame. */
export interface Frame {
  id: number | null;
  event: string;
  data: string;
  /** performance.timeOrigin + performance.now() when its chunk arrived. */
  receivedAt: number;
}

/** A client that parses every frame (for a handful of clients, not a thousand). */
export function openFrameClient(
  url: string,
  onFrame: (frame: Frame) => void,
  headers: Record<string, string> = {},
): { opened: Promise<number>; ended: Promise<void>; close: () => void } {
  let buffer = "";
  let resolveOpened!: (status: number) => void;
  let rejectOpened!: (error: unknown) => void;
  const opened = new Promise<number>((resolve, reject) => {
    resolveOpened = resolve;
    rejectOpened = reject;
  });
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => {
    resolveEnded = resolve;
  });
  opened.catch(() => undefined);
  const request = http.get(url, { headers: { accept: "text/event-stream", ...headers } }, (response) => {
    resolveOpened(response.statusCode ?? 0);
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      const receivedAt = performance.timeOrigin + performance.now();
      buffer += chunk;
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id: number | null = null;
        let event = "message";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("id: ")) id = Number(line.slice(4));
          else if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) data = line.slice(6);
        }
        if (id !== null || data !== "") onFrame({ id, event, data, receivedAt });
      }
    });
    response.on("end", resolveEnded);
    response.on("error", () => resolveEnded());
  });
  request.on("error", (error) => {
    rejectOpened(error);
    resolveEnded();
  });
  return { opened, ended, close: () => request.destroy() };
}

/** GET or POST JSON over the given agent-less fetch; throws on a non-2xx status. */
export async function fetchJson<T = unknown>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok)
    throw new Error(`${init?.method ?? "GET"} ${url}: ${response.status} ${text.slice(0, 200)}`);
  return (text ? JSON.parse(text) : null) as T;
}
