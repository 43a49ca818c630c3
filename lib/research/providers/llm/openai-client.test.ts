import type http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError } from "../../../errors";
import { instantRuntime, startServer, streamAnswer } from "../../testing/fixtures";
import { createOpenAiClient } from "./openai-client";

type Reply = (response: http.ServerResponse, body: Record<string, unknown>) => void;

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function setup(replies: Reply[], options: { maxRetries?: number } = {}) {
  const requests: { headers: http.IncomingHttpHeaders; body: Record<string, unknown>; path: string }[] = [];
  const server = await startServer((request, response, raw) => {
    const body = JSON.parse(raw) as Record<string, unknown>;
    requests.push({ headers: request.headers, body, path: request.url ?? "" });
    const reply = replies[Math.min(requests.length - 1, replies.length - 1)]!;
    reply(response, body);
  });
  close = server.close;
  const runtime = instantRuntime();
  const client = createOpenAiClient({
    baseUrl: `${server.url}/v1/`,
    apiKey: "sk-test",
    model: "test-model",
    timeoutMs: 5000,
    maxRetries: options.maxRetries ?? 3,
    runtime,
  });
  return { client, requests, runtime };
}

const ask = [{ role: "user" as const, content: "Say hello" }];

describe("OpenAI-compatible client", () => {
  it("streams an answer over server-sent events", async () => {
    const { client, requests } = await setup([
      (response) => streamAnswer(response, ["Hel", "lo, ", "world"]),
    ]);
    const deltas: string[] = [];
    const text = await client.chat({ messages: ask, onDelta: async (delta) => void deltas.push(delta) });
    expect(text).toBe("Hello, world");
    expect(deltas.join("")).toBe("Hello, world");
    expect(requests[0]!.path).toBe("/v1/chat/completions");
    expect(requests[0]!.headers.authorization).toBe("Bearer sk-test");
    expect(requests[0]!.body).toMatchObject({ model: "test-model", stream: true, messages: ask });
  });

  it("waits as long as Retry-After says after a 429, then succeeds", async () => {
    const { client, requests, runtime } = await setup([
      (response) => {
        response.writeHead(429, { "content-type": "application/json", "retry-after": "7" });
        response.end(JSON.stringify({ error: { message: "Rate limit reached", type: "rate_limit" } }));
      },
      (response) => streamAnswer(response, ["ok"]),
    ]);
    expect(await client.chat({ messages: ask })).toBe("ok");
    expect(requests).toHaveLength(2);
    expect(runtime.sleeps).toEqual([7000]);
  });

  it("retries a 500 and a stream cut before [DONE] with exponential backoff", async () => {
    const { client, requests, runtime } = await setup([
      (response) => {
        response.writeHead(500);
        response.end("upstream exploded");
      },
      (response) => streamAnswer(response, ["partial"], { done: false }),
      (response) => streamAnswer(response, ["fine"]),
    ]);
    expect(await client.chat({ messages: ask })).toBe("fine");
    expect(requests).toHaveLength(3);
    // random() = 0.5: half the ceiling plus a quarter of it — 500 ms then 1000 ms ceilings.
    expect(runtime.sleeps).toEqual([375, 750]);
  });

  it("gives up after the configured retries with a retryable error", async () => {
    const { client, requests } = await setup(
      [
        (response) => {
          response.writeHead(503);
          response.end("busy");
        },
      ],
      { maxRetries: 2 },
    );
    const error = await client.chat({ messages: ask }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "provider_error", retryable: true });
    expect((error as Error).message).toMatch(/HTTP 503: busy/);
    expect(requests).toHaveLength(3);
  });

  it("fails at once on a permanent error, with the provider's message", async () => {
    const { client, requests } = await setup([
      (response) => {
        response.writeHead(401, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: "Incorrect API key provided" } }));
      },
    ]);
    const error = await client.chat({ messages: ask }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "provider_error", retryable: false });
    expect((error as Error).message).toMatch(/Incorrect API key provided/);
    expect(requests).toHaveLength(1);
  });

  it("does not retry once part of a streamed answer was passed on", async () => {
    const { client, requests } = await setup([
      (response) => streamAnswer(response, ["# Title\n", "Some"], { done: false }),
    ]);
    const error = await client
      .chat({ messages: ask, onDelta: async () => undefined })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: "provider_error",
      retryable: true,
      details: { partial: "# Title\nSome" },
    });
    expect(requests).toHaveLength(1);
  });

  const schema = z.object({ queries: z.array(z.string()).min(1) });

  it("parses structured answers tolerantly (code fences) and asks for JSON", async () => {
    const { client, requests } = await setup([
      (response) => streamAnswer(response, ["```json\n", '{"queries": ["a", "b"]}', "\n```"]),
    ]);
    expect(await client.chatJson(schema, { messages: ask })).toEqual({ queries: ["a", "b"] });
    expect(requests[0]!.body.response_format).toEqual({ type: "json_object" });
  });

  it("asks again after a malformed answer", async () => {
    const { client, requests } = await setup([
      (response) => streamAnswer(response, ["Sure! Here are queries: a, b"]),
      (response) => streamAnswer(response, ['{"queries": ["a"]}']),
    ]);
    expect(await client.chatJson(schema, { messages: ask })).toEqual({ queries: ["a"] });
    const retry = requests[1]!.body.messages as { role: string; content: string }[];
    expect(retry.at(-1)?.content).toMatch(/invalid: not JSON/);
  });

  it("fails with a clear, permanent error when the answer stays malformed", async () => {
    const { client, requests } = await setup([(response) => streamAnswer(response, ['{"queries": []}'])]);
    const error = await client.chatJson(schema, { messages: ask }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "provider_error", retryable: false });
    expect((error as Error).message).toMatch(/did not return valid JSON after 3 attempts: queries: /);
    expect(requests).toHaveLength(3);
  });

  it("accepts a server that answers without streaming", async () => {
    const { client } = await setup([
      (response) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ choices: [{ message: { role: "assistant", content: "plain" } }] }));
      },
    ]);
    expect(await client.chat({ messages: ask })).toBe("plain");
  });
});
