import { z } from "zod";

/**
 * The body of every refusal of the API (docs/ARCHITECTURE.md, "Exposure"):
 * `{ error: { code, message } }`, and for a limit its variable and when to
 * try again.
 */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    /** A sentence fit to show a client. */
    message: z.string(),
    /** For refusals by a limit: the name of the variable that sets it. */
    limit: z.string().optional(),
    /** For refusals by a limit: seconds until trying again makes sense (also `Retry-After`). */
    retryAfterSeconds: z.number().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
