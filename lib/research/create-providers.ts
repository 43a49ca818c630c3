import type { Config } from "../config";
import { AppError } from "../errors";
import type { Logger } from "../log";
import { CORPUS_COLLECTION, defaultCollectionOf, SOTU_COLLECTION } from "../model/collection";
import type { NormalizedRequest, WebSearchProviderName } from "../model/request";
import { checkProviders } from "./check-providers";
import type { CollectionIndexes } from "./corpus/collection-indexes";
import type { CorpusSource } from "./corpus/corpus-document";
import { createFolderCorpus } from "./corpus/folder-corpus";
import { type PassageIndexCache, sharedPassageIndexCache } from "./corpus/passage-index";
import { createSotuCorpus } from "./corpus/sotu-corpus";
import type { ResearchProviders } from "./engine";
import type { LlmProvider } from "./providers/llm/llm-provider";
import { createModelLlm } from "./providers/llm/model-llm";
import { languageModel, modelProvider } from "./providers/llm/model-providers";
import { createOfflineLlm } from "./providers/llm/offline";
import { adaptedFetch } from "./providers/llm/request-quirks";
import type { ClientRuntime } from "./providers/provider-http";
import { createArxivSearch } from "./providers/search/arxiv";
import { createCollectionSearch } from "./providers/search/collection";
import { createHybridSearch } from "./providers/search/hybrid";
import { createLocalSearch } from "./providers/search/local";
import type { SearchProvider } from "./providers/search/search-provider";
import { createSearxngSearch } from "./providers/search/searxng";
import { createTavilySearch } from "./providers/search/tavily";
import { createWikipediaSearch } from "./providers/search/wikipedia";
import { createPageReader } from "./web/page-reader";
import { safeFetch } from "./web/safe-fetch";

/** What provider construction needs besides the request. */
export interface ProviderDependencies {
  config: Config;
  runtime: ClientRuntime;
  /** Index cache of the local corpus. Default: the process-wide one for `config.cacheDir`. */
  indexes?: PassageIndexCache;
  /** Receives `fetch.refused` warnings (host and reason). Default: silent. */
  logger?: Logger;
  /** The indexes of user collections (absent: only the built-in collections can be searched). */
  collections?: CollectionIndexes;
}

/** The corpus the `local` provider searches: `CORPUS_DIR`, else the State of the Union addresses. */
export function configuredCorpus(config: Config): CorpusSource {
  return config.CORPUS_DIR ? createFolderCorpus(config.CORPUS_DIR) : createSotuCorpus();
}

/** The collection a request without one searches: `corpus` when CORPUS_DIR is set, else `sotu`. */
export function defaultCollection(config: Config): string {
  return defaultCollectionOf(Boolean(config.CORPUS_DIR));
}

/** The search over a collection: a built-in corpus, or a user collection's index. */
function collectionSearch(name: string | undefined, dependencies: ProviderDependencies): SearchProvider {
  const { config } = dependencies;
  const collection = name ?? defaultCollection(config);
  const indexes = dependencies.indexes ?? sharedPassageIndexCache(config.cacheDir);
  if (collection === SOTU_COLLECTION) return createLocalSearch({ corpus: createSotuCorpus(), indexes });
  if (collection === CORPUS_COLLECTION && config.CORPUS_DIR) {
    return createLocalSearch({ corpus: createFolderCorpus(config.CORPUS_DIR), indexes });
  }
  if (!dependencies.collections) {
    throw new AppError("not_found", `There is no collection named ${collection}.`);
  }
  return createCollectionSearch({ collection, indexes: dependencies.collections });
}

function webSearch(provider: WebSearchProviderName, dependencies: ProviderDependencies): SearchProvider {
  const { config, runtime } = dependencies;
  switch (provider) {
    case "searxng":
      return createSearxngSearch({ baseUrl: config.SEARXNG_URL!, runtime });
    case "tavily":
      return createTavilySearch({ apiKey: config.TAVILY_API_KEY!, baseUrl: config.TAVILY_BASE_URL, runtime });
    case "wikipedia":
      return createWikipediaSearch({ baseUrl: config.WIKIPEDIA_BASE_URL, runtime });
    case "arxiv":
      return createArxivSearch({ baseUrl: config.ARXIV_BASE_URL, runtime });
  }
}

/** Builds the search provider, writer and page reader a request selects (the one place that chooses). */
export function createProviders(
  request: NormalizedRequest,
  dependencies: ProviderDependencies,
): ResearchProviders {
  const { config, runtime } = dependencies;
  checkProviders(request, config);
  const { search: selected } = request;
  const search: SearchProvider =
    selected.provider === "local"
      ? collectionSearch(selected.collection, dependencies)
      : selected.provider === "hybrid"
        ? createHybridSearch(
            collectionSearch(selected.collection, dependencies),
            webSearch(selected.web ?? "wikipedia", dependencies),
          )
        : webSearch(selected.provider, dependencies);
  let llm: LlmProvider;
  if (request.llm.provider === "offline") llm = createOfflineLlm({ search });
  else {
    const { provider } = request.llm;
    // checkProviders refused a model provider without a model.
    const model = request.llm.model!;
    llm = createModelLlm({
      provider,
      model,
      languageModel: (structured, quirks) =>
        languageModel(config, provider, model, { fetch: adaptedFetch(runtime.fetch, quirks), structured }),
      endpoint: modelProvider(provider).endpoint(config),
      contextTokens: config.LLM_CONTEXT_TOKENS,
      idleTimeoutMs: config.LLM_TIMEOUT_MS,
      maxRetries: config.LLM_MAX_RETRIES,
      runtime,
    });
  }
  const logger = dependencies.logger;
  const reader = createPageReader({
    onRefused: (url, reason) => logger?.warn("fetch.refused", refusalFields(url, reason)),
    fetchPage: (url, signal) =>
      safeFetch(url, {
        allowPrivate: config.FETCH_ALLOW_PRIVATE,
        timeoutMs: config.FETCH_TIMEOUT_MS,
        maxBytes: config.FETCH_MAX_BYTES,
        signal,
      }),
  });
  return { search, llm, reader };
}

/**
 * What a log line says of a refused URL: its host and the reason, never the
 * path or query string (which may carry tokens), in the reason either.
 */
export function refusalFields(url: string, reason: string): { host: string; reason: string } {
  let host = "unknown";
  try {
    host = new URL(url).host;
  } catch (error) {
    void error; // An unparsable URL: its host stays unknown.
  }
  return { host, reason: reason.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^/\s?#]*)[^\s]*/gi, "$1/…") };
}
