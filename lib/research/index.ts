import { type Config, getConfig } from "../config";
import type { Logger } from "../log";
import type { CollectionIndexes } from "./corpus/collection-indexes";
import { type PassageIndexCache, sharedPassageIndexCache } from "./corpus/passage-index";
import { configuredCorpus, createProviders } from "./create-providers";
import { createEngine } from "./engine";
import { type ClientRuntime, defaultClientRuntime } from "./providers/provider-http";
import type { ResearchEngine } from "./types";

export { checkProviders, modelName } from "./check-providers";
export type { CollectionReader } from "./corpus/collection-index";
export { CollectionIndexes, type CollectionIndexesOptions } from "./corpus/collection-indexes";
export { configuredCorpus, defaultCollection } from "./create-providers";
export { type InMemoryRun, type InMemoryRunOptions, runEngineInMemory } from "./run-in-memory";
export type * from "./types";

/** Options of `createResearchEngine`. */
export interface ResearchEngineOptions {
  /** Configuration. Default `getConfig()`. */
  config?: Config;
  /** `fetch` used for the search and model APIs. Default the global fetch. */
  fetch?: typeof fetch;
  /** Timers and randomness of provider clients (tests inject fakes). Default: real ones. */
  runtime?: ClientRuntime;
  /** The local index cache. Default: the process-wide one for `config.cacheDir`. */
  indexes?: PassageIndexCache;
  /** Receives provider warnings (refused URLs). Default: silent. */
  logger?: Logger;
  /** The indexes of user collections. Default: none (only built-in collections are searched). */
  collections?: CollectionIndexes;
}

/**
 * The research engine the task runner runs: providers are chosen per task
 * from its request (`local`/`searxng`/`tavily`/`wikipedia`/`arxiv` search, `offline`/`openai`
 * writer) and configured from the environment.
 */
export function createResearchEngine(options: ResearchEngineOptions = {}): ResearchEngine {
  const config = options.config ?? getConfig();
  const runtime = options.runtime ?? defaultClientRuntime(options.fetch ?? globalThis.fetch);
  return createEngine({
    providers: (context) =>
      createProviders(context.request, {
        config,
        runtime,
        indexes: options.indexes,
        logger: options.logger,
        collections: options.collections,
      }),
  });
}

/**
 * Loads (or builds and caches) the local corpus's search index, so the first
 * request does not wait for it. Safe to call at boot without awaiting: the
 * index is shared with the tasks that need it.
 */
export async function warmUp(options: { config?: Config; indexes?: PassageIndexCache } = {}): Promise<void> {
  const config = options.config ?? getConfig();
  await (options.indexes ?? sharedPassageIndexCache(config.cacheDir)).get(configuredCorpus(config));
}
