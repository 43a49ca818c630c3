import { describe, expect, it } from "vitest";
import { rateLimitResetMs } from "./model-call";

const now = Date.parse("2026-06-01T12:00:00Z");

describe("when a 429 without Retry-After says to come back", () => {
  it("reads OpenRouter's reset time, in epoch milliseconds, from a header or the body", () => {
    expect(rateLimitResetMs({ "x-ratelimit-reset": String(now + 42_000) }, undefined, now)).toBe(42_000);
    const body = JSON.stringify({
      error: {
        message: "Rate limit exceeded",
        code: 429,
        metadata: { headers: { "X-RateLimit-Reset": String(now + 9000) } },
      },
    });
    expect(rateLimitResetMs({}, body, now)).toBe(9000);
  });

  it("reads OpenAI's and Groq's durations, the longer of the two limits", () => {
    const headers = { "x-ratelimit-reset-requests": "2m59.56s", "x-ratelimit-reset-tokens": "7.66s" };
    // Almost three minutes: capped at the longest wait honoured, two minutes.
    expect(rateLimitResetMs(headers, undefined, now)).toBe(120_000);
    expect(rateLimitResetMs({ "x-ratelimit-reset-requests": "1m0.5s" }, undefined, now)).toBe(60_500);
    expect(
      rateLimitResetMs(
        { "x-ratelimit-reset-tokens": "1m5s", "x-ratelimit-reset-requests": "250ms" },
        undefined,
        now,
      ),
    ).toBe(65_000);
  });

  it("reads 'try again in' from the message, and nothing from a body that says no time", () => {
    const body = '{"error":{"message":"Rate limit reached … Please try again in 1.5s. Visit …"}}';
    expect(rateLimitResetMs({}, body, now)).toBe(1500);
    expect(rateLimitResetMs({}, '{"error":{"message":"Too many requests"}}', now)).toBeUndefined();
  });
});
