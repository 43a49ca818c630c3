import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRedisServer, type RedisTestServer, startRedisServer } from "./support/redis";
import { requireBinary } from "./support/require-binary";
import { startServer, type TestServer, tempDir } from "./support/server";
import { getJson, waitFor } from "./support/sse";

/**
 * Follow-up research against the real server (offline writer, the default
 * corpus), in both store modes: a follow-up of a completed report starts
 * from its learnings and sources, its id includes the parent's, and the two
 * are linked both ways. The follow-up is asked of a second server sharing
 * the store, so the parent's learnings come from the store, not a cache.
 */

const redisBinary = findRedisServer();
requireBinary(
  "follow-ups on Redis",
  redisBinary !== null,
  "redis-server is not installed (apt-get install redis-server).",
);

const modes: [string, boolean][] = [
  ["one volume", false],
  ...(redisBinary === null ? [] : ([["Redis", true]] as [string, boolean][])),
];

const env = { RATE_LIMIT_TASKS_PER_MINUTE: "0" };

function send(server: TestServer, method: string, path: string, body?: unknown) {
  return getJson(`${server.url}${path}`, {
    method,
    headers: {
      Accept: "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function completed(server: TestServer, id: string) {
  return waitFor(`task ${id} to complete`, async () => {
    const { body } = await send(server, "GET", `/api/tasks/${id}`);
    if (body.status === "failed" || body.status === "cancelled") throw new Error(`task ${id} ${body.status}`);
    return body.status === "completed" ? body : undefined;
  });
}

const parentRequest = { query: "Louisiana Purchase", depth: 1, breadth: 2 };
const followUpQuery = "navigation of the Mississippi and New Orleans";

describe.each(modes)("follow-up research on %s", (_name, onRedis) => {
  let redis: RedisTestServer | null = null;
  /** The server the parent is asked of, and the one its follow-up is. */
  let server: TestServer;
  let other: TestServer;

  beforeAll(async () => {
    let start: () => Promise<TestServer>;
    if (onRedis) {
      redis = await startRedisServer(redisBinary!);
      start = () => startServer({ env: { ...env, TASK_STORE: redis!.url } });
    } else {
      const dataDir = tempDir();
      start = () => startServer({ dataDir, env });
    }
    const started = await Promise.all([start(), start()]);
    server = started[0]!;
    other = started[1]!;
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), other?.stop()]);
    await redis?.stop();
  });

  it("plans from the parent's learnings, cites both, and is linked both ways", async () => {
    const started = await send(server, "POST", "/api/research", parentRequest);
    expect(started.status).toBe(202);
    const parentId: string = started.body.taskId;

    // Unfinished parents are refused (the parent may already be done on a fast machine).
    const early = await send(other, "POST", `/api/tasks/${parentId}/follow-up`, { query: followUpQuery });
    if (early.status !== 202) expect(early.status).toBe(409);

    const parent = await completed(server, parentId);
    const asked = await send(other, "POST", `/api/tasks/${parentId}/follow-up`, { query: followUpQuery });
    expect(asked.status).toBe(202);
    expect(asked.headers.get("location")).toBe(`/api/tasks/${asked.body.taskId}`);
    const childId: string = asked.body.taskId;
    expect(childId).not.toBe(parentId);
    expect(asked.body.task.request).toMatchObject({
      query: followUpQuery,
      parent: parentId,
      depth: 1,
      breadth: 2,
      llm: parent.request.llm,
      search: parent.request.search,
    });

    // The same follow-up twice joins one task; the same question without the parent is another task.
    const again = await send(other, "POST", `/api/tasks/${parentId}/follow-up`, { query: followUpQuery });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ taskId: childId, created: false });
    const alone = await send(server, "POST", "/api/research", { ...parentRequest, query: followUpQuery });
    expect(alone.body.taskId).not.toBe(childId);

    const child = await completed(other, childId);
    // The plan starts from the parent's learnings: its steps say so.
    const events = await fetch(`${other.url}/api/tasks/${childId}/events`).then((response) =>
      response.text(),
    );
    expect(events).toContain("Following up “Louisiana Purchase”: starting from its");
    expect(events).toContain(`Known from “Louisiana Purchase”: ${parent.result.learnings[0].slice(0, 40)}`);
    // Its report cites sources of the parent's report and new ones.
    const parentRefs = new Set(
      parent.result.sources.map((source: { documentRef: string }) => source.documentRef),
    );
    const refs: string[] = child.result.sources.map((source: { documentRef: string }) => source.documentRef);
    expect(refs.some((ref) => parentRefs.has(ref))).toBe(true);
    expect(refs.some((ref) => !parentRefs.has(ref))).toBe(true);

    // Linked both ways.
    const childThread = await send(other, "GET", `/api/tasks/${childId}/follow-ups`);
    expect(childThread.status).toBe(200);
    expect(childThread.body).toMatchObject({ taskId: childId, parent: { id: parentId }, followUps: [] });
    const parentThread = await send(other, "GET", `/api/tasks/${parentId}/follow-ups`);
    expect(parentThread.body.parent).toBeNull();
    expect(parentThread.body.followUps.map((task: { id: string }) => task.id)).toEqual([childId]);
  }, 120_000);

  it("refuses an unknown parent, an unfinished one and a bad body", async () => {
    const unknown = await send(server, "POST", `/api/tasks/${"0".repeat(32)}/follow-up`, {
      query: "anything",
    });
    expect(unknown.status).toBe(404);

    const running = await send(server, "POST", "/api/research", {
      query: "tariffs and the Civil War",
      depth: 3,
      breadth: 4,
    });
    const paused = await send(server, "POST", `/api/tasks/${running.body.taskId}/pause`);
    expect(paused.status).toBe(200);
    const unfinished = await send(server, "POST", `/api/tasks/${running.body.taskId}/follow-up`, {
      query: "more",
    });
    expect(unfinished.status).toBe(409);
    expect(JSON.stringify(unfinished.body)).toContain("a follow-up needs a completed report");

    const finished = (await send(server, "GET", "/api/tasks?status=completed")).body.tasks[0];
    expect(finished).toBeDefined();
    for (const body of [
      {},
      { query: "" },
      { query: "x", llm: { provider: "offline" } },
      { query: "x", depth: 99 },
    ]) {
      const refused = await send(server, "POST", `/api/tasks/${finished.id}/follow-up`, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
    }
  }, 60_000);
});
