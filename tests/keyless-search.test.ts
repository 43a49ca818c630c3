import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server";
import { getJson, outputText, readSse } from "./support/sse";

/**
 * Research with a keyless search source, end to end: the real server, a
 * request naming `wikipedia`, and a MediaWiki stand-in on loopback speaking
 * the Action API. Every result comes with its introduction, so no page is
 * fetched and loopback stays refused to the page reader.
 */

const ARTICLES = [
  {
    pageid: 9652,
    title: "Erie Canal",
    extract:
      "The Erie Canal is a historic canal in upstate New York that runs east–west between the Hudson River and Lake Erie. Completed in 1825, the canal was the first navigable waterway connecting the Atlantic Ocean to the Great Lakes, vastly reducing the costs of transporting people and goods across the Appalachians. The canal fueled the growth of New York City and the settlement of the Midwest.",
  },
  {
    pageid: 21303,
    title: "DeWitt Clinton",
    extract:
      "DeWitt Clinton was an American politician and naturalist who served as a United States senator, mayor of New York City and the sixth governor of New York. As governor he was largely responsible for the construction of the Erie Canal, which his opponents mocked as Clinton's Ditch before its opening in 1825 made the state the gateway to the West.",
  },
];

describe("keyless search", () => {
  let wiki: http.Server;
  let wikiUrl: string;
  let server: TestServer;
  const searches: string[] = [];

  beforeAll(async () => {
    wiki = http.createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://x");
      response.setHeader("content-type", "application/json; charset=utf-8");
      if (url.pathname !== "/w/api.php") {
        response.statusCode = 404;
        response.end(JSON.stringify({ error: { code: "notfound", info: url.pathname } }));
        return;
      }
      if (url.searchParams.get("list") === "search") {
        searches.push(url.searchParams.get("srsearch") ?? "");
        const limit = Number(url.searchParams.get("srlimit") ?? "10");
        response.end(
          JSON.stringify({
            batchcomplete: true,
            query: {
              searchinfo: { totalhits: ARTICLES.length },
              search: ARTICLES.slice(0, limit).map((article) => ({
                ns: 0,
                title: article.title,
                pageid: article.pageid,
                snippet: `The <span class="searchmatch">${article.title}</span> &amp; the canal`,
                titlesnippet: article.title,
              })),
            },
          }),
        );
        return;
      }
      const ids = (url.searchParams.get("pageids") ?? "").split("|").map(Number);
      response.end(
        JSON.stringify({
          batchcomplete: true,
          query: {
            pages: ARTICLES.filter((article) => ids.includes(article.pageid)).map((article) => ({
              ns: 0,
              ...article,
            })),
          },
        }),
      );
    });
    await new Promise<void>((resolve) => wiki.listen(0, "127.0.0.1", resolve));
    wikiUrl = `http://127.0.0.1:${(wiki.address() as AddressInfo).port}`;
    server = await startServer({ env: { WIKIPEDIA_BASE_URL: wikiUrl } });
  });

  afterAll(async () => {
    await server?.stop();
    await new Promise<void>((resolve) => (wiki ? wiki.close(() => resolve()) : resolve()));
  });

  it("lists wikipedia and arxiv as configured without keys", async () => {
    const { status, body } = await getJson(`${server.url}/api/providers`);
    expect(status).toBe(200);
    expect(body.search).toEqual(
      expect.arrayContaining([
        { name: "wikipedia", configured: true, default: false },
        { name: "arxiv", configured: true, default: false },
      ]),
    );
  });

  it("completes a research whose sources are the wiki's pages", async () => {
    const stream = await readSse(`${server.url}/api/research`, {
      method: "POST",
      body: {
        query: "How did the Erie Canal change New York?",
        depth: 1,
        breadth: 1,
        search: { provider: "wikipedia", maxResults: 2 },
      },
    });
    expect(stream.numbered.at(-1)?.event).toBe("done");
    expect(searches.length).toBeGreaterThan(0);

    const id = stream.headers.get("x-task-id")!;
    const { body: task } = await getJson(`${server.url}/api/tasks/${id}`);
    expect(task.status).toBe("completed");
    expect(task.request.search).toEqual({ provider: "wikipedia", maxResults: 2 });
    const urls = task.result.sources.map((source: { url?: string }) => source.url);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      expect([`${wikiUrl}/wiki/Erie_Canal`, `${wikiUrl}/wiki/DeWitt_Clinton`]).toContain(url);
    }
    // Read from the introductions the API gave, not from a page fetch (loopback is refused).
    for (const source of task.result.sources) expect(source.unreadable).toBeUndefined();
    expect(task.result.report).toContain(`](${wikiUrl}/wiki/`);
    expect(outputText(stream.events)).toBe(task.result.report);

    const sourceEvents = stream.events.filter((event) => event.event === "source");
    expect(sourceEvents.map((event) => event.data.url)).toEqual(expect.arrayContaining(urls));
  });

  it("takes the provider from GET parameters too", async () => {
    const stream = await readSse(
      `${server.url}/api/research?query=${encodeURIComponent("Who was DeWitt Clinton?")}&depth=1&breadth=1&search=wikipedia`,
    );
    expect(stream.numbered.at(-1)?.event).toBe("done");
    const id = stream.headers.get("x-task-id")!;
    const { body: task } = await getJson(`${server.url}/api/tasks/${id}`);
    expect(task.status).toBe("completed");
    expect(task.request.search.provider).toBe("wikipedia");
    expect(task.result.sources.length).toBeGreaterThan(0);
  });

  it("mixes a collection with the wiki in hybrid search", async () => {
    const stream = await readSse(`${server.url}/api/research`, {
      method: "POST",
      body: {
        query: "How did the Erie Canal change New York?",
        depth: 1,
        breadth: 1,
        search: { provider: "hybrid", web: "wikipedia", maxResults: 4 },
      },
    });
    expect(stream.numbered.at(-1)?.event).toBe("done");
    const { body: task } = await getJson(`${server.url}/api/tasks/${stream.headers.get("x-task-id")}`);
    expect(task.status).toBe("completed");
    expect(task.request.search).toEqual({ provider: "hybrid", maxResults: 4, web: "wikipedia" });
    // Found on both sides: pages of the wiki and addresses of the built-in collection.
    const found = stream.events.filter((event) => event.event === "source").map((event) => event.data);
    expect(found.some((source) => source.url?.startsWith(`${wikiUrl}/wiki/`))).toBe(true);
    expect(found.some((source) => source.documentRef?.startsWith("sotu:"))).toBe(true);
    expect(outputText(stream.events)).toBe(task.result.report);
  });
});
