import "server-only";

/**
 * The client's address as far as this server can tell: the last entry of
 * `X-Forwarded-For`. Next.js fills that header with the socket's address when
 * the request has none, so without a proxy it is the peer; behind a proxy
 * that appends to it (nginx `$proxy_add_x_forwarded_for`) it is the address
 * the proxy saw. A client talking to Next.js directly can send its own
 * header, so this is good for modest limits, never for identity.
 */
export function clientAddress(request: Request): string {
  const forwarded = request.headers.get("x-forwarded-for");
  const last = forwarded?.split(",").at(-1)?.trim();
  return last || "unknown";
}
