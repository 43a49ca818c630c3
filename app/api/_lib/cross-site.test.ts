import { describe, expect, it } from "vitest";
import { isAppError } from "@/lib/errors";
import { assertJsonBody, assertNotCrossSite, assertSameOrigin, type OriginPolicy } from "./cross-site";

const local: OriginPolicy = { trustProxy: false, corsOrigins: "https://app.example" };

function request(headers: Record<string, string>, method = "POST"): Request {
  return new Request("http://fathom.internal:3000/api/tasks/x/cancel", {
    method,
    headers: { host: "fathom.test:3000", ...headers },
  });
}

function refusal(run: () => void): { code: string; message: string } | null {
  try {
    run();
    return null;
  } catch (error) {
    if (!isAppError(error)) throw error;
    return { code: error.code, message: error.message };
  }
}

describe("assertNotCrossSite", () => {
  it("lets through programs (no Origin, no Sec-Fetch-Site) and the server's own pages", () => {
    expect(refusal(() => assertNotCrossSite(request({}), local))).toBeNull();
    expect(
      refusal(() =>
        assertNotCrossSite(
          request({ origin: "http://fathom.test:3000", "sec-fetch-site": "same-origin" }),
          local,
        ),
      ),
    ).toBeNull();
    expect(refusal(() => assertNotCrossSite(request({ "sec-fetch-site": "none" }), local))).toBeNull();
  });

  it("lets through an Origin listed in CORS_ORIGINS even though the browser says cross-site", () => {
    expect(
      refusal(() =>
        assertNotCrossSite(request({ origin: "https://app.example", "sec-fetch-site": "cross-site" }), local),
      ),
    ).toBeNull();
  });

  it("refuses another Origin, naming it", () => {
    const refused = refusal(() => assertNotCrossSite(request({ origin: "http://evil.example" }), local));
    expect(refused?.code).toBe("forbidden");
    expect(refused?.message).toMatch(/http:\/\/evil\.example.*CORS_ORIGINS/);
    // Same host, other port: another origin.
    expect(
      refusal(() => assertNotCrossSite(request({ origin: "http://fathom.test:4000" }), local))?.code,
    ).toBe("forbidden");
    expect(refusal(() => assertNotCrossSite(request({ origin: "null" }), local))?.code).toBe("forbidden");
  });

  it("refuses Sec-Fetch-Site cross-site or same-site without an Origin (an <img> or a link)", () => {
    for (const site of ["cross-site", "same-site"]) {
      const refused = refusal(() => assertNotCrossSite(request({ "sec-fetch-site": site }, "GET"), local));
      expect(refused?.code, site).toBe("forbidden");
      expect(refused?.message).toContain(`Sec-Fetch-Site: ${site}`);
    }
  });

  it("with TRUST_PROXY compares the whole origin with X-Forwarded-Proto and X-Forwarded-Host", () => {
    const proxied: OriginPolicy = { trustProxy: true, corsOrigins: undefined };
    const headers = { "x-forwarded-host": "research.example", "x-forwarded-proto": "https" };
    expect(
      refusal(() => assertNotCrossSite(request({ ...headers, origin: "https://research.example" }), proxied)),
    ).toBeNull();
    expect(
      refusal(() => assertNotCrossSite(request({ ...headers, origin: "http://research.example" }), proxied))
        ?.code,
    ).toBe("forbidden");
    // Without TRUST_PROXY the forwarded headers are ignored (a client can send them).
    expect(
      refusal(() => assertNotCrossSite(request({ ...headers, origin: "https://research.example" }), local))
        ?.code,
    ).toBe("forbidden");
  });
});

describe("assertSameOrigin (writes authorized by a session cookie)", () => {
  it("refuses even an origin from CORS_ORIGINS, and same-site neighbours", () => {
    expect(refusal(() => assertSameOrigin(request({ origin: "https://app.example" }), local))?.code).toBe(
      "forbidden",
    );
    expect(refusal(() => assertSameOrigin(request({ "sec-fetch-site": "same-site" }), local))?.code).toBe(
      "forbidden",
    );
    expect(
      refusal(() =>
        assertSameOrigin(
          request({ origin: "http://fathom.test:3000", "sec-fetch-site": "same-origin" }),
          local,
        ),
      ),
    ).toBeNull();
  });
});

describe("assertJsonBody", () => {
  const withBody = (type: string | undefined) =>
    new Request("http://x/api/research", {
      method: "POST",
      headers: { "content-length": "2", ...(type ? { "content-type": type } : {}) },
    });

  it("accepts JSON bodies and body-less requests", () => {
    expect(refusal(() => assertJsonBody(withBody("application/json; charset=utf-8")))).toBeNull();
    expect(refusal(() => assertJsonBody(withBody("application/merge-patch+json")))).toBeNull();
    expect(refusal(() => assertJsonBody(new Request("http://x/", { method: "POST" })))).toBeNull();
  });

  it("refuses a body of another type, or of no declared type, with 415's code", () => {
    for (const type of [
      "application/x-www-form-urlencoded",
      "text/plain",
      "multipart/form-data; boundary=x",
      undefined,
    ]) {
      const refused = refusal(() => assertJsonBody(withBody(type)));
      expect(refused?.code, String(type)).toBe("unsupported_media_type");
      expect(refused?.message).toContain(type ? type.split(";")[0]! : "no Content-Type");
    }
  });
});
