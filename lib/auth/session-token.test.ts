import { describe, expect, it } from "vitest";
import { createSessionValue, sessionKey, verifySessionValue } from "./session-token";

const HOUR = 3_600_000;
const now = Date.parse("2025-01-01T00:00:00Z");

describe("session cookie value", () => {
  const key = sessionKey("the-api-token");

  it("is accepted until it expires, then refused", () => {
    const { value, expiresAt } = createSessionValue({ key, ttlMs: 2 * HOUR, now });
    expect(expiresAt.getTime()).toBe(now + 2 * HOUR);
    expect(verifySessionValue(value, key, now + HOUR)).toEqual({ valid: true, expiresAt });
    expect(verifySessionValue(value, key, now + 2 * HOUR)).toEqual({ valid: false, reason: "expired" });
  });

  it("is accepted by any process that has the same token (no server-side state)", () => {
    const { value } = createSessionValue({ key, ttlMs: HOUR, now });
    expect(verifySessionValue(value, sessionKey("the-api-token"), now).valid).toBe(true);
  });

  it("is refused once the token changes (everyone is signed out)", () => {
    const { value } = createSessionValue({ key, ttlMs: HOUR, now });
    expect(verifySessionValue(value, sessionKey("a-new-token"), now)).toEqual({
      valid: false,
      reason: "bad_signature",
    });
  });

  it("is refused when tampered with: a later expiry, another nonce, a cut signature", () => {
    const { value } = createSessionValue({ key, ttlMs: HOUR, now, nonce: "abc" });
    const [version, expires, nonce, signature] = value.split(".") as [string, string, string, string];
    const later = `${version}.${Number(expires) + 10 * 3600}.${nonce}.${signature}`;
    expect(verifySessionValue(later, key, now)).toEqual({ valid: false, reason: "bad_signature" });
    expect(verifySessionValue(`${version}.${expires}.abd.${signature}`, key, now).valid).toBe(false);
    expect(verifySessionValue(`${version}.${expires}.${nonce}.${signature.slice(1)}`, key, now).valid).toBe(
      false,
    );
    expect(verifySessionValue("garbage", key, now)).toEqual({ valid: false, reason: "malformed" });
    expect(verifySessionValue("v2.1.a.b", key, now)).toEqual({ valid: false, reason: "malformed" });
  });

  it("does not sign with the token itself", () => {
    expect(sessionKey("the-api-token").toString("utf8")).not.toContain("the-api-token");
    expect(sessionKey("the-api-token")).toHaveLength(32);
  });
});
