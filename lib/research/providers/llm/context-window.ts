/** The context window assumed for a model nothing is known about. */
export const DEFAULT_CONTEXT_TOKENS = 8192;

/** Context windows of well-known model families (tokens), first match wins. */
const KNOWN_WINDOWS: readonly [RegExp, number][] = [
  [/gemini/i, 1_000_000],
  [/claude/i, 200_000],
  [/gpt-4\.1|gpt-5|\bo[134](-|$)/i, 200_000],
  [/gpt-4o|gpt-4-turbo|gpt-oss/i, 128_000],
  [/gpt-3\.5/i, 16_384],
  [/gpt-4/i, 8192],
  [/deepseek/i, 64_000],
  [/llama-?3\.[1-3]|llama-?4|mistral-(large|medium|small)|mixtral|command-r/i, 128_000],
  [/qwen-?(2\.5|3)|qwq/i, 32_768],
];

/** The context window of `model`: the configured one, else the known one, else a safe default. */
export function contextWindow(model: string, configured?: number): number {
  if (configured !== undefined) return configured;
  for (const [pattern, tokens] of KNOWN_WINDOWS) if (pattern.test(model)) return tokens;
  return DEFAULT_CONTEXT_TOKENS;
}

/**
 * A cautious token estimate: three characters per token for Latin script,
 * one per character for the rest (CJK scripts use about one token each).
 */
export function estimateTokens(text: string): number {
  let wide = 0;
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0x2ff) wide++;
  return Math.ceil((text.length - wide) / 3) + wide;
}
