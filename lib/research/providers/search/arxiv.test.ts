import { afterEach, describe, expect, it } from "vitest";
import { instantRuntime, startServer } from "../../testing/fixtures";
import { arxivSearchQuery, createArxivSearch } from "./arxiv";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

const ABSTRACT =
  "We present a new method for training quantum neural networks on near-term devices. The method reduces the number of circuit evaluations by an order of magnitude and is shown on benchmarks of classification and generative modelling.";

/** An arXiv Atom answer, shaped like a real one (namespaces, wrapped titles, both links). */
function feed(entries: string[], total = entries.length): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query?search_query%3Dall%3Aquantum&amp;id_list%3D&amp;start%3D0&amp;max_results%3D2" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=all:quantum&amp;id_list=&amp;start=0&amp;max_results=2</title>
  <id>http://arxiv.org/api/cHxbiOdZaP56ODnBPIenZhzg5f8</id>
  <updated>2024-01-01T00:00:00-05:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">${total}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">2</opensearch:itemsPerPage>
${entries.join("\n")}
</feed>`;
}

const PAPER = `  <entry>
    <id>http://arxiv.org/abs/2401.01234v2</id>
    <updated>2024-02-01T10:00:00Z</updated>
    <published>2024-01-03T18:59:59Z</published>
    <title>Training Quantum Neural Networks
  with Fewer Circuits &amp; Less Noise</title>
    <summary>  ${ABSTRACT.replace(". The", ".\n  The")}
</summary>
    <author>
      <name>Ada Lovelace</name>
    </author>
    <author>
      <name>Alan Turing</name>
      <arxiv:affiliation xmlns:arxiv="http://arxiv.org/schemas/atom">Manchester</arxiv:affiliation>
    </author>
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">12 pages</arxiv:comment>
    <link href="http://arxiv.org/abs/2401.01234v2" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/2401.01234v2" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="quant-ph" scheme="http://arxiv.org/schemas/atom"/>
    <category term="quant-ph" scheme="http://arxiv.org/schemas/atom"/>
  </entry>`;

const SHORT = `  <entry>
    <id>http://arxiv.org/abs/hep-th/9901001v1</id>
    <published>1999-01-01T00:00:00Z</published>
    <title>A Note</title>
    <summary>Short.</summary>
    <author><name>N. N.</name></author>
  </entry>`;

describe("arXiv provider", () => {
  it("queries the Atom API and maps entries with their abstracts", async () => {
    const seen: URL[] = [];
    const server = await startServer((request, response) => {
      seen.push(new URL(request.url ?? "/", "http://localhost"));
      response.setHeader("content-type", "application/atom+xml; charset=utf-8");
      response.end(feed([PAPER, SHORT], 7310));
    });
    close = server.close;
    const search = createArxivSearch({ baseUrl: `${server.url}/`, runtime: instantRuntime() });
    const results = await search.search("How do quantum neural networks train?", {
      maxResults: 2,
      language: "en",
    });
    expect(seen[0]!.pathname).toBe("/api/query");
    expect(Object.fromEntries(seen[0]!.searchParams)).toEqual({
      search_query: "all:quantum OR all:neural OR all:networks OR all:train",
      start: "0",
      max_results: "2",
      sortBy: "relevance",
    });
    expect(results).toEqual([
      {
        title: "Training Quantum Neural Networks with Fewer Circuits & Less Noise",
        url: "https://arxiv.org/abs/2401.01234v2",
        snippet: ABSTRACT,
        content: `Training Quantum Neural Networks with Fewer Circuits & Less Noise\n\nAda Lovelace, Alan Turing · 2024-01-03\n\n${ABSTRACT}`,
      },
      {
        title: "A Note",
        url: "https://arxiv.org/abs/hep-th/9901001v1",
        snippet: "Short.",
        content: "A Note\n\nN. N. · 1999-01-01\n\nShort.",
      },
    ]);
  });

  it("answers an empty feed with no results", async () => {
    const server = await startServer((_request, response) => {
      response.setHeader("content-type", "application/atom+xml");
      response.end(feed([]));
    });
    close = server.close;
    const search = createArxivSearch({ baseUrl: server.url, runtime: instantRuntime() });
    expect(await search.search("qwxzv", { maxResults: 5, language: "en" })).toEqual([]);
  });

  it("waits as long as a 429's Retry-After asks, then succeeds", async () => {
    let calls = 0;
    const server = await startServer((_request, response) => {
      calls++;
      if (calls === 1) {
        response.writeHead(429, { "retry-after": "3", "content-type": "text/plain" });
        response.end("Rate exceeded.");
        return;
      }
      response.setHeader("content-type", "application/atom+xml");
      response.end(feed([SHORT]));
    });
    close = server.close;
    const runtime = instantRuntime();
    const search = createArxivSearch({ baseUrl: server.url, runtime });
    const results = await search.search("note", { maxResults: 5, language: "en" });
    expect(results.map((result) => result.title)).toEqual(["A Note"]);
    expect(runtime.sleeps).toEqual([3000]);
  });

  it("refuses an answer that is not an Atom feed, and says why arXiv refused a query", async () => {
    const server = await startServer((request, response) => {
      const query = new URL(request.url ?? "/", "http://localhost").searchParams.get("search_query");
      if (query === "all:html") {
        response.setHeader("content-type", "text/html");
        response.end("<html><body><h1>Service unavailable</h1></body></html>");
      } else if (query === "all:noid") {
        response.setHeader("content-type", "application/atom+xml");
        response.end(feed(["<entry><title>No id</title><summary>x</summary></entry>"]));
      } else {
        response.writeHead(400, { "content-type": "application/atom+xml" });
        response.end(
          feed([
            `<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id><title>Error</title><summary>incorrect id format for 1234</summary><updated>2024-01-01T00:00:00-05:00</updated><link href="http://arxiv.org/api/errors#incorrect_id_format_for_1234" rel="alternate" type="text/html"/><author><name>arXiv api core</name></author></entry>`,
          ]),
        );
      }
    });
    close = server.close;
    const runtime = instantRuntime();
    const search = createArxivSearch({ baseUrl: server.url, runtime });
    const options = { maxResults: 3, language: "en" };
    await expect(search.search("html", options)).rejects.toMatchObject({
      code: "provider_error",
      retryable: false,
      message: expect.stringMatching(/^arXiv returned an answer that is not an Atom feed: <html>/),
    });
    await expect(search.search("noid", options)).rejects.toMatchObject({
      retryable: false,
      message: "arXiv returned an unexpected entry: an entry has no <id>",
    });
    await expect(search.search("bad", options)).rejects.toMatchObject({
      retryable: false,
      message: "arXiv refused the query: incorrect id format for 1234",
    });
    expect(runtime.sleeps).toEqual([]);
  });

  it("sends no request for a query without words", async () => {
    const search = createArxivSearch({
      baseUrl: "http://127.0.0.1:9",
      runtime: instantRuntime(() => Promise.reject(new Error("no request expected"))),
    });
    expect(await search.search("?! …", { maxResults: 3, language: "en" })).toEqual([]);
  });
});

describe("arXiv query", () => {
  it("keeps content words and drops arXiv's own syntax", () => {
    expect(arxivSearchQuery('ti:"dark matter" AND (halo OR profiles)')).toBe(
      "all:ti OR all:dark OR all:matter OR all:halo OR all:profiles",
    );
    expect(arxivSearchQuery("What is it?")).toBe("all:what OR all:is OR all:it");
    expect(arxivSearchQuery("Schrödinger équation")).toBe("all:schrödinger OR all:équation");
  });
});
