import { describe, expect, it } from "vitest";
import { silentLogger } from "../log";
import { newTaskJson, type TaskJson } from "../model/task-json";
import { MemoryTaskStore, MemoryVolume } from "../store/memory-store";
import type { ScheduleStore } from "../store/schedules/types";
import { createRunEndDeliveries } from "./run-end-deliveries";
import type { PostWebhook } from "./webhook-post";
import { WebhookSender, type WebhookSenderOptions } from "./webhook-sender";
import { DELIVERY_HEADER, SIGNATURE_HEADER, verifyWebhook } from "./webhook-signature";

const TASK_ID = "0123456789abcdef0123456789abcdef";
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const SECRET = "whsec-test-secret";

/** A wall clock and a monotonic clock that move only when told to. */
function clocks() {
  let wall = T0;
  let monotonic = 1_000;
  return {
    now: () => new Date(wall),
    monotonic: () => monotonic,
    advance(ms: number) {
      wall += ms;
      monotonic += ms;
    },
  };
}

function finishedTask(overrides: Partial<TaskJson> = {}): TaskJson {
  return {
    ...newTaskJson({
      id: TASK_ID,
      request: { kind: "index", collection: "c", document: "d" } as never,
      priority: 0,
      now: new Date(T0).toISOString(),
    }),
    status: "completed",
    finishedAt: new Date(T0).toISOString(),
    lastEventId: 42,
    result: { reportLength: 1234, sources: [], learnings: [] },
    ...overrides,
  };
}

interface Sent {
  url: string;
  body: string;
  headers: Record<string, string>;
  at: number;
}

/** A receiver that answers the given statuses in turn (the last one from then on). */
function receiver(statuses: number[], clock: { now: () => Date }) {
  const sent: Sent[] = [];
  const post: PostWebhook = async (url, body, headers) => {
    sent.push({ url, body, headers, at: clock.now().getTime() });
    return { status: statuses[Math.min(sent.length - 1, statuses.length - 1)] ?? 200 };
  };
  return { sent, post };
}

function sender(
  store: ScheduleStore,
  options: Partial<WebhookSenderOptions> & Pick<WebhookSenderOptions, "post" | "now">,
) {
  return new WebhookSender({
    store,
    logger: silentLogger,
    ownerId: "sender-a",
    secret: SECRET,
    retryBaseS: 10,
    maxAgeHours: 24,
    allowPrivate: false,
    timeoutMs: 1000,
    random: () => 0,
    ...options,
  });
}

async function setUp(url = "https://hooks.example.com/fathom?token=abc") {
  const clock = clocks();
  const volume = new MemoryVolume();
  const store = new MemoryTaskStore({ volume, leaseTtlMs: 1000, now: clock.monotonic });
  await createRunEndDeliveries(store.schedules, finishedTask(), { serverUrl: url, now: clock.now() });
  return { clock, volume, store };
}

describe("WebhookSender", () => {
  it("retries after WEBHOOK_RETRY_BASE_S, doubling, until a 2xx, with the same signed bytes every time", async () => {
    const { clock, store } = await setUp();
    const { sent, post } = receiver([503, 500, 204], clock);
    const webhooks = sender(store.schedules, { post, now: clock.now });

    expect(await webhooks.pass()).toBe(1);
    expect(sent).toHaveLength(1);
    clock.advance(9_999);
    expect(await webhooks.pass()).toBe(0); // not due before the first 10 s
    clock.advance(1);
    expect(await webhooks.pass()).toBe(1);
    clock.advance(19_999);
    expect(await webhooks.pass()).toBe(0); // the second pause doubles
    clock.advance(1);
    expect(await webhooks.pass()).toBe(1);
    clock.advance(3_600_000);
    expect(await webhooks.pass()).toBe(0); // delivered: never again

    expect(sent.map((request) => request.at - T0)).toEqual([0, 10_000, 30_000]);
    const [delivery] = await store.schedules.listDeliveries(TASK_ID);
    expect(delivery?.status).toBe("delivered");
    expect(delivery?.nextAttemptAt).toBeNull();
    expect(delivery?.attempts.map((attempt) => attempt.status)).toEqual([503, 500, 204]);
    expect(delivery?.attempts[0]?.error).toMatch(/503/);
    expect(delivery?.attempts[2]?.error).toBeUndefined();
    for (const request of sent) {
      expect(request.body).toBe(sent[0]?.body);
      expect(request.headers[DELIVERY_HEADER]).toBe(delivery?.id);
      const verdict = verifyWebhook(request.body, request.headers[SIGNATURE_HEADER], SECRET, 300, request.at);
      expect(verdict.ok).toBe(true);
    }
    const payload = JSON.parse(sent[0]?.body ?? "{}");
    expect(payload).toMatchObject({
      type: "task.finished",
      deliveryId: delivery?.id,
      taskId: TASK_ID,
      run: 1,
      status: "completed",
      reportLength: 1234,
      error: null,
      links: { task: `/api/tasks/${TASK_ID}` },
    });
  });

  it("gives up once the next attempt would come later than WEBHOOK_MAX_AGE_HOURS after the delivery was created", async () => {
    const { clock, store } = await setUp();
    const { sent, post } = receiver([500], clock);
    // Pauses of 1 s, 2 s, 4 s, 8 s within 0.002 h (7.2 s): attempts at 0, 1, 3 and 7 s; the next (15 s) is too late.
    const webhooks = sender(store.schedules, { post, now: clock.now, retryBaseS: 1, maxAgeHours: 0.002 });
    for (let second = 0; second < 20; second++) {
      await webhooks.pass();
      clock.advance(1000);
    }
    expect(sent.map((request) => request.at - T0)).toEqual([0, 1000, 3000, 7000]);
    const [delivery] = await store.schedules.listDeliveries(TASK_ID);
    expect(delivery?.status).toBe("failed");
    expect(delivery?.nextAttemptAt).toBeNull();
    expect(delivery?.attempts).toHaveLength(4);
  });

  it("sends each attempt once across two senders on one store, and another sender takes over a dead one's attempt after the lease", async () => {
    const { clock, volume, store } = await setUp();
    const other = new MemoryTaskStore({ volume, leaseTtlMs: 1000, now: clock.monotonic });
    const sent: string[] = [];
    let hang = true;
    const post =
      (who: string): PostWebhook =>
      async (_url, _body, _headers, options) => {
        sent.push(who);
        if (hang) {
          // The first sender dies mid-POST: its promise never settles until the test stops it.
          await new Promise((_resolve, reject) =>
            options.signal?.addEventListener("abort", () => reject(new Error("stopped"))),
          );
        }
        return { status: 200 };
      };
    const a = sender(store.schedules, { post: post("a"), now: clock.now, ownerId: "sender-a" });
    const b = sender(other.schedules, { post: post("b"), now: clock.now, ownerId: "sender-b" });
    const passA = a.pass();
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Both look at the due delivery; only the claim holder sends.
    expect(await b.pass()).toBe(0);
    expect(sent).toEqual(["a"]);
    hang = false;
    clock.advance(a.leaseMs - 1);
    expect(await b.pass()).toBe(0); // the claim still holds
    clock.advance(1);
    expect(await b.pass()).toBe(1); // expired: b sends the attempt again and records it
    expect(sent).toEqual(["a", "b"]);
    await a.stop(); // a's POST ends now; it records nothing (its claim was taken over)
    await passA;
    const [delivery] = await store.schedules.listDeliveries(TASK_ID);
    expect(delivery?.status).toBe("delivered");
    expect(delivery?.attempts).toHaveLength(1);
  });

  it("sends a delivery once when two senders pass over it at the same moment", async () => {
    const { clock, volume, store } = await setUp();
    const other = new MemoryTaskStore({ volume, leaseTtlMs: 1000, now: clock.monotonic });
    const { sent, post } = receiver([200], clock);
    const a = sender(store.schedules, { post, now: clock.now, ownerId: "sender-a" });
    const b = sender(other.schedules, { post, now: clock.now, ownerId: "sender-b" });
    const counts = await Promise.all([a.pass(), b.pass()]);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect(sent).toHaveLength(1);
  });

  it("records a refused private target as a failed attempt with its reason, and sends unsigned without a secret", async () => {
    const { clock, store } = await setUp("http://127.0.0.1:9/hook");
    // The real POST behind the SSRF guard.
    const refused = sender(store.schedules, { now: clock.now, post: undefined });
    expect(await refused.pass()).toBe(1);
    const [delivery] = await store.schedules.listDeliveries(TASK_ID);
    expect(delivery?.status).toBe("pending");
    expect(delivery?.attempts[0]?.status).toBeUndefined();
    expect(delivery?.attempts[0]?.error).toMatch(/not a public address/);

    clock.advance(10_000);
    const { sent, post } = receiver([200], clock);
    const unsigned = sender(store.schedules, { now: clock.now, post, secret: undefined });
    expect(await unsigned.pass()).toBe(1);
    expect(sent[0]?.headers[SIGNATURE_HEADER]).toBeUndefined();
    expect(sent[0]?.headers[DELIVERY_HEADER]).toBe(delivery?.id);
  });

  it("makes one delivery per URL and ending, however often the ending is announced; a retried run's new ending is another", async () => {
    const { clock, store } = await setUp();
    await store.schedules.addSubscription(TASK_ID, 1, "https://b.example/hook", 10);
    const task = finishedTask();
    const again = await createRunEndDeliveries(store.schedules, task, {
      serverUrl: "https://hooks.example.com/fathom?token=abc",
      now: clock.now(),
    });
    expect(again).toBe(1); // the subscription's; the server's existed
    expect(await store.schedules.listDeliveries(TASK_ID)).toHaveLength(2);
    const retried = finishedTask({
      lastEventId: 60,
      status: "failed",
      error: { code: "internal", message: "boom" },
    });
    expect(await createRunEndDeliveries(store.schedules, retried, { now: clock.now() })).toBe(1);
    const deliveries = await store.schedules.listDeliveries(TASK_ID);
    expect(deliveries.map((delivery) => delivery.payload.status).sort()).toEqual([
      "completed",
      "completed",
      "failed",
    ]);
    expect(
      await createRunEndDeliveries(store.schedules, { ...task, status: "running" }, { now: clock.now() }),
    ).toBe(0);
  });
});
