import type { z } from "zod";
import { ProviderError } from "../provider-http";
import { parseJsonAnswer } from "./json-answer";
import { type AnswerMode, type ModelCallResult, refusalKind } from "./model-call";

/** The modes tried in order: a JSON schema, then JSON mode, then plain text read tolerantly. */
export const ANSWER_MODES: readonly AnswerMode[] = ["schema", "object", "text"];

/**
 * The first mode worth trying per endpoint and model: a server that refused
 * a mode once is not asked for it again by this process.
 */
const firstModes = new Map<string, number>();

/** Forgets what servers refused (tests). */
export function forgetAnswerModes(): void {
  firstModes.clear();
}

/** The mode an endpoint is asked for first (for tests and the log). */
export function firstAnswerMode(endpoint: string): AnswerMode {
  return ANSWER_MODES[firstModes.get(endpoint) ?? 0]!;
}

/**
 * Asks for a structured answer and degrades instead of failing: a server
 * that refuses the answer format (LM Studio refuses JSON mode; some servers
 * refuse JSON schemas) is asked in the next mode, for the rest of this
 * process; an answer that does not parse is asked for again in the next mode.
 * Only when plain text does not parse either is it a (retryable) failure.
 */
export async function structuredAnswer<T>(options: {
  /** Endpoint and model: where refusals are remembered. */
  endpoint: string;
  label: string;
  schema: z.ZodType<T>;
  call: (mode: AnswerMode) => Promise<ModelCallResult>;
}): Promise<T> {
  let problem = "";
  for (let index = firstModes.get(options.endpoint) ?? 0; index < ANSWER_MODES.length; index++) {
    const mode = ANSWER_MODES[index]!;
    let result: ModelCallResult;
    try {
      result = await options.call(mode);
    } catch (error) {
      if (refusalKind(error) === "response_format" && index < ANSWER_MODES.length - 1) {
        firstModes.set(options.endpoint, Math.max(firstModes.get(options.endpoint) ?? 0, index + 1));
        continue;
      }
      throw error;
    }
    const parsed = readAnswer(result.text, options.schema);
    if (parsed.success) return parsed.data;
    problem = parsed.problem;
  }
  throw new ProviderError(`${options.label} did not return a usable answer: ${problem}`, { retryable: true });
}

/** Reads a model's answer as JSON matching `schema`, tolerantly (fences, prose, leftover reasoning). */
export function readAnswer<T>(
  text: string,
  schema: z.ZodType<T>,
): { success: true; data: T } | { success: false; problem: string } {
  // Some servers end a stream with nothing in it (a stop token first, a model that crashed quietly).
  if (text.trim() === "") return { success: false, problem: "the answer was empty" };
  let value: unknown;
  try {
    value = parseJsonAnswer(text);
  } catch (error) {
    return { success: false, problem: `not JSON (${(error as Error).message.slice(0, 120)})` };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { success: true, data: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    success: false,
    problem: `unexpected JSON (${issue ? `${issue.path.join(".") || "answer"}: ${issue.message}` : "invalid"})`,
  };
}
