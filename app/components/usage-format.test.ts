import { describe, expect, it } from "vitest";
import { addUsage } from "@/lib/model/usage";
import { formatUsage, formatUsd, usageDetails } from "./usage-format";

describe("usage on the task page", () => {
  it("reads as one line: tokens in, out (reasoning), cost", () => {
    expect(
      formatUsage({
        inputTokens: 12345,
        outputTokens: 2345,
        reasoningTokens: 1000,
        calls: 3,
        costUsd: 0.0123,
      }),
    ).toBe("12,345 tokens in · 2,345 out (1,000 reasoning) · $0.0123");
    expect(formatUsage({ inputTokens: 5, outputTokens: 7, reasoningTokens: 0, calls: 1 })).toBe(
      "5 tokens in · 7 out",
    );
  });

  it("shows USD as a bill does", () => {
    expect(formatUsd(0)).toBe("$0");
    expect(formatUsd(0.00001)).toBe("<$0.0001");
    expect(formatUsd(0.01234)).toBe("$0.0123");
    expect(formatUsd(1234.5)).toBe("$1,234.50");
  });

  it("details calls and models, and says why a cost is missing", () => {
    const call = { step: "plan", inputTokens: 10, outputTokens: 2, reasoningTokens: 0 };
    const usage = addUsage(
      addUsage(undefined, { ...call, provider: "openai-compatible", model: "llama3:8b" }, undefined),
      { ...call, provider: "openai", model: "gpt-4o-mini" },
      0.5,
    );
    expect(usageDetails(usage).split("\n")).toEqual([
      "2 model calls",
      "llama3:8b (openai-compatible): 10 tokens in · 2 out",
      "gpt-4o-mini (openai): 10 tokens in · 2 out · $0.5000",
      "No cost: MODEL_PRICES has no price for a model used.",
    ]);
  });
});
