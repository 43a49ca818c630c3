import { describe, expect, it } from "vitest";
import { BatchedLookup } from "./batched-lookup";

/** A schedule the test runs by hand. */
function manualSchedule() {
  const queue: (() => void)[] = [];
  return {
    schedule: (run: () => void) => queue.push(run),
    flush: () => {
      for (const run of queue.splice(0)) run();
    },
  };
}

describe("BatchedLookup", () => {
  it("shares one read among the callers that asked before it started", async () => {
    const { schedule, flush } = manualSchedule();
    const reads: string[] = [];
    const lookup = new BatchedLookup(async (key) => {
      reads.push(key);
      return { key, read: reads.length };
    }, schedule);
    const first = [lookup.get("a"), lookup.get("a"), lookup.get("b")];
    flush();
    const [a1, a2, b] = await Promise.all(first);
    expect(a1).toBe(a2);
    expect(b?.key).toBe("b");
    expect(reads).toEqual(["a", "b"]);
  });

  it("never hands a caller a read that started before it asked", async () => {
    const { schedule, flush } = manualSchedule();
    let value = 1;
    let release!: () => void;
    const lookup = new BatchedLookup(async () => {
      const seen = value;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return seen;
    }, schedule);
    const early = lookup.get("a");
    flush();
    // The read is in flight; a write completes, then a new caller asks.
    value = 2;
    const late = lookup.get("a");
    release();
    expect(await early).toBe(1);
    flush();
    release();
    expect(await late).toBe(2);
  });

  it("passes a failed read to every caller of its batch, and reads again afterwards", async () => {
    const { schedule, flush } = manualSchedule();
    let fail = true;
    const lookup = new BatchedLookup(async () => {
      if (fail) throw new Error("disk gone");
      return "ok";
    }, schedule);
    const both = [lookup.get("a"), lookup.get("a")];
    flush();
    for (const result of both) await expect(result).rejects.toThrow("disk gone");
    fail = false;
    const again = lookup.get("a");
    flush();
    expect(await again).toBe("ok");
  });
});
