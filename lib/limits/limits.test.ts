import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConnectionLimiter } from "./connection-limiter";
import { RateLimiter } from "./rate-limiter";
import { directoryBytes, StorageUsage } from "./storage-usage";

describe("RateLimiter", () => {
  it("allows a burst of the minute's allowance, then one per 60/N seconds, per key", () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 3, now: () => now });
    expect([1, 2, 3].map(() => limiter.take("a").allowed)).toEqual([true, true, true]);
    const refused = limiter.take("a");
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 20 });
    expect(limiter.take("b").allowed).toBe(true);
    now += 19_000;
    expect(limiter.take("a")).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1_000;
    expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.take("a").allowed).toBe(false);
  });

  it("is off at 0 and forgets the least recently used keys beyond maxKeys", () => {
    const off = new RateLimiter({ perMinute: 0 });
    for (let index = 0; index < 100; index += 1) expect(off.take("a").allowed).toBe(true);
    const limiter = new RateLimiter({ perMinute: 1, now: () => 0, maxKeys: 2 });
    expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.take("b").allowed).toBe(true);
    expect(limiter.take("c").allowed).toBe(true); // forgets "a"
    expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.take("c").allowed).toBe(false);
  });

  it("refuses a bad option with what it expected", () => {
    expect(() => new RateLimiter({ perMinute: -1 })).toThrow(
      /perMinute: expected a non-negative integer, got -1/,
    );
  });
});

describe("ConnectionLimiter", () => {
  it("counts in all and per key, and release is idempotent", () => {
    const limiter = new ConnectionLimiter({ max: 3, maxPerKey: 2 });
    const a1 = limiter.acquire("a");
    const a2 = limiter.acquire("a");
    expect(a1.allowed && a2.allowed).toBe(true);
    expect(limiter.acquire("a")).toEqual({ allowed: false, reason: "per-key" });
    const b1 = limiter.acquire("b");
    expect(b1.allowed).toBe(true);
    expect(limiter.acquire("c")).toEqual({ allowed: false, reason: "total" });
    if (!a1.allowed) throw new Error("unreachable");
    a1.release();
    a1.release();
    expect(limiter.open).toBe(2);
    expect(limiter.openFor("a")).toBe(1);
    expect(limiter.acquire("c").allowed).toBe(true);
  });

  it("has no limit at 0", () => {
    const limiter = new ConnectionLimiter({ max: 0, maxPerKey: 0 });
    for (let index = 0; index < 1000; index += 1) expect(limiter.acquire("a").allowed).toBe(true);
  });
});

describe("StorageUsage", () => {
  it("measures once, reuses the figure for maxAgeMs, then refreshes in the background", async () => {
    let now = 0;
    let bytes = 100;
    let measured = 0;
    const usage = new StorageUsage({
      measure: async () => {
        measured += 1;
        return bytes;
      },
      maxAgeMs: 1000,
      now: () => now,
    });
    const [first, second] = await Promise.all([usage.bytes(), usage.bytes()]);
    expect([first, second, measured]).toEqual([100, 100, 1]);
    bytes = 200;
    now = 500;
    expect(await usage.bytes()).toBe(100);
    now = 1500;
    expect(await usage.bytes()).toBe(100); // stale: answered at once, refreshed behind
    await new Promise((resolve) => setImmediate(resolve));
    expect(await usage.bytes()).toBe(200);
    expect(measured).toBe(2);
  });

  it("walks a folder, leaving out excluded folders; a missing folder is 0", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "fathom-usage-"));
    fs.mkdirSync(path.join(root, "a", "b"), { recursive: true });
    fs.mkdirSync(path.join(root, ".cache"));
    fs.writeFileSync(path.join(root, "a", "b", "one"), Buffer.alloc(10_000));
    fs.writeFileSync(path.join(root, "two"), Buffer.alloc(5_000));
    fs.writeFileSync(path.join(root, ".cache", "index"), Buffer.alloc(1_000_000));
    const all = await directoryBytes(root);
    const tasks = await directoryBytes(root, [path.join(root, ".cache")]);
    expect(tasks).toBeGreaterThanOrEqual(15_000);
    expect(tasks).toBeLessThan(100_000);
    expect(all - tasks).toBeGreaterThanOrEqual(1_000_000);
    expect(await directoryBytes(path.join(root, "missing"))).toBe(0);
  });
});
