import type { Config } from "../config";
import { AppError } from "../errors";
import type { NormalizedRequest } from "../model/request";
import { modelProvider } from "./providers/llm/model-providers";

/**
 * Throws `provider_not_configured`, naming the missing variable, when the
 * request selects a provider the server has no configuration for (or a model
 * provider without a model). Called by the API before a task is created.
 */
export function checkProviders(request: NormalizedRequest, config: Config): void {
  const { llm } = request;
  if (llm.provider !== "offline") {
    const provider = modelProvider(llm.provider);
    const missing = provider.missing(config);
    if (missing !== undefined) {
      throw new AppError("provider_not_configured", `The ${llm.provider} provider needs ${missing}.`);
    }
    if (llm.model === undefined) {
      throw new AppError(
        "provider_not_configured",
        `The ${llm.provider} provider needs a model: send llm.model or set ${provider.modelVariable}.`,
      );
    }
  }
  const web = request.search.provider === "hybrid" ? request.search.web : request.search.provider;
  if (web === "searxng" && !config.SEARXNG_URL) {
    throw new AppError("provider_not_configured", "The searxng search provider needs SEARXNG_URL.");
  }
  if (web === "tavily" && !config.TAVILY_API_KEY) {
    throw new AppError("provider_not_configured", "The tavily search provider needs TAVILY_API_KEY.");
  }
}

/** The model a request uses, for the `X-Model-Name` header; undefined for the offline writer. */
export function modelName(request: NormalizedRequest): string | undefined {
  return request.llm.provider === "offline" ? undefined : request.llm.model;
}
