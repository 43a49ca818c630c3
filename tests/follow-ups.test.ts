import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server";
import { getJson, waitFor } from "./support/sse";

/**
 * Follow-up research against the real server (offline writer, the default
 * corpus): a follow-up of a completed report starts from its learnings and
 * sources, its id includes the parent's, and the two are linked both ways.
 */

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_TASKS_PER_MINUTE: "0" } });
});

afterAll(async () => {
  await server?.stop();
});

function send(method: string, path: string, body?: unknown) {
  return getJson(`${server.url}${path}`, {
    method,
    headers: {
      Accept: "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function completed(id: string) {
  return waitFor(`task ${id} to complete`, async () => {
    const { body } = await send("GET", `/api/tasks/${id}`);
    if (body.status === "failed" || body.status === "cancelled") throw new Error(`task ${id} ${body.status}`);
    return body.status === "completed" ? body : undefined;
  });
}

const parentRequest = { query: "Louisiana Purchase", depth: 1, breadth: 2 };
const followUpQuery = "navigation of the Mississippi and New Orleans";

describe("follow-up research", () => {
  it("plans from the parent's learnings, cites both, and is linked both ways", async () => {
    const started = await send("POST", "/api/research", parentRequest);
    expect(started.status).toBe(202);
    const parentId: string = started.body.taskId;

    // Unfinished parents are refused (the parent may already be done on a fast machine).
    const early = await send("POST", `/api/tasks/${parentId}/follow-up`, { query: followUpQuery });
    if (early.status !== 202) expect(early.status).toBe(409);

    const parent = await completed(parentId);
    const asked = await send("POST", `/api/tasks/${parentId}/follow-up`, { query: followUpQuery });
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
    const again = await send("POST", `/api/tasks/${parentId}/follow-up`, { query: followUpQuery });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ taskId: childId, created: false });
    const alone = await send("POST", "/api/research", { ...parentRequest, query: followUpQuery });
    expect(alone.body.taskId).not.toBe(childId);

    const child = await completed(childId);
    // The plan starts from the parent's learnings: its steps say so.
    const events = await fetch(`${server.url}/api/tasks/${childId}/events`).then((response) =>
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
    const childThread = await send("GET", `/api/tasks/${childId}/follow-ups`);
    expect(childThread.status).toBe(200);
    expect(childThread.body).toMatchObject({ taskId: childId, parent: { id: parentId }, followUps: [] });
    const parentThread = await send("GET", `/api/tasks/${parentId}/follow-ups`);
    expect(parentThread.body.parent).toBeNull();
    expect(parentThread.body.followUps.map((task: { id: string }) => task.id)).toEqual([childId]);
  }, 120_000);

  it("refuses an unknown parent, an unfinished one and a bad body", async () => {
    const unknown = await send("POST", `/api/tasks/${"0".repeat(32)}/follow-up`, { query: "anything" });
    expect(unknown.status).toBe(404);

    const running = await send("POST", "/api/research", {
      query: "tariffs and the Civil War",
      depth: 3,
      breadth: 4,
    });
    const paused = await send("POST", `/api/tasks/${running.body.taskId}/pause`);
    expect(paused.status).toBe(200);
    const unfinished = await send("POST", `/api/tasks/${running.body.taskId}/follow-up`, { query: "more" });
    expect(unfinished.status).toBe(409);
    expect(JSON.stringify(unfinished.body)).toContain("a follow-up needs a completed report");

    const finished = (await send("GET", "/api/tasks?status=completed")).body.tasks[0];
    expect(finished).toBeDefined();
    for (const body of [
      {},
      { query: "" },
      { query: "x", llm: { provider: "offline" } },
      { query: "x", depth: 99 },
    ]) {
      const refused = await send("POST", `/api/tasks/${finished.id}/follow-up`, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
    }
  }, 60_000);
});
