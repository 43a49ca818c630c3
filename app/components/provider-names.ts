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
