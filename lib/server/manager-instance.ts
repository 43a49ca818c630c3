import "server-only";
import { getConfig } from "../config";
import { AppError } from "../errors";
import { createLogger, type Logger } from "../log";
import {
  BUILT_IN_COLLECTIONS,
  CORPUS_COLLECTION,
  collectionIndexHash,
  SOTU_COLLECTION,
  servedBuiltIns,
} from "../model/collection";
import type { NormalizedRequest } from "../model/request";
import { redactorFor } from "../redact";
import {
  CollectionIndexes,
  checkProviders,
  configuredCorpus,
  createResearchEngine,
  defaultCollection,
  warmUp,
} from "../research";
import { sharedPassageIndexCache } from "../research/corpus/passage-index";
import { extractDocument, inspectDocument } from "../research/documents";
import type { CollectionStore } from "../store/collections/types";
import { createStore } from "../store/create-store";
import { CollectionService } from "../tasks/collection-service";
import { createIndexEngine } from "../tasks/index-job";
import { ScheduleRunner } from "../tasks/schedule-runner";
import { ScheduleService } from "../tasks/schedule-service";
import { createTaskEngine } from "../tasks/task-engine";
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
    const collections = collectionIndexes(store.collections, config.cacheDir, logger);
    const redact = redactorFor(config);
    const manager = new TaskManager({
      config,
      store,
      engine: createTaskEngine({
        research: createResearchEngine({ config, logger, collections }),
        index: createIndexEngine({ collections: store.collections, extract: extractDocument, redact }),
      }),
      logger,
      checkProviders: (request) => checkProviders(request, config),
      resolveRequest: (request) => resolveCollection(request, config, store.collections),
    });
    const schedules = scheduleRunner(manager, config, logger);
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
        schedules.start();
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
      // The schedules stop firing first; after the manager, the collection index
      // snapshots that are due (a restart loads them instead of rebuilding).
      await Promise.race([
        schedules
          .stop()
          .then(() => manager.shutdown())
          .then(() => collections.flush()),
        deadline,
      ]).catch((error: unknown) =>
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

const runnerKey = Symbol.for("fathom.scheduleRunner");
type RunnerHolder = { [runnerKey]?: ScheduleRunner };

/** The process's schedule runner (started with the manager, stopped before it). */
function scheduleRunner(
  manager: TaskManager,
  config: ReturnType<typeof getConfig>,
  logger: Logger,
): ScheduleRunner {
  const holder = globalThis as RunnerHolder;
  holder[runnerKey] ??= new ScheduleRunner({
    schedules: manager.store.schedules,
    tasks: manager,
    logger,
    ownerId: manager.ownerId,
    redact: redactorFor(config),
    tickMs: config.SCHEDULE_TICK_MS,
    recoverAfterMs: config.SCHEDULE_RECOVER_AFTER_MS,
    maxRunAgeHours: config.MAX_TASK_AGE_HOURS,
  });
  return holder[runnerKey];
}

const scheduleServiceKey = Symbol.for("fathom.scheduleService");
type ScheduleServiceHolder = { [scheduleServiceKey]?: Promise<ScheduleService> };

/** The process's schedule service (the API's schedules; firing is the runner's). */
export function getScheduleService(): Promise<ScheduleService> {
  const holder = globalThis as ScheduleServiceHolder;
  holder[scheduleServiceKey] ??= (async () => {
    const config = getConfig();
    const manager = await getTaskManager();
    const logger = getLogger();
    return new ScheduleService({
      schedules: manager.store.schedules,
      tasks: manager,
      runner: scheduleRunner(manager, config, logger),
      logger,
      minIntervalS: config.MIN_SCHEDULE_INTERVAL_S,
      maxSchedules: config.MAX_SCHEDULES,
    });
  })();
  return holder[scheduleServiceKey];
}

const indexesKey = Symbol.for("fathom.collectionIndexes");
type IndexesHolder = { [indexesKey]?: CollectionIndexes };

/** This process's indexes of user collections (one per process, like the manager). */
function collectionIndexes(store: CollectionStore, cacheDir: string, logger: Logger): CollectionIndexes {
  const holder = globalThis as IndexesHolder;
  holder[indexesKey] ??= new CollectionIndexes(store, {
    cacheDir,
    warn: (message) => logger.warn("collections.index_snapshot", { message }),
  });
  return holder[indexesKey];
}

/**
 * A research request over a user collection names the content hash of what
 * its search sees (the ready documents), so a changed collection is a new
 * task; a collection that does not exist is refused before any task.
 */
async function resolveCollection(
  request: NormalizedRequest,
  config: ReturnType<typeof getConfig>,
  store: CollectionStore,
): Promise<NormalizedRequest> {
  const { search } = request;
  if (search.provider !== "local" && search.provider !== "hybrid") return request;
  const name = search.collection ?? defaultCollection(config);
  if (servedBuiltIns(Boolean(config.CORPUS_DIR)).includes(name)) return request;
  if (BUILT_IN_COLLECTIONS.includes(name) || !(await store.getCollection(name))) {
    throw new AppError(
      "not_found",
      `There is no collection named ${name} (GET /api/collections lists them).`,
    );
  }
  const ready = await store.readyDocumentIds(name);
  if (ready.length === 0) {
    throw new AppError(
      "conflict",
      `Collection ${name} has no indexed document yet: upload one and wait until it is ready.`,
    );
  }
  const collectionHash = await collectionIndexHash(ready);
  return { ...request, search: { ...search, collectionHash } };
}

const serviceKey = Symbol.for("fathom.collectionService");
type ServiceHolder = { [serviceKey]?: Promise<CollectionService> };

/** The process's collection service (collections, uploads, documents). */
export function getCollectionService(): Promise<CollectionService> {
  const holder = globalThis as ServiceHolder;
  holder[serviceKey] ??= (async () => {
    const config = getConfig();
    const manager = await getTaskManager();
    const indexes = sharedPassageIndexCache(config.cacheDir);
    const builtIn = (name: string, description: string, corpus: ReturnType<typeof configuredCorpus>) => ({
      name,
      description,
      documents: async () =>
        (await indexes.get(corpus)).documents.map((document) => ({
          ref: document.ref,
          title: document.title,
          ...(document.url ? { url: document.url } : {}),
        })),
    });
    const builtIns = [
      builtIn(
        SOTU_COLLECTION,
        "U.S. State of the Union addresses, 1790–2021 (built in).",
        configuredCorpus({ ...config, CORPUS_DIR: undefined }),
      ),
    ];
    if (config.CORPUS_DIR) {
      builtIns.push(
        builtIn(CORPUS_COLLECTION, "The documents of CORPUS_DIR (built in).", configuredCorpus(config)),
      );
    }
    return new CollectionService({
      config,
      manager,
      logger: getLogger(),
      inspect: (input) => inspectDocument(input),
      builtIns,
      // `drop` never rejects (a snapshot it cannot remove is a warning).
      onDeleted: (name) =>
        void collectionIndexes(manager.store.collections, config.cacheDir, getLogger()).drop(name),
    });
  })();
  return holder[serviceKey];
}
