import { AppError } from "@/lib/errors";

/**
 * Cross-site protection (docs/ARCHITECTURE.md, "Exposure"): a request that creates or changes
 * state is refused when a browser marks it as coming from another site. A
 * browser says so in two headers it sets itself (a page cannot forge them):
 *
 * - `Origin`: the origin of the page that sent the request. Browsers send it
 *   on every POST/DELETE and on CORS requests (`fetch`, `EventSource`), not
 *   on a plain `<img>` or link GET.
 * - `Sec-Fetch-Site`: `same-origin`, `same-site`, `cross-site` or `none` (typed
 *   into the address bar), on every request of a current browser.
 *
 * A request is allowed when its Origin is this server's own or one listed in
 * CORS_ORIGINS. Without an Origin it is refused when Sec-Fetch-Site says
 * `cross-site` or `same-site` (another subdomain is another origin, and
 * may be run by someone else). Programs (curl, SDKs) send neither header
 * and are not affected; they prove who they are with the bearer token.
 *
 * This module only reads headers: it is plain so that it can be unit-tested.
 */

/** What the check needs from the configuration. */
export interface OriginPolicy {
  /** TRUST_PROXY: the server's own origin is `X-Forwarded-Proto://X-Forwarded-Host`. */
  trustProxy: boolean;
  /** CORS_ORIGINS: comma-separated origins (or `*`) allowed to call the API from a browser. */
  corsOrigins: string | undefined;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** True for methods that change state (POST, DELETE, PUT, PATCH…). */
export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

function first(value: string | null): string | undefined {
  const item = value?.split(",")[0]?.trim();
  return item ? item : undefined;
}

function parseOrigin(value: string): URL | null {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch (error) {
    void error; // Not an origin a browser would send: treated as a foreign one.
    return null;
  }
}

/**
 * True when `origin` is this server. Without TRUST_PROXY only the host is
 * compared with the request's `Host` (the Node server itself speaks plain
 * HTTP; a TLS proxy in front changes the scheme the page sees, and the
 * `X-Forwarded-*` headers can't be trusted — Next.js fills them from the
 * client's own headers when present). With TRUST_PROXY the whole origin
 * is compared with `X-Forwarded-Proto://X-Forwarded-Host`.
 */
export function isOwnOrigin(origin: string, headers: Headers, policy: OriginPolicy): boolean {
  const url = parseOrigin(origin);
  if (!url) return false;
  if (policy.trustProxy) {
    const host = first(headers.get("x-forwarded-host")) ?? headers.get("host");
    const proto = first(headers.get("x-forwarded-proto")) ?? url.protocol.slice(0, -1);
    if (!host) return false;
    const own = parseOrigin(`${proto}://${host}`);
    return own !== null && own.origin === url.origin;
  }
  const host = headers.get("host");
  if (!host) return false;
  // Read the Host with the origin's scheme so default ports compare equal.
  const own = parseOrigin(`${url.protocol}//${host}`);
  return own !== null && own.host === url.host;
}

/** True when `origin` is listed in CORS_ORIGINS (or CORS_ORIGINS is `*`). */
export function isListedOrigin(origin: string, policy: OriginPolicy): boolean {
  if (!policy.corsOrigins) return false;
  const url = parseOrigin(origin);
  if (!url) return false;
  return policy.corsOrigins
    .split(",")
    .map((entry) => entry.trim())
    .some((entry) => entry === "*" || parseOrigin(entry)?.origin === url.origin);
}

function shown(value: string): string {
  return value.length > 120 ? `${value.slice(0, 120)}…` : value;
}

/**
 * Throws `forbidden` when a browser marks the request cross-site and its
 * Origin is neither this server nor allowed by CORS_ORIGINS. Call it for
 * every request that creates or changes something.
 */
export function assertNotCrossSite(request: Request, policy: OriginPolicy): void {
  const headers = request.headers;
  const origin = headers.get("origin");
  if (origin !== null) {
    if (isOwnOrigin(origin, headers, policy) || isListedOrigin(origin, policy)) return;
    throw new AppError(
      "forbidden",
      `Cross-site request refused: it comes from the page origin ${shown(origin)}, which is neither this server nor listed in CORS_ORIGINS.`,
    );
  }
  const site = headers.get("sec-fetch-site")?.toLowerCase();
  if (site === "cross-site" || site === "same-site") {
    throw new AppError(
      "forbidden",
      `Cross-site request refused: the browser marked it Sec-Fetch-Site: ${site}, and it carries no Origin this server allows.`,
    );
  }
}

/**
 * Throws `forbidden` unless the request is same-origin or not from a browser
 * at all. A session cookie authorizes writes only under this stricter rule:
 * CORS_ORIGINS opens the API to other sites' pages that hold the *token*, never
 * to pages that merely ride on a signed-in person's cookie.
 */
export function assertSameOrigin(request: Request, policy: OriginPolicy): void {
  const headers = request.headers;
  const origin = headers.get("origin");
  const site = headers.get("sec-fetch-site")?.toLowerCase();
  const foreignOrigin = origin !== null && !isOwnOrigin(origin, headers, policy);
  if (foreignOrigin || site === "cross-site" || site === "same-site") {
    throw new AppError(
      "forbidden",
      "Cross-site request refused: a session cookie authorizes changes only from this server's own pages; other sites must send the API token.",
    );
  }
}

/** True for `application/json` and `application/*+json`, parameters aside. */
export function isJsonMediaType(contentType: string | null): boolean {
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/** True when the request carries a body (a declared non-zero length, or a chunked one). */
export function hasBody(request: Request): boolean {
  const length = request.headers.get("content-length");
  if (length !== null && length.trim() !== "" && length.trim() !== "0") return true;
  return request.headers.get("transfer-encoding") !== null;
}

/**
 * Throws `unsupported_media_type` when a request has a body that is not
 * declared JSON. Besides naming the problem for API clients, this closes the
 * "simple request" door: a page on another site can send `text/plain`, a
 * form encoding or no type at all without a CORS preflight, never
 * `application/json`.
 */
export function assertJsonBody(request: Request): void {
  if (!isUnsafeMethod(request.method) || !hasBody(request)) return;
  const type = request.headers.get("content-type");
  if (isJsonMediaType(type)) return;
  throw new AppError(
    "unsupported_media_type",
    `A request body must be JSON (Content-Type: application/json), got ${type ? shown(type) : "no Content-Type"}.`,
  );
}
