import { z } from "zod";
import { llmProviders, searchProviders } from "./request";

const rangeLimitSchema = z.object({
  min: z.number().int(),
  max: z.number().int(),
  default: z.number().int(),
});
export type RangeLimit = z.infer<typeof rangeLimitSchema>;

/**
 * `GET /api/providers`: which providers this server can use and the request
 * limits, so the form offers only what the server accepts.
 */
export const providersInfoSchema = z.object({
  llm: z.array(
    z.object({
      name: z.enum(llmProviders),
      /** False when the provider lacks its configuration (a request for it would be refused). */
      configured: z.boolean(),
      default: z.boolean(),
      /** The model a request without one gets (model providers with a configured model). */
      model: z.string().optional(),
    }),
  ),
  search: z.array(z.object({ name: z.enum(searchProviders), configured: z.boolean(), default: z.boolean() })),
  limits: z.object({
    queryMaxLength: z.number().int().positive(),
    depth: rangeLimitSchema,
    breadth: rangeLimitSchema,
    maxResults: rangeLimitSchema,
  }),
});
export type ProvidersInfo = z.infer<typeof providersInfoSchema>;
