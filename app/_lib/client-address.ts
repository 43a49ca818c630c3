import "server-only";
import { getConfig } from "@/lib/config";

/** The header the server hook (`scripts/server-hooks.cjs`) stamps with the socket's address; a client cannot set it. */
export const PEER_HEADER = "x-fathom-peer";

/**
 * The client's address, for per-client limits. Route handlers see headers,
 * not sockets, and Next.js passes a client's own `X-Forwarded-For` through,
 * so the socket's address comes from the server hook. `X-Forwarded-For` is
 * believed only with TRUST_PROXY=true, and then only its last entry: the
 * address the nearest proxy saw (nginx `$proxy_add_x_forwarded_for`).
 * Without the hook (`next dev`) the last entry is the best there is.
 */
export function clientAddress(request: Request): string {
  const forwarded = request.headers.get("x-forwarded-for");
  const last = forwarded?.split(",").at(-1)?.trim();
  if (getConfig().TRUST_PROXY && last) return last;
  return request.headers.get(PEER_HEADER) ?? (last || "unknown");
}
