import "server-only";
import { getConfig } from "@/lib/config";
import { ReplayCache } from "@/lib/sse/replay-cache";
import type { TaskManager } from "@/lib/tasks/task-manager";

// On globalThis like the task manager: each route bundle may load this module.
const key = Symbol.for("fathom.replayCache");
type Holder = { [key]?: ReplayCache };

/** The process's cache of finished runs as SSE bytes (SSE_REPLAY_CACHE_MB). */
export function getReplayCache(manager: TaskManager): ReplayCache {
  const holder = globalThis as Holder;
  holder[key] ??= new ReplayCache({
    read: (taskId, afterId, limit) => manager.store.read(taskId, afterId, limit),
    maxBytes: getConfig().SSE_REPLAY_CACHE_MB * 1024 * 1024,
  });
  return holder[key];
}
