import { z } from "zod";

/** An SSE frame's data as JSON, or undefined (with a warning naming `what`) when it is not JSON. */
export function readSseJson(raw: string, what: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    console.warn(`Fathom: skipped ${what}: its data is not JSON`, error);
    return undefined;
  }
}

/**
 * An SSE frame's data parsed by `schema`, or undefined (with a readable
 * warning naming `what`): one frame the page cannot read is skipped, the
 * stream goes on.
 */
export function readSseData<Schema extends z.ZodType>(
  raw: string,
  schema: Schema,
  what: string,
): z.output<Schema> | undefined {
  const json = readSseJson(raw, what);
  if (json === undefined) return undefined;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    console.warn(`Fathom: skipped ${what}:\n${z.prettifyError(parsed.error)}`);
    return undefined;
  }
  return parsed.data;
}
