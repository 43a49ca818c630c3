import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The value of the browser session cookie: `v1.<expires>.<nonce>.<signature>`,
 * where `expires` is a Unix time in seconds and the signature is
 * HMAC-SHA256 over `v1.<expires>.<nonce>` with a key derived from
 * FATHOM_API_TOKEN.
 *
 * Deriving the key from the token (and keeping no session list) means every
 * container accepts a session any of them issued, with nothing shared but the
 * configuration, and changing the token signs everyone out. The price: one
 * session cannot be revoked alone — signing out deletes the cookie from the
 * browser, and a copied cookie stays valid until it expires or the token
 * changes. SESSION_TTL_HOURS bounds that.
 */

const VERSION = "v1";

/** Derives the signing key from the API token (HKDF-SHA256), so the token itself never signs anything. */
export function sessionKey(apiToken: string): Buffer {
  return Buffer.from(hkdfSync("sha256", apiToken, "fathom", "fathom session cookie v1", 32));
}

function sign(key: Buffer, payload: string): string {
  return createHmac("sha256", key).update(payload).digest("base64url");
}

/** Options of `createSessionValue`. */
export interface SessionValueOptions {
  key: Buffer;
  /** Lifetime in milliseconds (SESSION_TTL_HOURS). */
  ttlMs: number;
  /** Current time in ms (injected for tests). */
  now: number;
  /** Random nonce (injected for tests). Default: 16 random bytes. */
  nonce?: string;
}

/** A new signed session value and when it expires. */
export function createSessionValue(options: SessionValueOptions): { value: string; expiresAt: Date } {
  const expires = Math.floor((options.now + options.ttlMs) / 1000);
  const nonce = options.nonce ?? randomBytes(16).toString("base64url");
  const payload = `${VERSION}.${expires}.${nonce}`;
  return { value: `${payload}.${sign(options.key, payload)}`, expiresAt: new Date(expires * 1000) };
}

/** Why a session value was refused (for tests and logs; clients get one message). */
export type SessionCheck =
  | { valid: true; expiresAt: Date }
  | { valid: false; reason: "malformed" | "bad_signature" | "expired" };

/** Checks a session value's signature (in constant time) and expiry. */
export function verifySessionValue(value: string, key: Buffer, now: number): SessionCheck {
  const parts = value.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) return { valid: false, reason: "malformed" };
  const [version, expiresText, nonce, signature] = parts as [string, string, string, string];
  if (!/^\d{1,12}$/.test(expiresText) || !/^[A-Za-z0-9_-]{1,64}$/.test(nonce)) {
    return { valid: false, reason: "malformed" };
  }
  const expected = Buffer.from(sign(key, `${version}.${expiresText}.${nonce}`));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { valid: false, reason: "bad_signature" };
  }
  const expiresAt = new Date(Number(expiresText) * 1000);
  if (expiresAt.getTime() <= now) return { valid: false, reason: "expired" };
  return { valid: true, expiresAt };
}
