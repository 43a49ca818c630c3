import { reportFromEvents } from "../model/report";
import type { TaskJson } from "../model/task-json";
import type { TaskStore } from "../store/types";

/**
 * Puts `result.report` back into a task from its log (the snapshot stores
 * only the report's length: the text lives once, in the run's `output`
 * events). Reports are cached per task, keyed by run and last event, the
 * most recently used kept, so showing a finished task again reads nothing.
 */
export class ReportReader {
  readonly #store: TaskStore;
  readonly #capacity: number;
  /** Most recently used last. */
  readonly #reports = new Map<string, { key: string; report: string }>();

  /** `capacity`: reports kept in memory (default 100). */
  constructor(store: TaskStore, capacity = 100) {
    this.#store = store;
    this.#capacity = capacity;
  }

  async withReport(task: TaskJson): Promise<TaskJson> {
    if (!task.result || task.result.report !== undefined) return task;
    const key = `${task.run}:${task.lastEventId}`;
    let cached = this.#reports.get(task.id);
    if (cached?.key !== key) {
      let report = "";
      let cursor = task.runStartEventId - 1;
      for (;;) {
        const { events, more } = await this.#store.read(task.id, cursor, 5000);
        report += reportFromEvents(events);
        if (!more || events.length === 0) break;
        cursor = events[events.length - 1]!.id;
      }
      cached = { key, report };
    }
    this.#reports.delete(task.id);
    this.#reports.set(task.id, cached);
    if (this.#reports.size > this.#capacity) this.#reports.delete(this.#reports.keys().next().value!);
    return { ...task, result: { ...task.result, report: cached.report } };
  }
}
