import { describe, expect, it } from "vitest";
import { FailureLimiter } from "./failure-limiter";

describe("FailureLimiter", () => {
  it("refuses a client after maxFailures within the window, per client, until the window passes", () => {
    let now = 0;
    const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
    for (let index = 0; index < 3; index++) {
      expect(limiter.retryAfterSeconds("a")).toBe(0);
      limiter.fail("a");
      now += 1000;
    }
    expect(limiter.retryAfterSeconds("a")).toBe(57);
    expect(limiter.retryAfterSeconds("b")).toBe(0);
    now = 60_001;
    expect(limiter.retryAfterSeconds("a")).toBe(0);
  });

  it("forgets a client's failures when it signs in", () => {
    const limiter = new FailureLimiter({ maxFailures: 1, windowMs: 60_000, now: () => 0 });
    limiter.fail("a");
    expect(limiter.retryAfterSeconds("a")).toBeGreaterThan(0);
    limiter.succeed("a");
    expect(limiter.retryAfterSeconds("a")).toBe(0);
  });

  it("keeps at most maxClients clients in memory", () => {
    const limiter = new FailureLimiter({ maxFailures: 1, windowMs: 60_000, now: () => 0, maxClients: 2 });
    limiter.fail("a");
    limiter.fail("b");
    limiter.fail("c");
    expect(limiter.retryAfterSeconds("a")).toBe(0);
    expect(limiter.retryAfterSeconds("c")).toBeGreaterThan(0);
  });

  it("validates its options", () => {
    expect(() => new FailureLimiter({ maxFailures: 0, windowMs: 1, now: () => 0 })).toThrow(
      /expected ≥ 1, got 0/,
    );
  });
});
