import type { TaskEvent } from "./events";

/**
 * The report text carried by `events`: the concatenation of the `text` of
 * every `output` event whose id is at least `fromEventId` (a run's first
 * event: earlier runs wrote earlier reports). This is the one definition of
 * "the report" (docs/ARCHITECTURE.md, "Wire format": the invariant), used by
 * the runner, the manager, and the browser.
 */
export function reportFromEvents(
  events: Iterable<Pick<TaskEvent, "id" | "type" | "data">>,
  fromEventId = 0,
): string {
  let report = "";
  for (const event of events) {
    if (event.id >= fromEventId && event.type === "output" && typeof event.data.text === "string") {
      report += event.data.text;
    }
  }
  return report;
}
