import { isFinished, type TaskJson } from "../model/task-json";

/**
 * Splits a listing into snapshots that can be served from a cache and ids
 * that must be read again. A finished task's snapshot only changes after it
 * is made active again (retry, fresh run), so a cached finished snapshot of a
 * task that is not active is current; everything else may have changed.
 */
export function splitListing(
  ids: readonly string[],
  activeIds: ReadonlySet<string>,
  cache: ReadonlyMap<string, { task: TaskJson }>,
): { current: TaskJson[]; toRead: string[] } {
  const current: TaskJson[] = [];
  const toRead: string[] = [];
  for (const id of ids) {
    const cached = cache.get(id);
    if (cached && isFinished(cached.task.status) && !activeIds.has(id)) current.push(cached.task);
    else toRead.push(id);
  }
  return { current, toRead };
}

/** Drops cache entries of tasks that are no longer listed. */
export function pruneCache(cache: Map<string, unknown>, listed: readonly string[]): void {
  const keep = new Set(listed);
  for (const id of cache.keys()) if (!keep.has(id)) cache.delete(id);
}
