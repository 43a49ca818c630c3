import { z } from "zod";
import { TASK_ID_PATTERN } from "@/lib/model/task-json";

/**
 * The id of an event on an MCP stream (README, "MCP"): everything a server
 * needs to resume a `research` or `follow_up` call that waits, with no
 * memory of the connection it was sent on — so a client that reconnects with
 * `Last-Event-ID` may land on any process (docs/ARCHITECTURE.md, "Wire
 * format"). It names the task, the position in the task's log the client has
 * seen, the JSON-RPC id of the call (the final result answers it) and the
 * call's progress token (the notifications carry it). `task` is null only
 * for the stream's first (priming) event when the call had not yet named its
 * task. Encoded as `m1.` + base64url(JSON); anything else is refused.
 */
export const mcpEventIdSchema = z.strictObject({
  task: z.string().regex(TASK_ID_PATTERN, "task must be a task id").nullable(),
  after: z.number().int().min(0),
  request: z.union([z.string().max(200), z.number().int()]),
  progress: z.union([z.string().max(200), z.number()]).optional(),
});
export type McpEventId = z.infer<typeof mcpEventIdSchema>;

const PREFIX = "m1.";
/** Far more than any id this server writes (a JSON-RPC id is at most 200 characters). */
const MAX_LENGTH = 1024;

export function encodeMcpEventId(id: McpEventId): string {
  return PREFIX + Buffer.from(JSON.stringify(id), "utf8").toString("base64url");
}

/** The decoded id, or an error message naming what is wrong with it. */
export function decodeMcpEventId(value: string): { id: McpEventId } | { error: string } {
  const refused = {
    error: `Last-Event-ID "${value.length > 40 ? `${value.slice(0, 40)}…` : value}" is not an event id of this server's MCP streams.`,
  };
  if (value.length > MAX_LENGTH || !value.startsWith(PREFIX)) return refused;
  const body = value.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return refused;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch (error) {
    void error; // Not JSON inside: the same refusal as any foreign id.
    return refused;
  }
  const parsed = mcpEventIdSchema.safeParse(json);
  return parsed.success ? { id: parsed.data } : refused;
}
