import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError } from "./api-error";
import type { StreamConnection, StreamItem } from "./event-stream";
import { createFathomClient } from "./fathom-client";

/**
 * The stream's recovery paths against a local HTTP server that answers each
 * connection as a script says: the real wire (SSE over HTTP), with the
 * failures a real server rarely shows on cue (a repeated event, a 503, a
 * connection that goes silent). The happy path and real drops are proven
 * against the real server in tests/client.test.ts.
 */
type Script = (request: http.IncomingMessage, response: http.ServerResponse) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function scripted(scripts: Script[]): Promise<{ url: string; cursors: (string | undefined)[] }> {
  const cursors: (string | undefined)[] = [];
  let index = 0;
  const server = http.createServer((request, response) => {
    cursors.push(request.headers["last-event-id"] as string | undefined);
    const script = scripts[Math.min(index++, scripts.length - 1)]!;
    script(request, response);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, cursors };
}

const sse = (response: http.ServerResponse) => {
  response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  response.write(": fathom\n\n");
};
const event = (id: number, type: string, data: unknown) =>
  `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
const output = (id: number, text: string) => event(id, "output", { text });
const done = (id: number) => event(id, "done", { status: "completed" });

/** A client whose waits take no time: `sleep` moves a fake clock instead (and so may a script). */
function quickClient(url: string, clock = { ms: 0 }) {
  const slept: number[] = [];
  const client = createFathomClient({
    baseUrl: url,
    sleep: async (ms) => {
      slept.push(ms);
      clock.ms += ms;
    },
    now: () => clock.ms,
  });
  return { client, slept };
}

async function collect(iterable: AsyncIterable<StreamItem>): Promise<StreamItem[]> {
  const items: StreamItem[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const ids = (items: StreamItem[]) => items.flatMap((item) => (item.type === "task" ? [] : [item.id]));
const taskId = "a".repeat(32);

describe("a task's event stream (lib/client)", () => {
  it("resumes after a connection that ends early, with Last-Event-ID, and yields a repeated event once", async () => {
    const { url, cursors } = await scripted([
      (_request, response) => {
        sse(response);
        response.end(output(1, "a") + output(2, "b"));
      },
      (_request, response) => {
        sse(response);
        // A misbehaving server repeats event 2: the client must not yield it again.
        response.end(output(2, "b") + output(3, "c") + done(4));
      },
    ]);
    const { client } = quickClient(url);
    const items = await collect(client.stream(taskId));
    expect(ids(items)).toEqual([1, 2, 3, 4]);
    expect(cursors).toEqual([undefined, "2"]);
    const text = items.map((item) => (item.type === "output" ? item.data.text : "")).join("");
    expect(text).toBe("abc");
  });

  it("waits out a 503's Retry-After, then continues", async () => {
    const { url } = await scripted([
      (_request, response) => {
        response.writeHead(503, { "Content-Type": "application/json", "Retry-After": "7" });
        response.end(JSON.stringify({ error: { code: "overloaded", message: "busy" } }));
      },
      (_request, response) => {
        sse(response);
        response.end(output(1, "x") + done(2));
      },
    ]);
    const { client, slept } = quickClient(url);
    const states: StreamConnection[] = [];
    const items = await collect(client.stream(taskId, { onConnection: (state) => states.push(state) }));
    expect(ids(items)).toEqual([1, 2]);
    expect(slept[0]).toBeGreaterThanOrEqual(7000);
    expect(states[0]).toMatchObject({ kind: "retrying", error: { status: 503, code: "overloaded" } });
  });

  it("drops a connection that goes silent and resumes it", async () => {
    const { url, cursors } = await scripted([
      (_request, response) => {
        sse(response);
        response.write(output(1, "x")); // …and then nothing, not even a ping.
      },
      (_request, response) => {
        sse(response);
        response.end(done(2));
      },
    ]);
    const { client } = quickClient(url);
    const items = await collect(client.stream(taskId, { idleTimeoutMs: 300 }));
    expect(ids(items)).toEqual([1, 2]);
    expect(cursors).toEqual([undefined, "1"]);
  });

  it("does not take a slow reader for a silent server", async () => {
    const { url, cursors } = await scripted([
      (_request, response) => {
        sse(response);
        response.write(output(1, "x"));
        setTimeout(() => response.end(output(2, "y") + done(3)), 500);
      },
      (_request, response) => {
        sse(response);
        response.end(output(2, "y") + done(3));
      },
    ]);
    const { client } = quickClient(url);
    const items: StreamItem[] = [];
    for await (const item of client.stream(taskId, { idleTimeoutMs: 300 })) {
      items.push(item);
      // Longer than the idle timeout, while the connection itself is fine.
      if (item.type === "output" && item.id === 1) await new Promise((resolve) => setTimeout(resolve, 400));
    }
    expect(ids(items)).toEqual([1, 2, 3]);
    expect(cursors).toEqual([undefined]);
  });

  it("ends on the 204 and throws a typed error for a deleted task", async () => {
    const { url } = await scripted([
      (_request, response) => {
        response.writeHead(204);
        response.end();
      },
      (_request, response) => {
        response.writeHead(410, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ error: { code: "gone", message: "task was deleted" } }));
      },
    ]);
    const { client } = quickClient(url);
    expect(await collect(client.stream(taskId, { lastEventId: 9 }))).toEqual([]);
    const error = await collect(client.stream(taskId)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 410, code: "gone", message: "Task was deleted." });
  });

  it("gives up after giveUpAfterMs of failures in a row, not counting a healthy connection before", async () => {
    const clock = { ms: 0 };
    const { url } = await scripted([
      (_request, response) => {
        sse(response);
        response.write(output(1, "x"));
        // A minute of a healthy, quiet connection, then it drops.
        setTimeout(() => {
          clock.ms += 60_000;
          response.end();
        }, 100);
      },
      (_request, response) => {
        response.writeHead(502);
        response.end();
      },
    ]);
    const { client, slept } = quickClient(url, clock);
    const seen: StreamItem[] = [];
    const error = await (async () => {
      for await (const item of client.stream(taskId, { giveUpAfterMs: 10_000 })) seen.push(item);
    })().catch((caught: unknown) => caught);
    expect(ids(seen)).toEqual([1]);
    expect(error).toMatchObject({ status: 502 });
    const waited = slept.reduce((sum, ms) => sum + ms, 0);
    expect(waited).toBeGreaterThanOrEqual(10_000);
  });
});
