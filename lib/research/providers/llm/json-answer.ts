import { jsonrepair } from "jsonrepair";

/**
 * Reads the JSON out of a model's answer, tolerantly: reasoning blocks, code
 * fences and prose around the object are ignored, and what small models get
 * wrong without a schema the server enforces (trailing commas, single or
 * curly quotes, unquoted keys, comments, Python's `True`/`None`, an object
 * cut off at the output cap) is repaired by `jsonrepair`. Throws a
 * SyntaxError when there is no JSON.
 */
export function parseJsonAnswer(text: string): unknown {
  const withoutReasoning = text.replace(/<think>[\s\S]*?<\/think>/g, "").replace(/^[\s\S]*<\/think>/, "");
  const unfenced = withoutReasoning.replace(/```(?:json|JSON)?\s*([\s\S]*?)```/g, "$1").trim();
  try {
    return JSON.parse(unfenced);
  } catch (error) {
    const start = unfenced.search(/[[{“]/);
    if (start < 0) throw error;
    const end = Math.max(unfenced.lastIndexOf("}"), unfenced.lastIndexOf("]"));
    const whole = end > start ? unfenced.slice(start, end + 1) : undefined;
    // An unclosed fence (the answer cut short) keeps its opening marker.
    const rest = unfenced.slice(start).replace(/```\s*$/, "");
    for (const attempt of [
      () => JSON.parse(whole ?? rest),
      () => JSON.parse(jsonrepair(whole ?? rest)),
      () => JSON.parse(jsonrepair(rest)),
    ]) {
      try {
        return attempt();
      } catch {
        // The next, more forgiving reading.
      }
    }
    throw error;
  }
}
