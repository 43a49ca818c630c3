import { z } from "zod";

/** `GET /api/session`: whether this server asks for sign-in, and whether this browser is signed in. */
export const sessionStateSchema = z.object({ required: z.boolean(), signedIn: z.boolean() });
export type SessionState = z.infer<typeof sessionStateSchema>;

/** `POST /api/session` (signed in, until when) and `DELETE /api/session` (signed out). */
export const sessionChangeSchema = z.object({ signedIn: z.boolean(), expiresAt: z.string().optional() });
export type SessionChange = z.infer<typeof sessionChangeSchema>;
