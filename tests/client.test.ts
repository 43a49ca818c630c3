import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "@/lib/client/api-error";
import { createFathomClient, type FathomClient } from "@/lib/client/fathom-client";
import type { StreamItem } from "@/lib/client/event-stream";
import { freePort, startServer, type TestServer } from "./support/server";
import { waitFor } from "./support/sse";

/**
 * A TCP proxy in front of the server whose connections the test can cut, as
 * a network that drops does: the client sees its response body fail mid-stream.
 */
async function startCuttableProxy(
  target: number,
): Promise<{ url: string; cut: () => void; close: () => Promise<void>; connections: () => number }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const proxy = net.createServer((client) => {
    connections += 1;
    const upstream = net.connect(target, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const forget = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", forget).on("close", forget);
    upstream.on("error", forget).on("close", forget);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => proxy.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
    connections: () => connections,
  };
}

const outputOf = (items: StreamItem[]) =>
  items
    .filter((item) => item.type === "output")
    .map((item) => item.data.text)
    .join("");
const idsOf = (items: StreamItem[]) => items.flatMap((item) => (item.type === "task" ? [] : [item.id]));

/** The typed client (lib/client) against a real server over real HTTP. */
describe("the typed client", () => {
  let server: TestServer;
  let client: FathomClient;
  let counter = 0;

  beforeAll(async () => {
    server = await startServer({ env: { OUTPUT_CHUNK_DELAY_MS: "60" } });
    client = createFathomClient({ baseUrl: server.url, backoff: { baseMs: 100, maxMs: 1000 } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const start = (query = `Client ${++counter}: the Erie Canal and internal improvements`) =>
    client.startResearch({ query, depth: 1, breadth: 1 });

  it("starts research, joins the identical task, reads, lists and controls it", async () => {
    const created = await start("Client: the Homestead Act and western settlement");
    expect(created.created).toBe(true);
    const joined = await start("Client: the Homestead Act and western settlement");
    expect(joined).toMatchObject({ taskId: created.taskId, created: false });
    const task = await client.getTask(created.taskId);
    expect(task.id).toBe(created.taskId);
    const page = await client.listTasks({ limit: 50 });
    expect(page.tasks.map((row) => row.id)).toContain(created.taskId);
    const cancelling = await client.control(created.taskId, "cancel");
    expect(cancelling.id).toBe(created.taskId);
    // A running task's owner (maybe another process) applies the cancel: the answer may precede it.
    await waitFor(
      "cancelled",
      async () => (await client.getTask(created.taskId)).status === "cancelled",
      60_000,
    );
    const refused = await client.control(created.taskId, "pause").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 409, code: "conflict" });
    expect((refused as ApiError).message).toMatch(/cancelled/);
  });

  it("streams a task whose connection is cut mid-report: no event lost, none repeated", async () => {
    const proxy = await startCuttableProxy(server.port);
    try {
      const through = createFathomClient({ baseUrl: proxy.url, backoff: { baseMs: 100, maxMs: 1000 } });
      const { taskId } = await through.startResearch({
        query: "Client: cut connections and the Louisiana Purchase",
        depth: 1,
        breadth: 1,
      });
      const items: StreamItem[] = [];
      const reopened: (number | null)[] = [];
      let outputs = 0;
      let cuts = 0;
      for await (const item of through.stream(taskId, {
        onConnection: (state) => {
          if (state.kind === "open") reopened.push(state.lastEventId);
        },
      })) {
        items.push(item);
        if (item.type === "output" && ++outputs % 3 === 0 && cuts < 3) {
          cuts += 1;
          proxy.cut();
        }
      }
      expect(cuts).toBe(3);
      // The first connection had no cursor; each one after a cut resumed after the last event yielded.
      expect(reopened[0]).toBeNull();
      expect(reopened.length).toBeGreaterThanOrEqual(4);
      expect(reopened.slice(1).every((cursor) => cursor !== null)).toBe(true);
      const ids = idsOf(items);
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, index) => ids[0]! + index));
      expect(items.at(-1)?.type).toBe("done");
      const task = await client.getTask(taskId);
      expect(task.status).toBe("completed");
      expect(outputOf(items)).toBe(task.result?.report);
    } finally {
      await proxy.close();
    }
  });

  it("resumes from a cursor, and ends at once with the 204 when everything was seen", async () => {
    const { taskId } = await start();
    const first: StreamItem[] = [];
    for await (const item of client.stream(taskId)) {
      first.push(item);
      if (item.type === "output") break;
    }
    const cursor = idsOf(first).at(-1)!;
    const rest: StreamItem[] = [];
    for await (const item of client.stream(taskId, { lastEventId: cursor })) rest.push(item);
    const task = await client.getTask(taskId);
    expect(outputOf([...first, ...rest])).toBe(task.result?.report);
    expect(idsOf(rest)[0]).toBe(cursor + 1);
    const after: StreamItem[] = [];
    for await (const item of client.stream(taskId, { lastEventId: task.lastEventId })) after.push(item);
    expect(after).toEqual([]);
  });

  it("throws a typed error for an unknown task, and gives up on an unreachable server", async () => {
    const unknown = "0".repeat(32);
    const missing = await client.getTask(unknown).catch((error: unknown) => error);
    expect(missing).toMatchObject({ status: 404, code: "not_found" });
    const streamed = await (async () => {
      for await (const item of client.stream(unknown)) void item;
    })().catch((error: unknown) => error);
    expect(streamed).toBeInstanceOf(ApiError);
    expect(streamed).toMatchObject({ status: 404 });

    const nowhere = createFathomClient({
      baseUrl: `http://127.0.0.1:${await freePort()}`,
      backoff: { baseMs: 50, maxMs: 100 },
    });
    const unreachable = await (async () => {
      for await (const item of nowhere.stream(unknown, { giveUpAfterMs: 500 })) void item;
    })().catch((error: unknown) => error);
    expect(unreachable).toBeInstanceOf(ApiError);
    expect((unreachable as ApiError).unreachable).toBe(true);
  });

  it("downloads an export and stops a stream on abort", async () => {
    const { taskId } = await start();
    const controller = new AbortController();
    const seen: StreamItem[] = [];
    const aborted = await (async () => {
      for await (const item of client.stream(taskId, { signal: controller.signal })) {
        seen.push(item);
        if (item.type === "output") controller.abort(new Error("enough"));
      }
    })().catch((error: unknown) => error);
    expect((aborted as Error).message).toBe("enough");
    await waitFor("completed", async () => (await client.getTask(taskId)).status === "completed", 120_000);
    const file = await client.exportReport(taskId, "pdf");
    expect(new TextDecoder().decode(file.bytes.subarray(0, 5))).toBe("%PDF-");
    expect(file.filename).toMatch(/\.pdf$/);
  });
});
