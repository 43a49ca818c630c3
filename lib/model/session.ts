import { z } from "zod";

/** Name of the session cookie a browser gets at sign-in. */
export const SESSION_COOKIE_NAME = "fathom_session";

/** `POST /api/session`: the API token, exchanged for a session cookie. */
export const signInSchema = z.strictObject({
  token: z.string({ error: "token must be a string" }).min(1, "token must not be empty").max(4096),
});

/** `GET /api/session`: whether this server asks for sign-in, and whether this browser is signed in. */
export const sessionStateSchema = z.object({ required: z.boolean(), signedIn: z.boolean() });
export type SessionState = z.infer<typeof sessionStateSchema>;

/** `POST /api/session` (signed in, until when) and `DELETE /api/session` (signed out). */
export const sessionChangeSchema = z.object({ signedIn: z.boolean(), expiresAt: z.string().optional() });
export type SessionChange = z.infer<typeof sessionChangeSchema>;
