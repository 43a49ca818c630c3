import { afterEach, describe, expect, it } from "vitest";
import { instantRuntime, startServer } from "../../testing/fixtures";
import { createWikipediaSearch, pageUrl, wikiBaseUrl } from "./wikipedia";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

const ERIE_INTRO =
  "The Erie Canal is a historic canal in upstate New York that runs east–west between the Hudson River and Lake Erie. Completed in 1825, the canal was the first navigable waterway connecting the Atlantic Ocean to the Great Lakes.";

/** What `list=search` answers (formatversion=2), trimmed from a real response. */
function searchAnswer(query: string) {
  return {
    batchcomplete: true,
    continue: { sroffset: 2, continue: "-||" },
    query: {
      searchinfo: { totalhits: 4221 },
      search: [
        {
          ns: 0,
          title: "Erie Canal",
          pageid: 9652,
          snippet:
            'The <span class="searchmatch">Erie</span> <span class="searchmatch">Canal</span> is a historic canal in upstate New York &amp; the &quot;Grand Canal&quot;',
          titlesnippet: '<span class="searchmatch">Erie</span> <span class="searchmatch">Canal</span>',
        },
        {
          ns: 0,
          title: "AC/DC: Live",
          pageid: 1234,
          snippet: `not about ${query}`,
          titlesnippet: "AC/DC: Live",
        },
      ],
    },
  };
}

describe("Wikipedia provider", () => {
  it("searches, then reads the introductions, and maps results to wiki pages", async () => {
    const seen: URL[] = [];
    const agents: (string | undefined)[] = [];
    const server = await startServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://localhost");
      seen.push(url);
      agents.push(request.headers["user-agent"]);
      response.setHeader("content-type", "application/json; charset=utf-8");
      if (url.searchParams.get("list") === "search") {
        response.end(JSON.stringify(searchAnswer(url.searchParams.get("srsearch") ?? "")));
        return;
      }
      response.end(
        JSON.stringify({
          batchcomplete: true,
          query: {
            pages: [
              { pageid: 9652, ns: 0, title: "Erie Canal", extract: ERIE_INTRO },
              { pageid: 1234, ns: 0, title: "AC/DC: Live", extract: "" },
            ],
          },
        }),
      );
    });
    close = server.close;
    const search = createWikipediaSearch({ baseUrl: `${server.url}/`, runtime: instantRuntime() });
    const results = await search.search("erie canal", { maxResults: 2, language: "en" });

    expect(seen.map((url) => url.pathname)).toEqual(["/w/api.php", "/w/api.php"]);
    expect(Object.fromEntries(seen[0]!.searchParams)).toEqual({
      action: "query",
      list: "search",
      srsearch: "erie canal",
      srlimit: "2",
      srprop: "snippet|titlesnippet",
      format: "json",
      formatversion: "2",
    });
    expect(Object.fromEntries(seen[1]!.searchParams)).toMatchObject({
      action: "query",
      prop: "extracts",
      explaintext: "1",
      exintro: "1",
      pageids: "9652|1234",
    });
    expect(agents[0]).toMatch(/^Fathom\//);
    expect(results).toEqual([
      {
        title: "Erie Canal",
        url: `${server.url}/wiki/Erie_Canal`,
        snippet: 'The Erie Canal is a historic canal in upstate New York & the "Grand Canal"',
        content: ERIE_INTRO,
      },
      {
        title: "AC/DC: Live",
        url: `${server.url}/wiki/AC/DC:_Live`,
        snippet: "not about erie canal",
      },
    ]);
  });

  it("answers an empty result without asking for extracts", async () => {
    let calls = 0;
    const server = await startServer((_request, response) => {
      calls++;
      response.setHeader("content-type", "application/json");
      response.end(
        JSON.stringify({ batchcomplete: true, query: { searchinfo: { totalhits: 0 }, search: [] } }),
      );
    });
    close = server.close;
    const search = createWikipediaSearch({ baseUrl: server.url, runtime: instantRuntime() });
    expect(await search.search("qwxzv", { maxResults: 5, language: "en" })).toEqual([]);
    expect(calls).toBe(1);
  });

  it("waits as long as a 429's Retry-After asks, then succeeds", async () => {
    let calls = 0;
    const server = await startServer((request, response) => {
      calls++;
      if (calls === 1) {
        response.writeHead(429, { "retry-after": "2", "content-type": "text/html" });
        response.end("<html><body>Too many requests</body></html>");
        return;
      }
      response.setHeader("content-type", "application/json");
      const url = new URL(request.url ?? "/", "http://localhost");
      response.end(
        JSON.stringify(
          url.searchParams.get("list") === "search"
            ? searchAnswer("x")
            : { batchcomplete: true, query: { pages: [] } },
        ),
      );
    });
    close = server.close;
    const runtime = instantRuntime();
    const search = createWikipediaSearch({ baseUrl: server.url, runtime });
    const results = await search.search("erie", { maxResults: 1, language: "en" });
    expect(results.map((result) => result.title)).toEqual(["Erie Canal"]);
    expect(runtime.sleeps).toEqual([2000]);
    expect(calls).toBe(3);
  });

  it("refuses a malformed answer and reports API errors by their code", async () => {
    const server = await startServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://localhost");
      response.setHeader("content-type", "application/json");
      const query = url.searchParams.get("srsearch");
      if (query === "html") {
        response.setHeader("content-type", "text/html");
        response.end("<!DOCTYPE html><html><body>Wikimedia Error</body></html>");
      } else if (query === "shape") {
        response.end(JSON.stringify({ query: { search: [{ title: 7 }] } }));
      } else {
        response.end(
          JSON.stringify({
            error: { code: "srsearch-text-disabled", info: "text search is disabled", "*": "See api.php" },
            servedby: "mw1",
          }),
        );
      }
    });
    close = server.close;
    const runtime = instantRuntime();
    const search = createWikipediaSearch({ baseUrl: server.url, runtime });
    const options = { maxResults: 3, language: "en" };
    await expect(search.search("html", options)).rejects.toMatchObject({
      code: "provider_error",
      retryable: false,
      message: expect.stringMatching(/^Wikipedia returned a body that is not JSON: <!DOCTYPE html>/),
    });
    await expect(search.search("shape", options)).rejects.toMatchObject({
      retryable: false,
      message: expect.stringMatching(/^Wikipedia returned an unexpected answer/),
    });
    await expect(search.search("error", options)).rejects.toMatchObject({
      retryable: false,
      message: "Wikipedia answered srsearch-text-disabled: text search is disabled",
    });
    expect(runtime.sleeps).toEqual([]);
  });

  it("stops at once when the request is cancelled", async () => {
    const server = await startServer(() => {
      // Never answers: only the caller's signal ends the request.
    });
    close = server.close;
    const controller = new AbortController();
    const search = createWikipediaSearch({ baseUrl: server.url, runtime: instantRuntime() });
    const pending = search.search("x", { maxResults: 1, language: "en", signal: controller.signal });
    controller.abort(new Error("cancelled"));
    await expect(pending).rejects.toThrow("cancelled");
  });
});

describe("Wikipedia addresses", () => {
  it("picks the wiki of the request's language unless one is configured", () => {
    expect(wikiBaseUrl(undefined, "en")).toBe("https://en.wikipedia.org");
    expect(wikiBaseUrl(undefined, "pt-br")).toBe("https://pt.wikipedia.org");
    expect(wikiBaseUrl(undefined, "nb")).toBe("https://no.wikipedia.org");
    expect(wikiBaseUrl(undefined, "")).toBe("https://en.wikipedia.org");
    expect(wikiBaseUrl("http://127.0.0.1:8080/", "de")).toBe("http://127.0.0.1:8080");
  });

  it("links pages the way the wiki does", () => {
    const base = "https://en.wikipedia.org";
    expect(pageUrl(base, "Erie Canal")).toBe("https://en.wikipedia.org/wiki/Erie_Canal");
    expect(pageUrl(base, "C++ (language)?")).toBe("https://en.wikipedia.org/wiki/C%2B%2B_(language)%3F");
    expect(pageUrl(base, "Zürich")).toBe("https://en.wikipedia.org/wiki/Z%C3%BCrich");
  });
});
