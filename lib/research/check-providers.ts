import type { Config } from "../config";
import { AppError } from "../errors";
import type { NormalizedRequest } from "../model/request";

/** True when the OpenAI-compatible endpoint is OpenAI's own API (which needs a key). */
export function isOpenAiHost(baseUrl: string): boolean {
  try {
    const host = new URL(baseUrl).hostname.toLowerCase();
    return host === "api.openai.com" || host.endsWith(".openai.com");
  } catch (error) {
    void error; // configSchema already validated the URL; an unparsable one is treated as OpenAI's.
    return true;
  }
}

/**
 * Throws `provider_not_configured`, naming the missing variable, when the
 * request selects a provider the server has no configuration for. Called by
 * the API before a task is created.
 */
export function checkProviders(request: NormalizedRequest, config: Config): void {
  if (request.llm.provider === "openai" && !config.OPENAI_API_KEY && isOpenAiHost(config.OPENAI_BASE_URL)) {
    throw new AppError(
      "provider_not_configured",
      "The openai provider needs OPENAI_API_KEY (or OPENAI_BASE_URL pointing to another OpenAI-compatible server such as Ollama or vLLM).",
    );
  }
  if (request.search.provider === "searxng" && !config.SEARXNG_URL) {
    throw new AppError("provider_not_configured", "The searxng search provider needs SEARXNG_URL.");
  }
  if (request.search.provider === "tavily" && !config.TAVILY_API_KEY) {
    throw new AppError("provider_not_configured", "The tavily search provider needs TAVILY_API_KEY.");
  }
}

/** The model a request uses, for the `X-Model-Name` header; undefined for the offline writer. */
export function modelName(request: NormalizedRequest): string | undefined {
  return request.llm.provider === "openai" ? request.llm.model : undefined;
}
