import { describe, expect, it } from "vitest";
import { taskJsonSchema } from "./task-json";
import { testTask } from "./testing/task-fixture";
import {
  addUsage,
  costOf,
  emptyTaskUsage,
  priceOf,
  splitModelKey,
  sumTokenUsage,
  type TaskUsage,
  taskUsageSchema,
  type UsageEntry,
  usageTotals,
} from "./usage";

function entry(fields: Partial<UsageEntry> = {}): UsageEntry {
  return {
    step: "plan",
    provider: "openai",
    model: "gpt-4o-mini",
    inputTokens: 1000,
    outputTokens: 200,
    reasoningTokens: 50,
    ...fields,
  };
}

const prices = {
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  "azure:gpt-4o-mini": { input: 0.2, output: 0.8 },
  "anthropic:claude-sonnet-4-5": { input: 3, output: 15 },
};

describe("usage", () => {
  it("sums calls in the totals, by step and by provider:model", () => {
    let usage: TaskUsage | undefined;
    usage = addUsage(usage, entry(), undefined);
    usage = addUsage(
      usage,
      entry({ step: "learn:2.1", inputTokens: 10, outputTokens: 5, reasoningTokens: 0 }),
      undefined,
    );
    usage = addUsage(
      usage,
      entry({ step: "plan", provider: "anthropic", model: "claude-sonnet-4-5" }),
      undefined,
    );
    expect(usageTotals(usage)).toEqual({
      inputTokens: 2010,
      outputTokens: 405,
      reasoningTokens: 100,
      calls: 3,
      totalTokens: 2415,
    });
    expect(usage.byStep).toEqual({
      plan: { inputTokens: 2000, outputTokens: 400, reasoningTokens: 100, calls: 2 },
      "learn:2.1": { inputTokens: 10, outputTokens: 5, reasoningTokens: 0, calls: 1 },
    });
    expect(Object.keys(usage.byModel)).toEqual(["openai:gpt-4o-mini", "anthropic:claude-sonnet-4-5"]);
    expect(usage.byModel["openai:gpt-4o-mini"]?.calls).toBe(2);
    expect(taskUsageSchema.parse(usage)).toEqual(usage);
  });

  it("does not modify the usage it adds to", () => {
    const before = addUsage(undefined, entry(), 0.001);
    const copy = structuredClone(before);
    addUsage(before, entry({ step: "report" }), 0.002);
    expect(before).toEqual(copy);
  });

  it("prefers a provider:model price to a model price, and has none for unknown models", () => {
    expect(priceOf(prices, "openai", "gpt-4o-mini")).toEqual({ input: 0.15, output: 0.6 });
    expect(priceOf(prices, "azure", "gpt-4o-mini")).toEqual({ input: 0.2, output: 0.8 });
    expect(priceOf(prices, "anthropic", "claude-sonnet-4-5")).toEqual({ input: 3, output: 15 });
    expect(priceOf(prices, "openai", "claude-sonnet-4-5")).toBeUndefined();
    expect(priceOf(prices, "openai", "toString")).toBeUndefined();
    expect(priceOf({}, "openai", "gpt-4o-mini")).toBeUndefined();
  });

  it("prices input and output per million tokens, reasoning as output", () => {
    // 1,000 × 3 + 200 × 15 = 6,000 USD per million calls of this size.
    expect(costOf(entry(), prices["anthropic:claude-sonnet-4-5"])).toBe(0.006);
    expect(costOf(entry({ inputTokens: 1_000_000, outputTokens: 0 }), prices["gpt-4o-mini"])).toBe(0.15);
    expect(costOf(entry(), undefined)).toBeUndefined();
  });

  it("keeps a cost only while every call had a price", () => {
    const priced = addUsage(addUsage(undefined, entry(), 0.001), entry({ step: "report" }), 0.0025);
    expect(priced.costUsd).toBe(0.0035);
    expect(priced.byStep.plan?.costUsd).toBe(0.001);
    const unpriced = addUsage(priced, entry({ step: "report", model: "unknown" }), undefined);
    expect(unpriced.costUsd).toBeUndefined();
    expect(unpriced.byStep.report?.costUsd).toBeUndefined();
    expect(unpriced.byStep.plan?.costUsd).toBe(0.001);
    expect(unpriced.byModel["openai:gpt-4o-mini"]?.costUsd).toBe(0.0035);
    expect(unpriced.byModel["openai:unknown"]?.costUsd).toBeUndefined();
    // Once unknown, a later priced call does not bring a partial sum back.
    expect(addUsage(unpriced, entry(), 0.001).costUsd).toBeUndefined();
    expect(emptyTaskUsage().costUsd).toBe(0);
  });

  it("sums float costs without drift", () => {
    let usage: TaskUsage | undefined;
    for (let i = 0; i < 10; i++) usage = addUsage(usage, entry(), 0.1);
    expect(usage?.costUsd).toBe(1);
  });

  it("counts missing or nonsensical token figures as 0, so the snapshot stays valid", () => {
    const usage = addUsage(
      undefined,
      entry({ inputTokens: Number.NaN, outputTokens: -3, reasoningTokens: 2.6 }),
      undefined,
    );
    expect(usageTotals(usage)).toMatchObject({
      inputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 3,
      calls: 1,
    });
    expect(taskUsageSchema.safeParse(usage).success).toBe(true);
  });

  it("keeps odd step keys as plain entries", () => {
    const step = "__proto__";
    const usage = addUsage(undefined, entry({ step }), undefined);
    expect(Object.getPrototypeOf(usage.byStep)).toBe(Object.prototype);
    expect(Object.hasOwn(usage.byStep, step)).toBe(true);
    expect(addUsage(usage, entry({ step }), undefined).byStep[step]?.calls).toBe(2);
    expect(taskUsageSchema.parse(JSON.parse(JSON.stringify(usage))).calls).toBe(1);
  });

  it("sums usages, a cost only when both have one", () => {
    const a = { inputTokens: 1, outputTokens: 2, reasoningTokens: 1, calls: 1, costUsd: 0.5 };
    const b = { inputTokens: 10, outputTokens: 20, reasoningTokens: 0, calls: 2, costUsd: 0.25 };
    expect(sumTokenUsage(a, b)).toEqual({
      inputTokens: 11,
      outputTokens: 22,
      reasoningTokens: 1,
      calls: 3,
      costUsd: 0.75,
    });
    const { costUsd: _cost, ...unpriced } = b;
    expect(sumTokenUsage(a, unpriced).costUsd).toBeUndefined();
  });

  it("splits provider:model keys at the first colon (model names may have colons)", () => {
    expect(splitModelKey("openai-compatible:llama3:8b")).toEqual({
      provider: "openai-compatible",
      model: "llama3:8b",
    });
  });

  it("is optional in task files: files written before usage was kept still load", () => {
    const old = JSON.parse(JSON.stringify(testTask({ attempts: [] })));
    delete old.usage;
    expect(taskJsonSchema.parse(old).usage).toBeUndefined();
    const withUsage = { ...old, usage: addUsage(undefined, entry(), 0.001) };
    expect(taskJsonSchema.parse(withUsage).usage?.calls).toBe(1);
  });
});
