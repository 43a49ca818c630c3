import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import Redis from "ioredis";
import { createResumableStreamContext } from "resumable-stream/ioredis";
import { silentLogger } from "../lib/log";
import type { TaskEvent } from "../lib/model/events";
import { encodeEvent } from "../lib/sse/encode";
import { createTaskEventStream } from "../lib/sse/task-stream";
import { RedisTaskStore } from "../lib/store/redis/redis-store";
import { findRedisServer, type RedisTestServer, startRedisServer } from "../tests/support/redis";
import { makeTask } from "./support";

/**
 * Fathom's Redis store against vercel/resumable-stream, side by side in one
 * run, on one machine and one Redis:
 *
 * - fan-out: one task's events to N SSE subscribers over real HTTP. Fathom
 *   serves them from a store that did not write them (another "process": it
 *   follows the Redis stream); resumable-stream relays the producer's memory
 *   over pub/sub, one PUBLISH per subscriber per chunk.
 * - resume: a client reconnects mid-stream with its cursor (Fathom: the last
 *   event id; resumable-stream: the characters already seen) — time until its
 *   first resumed event arrives.
 *
 * Both servers send byte-identical SSE frames. Run: `npx tsx bench/redis.ts`
 * (REDIS_URL to use a running server; otherwise a temporary redis-server).
 */
export interface RedisBenchOptions {
  /** Subscribers of the fan-out (default 1000). */
  subscribers?: number;
  /** Events in the fan-out stream (default 500). */
  events?: number;
  /** Reconnections measured for resume (default 20). */
  resumes?: number;
}

export async function benchRedis(options: RedisBenchOptions = {}): Promise<Record<string, number>> {
  const subscribers = options.subscribers ?? 1000;
  const eventCount = options.events ?? 500;
  const resumes = options.resumes ?? 20;
  let server: RedisTestServer | null = null;
  let url = process.env.REDIS_URL;
  if (!url) {
    const binary = findRedisServer();
    if (!binary) throw new Error("bench/redis needs REDIS_URL or a redis-server binary on PATH.");
    server = await startRedisServer(binary);
    url = server.url;
  }
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  try {
    const fathom = await startFathom(url);
    const resumable = await startResumable(url);
    try {
      const results: Record<string, number> = { subscribers, events: eventCount };
      results.fathom_fanout_events_per_s = await fathom.fanOut(subscribers, eventCount, agent);
      results.resumable_fanout_events_per_s = await resumable.fanOut(subscribers, eventCount, agent);
      results.fathom_resume_first_event_ms = await fathom.resume(resumes, agent);
      results.resumable_resume_first_event_ms = await resumable.resume(resumes, agent);
      return results;
    } finally {
      await fathom.close();
      await resumable.close();
    }
  } finally {
    agent.destroy();
    await server?.stop();
  }
}

// ── the two servers ────────────────────────────────────────────────────────

interface Contender {
  /** Delivered events per second (events × subscribers / time until every subscriber saw `done`). */
  fanOut(subscribers: number, events: number, agent: http.Agent): Promise<number>;
  /** Median ms from a resuming request to its first event. */
  resume(times: number, agent: http.Agent): Promise<number>;
  close(): Promise<void>;
}

const frame = (id: number, last: number): string =>
  encodeEvent(
    id === last
      ? { id, type: "done", data: { status: "completed" } }
      : { id, type: "output", data: { text: `Chunk ${id} of the report. ` } },
  );

async function startFathom(url: string): Promise<Contender> {
  const prefix = `bench:${Date.now()}:`;
  const owner = await RedisTaskStore.connect({ url, prefix, leaseTtlMs: 60_000, pollMs: 250 });
  const reader = await RedisTaskStore.connect({ url, prefix, leaseTtlMs: 60_000, pollMs: 250 });
  const server = await listen((request, response) => {
    const query = new URL(request.url ?? "/", "http://x").searchParams;
    const stream = createTaskEventStream({
      store: reader,
      taskId: query.get("task") ?? "",
      afterId: Number(query.get("lastEventId") ?? 0),
      snapshot: { id: query.get("task") },
      heartbeatMs: 10_000,
      retryMs: 2000,
      logger: silentLogger,
    });
    response.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
    });
    response.flushHeaders();
    void pipeStream(stream, response);
  });

  const newTask = async () => {
    const task = makeTask();
    await owner.createTask(task);
    const lease = (await owner.acquireLease(task.id, "bench-owner"))!;
    const append = (id: number, last: number) =>
      owner.append(lease, [
        id === last
          ? { event: { type: "done", data: { status: "completed" } } }
          : { event: { type: "output", data: { text: `Chunk ${id} of the report. ` } } },
      ]);
    return { task, append };
  };

  return {
    async fanOut(count, events, agent) {
      const { task, append } = await newTask();
      const clients = await Promise.all(
        Array.from({ length: count }, () => openClient(`${server.url}/?task=${task.id}`, agent)),
      );
      await Promise.all(clients.map((client) => client.opened));
      const started = performance.now();
      for (let id = 1; id <= events; id++) await append(id, events);
      await Promise.all(clients.map((client) => client.done));
      return Math.round((count * events) / ((performance.now() - started) / 1000));
    },
    async resume(times, agent) {
      const { task, append } = await newTask();
      const last = 100_000;
      let id = 0;
      let producing = true;
      const producer = (async () => {
        while (producing) {
          id += 1;
          await append(id, last);
          await sleep(2);
        }
      })();
      const samples: number[] = [];
      while (id < 50) await sleep(5);
      for (let index = 0; index < times; index++) {
        const cursor = Math.max(1, id - 10);
        const started = performance.now();
        const client = openClient(`${server.url}/?task=${task.id}&lastEventId=${cursor}`, agent);
        await client.firstEvent;
        samples.push(performance.now() - started);
        client.close();
      }
      producing = false;
      await producer;
      return median(samples);
    },
    async close() {
      server.close();
      await owner.close();
      await reader.close();
    },
  };
}

async function startResumable(url: string): Promise<Contender> {
  const publisher = new Redis(url);
  const subscriber = new Redis(url);
  const context = createResumableStreamContext({
    waitUntil: null,
    publisher,
    subscriber,
    keyPrefix: `bench-rs:${Date.now()}`,
  });
  /** The producer of each stream, in the memory of the process that serves its first request. */
  const producers = new Map<string, { stream: () => ReadableStream<string> }>();
  const server = await listen((request, response) => {
    void (async () => {
      const query = new URL(request.url ?? "/", "http://x").searchParams;
      const id = query.get("stream") ?? "";
      const resumeAt = query.get("resumeAt");
      const producer = producers.get(id);
      if (!producer) {
        response.writeHead(404).end();
        return;
      }
      const stream = await context.resumableStream(
        id,
        producer.stream,
        resumeAt ? Number(resumeAt) : undefined,
      );
      if (!stream) {
        response.writeHead(422).end();
        return;
      }
      response.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache, no-transform",
      });
      response.flushHeaders();
      await pipeStream(stream, response);
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  });

  /** A stream whose frames are released by `emit(id)`, as a task would write them. */
  const newStream = () => {
    const id = `s${Date.now()}-${Math.random().toString(16).slice(2)}`;
    let controller: ReadableStreamDefaultController<string> | null = null;
    producers.set(id, {
      stream: () =>
        new ReadableStream<string>({
          start(created) {
            controller = created;
          },
        }),
    });
    const emit = (eventId: number, last: number) => {
      controller?.enqueue(frame(eventId, last));
      if (eventId === last) controller?.close();
    };
    return { id, emit };
  };

  return {
    async fanOut(count, events, agent) {
      const { id, emit } = newStream();
      // The first request runs the producer; every other one resumes through it.
      const first = openClient(`${server.url}/?stream=${id}`, agent);
      await first.opened;
      const others = await Promise.all(
        Array.from({ length: count - 1 }, () => openClient(`${server.url}/?stream=${id}`, agent)),
      );
      const clients = [first, ...others];
      await Promise.all(clients.map((client) => client.opened));
      const started = performance.now();
      for (let eventId = 1; eventId <= events; eventId++) emit(eventId, events);
      await Promise.all(clients.map((client) => client.done));
      return Math.round((count * events) / ((performance.now() - started) / 1000));
    },
    async resume(times, agent) {
      const { id, emit } = newStream();
      const owner = openClient(`${server.url}/?stream=${id}`, agent);
      await owner.opened;
      let eventId = 0;
      let producing = true;
      let characters = 0;
      const producer = (async () => {
        while (producing) {
          eventId += 1;
          emit(eventId, 100_000);
          characters += frame(eventId, 100_000).length;
          await sleep(2);
        }
      })();
      while (eventId < 50) await sleep(5);
      const samples: number[] = [];
      for (let index = 0; index < times; index++) {
        // Resume 10 events back, counted in characters as resumable-stream expects.
        let skip = characters;
        for (let back = 0; back < 10; back++) skip -= frame(eventId - back, 100_000).length;
        const started = performance.now();
        const client = openClient(`${server.url}/?stream=${id}&resumeAt=${skip}`, agent);
        await client.firstEvent;
        samples.push(performance.now() - started);
        client.close();
      }
      producing = false;
      await producer;
      owner.close();
      return median(samples);
    },
    async close() {
      server.close();
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

// ── plumbing ───────────────────────────────────────────────────────────────

async function listen(handler: http.RequestListener): Promise<{ url: string; close: () => void }> {
  const server = http.createServer(handler);
  server.maxConnections = 100_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

async function pipeStream(
  stream: ReadableStream<Uint8Array | string>,
  response: http.ServerResponse,
): Promise<void> {
  const reader = stream.getReader();
  response.on("close", () => {
    reader.cancel().catch(() => {
      // The stream is gone either way.
    });
  });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!response.write(value)) await new Promise((resolve) => response.once("drain", resolve));
  }
  response.end();
}

interface Client {
  /** Response headers arrived. */
  opened: Promise<void>;
  /** First numbered event arrived. */
  firstEvent: Promise<void>;
  /** The `done` event arrived. */
  done: Promise<TaskEvent["id"]>;
  close(): void;
}

/** A minimal SSE client: counts numbered frames and notices `done`. */
function openClient(url: string, agent: http.Agent): Client {
  let request: http.ClientRequest | null = null;
  const opened = deferred<void>();
  const firstEvent = deferred<void>();
  const done = deferred<number>();
  let buffer = "";
  let lastId = 0;
  request = http.get(url, { agent }, (response) => {
    opened.resolve();
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (\d+)$/m.exec(block);
        if (id) {
          lastId = Number(id[1]);
          firstEvent.resolve();
          if (block.includes("\nevent: done")) done.resolve(lastId);
        }
        end = buffer.indexOf("\n\n");
      }
    });
    response.on("end", () => done.reject(new Error(`stream ended at event ${lastId} without done`)));
  });
  request.on("error", (error) => {
    opened.reject(error);
    firstEvent.reject(error);
    done.reject(error);
  });
  for (const promise of [opened.promise, firstEvent.promise, done.promise]) {
    promise.catch(() => {
      // Observed by whoever awaits it; unawaited ones must not crash the run.
    });
  }
  return {
    opened: opened.promise,
    firstEvent: firstEvent.promise,
    done: done.promise,
    close: () => request?.destroy(),
  };
}

function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return Math.round(middle * 100) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchRedis().then(
    (results) => {
      for (const [name, value] of Object.entries(results)) console.log(`${name.padEnd(36)} ${value}`);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
