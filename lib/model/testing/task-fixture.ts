import type { NormalizedRequest } from "../request";
import { newTaskJson, type TaskJson } from "../task-json";

/** A normalized request for tests (offline writer, local search), with fields replaced. */
export function testRequest(overrides: Partial<NormalizedRequest> = {}): NormalizedRequest {
  return {
    query: "Louisiana Purchase",
    depth: 1,
    breadth: 1,
    language: "en",
    llm: { provider: "offline" },
    search: { provider: "local", maxResults: 5 },
    ...overrides,
  };
}

/** A new task for tests: a fixed id and creation time unless given, then `overrides` on top. */
export function testTask(
  overrides: Partial<TaskJson> = {},
  options: { request?: Partial<NormalizedRequest>; now?: string } = {},
): TaskJson {
  const created = newTaskJson({
    id: overrides.id ?? "0123456789abcdef0123456789abcdef",
    request: testRequest(options.request),
    priority: 0,
    now: options.now ?? "2024-01-01T00:00:00.000Z",
  });
  return { ...created, ...overrides };
}
