import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import { EventSource } from "eventsource";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, launchChromium } from "./support/browser";
import { findNginx, type NginxTestServer, requireNginx, siteConfigFrom, startNginx } from "./support/nginx";
import { findRedisServer, type RedisTestServer, startRedisServer } from "./support/redis";
import { expectedProgress } from "./support/mcp-progress";
import { freePort, startServer, type TestServer, tempDir } from "./support/server";
import { getJson, outputText, readSse, waitFor } from "./support/sse";

/**
 * Fathom behind a real nginx (README, "Several containers"): two real
 * servers on one data folder, the shipped `deploy/nginx.conf` in front
 * (only its upstream addresses and listen port substituted), and real
 * clients — the `eventsource` package's standard EventSource, the MCP SDK's
 * client, Chromium, fetch. Backends are killed (SIGKILL) and frozen
 * (SIGSTOP) under a live stream; the stream continues on the other one with
 * nothing missed and nothing repeated.
 */

const nginxBinary = findNginx();
requireNginx("Fathom behind nginx", nginxBinary);

/** Short leases: a dead or frozen owner's task is taken over within about two seconds. */
const fast = { LEASE_TTL_MS: "1500", LEASE_RENEW_MS: "400", TAKEOVER_SCAN_MS: "250", FOLLOW_POLL_MS: "100" };

/**
 * Added around the site config, never inside it: which upstream answered
 * (the last address of `$upstream_addr`, which lists every one tried). The
 * shipped locations set no headers of their own, so they inherit it.
 */
const upstreamHeader = "add_header X-Upstream $upstream_addr always;";

interface Cluster {
  dataDir: string;
  backends: TestServer[];
  nginx: NginxTestServer;
}

/**
 * Two servers behind nginx running `deploy/<file>`. On the file store they
 * share one data folder; with `TASK_STORE` (Redis) each has its own folder
 * and they share nothing but Redis.
 */
async function startCluster(env: Record<string, string>, file = "nginx.conf"): Promise<Cluster> {
  const dataDir = tempDir();
  const backends = await Promise.all(
    [0, 1].map(() => startServer({ dataDir: env.TASK_STORE ? tempDir() : dataDir, env })),
  );
  const port = await freePort();
  const site = siteConfigFrom(
    file,
    backends.map((backend) => `127.0.0.1:${backend.port}`),
    port,
  );
  const nginx = await startNginx(nginxBinary!, { port, site, httpExtra: upstreamHeader });
  return { dataDir, backends, nginx };
}

async function stopCluster(cluster: Cluster | undefined): Promise<void> {
  if (!cluster) return;
  await cluster.nginx.stop();
  await Promise.all(cluster.backends.map((backend) => backend.stop()));
}

/** The backend an `X-Upstream` value names (the last address nginx tried). */
function backendOf(cluster: Cluster, upstream: string | null): TestServer | undefined {
  const port = Number(upstream?.split(",").at(-1)?.trim().split(":").at(-1));
  return cluster.backends.find((backend) => backend.port === port);
}

/** The process running the task now (its latest attempt's owner, matched with each backend's health). */
async function ownerOf(cluster: Cluster, taskId: string): Promise<TestServer> {
  return waitFor("an owner", async () => {
    const { body } = await getJson(`${cluster.nginx.url}/api/tasks/${taskId}`);
    const attempt = body.attempts?.at(-1);
    if (attempt?.outcome !== "running") return null;
    for (const backend of cluster.backends) {
      const health = await getJson(`${backend.url}/api/health`).catch(() => null);
      if (health?.body.ownerId === attempt.ownerId) return backend;
    }
    return null;
  });
}

async function completed(url: string, taskId: string, timeoutMs = 120_000) {
  return waitFor(
    `task ${taskId} to complete`,
    async () => {
      const { body } = await getJson(`${url}/api/tasks/${taskId}`);
      if (body.status === "failed" || body.status === "cancelled") throw new Error(`task ${body.status}`);
      return body.status === "completed" ? body : null;
    },
    timeoutMs,
  );
}

async function createTask(url: string, query: string): Promise<string> {
  const { status, body } = await getJson(`${url}/api/research`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ query, depth: 1, breadth: 2 }),
  });
  expect(status, JSON.stringify(body)).toBe(202);
  return body.taskId;
}

interface Received {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

/** One HTTP request the EventSource made: who answered, with what, and the cursor it sent. */
interface Connection {
  upstream: string | null;
  status: number;
  lastEventId: string | null;
  /** The id of the last event received before this request was made. */
  lastReceived: number | null;
}

/**
 * A standard EventSource (the `eventsource` package) on `url`: it reconnects
 * by itself with `Last-Event-ID`; its fetch is wrapped only to see each
 * request's cursor and which upstream answered.
 */
function follow(url: string) {
  const events: Received[] = [];
  const connections: Connection[] = [];
  const source = new EventSource(url, {
    fetch: async (input, init) => {
      const headers = new Headers(init.headers as HeadersInit);
      const response = await fetch(input, init as RequestInit);
      connections.push({
        upstream: response.headers.get("x-upstream"),
        status: response.status,
        lastEventId: headers.get("last-event-id"),
        lastReceived: events.at(-1)?.id ?? null,
      });
      return response;
    },
  });
  for (const type of ["progress", "source", "output", "status", "done"]) {
    source.addEventListener(type, (event) =>
      events.push({ id: Number(event.lastEventId), type, data: JSON.parse(event.data) }),
    );
  }
  const closed = () =>
    waitFor(
      "the EventSource to stop (204 at the end)",
      async () => source.readyState === EventSource.CLOSED,
      170_000,
    );
  return { source, events, connections, closed };
}

/** Opens EventSources on the task's stream until one is served by `backend` (round robin: usually a try or two). */
async function followOn(cluster: Cluster, taskId: string, backend: TestServer) {
  // Past fail_timeout too: nginx skips a backend an earlier test marked as failed for that long.
  for (let attempt = 0; attempt < 40; attempt++) {
    const followed = follow(`${cluster.nginx.url}/api/tasks/${taskId}/events`);
    const first = await waitFor("the stream's first answer", async () => followed.connections[0]);
    if (backendOf(cluster, first.upstream) === backend) return followed;
    followed.source.close();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no stream through nginx reached the backend on port ${backend.port}`);
}

/** The concatenated `output` texts an EventSource received. */
function reportText(events: Received[]): string {
  return events
    .filter((event) => event.type === "output")
    .map((event) => String(event.data.text))
    .join("");
}

function expectOnceInOrder(events: Received[]): void {
  const ids = events.map((event) => event.id);
  expect(ids).toEqual(Array.from({ length: ids.length }, (_, index) => index + 1));
}

/** The seconds of a `proxy_read_timeout` in the shipped config's /api/ location. */
function shippedReadTimeoutMs(): number {
  const shipped = fs.readFileSync(path.join(__dirname, "..", "deploy", "nginx.conf"), "utf8");
  const api = shipped.slice(shipped.indexOf("location /api/"));
  const match = /proxy_read_timeout\s+(\d+)(s|m|h)?;/.exec(api);
  if (!match) return 60_000; // nginx's default
  const unit = { s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? "s") as "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

/** How long nginx leaves a backend out after it failed (`fail_timeout` of the shipped upstream; nginx's default 10 s). */
function shippedFailTimeoutMs(): number {
  const shipped = fs.readFileSync(path.join(__dirname, "..", "deploy", "nginx.conf"), "utf8");
  const match = /fail_timeout=(\d+)s/.exec(shipped);
  return match ? Number(match[1]) * 1000 : 10_000;
}

/**
 * A task's stream through nginx, served by the task's owner; the owner is
 * SIGKILLed mid-report. The EventSource reconnects by itself through nginx
 * to the other backend, which takes the task over: every event once, in
 * order, and the report text equal to the task's result.
 */
async function killStreamingOwner(cluster: Cluster, query: string): Promise<void> {
  const taskId = await createTask(cluster.nginx.url, query);
  const owner = await ownerOf(cluster, taskId);
  const other = cluster.backends.find((backend) => backend !== owner)!;
  const followed = await followOn(cluster, taskId, owner);
  await waitFor("the first output", async () => followed.events.some((event) => event.type === "output"));
  const { body: before } = await getJson(`${other.url}/api/tasks/${taskId}`);
  expect(before.status).toBe("running");
  owner.signal("SIGKILL");
  await followed.closed();
  followed.source.close();

  expectOnceInOrder(followed.events);
  expect(followed.events.at(-1)!.type).toBe("done");
  const task = await completed(cluster.nginx.url, taskId);
  expect(reportText(followed.events)).toBe(task.result.report);
  expect(task.attempts.map((attempt: { kind: string }) => attempt.kind)).toContain("takeover");
  // Every reconnect went to the survivor, with the cursor the client had.
  const reconnects = followed.connections.slice(1);
  expect(reconnects.length).toBeGreaterThanOrEqual(1);
  for (const connection of reconnects) {
    expect(backendOf(cluster, connection.upstream)).toBe(other);
    expect(connection.lastEventId).toBe(String(connection.lastReceived));
  }
}

/** As docker-compose runs the replicas: behind the proxy, trusting its X-Forwarded-* headers. */
const mainEnv = {
  ...fast,
  OUTPUT_CHUNK_DELAY_MS: "40",
  RATE_LIMIT_TASKS_PER_MINUTE: "0",
  TRUST_PROXY: "true",
};

describe.skipIf(!nginxBinary)("Fathom behind the shipped nginx config", () => {
  let cluster: Cluster;
  const clients: Client[] = [];

  beforeAll(async () => {
    cluster = await startCluster(mainEnv);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    // A test that killed a backend leaves a new one on the same port (nginx's upstream is fixed).
    for (const [index, backend] of cluster.backends.entries()) {
      if (backend.process.exitCode !== null || backend.process.signalCode !== null) {
        cluster.backends[index] = await startServer({
          dataDir: cluster.dataDir,
          port: backend.port,
          env: mainEnv,
        });
      }
    }
  });
  afterAll(async () => {
    await stopCluster(cluster);
  });

  it("streams a research POST as it happens: the first progress event arrives while the task runs", async () => {
    let taskId = "";
    let statusAtFirstProgress = "";
    const stream = await readSse(`${cluster.nginx.url}/api/research`, {
      method: "POST",
      body: { query: "Through nginx: the Panama Canal", depth: 1, breadth: 2 },
      until: (event) => event.event === "progress",
    });
    taskId = stream.headers.get("x-task-id")!;
    const { body } = await getJson(`${cluster.nginx.url}/api/tasks/${taskId}`);
    statusAtFirstProgress = body.status;
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(stream.headers.get("content-encoding")).toBeNull();
    expect(stream.numbered.at(-1)!.event).toBe("progress");
    expect(["queued", "running"]).toContain(statusAtFirstProgress);

    // A standard EventSource on the task's stream follows it to the end, then stops.
    const followed = follow(`${cluster.nginx.url}/api/tasks/${taskId}/events`);
    await followed.closed();
    followed.source.close();
    expectOnceInOrder(followed.events);
    expect(followed.events.at(-1)!.type).toBe("done");
    const task = await completed(cluster.nginx.url, taskId);
    expect(reportText(followed.events)).toBe(task.result.report);
    expect(followed.connections.at(-1)!.status).toBe(204);
  });

  it("SIGKILL of the backend serving the stream (its owner) mid-report: the EventSource resumes on the other one, nothing missed or repeated", async () => {
    await killStreamingOwner(cluster, "Through nginx, killed: the Homestead Act");
  });

  it("SIGSTOP of the backend serving the stream (its owner): nginx's read timeout moves the client to the other one; after SIGCONT its late writes are refused", {
    timeout: 300_000,
  }, async () => {
    const taskId = await createTask(cluster.nginx.url, "Through nginx, frozen: the Erie Canal");
    const owner = await ownerOf(cluster, taskId);
    const other = cluster.backends.find((backend) => backend !== owner)!;
    const followed = await followOn(cluster, taskId, owner);
    await waitFor("the first output", async () => followed.events.some((event) => event.type === "output"));
    owner.signal("SIGSTOP");
    try {
      await followed.closed();
    } finally {
      owner.signal("SIGCONT");
    }
    followed.source.close();
    expectOnceInOrder(followed.events);
    expect(followed.events.at(-1)!.type).toBe("done");
    const task = await completed(other.url, taskId);
    expect(reportText(followed.events)).toBe(task.result.report);
    const reconnects = followed.connections.slice(1);
    expect(reconnects.length).toBeGreaterThanOrEqual(1);
    for (const connection of reconnects) {
      expect(backendOf(cluster, connection.upstream)).toBe(other);
      expect(connection.lastEventId).toBe(String(connection.lastReceived));
    }

    // The woken owner tries to go on writing: it must not reach the log.
    await waitFor("the woken owner to notice it lost the lease", async () =>
      owner.output().includes('"task.lease_lost"'),
    );
    const replay = await readSse(`${cluster.nginx.url}/api/tasks/${taskId}/events`);
    expectOnceInOrder(
      replay.numbered.map((event) => ({ id: event.id!, type: event.event, data: event.data })),
    );
    expect(replay.numbered.filter((event) => event.event === "done")).toHaveLength(1);
    expect(outputText(replay.events)).toBe(task.result.report);
    const taskDir = path.join(cluster.dataDir, "tasks", taskId);
    const claim = JSON.parse(fs.readFileSync(path.join(taskDir, "epoch-2.json"), "utf8"));
    expect(fs.statSync(path.join(taskDir, "log-1.ndjson")).size).toBe(claim.sealedAt.offset);
    const { body: seenByOwner } = await getJson(`${owner.url}/api/tasks/${taskId}`);
    expect(seenByOwner.status).toBe("completed");
  });

  it("MCP through nginx: a research call with wait gets its progress notifications and its report", async () => {
    const client = new Client({ name: "fathom-nginx-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL("/api/mcp", cluster.nginx.url)));
    clients.push(client);
    const progress: Progress[] = [];
    const result = (await client.callTool(
      {
        name: "research",
        arguments: { query: "MCP through nginx: the Oregon Trail", depth: 1, breadth: 2, wait: true },
      },
      undefined,
      { timeout: 170_000, onprogress: (value) => progress.push(value) },
    )) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const taskId = (result.structuredContent as { taskId: string }).taskId;
    const task = await completed(cluster.nginx.url, taskId);
    const first = result.content[0];
    expect(first?.type === "text" ? first.text : null).toBe(task.result.report);
    // One notification per progress event and per status event, in the log's order.
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.map((value) => value.progress)).toEqual(
      await expectedProgress(cluster.nginx.url, taskId),
    );
  });

  it.each([
    { signal: "SIGKILL" as const, what: "killed" },
    { signal: "SIGSTOP" as const, what: "frozen" },
  ])(
    "MCP through nginx: the backend serving a waiting call is $what mid-call; the SDK resumes through nginx and misses nothing",
    {
      timeout: 300_000,
    },
    async ({ signal }) => {
      const upstreams: { method: string; upstream: string | null }[] = [];
      const client = new Client({ name: "fathom-nginx-test", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL("/api/mcp", cluster.nginx.url), {
          fetch: async (input, init) => {
            const response = await fetch(input, init);
            upstreams.push({ method: init?.method ?? "GET", upstream: response.headers.get("x-upstream") });
            return response;
          },
        }),
      );
      clients.push(client);
      const progress: Progress[] = [];
      let victim: TestServer | undefined;
      let requestsBeforeSignal = 0;
      const result = (await client.callTool(
        {
          name: "research",
          arguments: {
            query: `MCP through nginx, ${signal}: the Gold Rush`,
            // Long enough that the call is still running when its backend goes.
            depth: 2,
            breadth: 3,
            wait: true,
          },
        },
        undefined,
        {
          timeout: 280_000,
          onprogress: (value) => {
            progress.push(value);
            if (!victim && progress.length === 2) {
              // The call's own POST: the backend whose stream carries these notifications.
              const call = upstreams.filter((entry) => entry.method === "POST").at(-1);
              victim = backendOf(cluster, call!.upstream);
              requestsBeforeSignal = upstreams.length;
              victim!.signal(signal);
            }
          },
        },
      )) as CallToolResult;
      try {
        expect(victim).toBeDefined();
        expect(result.isError).toBeFalsy();
        const other = cluster.backends.find((backend) => backend !== victim)!;
        const taskId = (result.structuredContent as { taskId: string }).taskId;
        const task = await completed(other.url, taskId);
        const first = result.content[0];
        expect(first?.type === "text" ? first.text : null).toBe(task.result.report);
        expect(progress.map((value) => value.progress)).toEqual(await expectedProgress(other.url, taskId));
        // The resumption (GET with Last-Event-ID) was answered by the other backend.
        const resumed = upstreams.slice(requestsBeforeSignal).filter((entry) => entry.method === "GET");
        expect(resumed.length).toBeGreaterThanOrEqual(1);
        expect(backendOf(cluster, resumed.at(-1)!.upstream)).toBe(other);
      } finally {
        if (signal === "SIGSTOP") victim?.signal("SIGCONT");
      }
    },
  );

  it("a research POST or an MCP call sent to a frozen backend is answered by the other one", {
    // Each request nginx sends to the frozen backend first waits out the 30 s read timeout.
    timeout: 420_000,
  }, async () => {
    const frozen = cluster.backends[0]!;
    const other = cluster.backends[1]!;
    // nginx sends requests to it again (an earlier test's failure mark lasts fail_timeout).
    await waitFor("nginx to send a request to the backend about to freeze", async () => {
      const response = await fetch(`${cluster.nginx.url}/api/health`);
      return backendOf(cluster, response.headers.get("x-upstream")) === frozen;
    });
    frozen.signal("SIGSTOP");
    // `$upstream_addr` lists every backend nginx tried: the frozen one, then the other.
    const triedBoth = (upstream: string | null) =>
      Boolean(upstream?.includes(`:${frozen.port}`) && upstream.includes(`:${other.port}`));
    try {
      // Round robin sends one request of two in a row to the frozen backend, unless nginx
      // has just marked it failed (for fail_timeout): send them one at a time until one
      // provably went there first, each answered in full by the other backend.
      let researchTriedFrozen = false;
      for (let attempt = 0; attempt < 4 && !researchTriedFrozen; attempt += 1) {
        if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, shippedFailTimeoutMs() + 1000));
        const stream = await readSse(`${cluster.nginx.url}/api/research`, {
          method: "POST",
          body: {
            query: `Through nginx, to a frozen backend: the Wilmot Proviso ${attempt}`,
            depth: 1,
            breadth: 1,
          },
          timeoutMs: 120_000,
        });
        expect(stream.status).toBe(200);
        expect(stream.ended).toBe(true);
        expect(stream.numbered.at(-1)!.event).toBe("done");
        expect(backendOf(cluster, stream.headers.get("x-upstream"))).toBe(other);
        researchTriedFrozen = triedBoth(stream.headers.get("x-upstream"));
      }
      expect(researchTriedFrozen, "no research POST was sent to the frozen backend first").toBe(true);

      let mcpTriedFrozen = false;
      for (let attempt = 0; attempt < 4 && !mcpTriedFrozen; attempt += 1) {
        // The timeout marked the frozen backend failed: wait until nginx tries it again.
        await new Promise((resolve) => setTimeout(resolve, shippedFailTimeoutMs() + 1000));
        const upstreams: (string | null)[] = [];
        const mcp = new Client({ name: "fathom-nginx-test", version: "1.0.0" });
        clients.push(mcp);
        await mcp.connect(
          new StreamableHTTPClientTransport(new URL("/api/mcp", cluster.nginx.url), {
            fetch: async (input, init) => {
              const response = await fetch(input, init);
              upstreams.push(response.headers.get("x-upstream"));
              return response;
            },
          }),
        );
        const result = (await mcp.callTool(
          {
            name: "research",
            arguments: {
              query: `MCP to a frozen backend ${attempt}: the Compromise of 1850`,
              depth: 1,
              breadth: 1,
              wait: true,
            },
          },
          undefined,
          { timeout: 170_000 },
        )) as CallToolResult;
        expect(result.isError).toBeFalsy();
        for (const upstream of upstreams) expect(backendOf(cluster, upstream)).toBe(other);
        mcpTriedFrozen = upstreams.some(triedBoth);
      }
      expect(mcpTriedFrozen, "no MCP request was sent to the frozen backend first").toBe(true);
    } finally {
      frozen.signal("SIGCONT");
    }
  });

  it("heartbeats keep an idle stream open past nginx's proxy_read_timeout", {
    timeout: 240_000,
  }, async () => {
    const readTimeoutMs = shippedReadTimeoutMs();
    const taskId = await createTask(cluster.nginx.url, "Through nginx, idle: the Gadsden Purchase");
    const paused = await getJson(`${cluster.nginx.url}/api/tasks/${taskId}/pause`, { method: "POST" });
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    await waitFor("the task to be paused", async () => {
      const { body } = await getJson(`${cluster.nginx.url}/api/tasks/${taskId}`);
      return body.status === "paused";
    });
    const { body: before } = await getJson(`${cluster.nginx.url}/api/tasks/${taskId}`);

    const controller = new AbortController();
    const response = await fetch(`${cluster.nginx.url}/api/tasks/${taskId}/events`, {
      headers: { Accept: "text/event-stream", "Last-Event-ID": String(before.lastEventId) },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let ended = false;
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          ended = true;
          return;
        }
        text += decoder.decode(value, { stream: true });
      }
    })().catch(() => {
      ended = true;
    });
    // Idle longer than nginx waits between two reads from the backend.
    await new Promise((resolve) => setTimeout(resolve, readTimeoutMs + 5_000));
    expect(ended).toBe(false);
    expect(text).not.toMatch(/^id: /m);
    expect(text.match(/^: ping$/gm)?.length ?? 0).toBeGreaterThanOrEqual(2);

    // Still live: resuming the task sends its next events down the same connection.
    const resumed = await getJson(`${cluster.nginx.url}/api/tasks/${taskId}/resume`, { method: "POST" });
    expect(resumed.status).toBe(200);
    await waitFor("an event on the idle connection", async () => /^id: \d+$/m.test(text), 60_000);
    expect(ended).toBe(false);
    controller.abort();
    await reading;
    await completed(cluster.nginx.url, taskId);
  });

  it("takes a document upload larger than the JSON body limit (up to MAX_UPLOAD_MB) and stores it whole", async () => {
    const created = await getJson(`${cluster.nginx.url}/api/collections`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "through-nginx", description: "Uploaded through nginx" }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // 2 MiB of Markdown: far over the 64 KiB JSON limit, far under MAX_UPLOAD_MB.
    const line = "The harbor ledger of Quillon lists every ferry that called there in 1911.\n";
    const bytes = Buffer.from(
      `# Harbor ledger\n\n${line.repeat(Math.ceil((2 * 1024 * 1024) / line.length))}`,
    );
    const form = new FormData();
    form.append("file", new Blob([bytes], { type: "text/markdown" }), "ledger.md");
    const response = await fetch(`${cluster.nginx.url}/api/collections/through-nginx/documents`, {
      method: "POST",
      body: form,
    });
    const text = await response.text();
    expect(response.status, text).toBe(202);
    const body = JSON.parse(text) as { documents: { id: string }[] };
    const id = body.documents[0]!.id;
    const original = await fetch(
      `${cluster.nginx.url}/api/collections/through-nginx/documents/${id}/original`,
    );
    expect(original.status).toBe(200);
    expect(Buffer.from(await original.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("ships one config for both modes: deploy/nginx-redis.conf is deploy/nginx.conf with other upstream names", () => {
    const read = (file: string) => fs.readFileSync(path.join(__dirname, "..", "deploy", file), "utf8");
    const body = (text: string) =>
      text
        .split("\n")
        .filter((line) => !line.startsWith("#"))
        .join("\n")
        .replace(/server fathom-(redis-)?(\d):3000/g, "server fathom-$2:3000");
    expect(body(read("nginx-redis.conf"))).toBe(body(read("nginx.conf")));
  });

  it("forwards Host so a same-origin browser request through nginx's port is accepted and a cross-site one refused", async () => {
    const origin = cluster.nginx.url;
    const post = (headers: Record<string, string>, query: string) =>
      getJson(`${origin}/api/research`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
        body: JSON.stringify({ query, depth: 1, breadth: 1 }),
      });
    const own = await post({ Origin: origin, "Sec-Fetch-Site": "same-origin" }, "Same origin through nginx");
    expect(own.status, JSON.stringify(own.body)).toBe(202);
    const foreign = await post(
      { Origin: "http://evil.example", "Sec-Fetch-Site": "cross-site" },
      "Evil through nginx",
    );
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe("forbidden");
    // Another port on the same host is another origin.
    const otherPort = await post(
      { Origin: `http://127.0.0.1:${cluster.nginx.port + 1}`, "Sec-Fetch-Site": "same-site" },
      "Other port through nginx",
    );
    expect(otherPort.status).toBe(403);
    // nginx sets X-Forwarded-Host itself: a client's own value never reaches the check.
    const spoofed = await post(
      { Origin: "http://evil.example", "X-Forwarded-Host": "evil.example", "Sec-Fetch-Site": "cross-site" },
      "Spoofed through nginx",
    );
    expect(spoofed.status).toBe(403);
    const { body: list } = await getJson(`${origin}/api/tasks?q=through%20nginx&limit=50`);
    const queries = list.tasks.map((task: { query: string }) => task.query);
    expect(queries).toContain("Same origin through nginx");
    expect(queries).not.toContain("Evil through nginx");
    expect(queries).not.toContain("Other port through nginx");
    expect(queries).not.toContain("Spoofed through nginx");
    await completed(origin, own.body.taskId);
  });
});

describe.skipIf(!nginxBinary)(
  "sign-in and the cross-site refusal through nginx (TRUST_PROXY, real Chromium)",
  () => {
    let cluster: Cluster;
    const token = "nginx-test-token-0123456789abcdef";

    beforeAll(async () => {
      cluster = await startCluster({
        FATHOM_API_TOKEN: token,
        TRUST_PROXY: "true",
        RATE_LIMIT_TASKS_PER_MINUTE: "0",
      });
    });
    afterAll(async () => {
      await stopCluster(cluster);
    });

    it("asks for the token through nginx as it does directly", async () => {
      const url = `${cluster.nginx.url}/api/tasks`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
      expect((await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(`${url}?token=${token}`)).status).toBe(200);
    });

    it.skipIf(!hasChromium)(
      "a page served through nginx signs in and starts research; its cookie sent from another site is refused",
      async () => {
        const browser = await launchChromium();
        try {
          const page = await browser.newPage();
          // A document of this origin that does nothing by itself (the sign-in page may navigate once signed in).
          await page.goto(`${cluster.nginx.url}/api/health`);
          const outcome = await page.evaluate(
            async ({ token }) => {
              const signIn = await fetch("/api/session", {
                method: "POST",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify({ token }),
              });
              const research = await fetch("/api/research", {
                method: "POST",
                headers: { "Content-Type": "application/json", Accept: "application/json" },
                body: JSON.stringify({ query: "Signed in through nginx", depth: 1, breadth: 1 }),
              });
              return { signIn: signIn.status, research: research.status, body: await research.json() };
            },
            { token },
          );
          expect(outcome.signIn).toBe(200);
          expect(outcome.research, JSON.stringify(outcome.body)).toBe(202);

          // The sign-in cookie the browser got (the one HttpOnly cookie), sent from another site's page: refused.
          const cookie = (await page.context().cookies(cluster.nginx.url)).find((entry) => entry.httpOnly);
          expect(cookie).toBeDefined();
          const cancel = await getJson(`${cluster.nginx.url}/api/tasks/${outcome.body.taskId}/cancel`, {
            method: "POST",
            headers: {
              Cookie: `${cookie!.name}=${cookie!.value}`,
              Origin: `http://localhost:${cluster.nginx.port}`,
              "Sec-Fetch-Site": "cross-site",
            },
          });
          expect(cancel.status).toBe(403);
          expect(cancel.body.error.code).toBe("forbidden");
          const { body: task } = await getJson(`${cluster.nginx.url}/api/tasks/${outcome.body.taskId}`, {
            headers: { Authorization: `Bearer ${token}` },
          });
          expect(task.status).not.toBe("cancelled");
        } finally {
          await browser.close();
        }
      },
    );
  },
);

describe.skipIf(!nginxBinary)("Fathom behind a naive nginx config (proxy_pass only, buffering on)", () => {
  let dataDir: string;
  let backends: TestServer[] = [];
  let nginx: NginxTestServer | undefined;

  beforeAll(async () => {
    dataDir = tempDir();
    backends = await Promise.all(
      [0, 1].map(() => startServer({ dataDir, env: { OUTPUT_CHUNK_DELAY_MS: "40" } })),
    );
    const port = await freePort();
    const site = `upstream fathom {
${backends.map((backend) => `  server 127.0.0.1:${backend.port};`).join("\n")}
}
server {
  listen 127.0.0.1:${port};
  location / {
    proxy_pass http://fathom;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
  }
}
`;
    nginx = await startNginx(nginxBinary!, { port, site });
  });
  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(backends.map((backend) => backend.stop()));
  });

  it("still streams each event as it happens, to the end", async () => {
    const stream = await readSse(`${nginx!.url}/api/research`, {
      method: "POST",
      body: { query: "Naive nginx: the Transcontinental Railroad", depth: 1, breadth: 2 },
      until: (event) => event.event === "progress",
    });
    const taskId = stream.headers.get("x-task-id")!;
    const { body } = await getJson(`${nginx!.url}/api/tasks/${taskId}`);
    expect(["queued", "running"]).toContain(body.status);
    const followed = follow(`${nginx!.url}/api/tasks/${taskId}/events`);
    await followed.closed();
    followed.source.close();
    expectOnceInOrder(followed.events);
    const task = await completed(nginx!.url, taskId);
    expect(reportText(followed.events)).toBe(task.result.report);
  });

  it("does not forward Host: a same-origin browser write through it is refused (the config requirement)", async () => {
    const { status, body } = await getJson(`${nginx!.url}/api/research`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Origin: nginx!.url,
        "Sec-Fetch-Site": "same-origin",
      },
      body: JSON.stringify({ query: "Naive nginx, same origin", depth: 1, breadth: 1 }),
    });
    expect(status).toBe(403);
    expect(body.error.message).toContain(nginx!.url);
  });
});

describe.skipIf(!nginxBinary)("per-client limits through nginx (TRUST_PROXY, as docker-compose runs)", () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({
      TRUST_PROXY: "true",
      MAX_SSE_CONNECTIONS_PER_CLIENT: "1",
      RATE_LIMIT_TASKS_PER_MINUTE: "0",
      OUTPUT_CHUNK_DELAY_MS: "40",
    });
  });
  afterAll(async () => {
    await stopCluster(cluster);
  });

  /** A stream opened from `localAddress` (127.0.0.0/8 is all loopback): its status and upstream; held open. */
  function openStream(url: string, localAddress: string) {
    return new Promise<{ status: number; upstream: string | null; close: () => void }>((resolve, reject) => {
      const request = http.get(
        url,
        { localAddress, headers: { Accept: "text/event-stream" } },
        (response) => {
          response.resume();
          resolve({
            status: response.statusCode ?? 0,
            upstream: (response.headers["x-upstream"] as string | undefined) ?? null,
            close: () => request.destroy(),
          });
        },
      );
      request.on("error", reject);
    });
  }

  it("counts each client by its own address, not by nginx's", async () => {
    const taskId = await createTask(
      cluster.nginx.url,
      "Through nginx, limits: the Tennessee Valley Authority",
    );
    const paused = await getJson(`${cluster.nginx.url}/api/tasks/${taskId}/pause`, { method: "POST" });
    expect(paused.status).toBe(200);
    // A paused task's stream stays open (heartbeats only): each one holds its slot.
    await waitFor("the task to be paused", async () => {
      const { body } = await getJson(`${cluster.nginx.url}/api/tasks/${taskId}`);
      return body.status === "paused";
    });
    const url = `${cluster.nginx.url}/api/tasks/${taskId}/events`;
    const open: { close: () => void }[] = [];
    try {
      // One client holds a stream on each backend (its next one there is refused: the limit is 1)...
      const held = new Set<TestServer>();
      for (let attempt = 0; attempt < 8 && held.size < 2; attempt++) {
        const stream = await openStream(url, "127.0.0.2");
        open.push(stream);
        if (stream.status === 200) held.add(backendOf(cluster, stream.upstream)!);
        else expect(stream.status).toBe(429);
      }
      expect(held.size).toBe(2);
      const again = await openStream(url, "127.0.0.2");
      open.push(again);
      expect(again.status).toBe(429);
      // ...and another client is still let in, whichever backend it reaches.
      const other = await openStream(url, "127.0.0.3");
      open.push(other);
      expect(other.status).toBe(200);
    } finally {
      for (const stream of open) stream.close();
    }
  });
});

describe("Fathom on Redis behind deploy/nginx-redis.conf", () => {
  const redisBinary = findRedisServer();
  let redis: RedisTestServer | undefined;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    if (!nginxBinary || !redisBinary) return;
    redis = await startRedisServer(redisBinary);
    cluster = await startCluster(
      { ...mainEnv, TASK_STORE: redis.url, REDIS_KEY_PREFIX: "fathom-nginx-test:" },
      "nginx-redis.conf",
    );
  });
  afterAll(async () => {
    await stopCluster(cluster);
    await redis?.stop();
  });

  it.runIf(nginxBinary !== null && redisBinary !== null)(
    "SIGKILL of the backend serving the stream (its owner) mid-report: the EventSource resumes on the other one",
    async () => {
      await killStreamingOwner(cluster!, "Through nginx on Redis, killed: the Homestead Act");
    },
  );
});
