import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusalFields } from "../create-providers";
import { sourcesSection } from "../report/sources-section";
import { createPageReader } from "./page-reader";
import { safeFetch } from "./safe-fetch";

describe("page reader and refused URLs", () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((_request, response) => {
      response.setHeader("Content-Type", "text/html");
      response.end(`<html><body><article><p>${"Internal secrets. ".repeat(40)}</p></article></body></html>`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("marks a page the address guard refuses as unreadable, reports the refusal, and keeps the snippet", async () => {
    const refused: [string, string][] = [];
    const reader = createPageReader({
      fetchPage: (url, signal) => safeFetch(url, { signal }),
      onRefused: (url, reason) => refused.push([url, reason]),
    });
    const url = `${base}/admin?token=s3cret`;
    const document = await reader.read(
      { title: "Admin", url, snippet: "A snippet from the search engine." },
      "q",
    );
    expect(document).toMatchObject({
      title: "Admin",
      url,
      passages: ["A snippet from the search engine."],
      fromSnippet: true,
      unreadable: expect.stringMatching(/127\.0\.0\.1|private|loopback/i),
    });
    expect(refused).toHaveLength(1);
    // The log line names the host and the reason, never the path or query.
    const fields = refusalFields(refused[0]![0], `${refused[0]![1]} (${url})`);
    expect(fields.host).toBe(new URL(base).host);
    expect(JSON.stringify(fields)).not.toMatch(/s3cret|admin/);
  });

  it("reads the same page when private addresses are allowed: nothing is marked", async () => {
    const reader = createPageReader({
      fetchPage: (url, signal) => safeFetch(url, { signal, allowPrivate: true }),
    });
    const document = await reader.read({ title: "Admin", url: `${base}/admin`, snippet: "s" }, "secrets");
    expect(document?.unreadable).toBeUndefined();
    expect(document?.fromSnippet).toBeUndefined();
  });

  it("lists an unreadable page in the report by name and host, never as a link", () => {
    const text = sourcesSection([
      { number: 1, title: "Read page", url: "https://example.org/a" },
      {
        number: 2,
        title: "Refused page",
        url: "http://10.0.0.1/secret?token=x",
        unreadable: "private address",
      },
    ]);
    expect(text).toContain("1. [Read page](https://example.org/a)");
    expect(text).toContain("2. Refused page — 10.0.0.1 (page not read)");
    expect(text).not.toContain("secret");
  });
});
