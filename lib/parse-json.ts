import type { z } from "zod";

/** Parses JSON text read back from storage and validates it; null when either fails (callers decide how to recover). */
export function parseJson<T>(text: string, schema: z.ZodType<T>): T | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON at all: reported as null like any other invalid content.
    return null;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
