/**
 * The secret redactor end to end (docs/ARCHITECTURE.md, "Exposure"): a model endpoint that echoes
 * the key it was sent in its 401 answer ("Incorrect API key provided: Bearer
 * sk-…") must not put the key — or any other configured secret — into the
 * task, its event log, the SSE stream, any API answer, the data folder or
 * the server's output. Canaries are planted in every secret variable and
 * searched for everywhere afterwards.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRedisServer, type RedisTestServer, startRedisServer } from "./support/redis";
import { requireBinary } from "./support/require-binary";
import { startServer, type TestServer } from "./support/server";

const OPENAI_KEY = "sk-canaryOPENAI0a1b2c3d4e5f6g7h8";
const TAVILY_KEY = "tvly-canaryTAVILY9z8y7x6w5v";
const API_TOKEN = "canaryFATHOMtoken-5f4e3d2c1b";
const REDIS_PASSWORD = "canaryREDISpw-77aa88bb";
/** The secrets of the file-store server; the Redis one adds its URL's password. */
const FILE_CANARIES = [OPENAI_KEY, TAVILY_KEY, API_TOKEN];
const REDIS_CANARIES = [...FILE_CANARIES, REDIS_PASSWORD];

/**
 * A local server speaking the OpenAI chat-completions wire format that
 * refuses every request with 401, echoing the Authorization header it got —
 * and, like a badly configured proxy's debug output, the other configured
 * secrets (`echo`) too, so each travels the same path as the key.
 */
async function startLeakyModelServer(echo: string[]): Promise<{
  url: string;
  requests: () => number;
  close: () => Promise<void>;
}> {
  let requests = 0;
  const server = http.createServer((request, response) => {
    requests += 1;
    request.resume();
    request.on("end", () => {
      const authorization = request.headers.authorization ?? "(none)";
      response.writeHead(401, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          error: {
            message: `Incorrect API key provided: ${authorization}. Proxy debug: ${echo.join(", ")}.`,
            type: "invalid_request_error",
            param: null,
            code: "invalid_api_key",
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Every file under `dir`, as text (binary files are searched as latin1, which keeps ASCII canaries intact). */
function filesUnder(dir: string): { file: string; text: string }[] {
  const found: { file: string; text: string }[] = [];
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) found.push({ file: full, text: fs.readFileSync(full).toString("latin1") });
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return found;
}

/** The places a canary is looked for, with the first one it was found in. */
function leaks(places: { where: string; text: string }[], canaries: string[]): string[] {
  const found: string[] = [];
  for (const { where, text } of places) {
    for (const canary of canaries) {
      if (text.includes(canary) || text.includes(encodeURIComponent(canary)))
        found.push(`${canary} in ${where}`);
    }
  }
  return found;
}

const auth = { Authorization: `Bearer ${API_TOKEN}` };

/** A server whose model is the leaky one, with a canary in every secret variable. */
function leakyEnv(modelUrl: string): Record<string, string> {
  return {
    OPENAI_BASE_URL: modelUrl,
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_MAX_RETRIES: "0",
    STEP_MAX_RETRIES: "0",
    TAVILY_API_KEY: TAVILY_KEY,
    FATHOM_API_TOKEN: API_TOKEN,
    LOG_LEVEL: "debug",
  };
}

interface Scenario {
  server: TestServer;
  answers: { where: string; text: string }[];
}

/** Runs one task against the leaky model, collecting every answer the API gave. */
async function runLeakyTask(server: TestServer): Promise<Scenario> {
  const answers: { where: string; text: string }[] = [];
  const record = async (where: string, response: Response) => {
    const text = await response.text();
    answers.push({
      where: `${where} (HTTP ${response.status})`,
      text: `${[...response.headers].join("\n")}\n${text}`,
    });
    return text;
  };

  // The stream of a new task, read to its end (the task fails at its first model call).
  const stream = await fetch(`${server.url}/api/research`, {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify({
      query: "What did presidents say about tariffs?",
      depth: 1,
      breadth: 1,
      llm: { provider: "openai" },
    }),
    signal: AbortSignal.timeout(90_000),
  });
  expect(stream.status).toBe(200);
  const id = stream.headers.get("x-task-id")!;
  const sse = await record("POST /api/research stream", stream);
  expect(sse).toMatch(/event: done/);

  const taskText = await record(
    "GET /api/tasks/:id",
    await fetch(`${server.url}/api/tasks/${id}`, { headers: auth }),
  );
  const task = JSON.parse(taskText);
  expect(task.status).toBe("failed");
  // The provider's message is kept — only the secrets are gone from it.
  expect(task.error.message).toContain("Incorrect API key provided");
  expect(task.error.message).toContain("[redacted]");
  const failedAttempt = task.attempts.find((attempt: { error: string | null }) => attempt.error);
  expect(failedAttempt.error).toContain("Incorrect API key provided");

  await record("GET /api/tasks", await fetch(`${server.url}/api/tasks`, { headers: auth }));
  await record(
    "GET /api/tasks/:id/events replay",
    await fetch(`${server.url}/api/tasks/${id}/events?lastEventId=0`, {
      headers: auth,
      signal: AbortSignal.timeout(30_000),
    }),
  );
  await record(
    "GET /api/research reconnect",
    await fetch(
      `${server.url}/api/research?query=${encodeURIComponent("What did presidents say about tariffs?")}&depth=1&breadth=1&llm=openai&lastEventId=0&token=${API_TOKEN}`,
      { signal: AbortSignal.timeout(30_000) },
    ),
  );
  // A second run of the failed task: the same path again (a retry), so attempts[] holds two errors.
  const retry = await fetch(`${server.url}/api/research`, {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify({
      query: "What did presidents say about tariffs?",
      depth: 1,
      breadth: 1,
      llm: { provider: "openai" },
    }),
    signal: AbortSignal.timeout(90_000),
  });
  await record("POST /api/research retry stream", retry);
  await record(
    "GET /api/tasks/:id after retry",
    await fetch(`${server.url}/api/tasks/${id}`, { headers: auth }),
  );
  await record("GET /api/metrics", await fetch(`${server.url}/api/metrics`, { headers: auth }));
  await record(
    "wrong token",
    await fetch(`${server.url}/api/tasks`, { headers: { Authorization: "Bearer nope" } }),
  );
  return { server, answers };
}

describe("secret redaction (file store)", () => {
  let model: Awaited<ReturnType<typeof startLeakyModelServer>>;
  let server: TestServer;

  beforeAll(async () => {
    model = await startLeakyModelServer(FILE_CANARIES);
    server = await startServer({
      env: {
        ...leakyEnv(model.url),
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await model?.close();
  });

  it("keeps every configured secret out of the task, the stream, the API, the data folder and the server log", async () => {
    const { answers } = await runLeakyTask(server);
    expect(model.requests()).toBeGreaterThan(0);
    await server.stop();
    const files = filesUnder(server.dataDir);
    expect(files.some(({ file }) => file.endsWith(".json"))).toBe(true);
    expect(
      leaks(
        [
          ...answers,
          ...files.map(({ file, text }) => ({ where: path.relative(server.dataDir, file), text })),
          { where: "server output", text: server.output() },
        ],
        FILE_CANARIES,
      ),
    ).toEqual([]);
    // The failure itself was logged (with the secrets removed).
    expect(server.output()).toContain("task.failed");
  });
});

const redisBinary = findRedisServer();
requireBinary(
  "secret redaction (redis store)",
  redisBinary !== null,
  'The Redis case needs "redis-server" on the PATH (Debian package "redis-server").',
);

describe.skipIf(!redisBinary)("secret redaction (redis store with a password)", () => {
  let model: Awaited<ReturnType<typeof startLeakyModelServer>>;
  let redis: RedisTestServer;
  let server: TestServer;

  beforeAll(async () => {
    model = await startLeakyModelServer(REDIS_CANARIES);
    redis = await startRedisServer(redisBinary!);
    const admin = new Redis(redis.port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    await admin.config("SET", "requirepass", REDIS_PASSWORD);
    admin.disconnect();
    server = await startServer({
      env: {
        TASK_STORE: `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}/0`,
        ...leakyEnv(model.url),
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
    await model?.close();
  });

  it("keeps every secret, the Redis password included, out of Redis, the API and the server log", async () => {
    const { answers } = await runLeakyTask(server);
    await server.stop();
    // The append-only file holds every write Redis took, as plain commands
    // (not rewritten: a rewrite could compress values in an RDB preamble).
    const files = filesUnder(redis.dir);
    expect(files.some(({ text }) => text.includes("Incorrect API key provided"))).toBe(true);
    expect(
      leaks(
        [
          ...answers,
          ...files.map(({ file, text }) => ({ where: `redis ${path.basename(file)}`, text })),
          ...filesUnder(server.dataDir).map(({ file, text }) => ({
            where: path.relative(server.dataDir, file),
            text,
          })),
          { where: "server output", text: server.output() },
        ],
        REDIS_CANARIES,
      ),
    ).toEqual([]);
  });
});
