import { mkdtempSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { type Config, parseConfig } from "../../config";
import { type NormalizedRequest, normalizeRequest, researchRequestSchema } from "../../model/request";
import type { ClientRuntime } from "../providers/provider-http";

/** Test helpers shared by the research suites (never imported by production code). */

/** A fresh temporary directory. */
export function temporaryDirectory(prefix = "fathom-research-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A configuration whose data directory is `dataDir`, plus environment overrides. */
export function testConfig(dataDir: string, environment: Record<string, string> = {}): Config {
  return parseConfig({ TASK_STORAGE_DIR: path.join(dataDir, "tasks"), ...environment });
}

/** A normalized request (defaults: offline writer, local search). */
export function testRequest(body: Record<string, unknown>): NormalizedRequest {
  return normalizeRequest(researchRequestSchema.parse(body), {
    llmProvider: "offline",
    searchProvider: "local",
    models: { openai: "test-model" },
    collection: "sotu",
  });
}

/** A client runtime whose sleeps return at once and are recorded. */
export function instantRuntime(
  fetchImplementation: typeof fetch = globalThis.fetch,
): ClientRuntime & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    fetch: fetchImplementation,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    now: () => Date.UTC(2024, 0, 1),
  };
}

/** A local HTTP server on 127.0.0.1 (port 0) for protocol tests. */
export async function startServer(
  handler: (
    request: http.IncomingMessage,
    response: http.ServerResponse,
    body: string,
  ) => void | Promise<void>,
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      Promise.resolve(handler(request, response, Buffer.concat(chunks).toString("utf8"))).catch(
        (error: unknown) => {
          response.statusCode = 500;
          response.end(String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes an answer the way Chat Completions streams it: `data:` chunks, then `data: [DONE]`. */
export function streamAnswer(
  response: http.ServerResponse,
  pieces: string[],
  options: { done?: boolean } = {},
): void {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  response.write(": keep-alive\n\n");
  for (const [index, piece] of pieces.entries()) {
    const chunk = {
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      choices: [
        {
          index: 0,
          delta: index === 0 ? { role: "assistant", content: piece } : { content: piece },
          finish_reason: null,
        },
      ],
    };
    response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  if (options.done !== false) {
    response.write(
      `data: ${JSON.stringify({ id: "chatcmpl-1", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`,
    );
    response.write("data: [DONE]\n\n");
  }
  response.end();
}
