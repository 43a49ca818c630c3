import "server-only";
import { getConfig } from "../config";
import { createLogger, type Logger } from "../log";
import { checkProviders, createResearchEngine, warmUp } from "../research";
import { createStore } from "../store/create-store";
import { TaskManager } from "./task-manager";

/**
 * The process's TaskManager. Kept on globalThis so that module reloads in
 * development (and the separate bundles of route handlers and
 * instrumentation) share one instance.
 */
const key = Symbol.for("fathom.taskManager");
type Holder = { [key]?: Promise<TaskManager> };

export function getLogger(): Logger {
  const config = getConfig();
  return createLogger({
    level: config.LOG_LEVEL,
    format: config.LOG_FORMAT ?? (config.NODE_ENV === "production" ? "json" : "pretty"),
  });
}

export function getTaskManager(): Promise<TaskManager> {
  const holder = globalThis as Holder;
  holder[key] ??= (async () => {
    const config = getConfig();
    const logger = getLogger();
    const store = await createStore(config, logger);
    const manager = new TaskManager({
      config,
      store,
      engine: createResearchEngine({ config }),
      logger,
      checkProviders: (request) => checkProviders(request, config),
    });
    manager.start();
    // Build or load the search index now, so the first request does not wait for it.
    void warmUp({ config }).catch((error: unknown) =>
      logger.warn("research.warm_up_failed", { error: error instanceof Error ? error.message : String(error) }),
    );
    const stop = async (signal: string) => {
      logger.info("manager.stopping", { signal });
      await manager.shutdown().catch(() => undefined);
      process.exit(0);
    };
    process.once("SIGTERM", () => void stop("SIGTERM"));
    process.once("SIGINT", () => void stop("SIGINT"));
    return manager;
  })();
  return holder[key];
}
