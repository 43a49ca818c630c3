import { z } from "zod";

/** `POST /api/session`: the API token, exchanged for a session cookie. */
export const signInSchema = z.strictObject({
  token: z.string({ error: "token must be a string" }).min(1, "token must not be empty").max(4096),
});
