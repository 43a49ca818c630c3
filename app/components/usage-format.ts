import { splitModelKey, type TaskUsage, type TokenUsage } from "@/lib/model/usage";

const integer = new Intl.NumberFormat("en-US");

/** USD as people read a bill: cents above a dollar, four decimals below, never a misleading $0.0000. */
export function formatUsd(usd: number): string {
  if (usd === 0) return "$0";
  if (usd < 0.0001) return "<$0.0001";
  if (usd < 1) return `$${usd.toFixed(4)}`;
  return `$${usd.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** One line: "12,345 tokens in · 2,345 out (1,000 reasoning) · $0.0123" (reasoning and cost only when known). */
export function formatUsage(usage: TokenUsage): string {
  const parts = [
    `${integer.format(usage.inputTokens)} tokens in`,
    `${integer.format(usage.outputTokens)} out${usage.reasoningTokens > 0 ? ` (${integer.format(usage.reasoningTokens)} reasoning)` : ""}`,
  ];
  if (usage.costUsd !== undefined) parts.push(formatUsd(usage.costUsd));
  return parts.join(" · ");
}

/** The tooltip: calls, then each model's share (the breakdown may lag the totals while a run streams). */
export function usageDetails(usage: TaskUsage): string {
  const lines = [`${integer.format(usage.calls)} model call${usage.calls === 1 ? "" : "s"}`];
  for (const [key, tokens] of Object.entries(usage.byModel)) {
    const { provider, model } = splitModelKey(key);
    lines.push(`${model} (${provider}): ${formatUsage(tokens)}`);
  }
  if (usage.costUsd === undefined) lines.push("No cost: MODEL_PRICES has no price for a model used.");
  return lines.join("\n");
}
