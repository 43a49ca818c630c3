import { useTranslations } from "next-intl";
import { useCallback } from "react";

const names: Record<string, string> = {
  offline: "Offline (extractive)",
  openai: "OpenAI",
  anthropic: "Anthropic",
  google: "Google Gemini",
  azure: "Azure OpenAI",
  "openai-compatible": "OpenAI-compatible (Ollama, vLLM, LM Studio…)",
  local: "Local collection",
  hybrid: "Collection + web",
  searxng: "SearXNG",
  tavily: "Tavily",
  wikipedia: "Wikipedia",
  arxiv: "arXiv",
};

/** A provider's name as people read it; unknown names are shown as they are. */
export function providerName(name: string): string {
  return names[name] ?? name;
}

/** The names that are words rather than brands, in the page's language. */
const described = {
  offline: "offline",
  "openai-compatible": "openaiCompatible",
  local: "local",
  hybrid: "hybrid",
} as const;

/** `providerName` in the page's language (brand names stay as they are). */
export function useProviderName(): (name: string) => string {
  const t = useTranslations("providers");
  return useCallback(
    (name: string) => (name in described ? t(described[name as keyof typeof described]) : providerName(name)),
    [t],
  );
}
