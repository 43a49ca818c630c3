import type { TaskJson } from "@/lib/model/task-json";
import { emptyTokenUsage, splitModelKey, sumTokenUsage, type TokenUsage } from "@/lib/model/usage";

/**
 * The model usage lines of /api/metrics (Prometheus text), the same figures
 * two ways, like the endpoint's other figures: counters of the calls this
 * process made since it started (`fathom_model_*_total`: rates, summed over
 * replicas), and gauges over the tasks on the store (`fathom_task_*`: every
 * process answers the same; they fall when retention removes tasks).
 * Output tokens include reasoning tokens. A cost is shown for a model only
 * when every call counted had a price (MODEL_PRICES).
 */
export function usageMetricLines(options: {
  /** This process's calls by `provider:model` (`TaskManager.metrics.usageByModel`). */
  processUsage: Readonly<Record<string, TokenUsage>>;
  /** Every task on the store. */
  tasks: readonly TaskJson[];
}): string[] {
  const stored: Record<string, TokenUsage> = {};
  for (const task of options.tasks) {
    for (const [key, usage] of Object.entries(task.usage?.byModel ?? {})) {
      stored[key] = sumTokenUsage(Object.hasOwn(stored, key) ? stored[key]! : emptyTokenUsage(), usage);
    }
  }
  return [
    ...family(
      "fathom_model_calls_total",
      "counter",
      "Model calls this process made.",
      options.processUsage,
      calls,
    ),
    ...family(
      "fathom_model_tokens_total",
      "counter",
      "Tokens of the model calls this process made, by kind (output includes reasoning).",
      options.processUsage,
      tokens,
    ),
    ...family(
      "fathom_model_cost_usd_total",
      "counter",
      "USD of the model calls this process made, for models with a price (MODEL_PRICES).",
      options.processUsage,
      cost,
    ),
    ...family("fathom_task_model_calls", "gauge", "Model calls of the tasks on the store.", stored, calls),
    ...family(
      "fathom_task_tokens",
      "gauge",
      "Tokens of the tasks on the store, by kind (output includes reasoning).",
      stored,
      tokens,
    ),
    ...family(
      "fathom_task_cost_usd",
      "gauge",
      "USD of the tasks on the store, for models whose every call had a price (MODEL_PRICES).",
      stored,
      cost,
    ),
  ];
}

type Samples = (usage: TokenUsage) => Array<{ labels?: Record<string, string>; value: number }>;

const calls: Samples = (usage) => [{ value: usage.calls }];
const tokens: Samples = (usage) => [
  { labels: { kind: "input" }, value: usage.inputTokens },
  { labels: { kind: "output" }, value: usage.outputTokens },
  { labels: { kind: "reasoning" }, value: usage.reasoningTokens },
];
const cost: Samples = (usage) => (usage.costUsd === undefined ? [] : [{ value: usage.costUsd }]);

function family(
  name: string,
  type: "counter" | "gauge",
  help: string,
  byModel: Readonly<Record<string, TokenUsage>>,
  samples: Samples,
): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const key of Object.keys(byModel).sort()) {
    const { provider, model } = splitModelKey(key);
    for (const sample of samples(byModel[key]!)) {
      const labels = { provider, model, ...sample.labels };
      const text = Object.entries(labels)
        .map(([label, value]) => `${label}="${escapeLabel(value)}"`)
        .join(",");
      lines.push(`${name}{${text}} ${sample.value}`);
    }
  }
  return lines;
}

/** Label values may hold anything a request named as its model: escaped as the text format says. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
