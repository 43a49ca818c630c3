import { describe, expect, it } from "vitest";
import type { TaskJson } from "@/lib/model/task-json";
import { testTask } from "@/lib/model/testing/task-fixture";
import { addUsage, type TaskUsage, type UsageEntry } from "@/lib/model/usage";
import { usageMetricLines } from "./usage-metrics";

function usage(calls: Array<[Partial<UsageEntry>, number | undefined]>): TaskUsage | undefined {
  let total: TaskUsage | undefined;
  for (const [fields, cost] of calls) {
    const entry = { step: "plan", provider: "openai", model: "gpt-4o-mini", ...fields };
    total = addUsage(total, { inputTokens: 100, outputTokens: 20, reasoningTokens: 5, ...entry }, cost);
  }
  return total;
}

function task(id: string, taskUsage: TaskUsage | undefined): TaskJson {
  return testTask({ id: id.repeat(32), ...(taskUsage && { usage: taskUsage }) });
}

describe("usage on /api/metrics", () => {
  it("counts this process's calls and sums the stored tasks, by provider, model and kind", () => {
    const tasks = [
      task(
        "a",
        usage([
          [{}, 0.001],
          [{ step: "report" }, 0.002],
        ]),
      ),
      task(
        "b",
        usage([
          [{}, 0.0005],
          [{ provider: "anthropic", model: "claude-sonnet-4-5" }, undefined],
        ]),
      ),
      task("c", undefined), // offline: no usage at all
    ];
    const processUsage = usage([[{}, 0.001]])!.byModel;
    const lines = usageMetricLines({ processUsage, tasks });
    const samples = lines.filter((line) => !line.startsWith("#"));
    expect(samples).toEqual([
      'fathom_model_calls_total{provider="openai",model="gpt-4o-mini"} 1',
      'fathom_model_tokens_total{provider="openai",model="gpt-4o-mini",kind="input"} 100',
      'fathom_model_tokens_total{provider="openai",model="gpt-4o-mini",kind="output"} 20',
      'fathom_model_tokens_total{provider="openai",model="gpt-4o-mini",kind="reasoning"} 5',
      'fathom_model_cost_usd_total{provider="openai",model="gpt-4o-mini"} 0.001',
      'fathom_task_model_calls{provider="anthropic",model="claude-sonnet-4-5"} 1',
      'fathom_task_model_calls{provider="openai",model="gpt-4o-mini"} 3',
      'fathom_task_tokens{provider="anthropic",model="claude-sonnet-4-5",kind="input"} 100',
      'fathom_task_tokens{provider="anthropic",model="claude-sonnet-4-5",kind="output"} 20',
      'fathom_task_tokens{provider="anthropic",model="claude-sonnet-4-5",kind="reasoning"} 5',
      'fathom_task_tokens{provider="openai",model="gpt-4o-mini",kind="input"} 300',
      'fathom_task_tokens{provider="openai",model="gpt-4o-mini",kind="output"} 60',
      'fathom_task_tokens{provider="openai",model="gpt-4o-mini",kind="reasoning"} 15',
      // The unpriced model has no cost line; the priced one sums every task's share.
      'fathom_task_cost_usd{provider="openai",model="gpt-4o-mini"} 0.0035',
    ]);
    expect(lines).toContain("# TYPE fathom_model_tokens_total counter");
    expect(lines).toContain("# TYPE fathom_task_tokens gauge");
  });

  it("names every family even before the first call, and escapes label values", () => {
    const empty = usageMetricLines({ processUsage: {}, tasks: [task("d", undefined)] });
    expect(empty.every((line) => line.startsWith("# "))).toBe(true);
    expect(empty.filter((line) => line.startsWith("# TYPE"))).toHaveLength(6);
    const odd = usage([[{ provider: "openai-compatible", model: 'a"b\\c\nd' }, undefined]])!.byModel;
    expect(usageMetricLines({ processUsage: odd, tasks: [] })).toContain(
      'fathom_model_calls_total{provider="openai-compatible",model="a\\"b\\\\c\\nd"} 1',
    );
  });
});
