/**
 * Reads the JSON out of a model's answer, tolerantly: reasoning blocks, code
 * fences and prose around the object are ignored. Throws a SyntaxError when
 * there is no JSON.
 */
export function parseJsonAnswer(text: string): unknown {
  const withoutReasoning = text.replace(/<think>[\s\S]*?<\/think>/g, "").replace(/^[\s\S]*<\/think>/, "");
  const unfenced = withoutReasoning.replace(/```(?:json|JSON)?\s*([\s\S]*?)```/g, "$1").trim();
  try {
    return JSON.parse(unfenced);
  } catch (error) {
    const start = unfenced.search(/[[{]/);
    const end = Math.max(unfenced.lastIndexOf("}"), unfenced.lastIndexOf("]"));
    if (start < 0 || end <= start) throw error;
    return JSON.parse(unfenced.slice(start, end + 1));
  }
}
