import { z } from "zod";

/**
 * Token usage and its cost: what model calls used, per step and per model,
 * summed on a task and on each of its attempts (docs/ARCHITECTURE.md,
 * "Persistence"). Pure functions over plain JSON, so the runner, the metrics
 * and the browser all count the same way.
 */

/** What one model call used. `outputTokens` includes `reasoningTokens` (providers count thinking as output). */
export interface UsageEntry {
  /** The checkpoint key of the step that made the call, e.g. `plan`, `learn:2.1`, `report`. */
  step: string;
  /** The LLM provider, e.g. `openai`, `anthropic`. */
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

/** A model's price in USD per million tokens (`MODEL_PRICES`). Reasoning tokens are output tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/** Prices by `provider:model` or by `model` alone (`MODEL_PRICES`). */
export type ModelPrices = Readonly<Record<string, ModelPrice>>;

const tokenCount = z.number().int().nonnegative();
const usd = z.number().nonnegative();

/** Tokens used by some calls, and their cost when every one of them had a price. */
export const tokenUsageSchema = z.object({
  inputTokens: tokenCount,
  outputTokens: tokenCount,
  /** Part of `outputTokens`. */
  reasoningTokens: tokenCount,
  calls: tokenCount,
  /** USD; present only when every call counted here had a price (0 for no calls). */
  costUsd: usd.optional(),
});
export type TokenUsage = z.infer<typeof tokenUsageSchema>;

/** What a task (or one attempt of it) used: the totals, by step and by `provider:model`. */
export const taskUsageSchema = tokenUsageSchema.extend({
  /** `inputTokens + outputTokens` (reasoning is part of the output). */
  totalTokens: tokenCount,
  /** By step key (`plan`, `learn:2.1`, `report`); a step repeated by a later attempt adds to its entry. */
  byStep: z.record(z.string(), tokenUsageSchema),
  /** By `provider:model`. */
  byModel: z.record(z.string(), tokenUsageSchema),
});
export type TaskUsage = z.infer<typeof taskUsageSchema>;

/** The totals of a usage without its breakdowns: what a task's list row shows. */
export const usageTotalsSchema = taskUsageSchema.omit({ byStep: true, byModel: true });
export type UsageTotals = z.infer<typeof usageTotalsSchema>;

/** No calls yet. Its cost is 0: every one of its (no) calls had a price. */
export function emptyTokenUsage(): TokenUsage {
  return { inputTokens: 0, outputTokens: 0, reasoningTokens: 0, calls: 0, costUsd: 0 };
}

export function emptyTaskUsage(): TaskUsage {
  return { ...emptyTokenUsage(), totalTokens: 0, byStep: {}, byModel: {} };
}

/** The key of a model in `byModel` and in `MODEL_PRICES`: `provider:model`. */
export function modelKey(provider: string, model: string): string {
  return `${provider}:${model}`;
}

/** Splits a `byModel` key at its first colon: provider names have none, model names may (`llama3:8b`). */
export function splitModelKey(key: string): { provider: string; model: string } {
  const colon = key.indexOf(":");
  return colon === -1
    ? { provider: "", model: key }
    : { provider: key.slice(0, colon), model: key.slice(colon + 1) };
}

/** The price of a model: its `provider:model` entry, else its `model` entry, else none. */
export function priceOf(prices: ModelPrices, provider: string, model: string): ModelPrice | undefined {
  const qualified = modelKey(provider, model);
  if (Object.hasOwn(prices, qualified)) return prices[qualified];
  if (Object.hasOwn(prices, model)) return prices[model];
  return undefined;
}

/** USD of one call at `price`; undefined without a price. */
export function costOf(entry: UsageEntry, price: ModelPrice | undefined): number | undefined {
  if (!price) return undefined;
  const tokens = sanitized(entry);
  return roundUsd((tokens.inputTokens * price.input + tokens.outputTokens * price.output) / 1_000_000);
}

/** `usage` plus one call costing `costUsd` (undefined: the call had no price). Returns a new object. */
export function addToTokenUsage(
  usage: TokenUsage,
  entry: UsageEntry,
  costUsd: number | undefined,
): TokenUsage {
  const tokens = sanitized(entry);
  const next: TokenUsage = {
    inputTokens: usage.inputTokens + tokens.inputTokens,
    outputTokens: usage.outputTokens + tokens.outputTokens,
    reasoningTokens: usage.reasoningTokens + tokens.reasoningTokens,
    calls: usage.calls + 1,
  };
  // One call without a price makes every sum it is part of unknown: a partial cost would mislead.
  if (usage.costUsd !== undefined && costUsd !== undefined) next.costUsd = roundUsd(usage.costUsd + costUsd);
  return next;
}

/** Two usages together (several tasks' share of one model, say); a cost only when both have one. */
export function sumTokenUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  const sum: TokenUsage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
    calls: a.calls + b.calls,
  };
  if (a.costUsd !== undefined && b.costUsd !== undefined) sum.costUsd = roundUsd(a.costUsd + b.costUsd);
  return sum;
}

/**
 * `usage` (none yet: undefined) plus one call, in its totals, its step and
 * its model. `costUsd` is the call's cost (`costOf`), undefined without a
 * price. Returns a new object; `usage` is not modified.
 */
export function addUsage(
  usage: TaskUsage | undefined,
  entry: UsageEntry,
  costUsd: number | undefined,
): TaskUsage {
  const current = usage ?? emptyTaskUsage();
  const totals = addToTokenUsage(current, entry, costUsd);
  const model = modelKey(entry.provider, entry.model);
  return {
    ...totals,
    totalTokens: totals.inputTokens + totals.outputTokens,
    // Computed keys make own properties, whatever the key ("__proto__" included).
    byStep: {
      ...current.byStep,
      [entry.step]: addToTokenUsage(own(current.byStep, entry.step) ?? emptyTokenUsage(), entry, costUsd),
    },
    byModel: {
      ...current.byModel,
      [model]: addToTokenUsage(own(current.byModel, model) ?? emptyTokenUsage(), entry, costUsd),
    },
  };
}

/** The totals of a usage, without its breakdowns. */
export function usageTotals(usage: TaskUsage): UsageTotals {
  const { byStep: _byStep, byModel: _byModel, ...totals } = usage;
  return totals;
}

/**
 * Token counts as the schema stores them: whole and non-negative. A provider
 * that reports nothing (undefined coerced to NaN) or nonsense counts 0, so
 * one odd answer can never make a task's snapshot unreadable.
 */
function sanitized(entry: UsageEntry): Pick<UsageEntry, "inputTokens" | "outputTokens" | "reasoningTokens"> {
  return {
    inputTokens: count(entry.inputTokens),
    outputTokens: count(entry.outputTokens),
    reasoningTokens: count(entry.reasoningTokens),
  };
}

function count(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

/** USD kept to nano-dollars: sums of many small float costs stay readable in JSON. */
function roundUsd(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
