import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DELIVERY_HEADER, SIGNATURE_HEADER, verifyWebhook } from "../lib/tasks/webhook-signature";
import { findRedisServer, type RedisTestServer, startRedisServer } from "./support/redis";
import { requireBinary } from "./support/require-binary";
import { startServer, type TestServer, tempDir } from "./support/server";
import { getJson, waitFor } from "./support/sse";

const SECRET = "whsec-e2e-7c1f0a";

interface Received {
  path: string;
  deliveryId: string;
  rawBody: string;
  answered: number;
  at: number;
  signatureOk: boolean;
}

/**
 * A local receiver: answers 503 to the first two attempts of each delivery
 * and 200 from the third, verifying every signature over the raw body.
 */
function startReceiver(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      const deliveryId = String(request.headers[DELIVERY_HEADER.toLowerCase()] ?? "");
      const signature = request.headers[SIGNATURE_HEADER.toLowerCase()];
      const verdict = verifyWebhook(rawBody, typeof signature === "string" ? signature : null, SECRET);
      const before = received.filter((entry) => entry.deliveryId === deliveryId).length;
      const answered = !verdict.ok ? 401 : before < 2 ? 503 : 200;
      received.push({
        path: request.url ?? "",
        deliveryId,
        rawBody,
        answered,
        at: Date.now(),
        signatureOk: verdict.ok,
      });
      response.writeHead(answered, { "Content-Type": "text/plain" });
      response.end(answered === 200 ? "ok" : "try later");
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        received,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

const redisBinary = findRedisServer();
requireBinary(
  "webhooks on Redis",
  redisBinary !== null,
  "redis-server is not installed (apt-get install redis-server).",
);

/** A store mode: how a server (and the one after a restart) reaches the shared store. */
interface Mode {
  start(env: Record<string, string>): Promise<TestServer>;
  close(): Promise<void>;
}

const modes: [string, () => Promise<Mode>][] = [
  [
    "one volume",
    async () => {
      const dataDir = tempDir();
      return { start: (env) => startServer({ dataDir, env }), close: async () => {} };
    },
  ],
  ...(redisBinary === null
    ? []
    : ([
        [
          "Redis",
          async () => {
            const redis: RedisTestServer = await startRedisServer(redisBinary);
            // A new data folder each start: Redis is all a restarted server shares with the one before.
            return {
              start: (env) => startServer({ env: { ...env, TASK_STORE: redis.url } }),
              close: () => redis.stop(),
            };
          },
        ],
      ] as [string, () => Promise<Mode>][])),
];

/** The address the payload's links are under (PUBLIC_URL). */
const PUBLIC_URL = "https://research.example.com/fathom";

/** Webhooks against the real server, in both store modes: signed, retried across a restart, delivered once per run. */
describe.each(modes)("webhooks on %s", (_name, makeMode) => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let server: TestServer | undefined;
  let mode: Mode;
  let env: Record<string, string>;

  beforeAll(async () => {
    receiver = await startReceiver();
    mode = await makeMode();
    env = {
      // The receiver is on 127.0.0.1: the SSRF guard lets it through only with this.
      FETCH_ALLOW_PRIVATE: "true",
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_RETRY_BASE_S: "1",
      WEBHOOK_URL: `${receiver.url}/server-wide`,
      PUBLIC_URL: `${PUBLIC_URL}/`,
    };
    server = await mode.start(env);
  });
  afterAll(async () => {
    await server?.stop();
    await mode?.close();
    await receiver?.close();
  });

  const deliveriesOf = async (taskId: string) =>
    (await getJson(`${server!.url}/api/tasks/${taskId}/deliveries`)).body.deliveries as {
      id: string;
      run: number;
      target: string;
      status: string;
      runStatus: string;
      attempts: { at: string; status?: number; error?: string }[];
      nextAttemptAt: string | null;
    }[];

  it("posts signed notifications of each run's end, retries them across a restart, and delivers each once", async () => {
    const hookUrl = `${receiver.url}/from-request?token=receiver-secret-token`;
    const submit = async (fresh: boolean) => {
      const { status, body } = await getJson(`${server!.url}/api/research`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({
          query: "Webhooks: the Louisiana Purchase",
          depth: 1,
          breadth: 1,
          fresh,
          webhook: { url: hookUrl },
        }),
      });
      expect(status).toBe(202);
      return body.taskId as string;
    };
    const taskId = await submit(false);
    // The webhook is not part of the task: the same request without it is the same task.
    const identified = await getJson(`${server!.url}/api/research`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query: "Webhooks: the Louisiana Purchase", depth: 1, breadth: 1 }),
    });
    expect(identified.body.taskId).toBe(taskId);

    // Run 1 ends; the first attempt of both deliveries (request and WEBHOOK_URL) fails with 503.
    await waitFor(
      "the first attempt of both deliveries to be recorded",
      async () => {
        const deliveries = await deliveriesOf(taskId);
        return deliveries.length === 2 && deliveries.every((delivery) => delivery.attempts.length >= 1);
      },
      90_000,
    );
    // A restart between attempts: the records are on the volume, the next server sends the rest.
    await server!.stop();
    const stoppedAt = Date.now();
    server = await mode.start(env);
    await waitFor(
      "both deliveries of run 1 to be delivered",
      async () => {
        const deliveries = await deliveriesOf(taskId);
        return deliveries.length === 2 && deliveries.every((delivery) => delivery.status === "delivered");
      },
      60_000,
    );

    // A fresh run is a new ending: new deliveries, delivered once each too.
    expect(await submit(true)).toBe(taskId);
    await waitFor(
      "both deliveries of run 2 to be delivered",
      async () => {
        const deliveries = await deliveriesOf(taskId);
        return deliveries.length === 4 && deliveries.every((delivery) => delivery.status === "delivered");
      },
      90_000,
    );
    // Nothing more arrives for delivered webhooks (a retry would come within seconds).
    const count = receiver.received.length;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(receiver.received.length).toBe(count);

    const received = receiver.received;
    expect(received.every((entry) => entry.signatureOk)).toBe(true);
    const ids = [...new Set(received.map((entry) => entry.deliveryId))];
    expect(ids).toHaveLength(4);
    for (const id of ids) {
      const attempts = received.filter((entry) => entry.deliveryId === id);
      // Exactly one success per delivery, after two refusals, the same bytes every time.
      expect(attempts.map((entry) => entry.answered)).toEqual([503, 503, 200]);
      expect(new Set(attempts.map((entry) => entry.rawBody)).size).toBe(1);
      // The first retry waits at least WEBHOOK_RETRY_BASE_S.
      expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(900);
      const payload = JSON.parse(attempts[0]!.rawBody);
      expect(payload).toMatchObject({
        type: "task.finished",
        deliveryId: id,
        taskId,
        status: "completed",
        // No schedule started these runs; the links are absolute under PUBLIC_URL (its trailing slash dropped).
        scheduleId: null,
        links: {
          task: `${PUBLIC_URL}/api/tasks/${taskId}`,
          events: `${PUBLIC_URL}/api/tasks/${taskId}/events`,
          page: `${PUBLIC_URL}/tasks/${taskId}`,
        },
      });
      expect(payload.reportLength).toBeGreaterThan(0);
    }
    // Run 1's first attempts came from the first server, their successes from the second.
    for (const entry of received.filter((item) => JSON.parse(item.rawBody).run === 1)) {
      if (entry.answered === 200) expect(entry.at).toBeGreaterThan(stoppedAt);
    }
    expect(
      received.filter((entry) => JSON.parse(entry.rawBody).run === 1 && entry.at < stoppedAt).length,
    ).toBeGreaterThanOrEqual(2);
    const byRun = (run: number) =>
      received.filter((entry) => entry.answered === 200 && JSON.parse(entry.rawBody).run === run);
    expect(
      byRun(1)
        .map((entry) => entry.path)
        .sort(),
    ).toEqual(["/from-request?token=receiver-secret-token", "/server-wide"]);
    expect(
      byRun(2)
        .map((entry) => entry.path)
        .sort(),
    ).toEqual(["/from-request?token=receiver-secret-token", "/server-wide"]);

    // The delivery log: attempts with time, HTTP status and error; the receiver's origin only.
    const deliveries = await deliveriesOf(taskId);
    expect(deliveries.map((delivery) => delivery.run)).toEqual([1, 1, 2, 2]);
    for (const delivery of deliveries) {
      expect(delivery.target).toBe(receiver.url);
      expect(delivery.runStatus).toBe("completed");
      expect(delivery.nextAttemptAt).toBeNull();
      expect(delivery.attempts.map((attempt) => attempt.status)).toEqual([503, 503, 200]);
      expect(delivery.attempts[0]!.error).toMatch(/503/);
      expect(Number.isNaN(Date.parse(delivery.attempts[0]!.at))).toBe(false);
    }
    // The request's URL is shown to nobody: not in the log, the task, or its events.
    const task = await fetch(`${server!.url}/api/tasks/${taskId}`).then((response) => response.text());
    const events = await fetch(`${server!.url}/api/tasks/${taskId}/events?lastEventId=0`).then((response) =>
      response.text(),
    );
    const log = await fetch(`${server!.url}/api/tasks/${taskId}/deliveries`).then((response) =>
      response.text(),
    );
    for (const text of [task, events, log]) {
      expect(text).not.toContain("receiver-secret-token");
      expect(text).not.toContain("from-request");
    }
  });

  it("tells of a scheduled run's end with the schedule's id, to the schedule's URL and WEBHOOK_URL", async () => {
    const created = await getJson(`${server!.url}/api/schedules`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        name: "Webhooks: the Erie Canal",
        request: { query: "Webhooks: the Erie Canal", depth: 1, breadth: 1 },
        cron: "0 9 * * 1-5",
        timezone: "UTC",
        webhook: { url: `${receiver.url}/from-schedule` },
      }),
    });
    expect(created.status).toBe(201);
    const scheduleId: string = created.body.id;
    const ran = await getJson(`${server!.url}/api/schedules/${scheduleId}/run`, { method: "POST" });
    expect(ran.status).toBe(202);
    const taskId: string = ran.body.run.taskId;
    await waitFor(
      "both deliveries of the scheduled run to be delivered",
      async () => {
        const deliveries = await deliveriesOf(taskId);
        return deliveries.length === 2 && deliveries.every((delivery) => delivery.status === "delivered");
      },
      90_000,
    );
    const delivered = receiver.received.filter(
      (entry) => entry.answered === 200 && JSON.parse(entry.rawBody).taskId === taskId,
    );
    expect(delivered.map((entry) => entry.path).sort()).toEqual(["/from-schedule", "/server-wide"]);
    for (const entry of delivered) {
      expect(entry.signatureOk).toBe(true);
      expect(JSON.parse(entry.rawBody)).toMatchObject({
        taskId,
        run: 1,
        status: "completed",
        scheduleId,
        links: { task: `${PUBLIC_URL}/api/tasks/${taskId}` },
      });
    }
  });

  it("refuses a webhook that is not an http(s) URL, naming the field", async () => {
    const { status, body } = await getJson(`${server!.url}/api/research`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query: "Webhooks: refused", webhook: { url: "file:///etc/passwd" } }),
    });
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/webhook/);
  });
});
