import { z } from "zod";

/**
 * A JSON-RPC 2.0 message as MCP's Streamable HTTP transport carries it
 * (`POST /api/mcp`, and each `data:` of its event stream): a request, a
 * notification, a result or an error. The MCP SDK parses and answers these
 * in full; this shape is what the API document shows of them
 * (docs/ARCHITECTURE.md, "The API document").
 */
export const mcpMessageSchema = z
  .object({
    jsonrpc: z.literal("2.0"),
    id: z
      .union([z.string(), z.number().int(), z.null()])
      .optional()
      .describe("Absent on a notification; null on an error answering a message that could not be read."),
    method: z
      .string()
      .optional()
      .describe("`initialize`, `tools/list`, `tools/call`, `resources/list`, `resources/read`, `ping`…"),
    params: z.record(z.string(), z.unknown()).optional(),
    result: z.record(z.string(), z.unknown()).optional(),
    error: z.object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }).optional(),
  })
  .describe("A JSON-RPC 2.0 message of the Model Context Protocol.");
export type McpMessage = z.infer<typeof mcpMessageSchema>;
