import "server-only";
import { getConfig } from "../config";
import { createLogger, type Logger } from "../log";
import { redactorFor } from "../redact";
import { checkProviders, createResearchEngine, warmUp } from "../research";
import { createStore } from "../store/create-store";
import { TaskManager } from "../tasks/task-manager";

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
    redact: redactorFor(config),
  });
}

// On globalThis like the manager: Next.js may load this module more than once.
const readyKey = Symbol.for("fathom.ready");
type ReadyHolder = { [readyKey]?: boolean };

/**
 * True once this process runs tasks (the search index is loaded) and has
 * loaded the task list. Until then it accepts requests (they queue) but
 * `/api/health` answers 503, so a load balancer waits for it.
 */
export function isReady(): boolean {
  return (globalThis as ReadyHolder)[readyKey] === true;
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
      engine: createResearchEngine({ config, logger }),
      logger,
      checkProviders: (request) => checkProviders(request, config),
    });
    // Load (or build and cache) the search index before running tasks: a
    // cold build keeps the CPU busy for seconds, which must not happen while
    // this process holds leases it has to renew. Requests are accepted (and
    // queued) meanwhile.
    void warmUp({ config })
      .catch((error: unknown) =>
        logger.warn("research.warm_up_failed", {
          error: error instanceof Error ? error.message : String(error),
        }),
      )
      .finally(() => {
        manager.start();
        // Ready once the task list is loaded too: the first listing is then fast.
        void manager.index
          .refresh()
          .catch((error: unknown) =>
            logger.warn("manager.index_load_failed", {
              error: error instanceof Error ? error.message : String(error),
            }),
          )
          .finally(() => {
            (globalThis as ReadyHolder)[readyKey] = true;
            logger.info("manager.ready", {});
          });
      });
    // Hand running tasks back (released leases: another process continues
    // them at once) before exiting. The start script sets
    // NEXT_MANUAL_SIG_HANDLE so that Next.js leaves the signals to us.
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info("manager.stopping", { signal });
      const deadline = new Promise((resolve) => setTimeout(resolve, 10_000).unref());
      await Promise.race([manager.shutdown(), deadline]).catch((error: unknown) =>
        logger.error("manager.shutdown_failed", {
          error: error instanceof Error ? error.message : String(error),
        }),
      );
      process.exit(0);
    };
    // `on`, not `once`: write-file-atomic's exit hook re-raises a signal that
    // no other listener is left to handle, which would kill the process mid-shutdown.
    process.on("SIGTERM", () => void stop("SIGTERM"));
    process.on("SIGINT", () => void stop("SIGINT"));
    return manager;
  })();
  return holder[key];
}
