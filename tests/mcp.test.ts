import net from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodeMcpEventId } from "@/app/api/_lib/mcp/event-id";
import { startServer, type TestServer, tempDir } from "./support/server";
import { expectedProgress } from "./support/mcp-progress";
import { answerChecker } from "./support/openapi";
import { getJson, waitFor } from "./support/sse";

/**
 * The MCP endpoint driven by the SDK's own client over real HTTP against
 * the real server (README, "MCP"): tools, the report resource, auth, the
 * cross-site refusal, and the proof that a call cut off mid-research resumes
 * with Last-Event-ID on another process sharing the volume and misses
 * nothing.
 */

const clients: Client[] = [];

async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "fathom-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL("/api/mcp", url), {
    requestInit: { headers },
    reconnectionOptions: {
      initialReconnectionDelay: 200,
      maxReconnectionDelay: 2000,
      reconnectionDelayGrowFactor: 1.5,
      maxRetries: 10,
    },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function text(result: CallToolResult): string {
  const first = result.content[0];
  if (first?.type !== "text") throw new Error(`expected text content, got ${JSON.stringify(result.content)}`);
  return first.text;
}

async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  onprogress?: (p: Progress) => void,
) {
  return (await client.callTool({ name, arguments: args }, undefined, {
    timeout: 170_000,
    ...(onprogress ? { onprogress } : {}),
  })) as CallToolResult;
}

async function completed(server: TestServer, id: string) {
  return waitFor(`task ${id} to complete`, async () => {
    const { body } = await getJson(`${server.url}/api/tasks/${id}`);
    if (body.status === "failed" || body.status === "cancelled") throw new Error(`task ${id} ${body.status}`);
    return body.status === "completed" ? body : undefined;
  });
}

describe("MCP on one server", () => {
  let server: TestServer;
  /** A browser-based MCP client's page, allowed by CORS_ORIGINS. */
  const inspector = "https://inspector.example";

  beforeAll(async () => {
    server = await startServer({
      env: { RATE_LIMIT_TASKS_PER_MINUTE: "0", OUTPUT_CHUNK_DELAY_MS: "5", CORS_ORIGINS: inspector },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("lists the tools with their input schemas", async () => {
    const client = await connect(server.url);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "cancel_task",
      "follow_up",
      "get_task",
      "list_tasks",
      "research",
    ]);
    const research = tools.find((tool) => tool.name === "research")!;
    expect(research.inputSchema.properties).toHaveProperty("query");
    expect(research.inputSchema.properties).toHaveProperty("wait");
    expect(research.inputSchema.required).toEqual(["query"]);
  });

  it("research with wait streams progress and answers the task's report", async () => {
    const client = await connect(server.url);
    const progress: Progress[] = [];
    const result = await call(
      client,
      "research",
      { query: "MCP wait: the Homestead Act", depth: 1, breadth: 2, wait: true },
      (p) => progress.push(p),
    );
    expect(result.isError).toBeFalsy();
    const id = (result.structuredContent as { taskId: string }).taskId;
    const task = await completed(server, id);
    expect(text(result)).toBe(task.result.report);
    expect(task.result.report.length).toBeGreaterThan(100);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.map((p) => p.progress)).toEqual(await expectedProgress(server.url, id));
    expect(progress.some((p) => /\d+%/.test(p.message ?? ""))).toBe(true);
  });

  it("research without wait answers the task at once; get_task, list_tasks and the report resource", async () => {
    const client = await connect(server.url);
    const request = { query: "MCP no wait: the Erie Canal", depth: 1, breadth: 2 };
    const started = await call(client, "research", request);
    expect(started.isError).toBeFalsy();
    const answer = started.structuredContent as {
      taskId: string;
      created: boolean;
      links: Record<string, string>;
    };
    expect(answer.taskId).toMatch(/^[0-9a-f]{32}$/);
    expect(answer.links).toMatchObject({
      self: `/api/tasks/${answer.taskId}`,
      events: `/api/tasks/${answer.taskId}/events`,
      report: `fathom://tasks/${answer.taskId}/report`,
    });
    // The same request joins the same task, as over HTTP.
    const again = await call(client, "research", request);
    expect((again.structuredContent as { taskId: string; created: boolean }).taskId).toBe(answer.taskId);
    expect((again.structuredContent as { created: boolean }).created).toBe(false);

    const task = await completed(server, answer.taskId);
    const got = await call(client, "get_task", { taskId: answer.taskId });
    expect(got.structuredContent).toMatchObject({ id: answer.taskId, status: "completed" });
    expect((got.structuredContent as { result: { report: string } }).result.report).toBe(task.result.report);

    // The listing is the index of GET /api/tasks, which may show the final status a moment after the task.
    const page = await waitFor("the task in the completed listing", async () => {
      const listed = await call(client, "list_tasks", { status: "completed", q: "Erie Canal" });
      const value = listed.structuredContent as { tasks: { id: string; status: string }[]; total: number };
      return value.tasks.some((entry) => entry.id === answer.taskId) ? value : null;
    });
    expect(page.tasks.every((entry) => entry.status === "completed")).toBe(true);
    expect(page.total).toBe(page.tasks.length);

    const resource = await client.readResource({ uri: `fathom://tasks/${answer.taskId}/report` });
    expect(resource.contents[0]).toMatchObject({ mimeType: "text/markdown", text: task.result.report });
    const resources = await client.listResources();
    expect(resources.resources.map((entry) => entry.uri)).toContain(`fathom://tasks/${answer.taskId}/report`);
  });

  it("follow_up of a completed task waits for its own report", async () => {
    const client = await connect(server.url);
    const parent = await call(client, "research", {
      query: "MCP parent: the Louisiana Purchase",
      depth: 1,
      breadth: 2,
      wait: true,
    });
    const parentId = (parent.structuredContent as { taskId: string }).taskId;
    const progress: Progress[] = [];
    const child = await call(
      client,
      "follow_up",
      { taskId: parentId, query: "navigation of the Mississippi", wait: true },
      (p) => progress.push(p),
    );
    expect(child.isError).toBeFalsy();
    const childId = (child.structuredContent as { taskId: string }).taskId;
    expect(childId).not.toBe(parentId);
    const task = await completed(server, childId);
    expect(task.request.parent).toBe(parentId);
    expect(text(child)).toBe(task.result.report);
    expect(progress.length).toBeGreaterThan(0);
  });

  it("cancel_task cancels through the lifecycle table; a finished task is refused with the reason", async () => {
    const client = await connect(server.url);
    const started = await call(client, "research", {
      query: "MCP cancel: the Gadsden Purchase",
      depth: 3,
      breadth: 4,
    });
    const id = (started.structuredContent as { taskId: string }).taskId;
    const cancelled = await call(client, "cancel_task", { taskId: id });
    expect(cancelled.isError).toBeFalsy();
    expect(cancelled.structuredContent).toMatchObject({ id });
    await waitFor("the cancel to land", async () => {
      const got = await call(client, "get_task", { taskId: id });
      return (got.structuredContent as { status: string }).status === "cancelled";
    });
    // Cancelling is idempotent, as over HTTP.
    const twice = await call(client, "cancel_task", { taskId: id });
    expect(twice.structuredContent).toMatchObject({ id, status: "cancelled" });

    const done = await call(client, "research", {
      query: "MCP cancel: the Adams-Onis Treaty",
      depth: 1,
      breadth: 1,
      wait: true,
    });
    const doneId = (done.structuredContent as { taskId: string }).taskId;
    const refused = await call(client, "cancel_task", { taskId: doneId });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toBe("Cannot cancel: the task is completed.");
  });

  it("refuses bad input as tool errors that name the problem", async () => {
    const client = await connect(server.url);
    const empty = await call(client, "research", { query: "   " });
    expect(empty.isError).toBe(true);
    expect(text(empty)).toMatch(/query must not be empty/);
    const deep = await call(client, "research", { query: "x", depth: 99 });
    expect(deep.isError).toBe(true);
    expect(text(deep)).toMatch(/depth/);
    const badId = await call(client, "get_task", { taskId: "../../etc/passwd" });
    expect(badId.isError).toBe(true);
    expect(text(badId)).toMatch(/taskId must be a task id/);
    const unknown = await call(client, "get_task", { taskId: "0".repeat(32) });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toMatch(/No task 0{32}/);
    const unknownParent = await call(client, "follow_up", { taskId: "0".repeat(32), query: "x" });
    expect(unknownParent.isError).toBe(true);
    expect(text(unknownParent)).toMatch(/No task/);
    await expect(client.readResource({ uri: `fathom://tasks/${"0".repeat(32)}/report` })).rejects.toThrow(
      /No task/,
    );
  });

  it("refuses a cross-site browser POST and creates nothing; same-origin pages and programs work", async () => {
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "research", arguments: { query: "MCP cross-site: the Alaska Purchase" } },
    });
    const headers = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };
    const foreign = await fetch(`${server.url}/api/mcp`, {
      method: "POST",
      headers: { ...headers, Origin: "https://evil.example" },
      body,
    });
    expect(foreign.status).toBe(403);
    expect((await foreign.json()).error.message).toMatch(/Cross-site request refused/);
    const marked = await fetch(`${server.url}/api/mcp`, {
      method: "POST",
      headers: { ...headers, "Sec-Fetch-Site": "cross-site" },
      body,
    });
    expect(marked.status).toBe(403);
    const listed = await getJson(`${server.url}/api/tasks?q=Alaska`);
    expect(listed.body.tasks).toEqual([]);

    const own = await fetch(`${server.url}/api/mcp`, {
      method: "POST",
      headers: { ...headers, Origin: server.url },
      body,
    });
    expect(own.status).toBe(200);
    const answer = await own.json();
    expect(answer.result.structuredContent.taskId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("lets a page listed in CORS_ORIGINS call it: the preflight allows the MCP headers", async () => {
    const preflight = await fetch(`${server.url}/api/mcp`, {
      method: "OPTIONS",
      headers: {
        Origin: inspector,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, mcp-protocol-version",
      },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBe(inspector);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Mcp-Protocol-Version/);
    const listed = await fetch(`${server.url}/api/mcp`, {
      method: "POST",
      headers: {
        Origin: inspector,
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(listed.status).toBe(200);
    expect(listed.headers.get("access-control-allow-origin")).toBe(inspector);
    expect((await listed.json()).result.tools).toHaveLength(5);
  });

  it("answers GET without Last-Event-ID with 405 and a foreign Last-Event-ID with 400", async () => {
    const plain = await fetch(`${server.url}/api/mcp`, { headers: { Accept: "text/event-stream" } });
    expect(plain.status).toBe(405);
    const foreign = await fetch(`${server.url}/api/mcp`, {
      headers: { Accept: "text/event-stream", "Last-Event-ID": "42" },
    });
    expect(foreign.status).toBe(400);
    expect((await foreign.json()).error.message).toMatch(/not an event id/);
  });

  it("answers a POST that does not accept an event stream with the transport's documented 406", async () => {
    const response = await fetch(`${server.url}/api/mcp`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(406);
    const body = await response.json();
    expect(body.error.message).toMatch(/text\/event-stream/);
    const document = await (await fetch(`${server.url}/api/openapi.json`)).json();
    answerChecker(document).json("POST", "/api/mcp", 406, body);
  });
});

describe("MCP with an API token", () => {
  let server: TestServer;
  const token = "mcp-test-token-0123456789";

  beforeAll(async () => {
    server = await startServer({ env: { FATHOM_API_TOKEN: token, RATE_LIMIT_TASKS_PER_MINUTE: "0" } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("refuses a client without the token (401) and serves one with the Authorization header", async () => {
    await expect(connect(server.url)).rejects.toThrow(/401|[Uu]nauthorized|token/);
    const raw = await fetch(`${server.url}/api/mcp`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(raw.status).toBe(401);
    const client = await connect(server.url, { Authorization: `Bearer ${token}` });
    const { tools } = await client.listTools();
    expect(tools.length).toBe(5);
  });
});

/** A TCP proxy: one address in front of several servers, switched at will (a load balancer). */
function startProxy(initialPort: number) {
  let target = initialPort;
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(target, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
  });
  return new Promise<{ url: string; switchTo: (port: number) => void; close: () => Promise<void> }>(
    (resolve) => {
      proxy.listen(0, "127.0.0.1", () => {
        const address = proxy.address() as net.AddressInfo;
        resolve({
          url: `http://127.0.0.1:${address.port}`,
          /** New connections go to `port`; every open one is cut. */
          switchTo: (port) => {
            target = port;
            for (const socket of sockets) socket.destroy();
            sockets.clear();
          },
          close: () =>
            new Promise<void>((done) => {
              for (const socket of sockets) socket.destroy();
              proxy.close(() => done());
            }),
        });
      });
    },
  );
}

describe("MCP resumption on another process", () => {
  const env = {
    RATE_LIMIT_TASKS_PER_MINUTE: "0",
    OUTPUT_CHUNK_DELAY_MS: "40",
    LEASE_TTL_MS: "1500",
    LEASE_RENEW_MS: "400",
    TAKEOVER_SCAN_MS: "250",
    FOLLOW_POLL_MS: "100",
  };
  let servers: TestServer[] = [];

  afterEach(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    servers = [];
  });

  it.each([
    { dies: true, what: "the process holding the stream and running the task dies" },
    { dies: false, what: "only the connection is cut" },
  ])(
    "a call cut off mid-research resumes with Last-Event-ID on the other server and misses nothing: $what",
    async ({ dies }) => {
      const dataDir = tempDir();
      const [first, second] = await Promise.all([
        startServer({ dataDir, env }),
        startServer({ dataDir, env }),
      ]);
      servers.push(first!, second!);
      const proxy = await startProxy(first!.port);
      try {
        const client = await connect(proxy.url);
        const progress: Progress[] = [];
        let cut = false;
        const result = await call(
          client,
          "research",
          {
            query: `MCP resume (${dies ? "dies" : "cut"}): the transcontinental railroad`,
            depth: 2,
            breadth: 2,
            wait: true,
          },
          (p) => {
            progress.push(p);
            if (!cut && progress.length === 2) {
              // The address now leads to the other process, which has never seen this client.
              cut = true;
              if (dies) first!.signal("SIGKILL");
              proxy.switchTo(second!.port);
            }
          },
        );
        expect(cut).toBe(true);
        expect(result.isError).toBeFalsy();
        const id = (result.structuredContent as { taskId: string }).taskId;
        const task = await completed(second!, id);
        expect(text(result)).toBe(task.result.report);
        // Every notification once, in order: exactly those of the task's log.
        const received = progress.map((p) => p.progress);
        expect(received).toEqual(await expectedProgress(second!.url, id));
        expect(received.length).toBeGreaterThan(2);
        expect(second!.output()).toMatch(/mcp\.resumed/);
        if (dies) {
          // The other process took the task over and finished it.
          expect(task.attempts.length).toBeGreaterThan(1);
        } else {
          // The first process ran the task to its end and stopped following it for the client that left.
          expect(task.attempts.length).toBe(1);
          await waitFor("the abandoned call to stop following", async () =>
            /mcp\.wait_ended[^\n]*"answered":false/.test(first!.output()),
          );
        }
      } catch (error) {
        // What each process logged: a failure here is about two processes and a client.
        const tail = (server: TestServer) => server.output().split("\n").slice(-60).join("\n");
        throw new Error(
          `${error instanceof Error ? error.message : String(error)}\n--- first ---\n${tail(first!)}\n--- second ---\n${tail(second!)}`,
          { cause: error },
        );
      } finally {
        await proxy.close();
      }
    },
  );

  it("a new client resumes a call from its first event id on another server", async () => {
    const dataDir = tempDir();
    const [first, second] = await Promise.all([startServer({ dataDir, env }), startServer({ dataDir, env })]);
    servers.push(first!, second!);
    const client = await connect(first!.url);
    let token: string | undefined;
    const request = { query: "MCP resume token: the Oregon Trail", depth: 1, breadth: 2, wait: true };
    const abandoned = client
      .callTool({ name: "research", arguments: request }, undefined, {
        timeout: 170_000,
        onprogress: () => {},
        onresumptiontoken: (value) => {
          // The first event (priming): the call has sent nothing else yet.
          token ??= value;
        },
      })
      .catch(() => null);
    await waitFor("a resumption token", async () => token !== undefined);
    await client.close();
    await abandoned;

    const other = await connect(second!.url);
    const resumed = (await other.callTool({ name: "research", arguments: request }, undefined, {
      timeout: 170_000,
      resumptionToken: token,
    })) as CallToolResult;
    expect(resumed.isError).toBeFalsy();
    const id = (resumed.structuredContent as { taskId: string }).taskId;
    const task = await completed(second!, id);
    expect(text(resumed)).toBe(task.result.report);

    // A call whose task was never created (its process died at once) says to call again.
    const never = encodeMcpEventId({ task: "f".repeat(32), after: 0, request: 1 });
    const lost = (await other.callTool({ name: "research", arguments: request }, undefined, {
      resumptionToken: never,
    })) as CallToolResult;
    expect(lost.isError).toBe(true);
    expect(text(lost)).toMatch(/Call it again/);
  });
});
