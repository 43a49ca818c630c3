import type { Config } from "../config";
import type { Logger } from "../log";
import { FileTaskStore } from "./file/file-store";
import type { TaskStore } from "./types";

/** The one place that picks a store from configuration. */
export async function createStore(config: Config, logger: Logger): Promise<TaskStore> {
  if (config.TASK_STORE === "file") {
    return new FileTaskStore({
      root: config.storageDir,
      leaseTtlMs: config.LEASE_TTL_MS,
      pollMs: config.FOLLOW_POLL_MS,
      durability: config.DURABILITY,
      logger,
    });
  }
  const { createRedisStore } = await import("./redis/redis-store");
  return createRedisStore(config, logger);
}
