import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DELIVERY_HEADER, SIGNATURE_HEADER, verifyWebhook } from "../lib/tasks/webhook-signature";
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

/** Webhooks against the real server: signed, retried across a restart, delivered once per run. */
describe("webhooks", () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let server: TestServer | undefined;
  const dataDir = tempDir();
  let env: Record<string, string>;

  beforeAll(async () => {
    receiver = await startReceiver();
    env = {
      // The receiver is on 127.0.0.1: the SSRF guard lets it through only with this.
      FETCH_ALLOW_PRIVATE: "true",
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_RETRY_BASE_S: "1",
      WEBHOOK_URL: `${receiver.url}/server-wide`,
    };
    server = await startServer({ dataDir, env });
  });
  afterAll(async () => {
    await server?.stop();
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
    server = await startServer({ dataDir, env });
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
      expect(payload).toMatchObject({ type: "task.finished", deliveryId: id, taskId, status: "completed" });
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
