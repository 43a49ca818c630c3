import { afterEach, describe, expect, it } from "vitest";
import { instantRuntime, startServer } from "../../testing/fixtures";
import { createSearxngSearch } from "./searxng";
import { createTavilySearch } from "./tavily";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe("SearXNG provider", () => {
  it("queries the JSON API and maps results", async () => {
    const seen: URL[] = [];
    const server = await startServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://localhost");
      seen.push(url);
      response.setHeader("content-type", "application/json");
      response.end(
        JSON.stringify({
          query: url.searchParams.get("q"),
          number_of_results: 3,
          results: [
            { url: "https://example.org/a", title: "A", content: "About A", engine: "duckduckgo", score: 1 },
            { url: "https://example.org/a", title: "A again", content: "dup" },
            { url: "https://example.org/b", title: "B", content: null },
            { url: "ftp://example.org/c", title: "C", content: "not http" },
            { url: "https://example.org/d", title: "", content: "D" },
          ],
          answers: [],
          suggestions: [],
        }),
      );
    });
    close = server.close;
    const search = createSearxngSearch({ baseUrl: `${server.url}/searx`, runtime: instantRuntime() });
    const results = await search.search("erie canal", { maxResults: 3, language: "en" });
    expect(seen[0]!.pathname).toBe("/searx/search");
    expect(Object.fromEntries(seen[0]!.searchParams)).toEqual({
      q: "erie canal",
      format: "json",
      language: "en",
    });
    expect(results).toEqual([
      { title: "A", url: "https://example.org/a", snippet: "About A" },
      { title: "B", url: "https://example.org/b", snippet: "" },
      { title: "https://example.org/d", url: "https://example.org/d", snippet: "D" },
    ]);
  });

  it("retries a 502 and reports a disabled JSON format as a permanent error", async () => {
    let calls = 0;
    const server = await startServer((request, response) => {
      calls++;
      if (request.url?.includes("q=flaky") && calls === 1) {
        response.statusCode = 502;
        response.end("Bad gateway");
        return;
      }
      if (request.url?.includes("q=flaky")) {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ results: [] }));
        return;
      }
      response.statusCode = 403;
      response.end("Forbidden");
    });
    close = server.close;
    const runtime = instantRuntime();
    const search = createSearxngSearch({ baseUrl: server.url, runtime });
    expect(await search.search("flaky", { maxResults: 5, language: "en" })).toEqual([]);
    expect(runtime.sleeps).toHaveLength(1);
    await expect(search.search("forbidden", { maxResults: 5, language: "en" })).rejects.toMatchObject({
      code: "provider_error",
      retryable: false,
      message: expect.stringMatching(/SearXNG answered HTTP 403: Forbidden/),
    });
  });

  it("rejects an answer that is not the expected JSON", async () => {
    const server = await startServer((_request, response) => {
      response.setHeader("content-type", "text/html");
      response.end("<html>search page</html>");
    });
    close = server.close;
    const search = createSearxngSearch({ baseUrl: server.url, runtime: instantRuntime() });
    await expect(search.search("x", { maxResults: 5, language: "en" })).rejects.toMatchObject({
      retryable: false,
    });
  });
});

describe("Tavily provider", () => {
  it("posts the query with the bearer key and maps results with their page text", async () => {
    const requests: { authorization?: string; body: Record<string, unknown>; path?: string }[] = [];
    const server = await startServer((request, response, body) => {
      requests.push({
        authorization: request.headers.authorization,
        body: JSON.parse(body),
        path: request.url,
      });
      if (request.headers.authorization !== "Bearer tvly-secret") {
        response.writeHead(401, { "content-type": "application/json" });
        response.end(JSON.stringify({ detail: { error: "Unauthorized: missing or invalid API key." } }));
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          query: "erie canal",
          answer: null,
          images: [],
          results: [
            {
              title: "Erie Canal",
              url: "https://example.org/erie",
              content: "The canal opened in 1825.",
              score: 0.9,
              raw_content: "Full text of the page.",
            },
            {
              title: "Canal history",
              url: "https://example.org/history",
              content: "Canals.",
              score: 0.5,
              raw_content: null,
            },
          ],
          response_time: 1.2,
        }),
      );
    });
    close = server.close;
    const search = createTavilySearch({
      apiKey: "tvly-secret",
      baseUrl: `${server.url}/`,
      runtime: instantRuntime(),
    });
    const results = await search.search("erie canal", { maxResults: 2, language: "en" });
    expect(requests[0]).toMatchObject({
      authorization: "Bearer tvly-secret",
      path: "/search",
      body: { query: "erie canal", max_results: 2, include_raw_content: true },
    });
    expect(results).toEqual([
      {
        title: "Erie Canal",
        url: "https://example.org/erie",
        snippet: "The canal opened in 1825.",
        content: "Full text of the page.",
      },
      { title: "Canal history", url: "https://example.org/history", snippet: "Canals." },
    ]);

    const wrongKey = createTavilySearch({ apiKey: "nope", baseUrl: server.url, runtime: instantRuntime() });
    await expect(wrongKey.search("x", { maxResults: 1, language: "en" })).rejects.toMatchObject({
      code: "provider_error",
      retryable: false,
      message: expect.stringMatching(/HTTP 401: .*invalid API key/),
    });
  });

  it("treats a 429 as transient and honours Retry-After", async () => {
    let calls = 0;
    const server = await startServer((_request, response) => {
      calls++;
      if (calls === 1) {
        response.writeHead(429, { "retry-after": "3" });
        response.end("slow down");
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ results: [] }));
    });
    close = server.close;
    const runtime = instantRuntime();
    const search = createTavilySearch({ apiKey: "k", baseUrl: server.url, runtime });
    expect(await search.search("x", { maxResults: 1, language: "en" })).toEqual([]);
    expect(runtime.sleeps).toEqual([3000]);
  });
});
