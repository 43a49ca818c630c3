import { splitModelKey, type TaskUsage, type TokenUsage } from "@/lib/model/usage";

const integer = new Intl.NumberFormat("en-US");

/** USD as people read a bill: cents above a dollar, four decimals below, never a misleading $0.0000. */
export function formatUsd(usd: number): string {
  if (usd === 0) return "$0";
  if (usd < 0.0001) return "<$0.0001";
  if (usd < 1) return `$${usd.toFixed(4)}`;
  return `$${usd.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** The words of the usage line, in the page's language (English by default). */
export interface UsageWords {
  tokensIn(count: string): string;
  out(count: string): string;
  reasoning(count: string): string;
  calls(count: number, formatted: string): string;
  noCost: string;
  /** Formats integers in the page's locale. */
  integer: Intl.NumberFormat;
}

const englishWords: UsageWords = {
  tokensIn: (count) => `${count} tokens in`,
  out: (count) => `${count} out`,
  reasoning: (count) => ` (${count} reasoning)`,
  calls: (count, formatted) => `${formatted} model call${count === 1 ? "" : "s"}`,
  noCost: "No cost: MODEL_PRICES has no price for a model used.",
  integer,
};

/** One line: "12,345 tokens in · 2,345 out (1,000 reasoning) · $0.0123" (reasoning and cost only when known). */
export function formatUsage(usage: TokenUsage, words: UsageWords = englishWords): string {
  const number = words.integer;
  const parts = [
    words.tokensIn(number.format(usage.inputTokens)),
    `${words.out(number.format(usage.outputTokens))}${usage.reasoningTokens > 0 ? words.reasoning(number.format(usage.reasoningTokens)) : ""}`,
  ];
  if (usage.costUsd !== undefined) parts.push(formatUsd(usage.costUsd));
  return parts.join(" · ");
}

/** The tooltip: calls, then each model's share (the breakdown may lag the totals while a run streams). */
export function usageDetails(usage: TaskUsage, words: UsageWords = englishWords): string {
  const lines = [words.calls(usage.calls, words.integer.format(usage.calls))];
  for (const [key, tokens] of Object.entries(usage.byModel)) {
    const { provider, model } = splitModelKey(key);
    lines.push(`${model} (${provider}): ${formatUsage(tokens, words)}`);
  }
  if (usage.costUsd === undefined) lines.push(words.noCost);
  return lines.join("\n");
}
