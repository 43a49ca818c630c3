import "server-only";
import { timingSafeEqual } from "node:crypto";
import { assertSameOrigin, isUnsafeMethod, type OriginPolicy } from "@/app/api/_lib/cross-site";
import { createSessionValue, sessionKey, verifySessionValue } from "@/lib/auth/session-token";
import type { Config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { SESSION_COOKIE_NAME } from "@/lib/model/session";

/**
 * Who may use this server. Without FATHOM_API_TOKEN everyone may. With it, a
 * request proves itself with one of:
 *
 * - `Authorization: Bearer <token>` (programs), or `?token=<token>` on API
 *   routes (an `EventSource` cannot send headers);
 * - the session cookie a browser gets at sign-in (`POST /api/session`).
 *
 * Route handlers (through `route()`) and pages call this themselves: access
 * is checked inside each handler, never only in a proxy (docs/ARCHITECTURE.md, "Exposure").
 */

/** Name of the session cookie (the model's, so the API document names it too). */
export const SESSION_COOKIE = SESSION_COOKIE_NAME;

/** How a request was let in: no token configured, the token, or a session cookie. */
export type Credential = "open" | "token" | "session";

/** The cookie value named `name` in a `Cookie` header. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Compare equal-length buffers so the time does not reveal the length either.
  const padded = Buffer.alloc(b.length);
  a.copy(padded, 0, 0, Math.min(a.length, b.length));
  return timingSafeEqual(padded, b) && a.length === b.length;
}

/** True when `given` is the configured API token (constant time). */
export function isApiToken(given: string, config: Config): boolean {
  return config.FATHOM_API_TOKEN !== undefined && safeEqual(given, config.FATHOM_API_TOKEN);
}

/** True when the `Cookie` header holds a session signed with the current token and not expired. */
export function hasValidSession(headers: Headers, config: Config, now = Date.now()): boolean {
  if (!config.FATHOM_API_TOKEN) return false;
  const value = readCookie(headers.get("cookie"), SESSION_COOKIE);
  if (!value) return false;
  return verifySessionValue(value, sessionKey(config.FATHOM_API_TOKEN), now).valid;
}

/**
 * The token a request presents: `Authorization: Bearer …`, else `?token=` (API
 * routes: `url` given). The scheme is case-insensitive and may be followed by
 * more than one space (RFC 9110 §11.1, RFC 6750 §2.1): `bearer …` is the same.
 */
export function presentedToken(headers: Headers, url: URL | null): string | undefined {
  const bearer = /^bearer +(\S+) *$/i.exec(headers.get("authorization") ?? "");
  if (bearer) return bearer[1];
  return url?.searchParams.get("token") ?? undefined;
}

/**
 * How the request proves itself, or null when it doesn't. `url` is given for
 * API routes, where `?token=` is accepted too.
 */
export function authenticate(headers: Headers, url: URL | null, config: Config): Credential | null {
  if (!config.FATHOM_API_TOKEN) return "open";
  const given = presentedToken(headers, url);
  if (given !== undefined && isApiToken(given, config)) return "token";
  if (hasValidSession(headers, config)) return "session";
  return null;
}

export function policyOf(config: Config): OriginPolicy {
  return { trustProxy: config.TRUST_PROXY, corsOrigins: config.CORS_ORIGINS };
}

/**
 * The access check of every API route but health and sign-in. A session
 * cookie authorizes a change only from this server's own pages: a cookie
 * must never make a cross-site write succeed (the `SameSite=Strict` flag
 * already keeps browsers from sending it cross-site; this holds even for a
 * same-site neighbour or an origin in CORS_ORIGINS).
 */
export function checkAccess(request: Request, config: Config, changes: boolean): Credential {
  const credential = authenticate(request.headers, new URL(request.url), config);
  if (!credential) throw new AppError("unauthorized", "Missing or wrong API token.");
  if (credential === "session" && (changes || isUnsafeMethod(request.method))) {
    assertSameOrigin(request, policyOf(config));
  }
  return credential;
}

/**
 * True when the browser reached us over HTTPS: the proxy says so (with
 * TRUST_PROXY), or the page's own Origin is https (a browser sets it; the
 * sign-in POST is same-origin, so it is this server's origin).
 */
export function isHttpsRequest(request: Request, config: Config): boolean {
  if (config.TRUST_PROXY) {
    const proto = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
    if (proto) return proto === "https";
  }
  return request.headers.get("origin")?.toLowerCase().startsWith("https://") === true;
}

/** A `Set-Cookie` value for a new session: HttpOnly, SameSite=Strict, Path=/, Secure over https. */
export function sessionCookie(
  config: Config,
  secure: boolean,
  now = Date.now(),
): {
  header: string;
  expiresAt: Date;
} {
  const token = config.FATHOM_API_TOKEN;
  if (!token)
    throw new AppError("invalid_request", "This server has no API token: there is nothing to sign in to.");
  const ttlMs = config.SESSION_TTL_HOURS * 3_600_000;
  const { value, expiresAt } = createSessionValue({ key: sessionKey(token), ttlMs, now });
  const attributes = [
    `${SESSION_COOKIE}=${value}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${Math.floor(ttlMs / 1000)}`,
    `Expires=${expiresAt.toUTCString()}`,
  ];
  if (secure) attributes.push("Secure");
  return { header: attributes.join("; "), expiresAt };
}

/** A `Set-Cookie` value that deletes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  const attributes = [
    `${SESSION_COOKIE}=`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    "Max-Age=0",
    "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
  ];
  if (secure) attributes.push("Secure");
  return attributes.join("; ");
}

/**
 * Where to go after signing in: a path on this server only (`/tasks/…`),
 * never `//other.host` or `https://…` (an open redirect), `/` otherwise.
 */
export function safeNextPath(raw: string | null | undefined): string {
  if (!raw || raw.length > 2000) return "/";
  if (!raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) return "/";
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return "/";
  return raw;
}
