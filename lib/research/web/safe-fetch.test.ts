import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../testing/fixtures";
import { FetchRefusedError } from "./fetch-refused-error";
import { createPageReader } from "./page-reader";
import { safeFetch } from "./safe-fetch";

const article = `<html><head><title>The Erie Canal</title></head><body>
<nav>Home · About · Contact</nav>
<article><h1>The Erie Canal</h1>
${Array.from({ length: 6 }, (_, index) => `<p>Paragraph ${index + 1}: the Erie Canal opened in 1825 and connected the Hudson River to Lake Erie, cutting the cost of moving goods from the Great Lakes to New York City.</p>`).join("\n")}
</article><footer>© Canal Society</footer></body></html>`;

let server: Awaited<ReturnType<typeof startServer>>;
const hosts: string[] = [];

beforeAll(async () => {
  server = await startServer((request, response) => {
    hosts.push(request.headers.host ?? "");
    const url = new URL(request.url ?? "/", "http://localhost");
    switch (url.pathname) {
      case "/article":
        response.setHeader("content-type", "text/html; charset=utf-8");
        response.end(article);
        return;
      case "/gzip":
        response.setHeader("content-type", "text/html");
        response.setHeader("content-encoding", "gzip");
        response.end(gzipSync(article));
        return;
      case "/big":
        response.setHeader("content-type", "text/plain");
        response.end("x".repeat(100_000));
        return;
      case "/redirect":
        response.statusCode = 302;
        response.setHeader("location", url.searchParams.get("to") ?? "/article");
        response.end();
        return;
      case "/loop":
        response.statusCode = 301;
        response.setHeader("location", "/loop");
        response.end();
        return;
      case "/image":
        response.setHeader("content-type", "image/png");
        response.end(Buffer.alloc(10));
        return;
      default:
        response.statusCode = 404;
        response.end("not found");
    }
  });
});

afterAll(async () => {
  await server.close();
});

const local = (address: string) => address === "127.0.0.1";

describe("safeFetch", () => {
  it("refuses loopback and private targets by default, in any spelling", async () => {
    for (const host of [
      "127.0.0.1",
      "127.1",
      "0x7f000001",
      "2130706433",
      "[::ffff:127.0.0.1]",
      "[::1]",
      "169.254.169.254",
      "10.0.0.1",
      "100.64.0.1",
      "[fc00::1]",
    ]) {
      await expect(safeFetch(`http://${host}:${server.port}/article`)).rejects.toBeInstanceOf(
        FetchRefusedError,
      );
    }
  });

  it("refuses a host name that resolves to loopback or a private address", async () => {
    await expect(safeFetch(`http://localhost:${server.port}/article`)).rejects.toThrow(
      /not a public address/,
    );
    await expect(
      safeFetch("http://internal.example/", { resolve: async () => [{ address: "10.1.2.3", family: 4 }] }),
    ).rejects.toThrow(/10\.1\.2\.3 is not a public address/);
    // One private answer among public ones is enough to refuse.
    await expect(
      safeFetch("http://mixed.example/", {
        resolve: async () => [
          { address: "93.184.216.34", family: 4 },
          { address: "127.0.0.1", family: 4 },
        ],
      }),
    ).rejects.toThrow(/not a public address/);
  });

  it("refuses other schemes and credentials", async () => {
    await expect(safeFetch("file:///etc/passwd")).rejects.toThrow(/file:/);
    await expect(
      safeFetch(`http://user:secret@127.0.0.1:${server.port}/`, { allowPrivate: true }),
    ).rejects.toThrow(/credentials/);
  });

  it("fetches a local server when private addresses are allowed", async () => {
    const page = await safeFetch(`${server.url}/article`, { allowPrivate: true });
    expect(page.status).toBe(200);
    expect(page.body).toContain("Erie Canal");
    expect(page.truncated).toBe(false);
  });

  it("connects to the address it checked, whatever the name would resolve to later", async () => {
    hosts.length = 0;
    let lookups = 0;
    const page = await safeFetch(`http://canal.example:${server.port}/article`, {
      allowAddress: local,
      resolve: async () => {
        lookups++;
        return [{ address: "127.0.0.1", family: 4 }];
      },
    });
    expect(page.body).toContain("Erie Canal");
    expect(lookups).toBe(1);
    expect(hosts).toEqual([`canal.example:${server.port}`]);
  });

  it("checks every redirect hop", async () => {
    const followed = await safeFetch(`${server.url}/redirect?to=/article`, { allowAddress: local });
    expect(followed.url).toBe(`${server.url}/article`);
    for (const target of [
      "http://169.254.169.254/latest/meta-data/",
      "http://10.0.0.1/",
      "http://[::1]/",
      "http://0x7f.2/",
    ]) {
      await expect(
        safeFetch(`${server.url}/redirect?to=${encodeURIComponent(target)}`, { allowAddress: local }),
      ).rejects.toThrow(/not a public address/);
    }
    await expect(safeFetch(`${server.url}/loop`, { allowAddress: local })).rejects.toThrow(
      /More than 5 redirects/,
    );
  });

  it("caps the body, decompresses and refuses non-text documents", async () => {
    const big = await safeFetch(`${server.url}/big`, { allowPrivate: true, maxBytes: 1000 });
    expect(big.body.length).toBe(1000);
    expect(big.truncated).toBe(true);
    const gzipped = await safeFetch(`${server.url}/gzip`, { allowPrivate: true });
    expect(gzipped.body).toContain("Erie Canal");
    await expect(safeFetch(`${server.url}/image`, { allowPrivate: true })).rejects.toThrow(
      /Not a text document/,
    );
  });
});

describe("page reader", () => {
  const reader = createPageReader({
    fetchPage: (url, signal) => safeFetch(url, { allowAddress: local, signal }),
  });

  it("extracts the main text with Readability and keeps the relevant passages", async () => {
    const document = await reader.read(
      { title: "Erie Canal", url: `${server.url}/article`, snippet: "snippet" },
      "When did the Erie Canal open?",
    );
    expect(document?.fromSnippet).toBeUndefined();
    expect(document?.passages.join(" ")).toContain("opened in 1825");
    expect(document?.passages.join(" ")).not.toContain("Home · About");
  });

  it("falls back to the snippet when the page cannot be read", async () => {
    for (const url of [`${server.url}/missing-page-404`, `${server.url}/image`, "http://169.254.169.254/"]) {
      const document = await reader.read({ title: "T", url, snippet: "The canal opened in 1825." }, "canal");
      expect(document).toMatchObject({ passages: ["The canal opened in 1825."], fromSnippet: true });
    }
    expect(await reader.read({ title: "T", url: "http://10.0.0.1/", snippet: "" }, "canal")).toBeUndefined();
  });

  it("uses passages or page content the search provider supplied", async () => {
    expect(
      await reader.read({ title: "Doc", documentRef: "doc:a", snippet: "s", passages: ["p1", "p2"] }, "q"),
    ).toEqual({
      title: "Doc",
      documentRef: "doc:a",
      passages: ["p1", "p2"],
    });
    const content = `${"Unrelated words here. ".repeat(20)}\n\nThe canal opened in 1825 after eight years of work.`;
    const document = await reader.read(
      { title: "T", url: "http://10.0.0.1/", snippet: "s", content },
      "canal opened",
    );
    expect(document?.passages[0]).toContain("opened in 1825");
  });
});
