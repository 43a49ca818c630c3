import type { Config } from "../config";
import { defaultCollectionOf } from "./collection";
import type { RequestDefaults } from "./request";

/** The defaults a request is normalized with on a server with this configuration. */
export function requestDefaults(config: Config): RequestDefaults {
  const models: RequestDefaults["models"] = {
    openai: config.OPENAI_MODEL,
    anthropic: config.ANTHROPIC_MODEL,
    google: config.GOOGLE_MODEL,
  };
  if (config.AZURE_MODEL) models.azure = config.AZURE_MODEL;
  if (config.OPENAI_COMPATIBLE_MODEL) models["openai-compatible"] = config.OPENAI_COMPATIBLE_MODEL;
  return {
    llmProvider: config.DEFAULT_LLM_PROVIDER,
    searchProvider: config.DEFAULT_SEARCH_PROVIDER,
    models,
    collection: defaultCollectionOf(Boolean(config.CORPUS_DIR)),
  };
}
