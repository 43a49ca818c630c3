import { createAnthropic } from "@ai-sdk/anthropic";
import { createAzure } from "@ai-sdk/azure";
import { createGoogleGenerativeAI } from "@ai-sdk/google";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { extractReasoningMiddleware, type LanguageModel, wrapLanguageModel } from "ai";
import type { Config } from "../../../config";
import type { ModelProviderName } from "../../../model/request";

/** A provider package's model, as the SDK's middleware takes it. */
type ProviderModel = Parameters<typeof wrapLanguageModel>[0]["model"];

/** Settings of one model provider, read from the configuration. */
interface ModelProviderSettings {
  /** What is missing for this provider to be usable ("needs OPENAI_API_KEY"), or undefined. */
  missing(config: Config): string | undefined;
  /** The variable that sets the default model, for error messages. */
  modelVariable: string;
  /** Where the requests go: with the model, the key under which answer modes are remembered. */
  endpoint(config: Config): string;
  /**
   * The AI SDK model. `structured`: whether the server is asked for JSON
   * schema output when a schema is given (only openai-compatible servers can
   * be asked either way; the others always are).
   */
  create(config: Config, model: string, fetch: typeof globalThis.fetch, structured: boolean): ProviderModel;
}

/** True when the base URL is OpenAI's own API (which needs a key). */
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
 * The base URL of an OpenAI-style API as the SDK wants it (it appends
 * `/chat/completions`): trailing slashes go, and a bare origin
 * (`http://localhost:11434`) gets `/v1`, where Ollama, vLLM, llama.cpp's
 * server, LM Studio, LocalAI and DeepSeek all serve the API. A URL with any
 * other path (`https://openrouter.ai/api/v1`, `…/openai/v1`) is kept as given.
 */
export function chatBaseUrl(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, "");
  try {
    const url = new URL(trimmed);
    if ((url.pathname === "/" || url.pathname === "") && url.search === "" && url.hash === "") {
      return `${trimmed}/v1`;
    }
  } catch (error) {
    void error; // configSchema already validated the URL; an unparsable one is passed on as it is.
  }
  return trimmed;
}

const settings: Record<ModelProviderName, ModelProviderSettings> = {
  openai: {
    missing: (config) =>
      !config.OPENAI_API_KEY && isOpenAiHost(config.OPENAI_BASE_URL)
        ? "OPENAI_API_KEY (or OPENAI_BASE_URL pointing to another server that speaks OpenAI's API)"
        : undefined,
    modelVariable: "OPENAI_MODEL",
    endpoint: (config) => chatBaseUrl(config.OPENAI_BASE_URL),
    create: (config, model, fetch) =>
      createOpenAI({
        baseURL: chatBaseUrl(config.OPENAI_BASE_URL),
        // A server without keys (a local one) still gets a syntactically valid header.
        apiKey: config.OPENAI_API_KEY ?? "none",
        fetch,
      }).chat(model),
  },
  anthropic: {
    missing: (config) => (config.ANTHROPIC_API_KEY ? undefined : "ANTHROPIC_API_KEY"),
    modelVariable: "ANTHROPIC_MODEL",
    endpoint: (config) => config.ANTHROPIC_BASE_URL,
    create: (config, model, fetch) =>
      createAnthropic({ baseURL: config.ANTHROPIC_BASE_URL, apiKey: config.ANTHROPIC_API_KEY, fetch })(model),
  },
  google: {
    missing: (config) =>
      config.GOOGLE_GENERATIVE_AI_API_KEY ? undefined : "GOOGLE_GENERATIVE_AI_API_KEY (or GEMINI_API_KEY)",
    modelVariable: "GOOGLE_MODEL",
    endpoint: (config) => config.GOOGLE_BASE_URL,
    create: (config, model, fetch) =>
      createGoogleGenerativeAI({
        baseURL: config.GOOGLE_BASE_URL,
        apiKey: config.GOOGLE_GENERATIVE_AI_API_KEY,
        fetch,
      })(model),
  },
  azure: {
    missing: (config) =>
      !config.AZURE_API_KEY
        ? "AZURE_API_KEY"
        : !config.AZURE_RESOURCE_NAME && !config.AZURE_BASE_URL
          ? "AZURE_RESOURCE_NAME or AZURE_BASE_URL"
          : undefined,
    modelVariable: "AZURE_MODEL (the deployment name)",
    endpoint: (config) =>
      config.AZURE_BASE_URL ?? `https://${config.AZURE_RESOURCE_NAME}.openai.azure.com/openai`,
    create: (config, model, fetch) =>
      createAzure({
        ...(config.AZURE_BASE_URL
          ? { baseURL: config.AZURE_BASE_URL }
          : { resourceName: config.AZURE_RESOURCE_NAME }),
        apiKey: config.AZURE_API_KEY,
        ...(config.AZURE_API_VERSION
          ? {
              apiVersion: config.AZURE_API_VERSION,
              // A dated version (2024-10-21) is only served on the per-deployment URLs.
              useDeploymentBasedUrls: /^\d{4}-\d{2}-\d{2}/.test(config.AZURE_API_VERSION),
            }
          : {}),
        fetch,
      }).chat(model),
  },
  "openai-compatible": {
    missing: (config) => (config.OPENAI_COMPATIBLE_BASE_URL ? undefined : "OPENAI_COMPATIBLE_BASE_URL"),
    modelVariable: "OPENAI_COMPATIBLE_MODEL",
    endpoint: (config) => chatBaseUrl(config.OPENAI_COMPATIBLE_BASE_URL ?? ""),
    create: (config, model, fetch, structured) =>
      createOpenAICompatible({
        name: "openai-compatible",
        baseURL: chatBaseUrl(config.OPENAI_COMPATIBLE_BASE_URL!),
        apiKey: config.OPENAI_COMPATIBLE_API_KEY,
        includeUsage: true,
        supportsStructuredOutputs: structured,
        fetch,
      }).chatModel(model),
  },
};

/** The model provider's settings. */
export function modelProvider(name: ModelProviderName): ModelProviderSettings {
  return settings[name];
}

/**
 * The AI SDK model for a request, with reasoning that a server streams inside
 * the answer (`<think>…</think>`, as DeepSeek-R1 and Qwen3 do under Ollama)
 * separated out as reasoning, whatever chunks the tags are split across.
 * Separate reasoning fields (`reasoning_content`, `reasoning`, Anthropic's
 * and Gemini's thinking) are already reasoning in the SDK.
 */
export function languageModel(
  config: Config,
  provider: ModelProviderName,
  model: string,
  options: { fetch: typeof globalThis.fetch; structured: boolean },
): LanguageModel {
  return wrapLanguageModel({
    model: settings[provider].create(config, model, options.fetch, options.structured),
    middleware: extractReasoningMiddleware({ tagName: "think" }),
  });
}
