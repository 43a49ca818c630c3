import { lookup as dnsLookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { Readable } from "node:stream";
import zlib from "node:zlib";
import { FetchRefusedError } from "./fetch-refused-error";
import { classifyHost, isBlockedAddress } from "./ip-guard";

/** A resolved address. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Options of `safeFetch`. */
export interface SafeFetchOptions {
  /** Allow private, loopback and link-local addresses (`FETCH_ALLOW_PRIVATE`). Default false. */
  allowPrivate?: boolean;
  /** Individual non-public addresses to allow anyway (an internal mirror, a test server). Default: none. */
  allowAddress?: (address: string) => boolean;
  /** Time limit of the whole fetch, redirects included (`FETCH_TIMEOUT_MS`). Default 10 000. */
  timeoutMs?: number;
  /** Bytes of (decoded) body kept; the rest is not downloaded (`FETCH_MAX_BYTES`). Default 2 000 000. */
  maxBytes?: number;
  /** Redirects followed, each one checked like the first URL. Default 5. */
  maxRedirects?: number;
  /** Resolves a host name to every address. Default: the system resolver (`dns.lookup`). */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
  signal?: AbortSignal;
  userAgent?: string;
  /** Any content type, kept as bytes (`FetchedPage.bytes`): a document to upload. Default: text only. */
  binary?: boolean;
}

/** A fetched document. */
export interface FetchedPage {
  /** The URL after redirects. */
  url: string;
  status: number;
  contentType: string;
  body: string;
  /** True when the body was cut at `maxBytes`. */
  truncated: boolean;
  /** The body's bytes, with `binary` (then `body` is empty). */
  bytes?: Uint8Array;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const TEXT_TYPES = /^(text\/|application\/(xhtml\+xml|xml|json|ld\+json)|$)/i;

async function systemResolve(hostname: string): Promise<ResolvedAddress[]> {
  const addresses = await dnsLookup(hostname, { all: true, verbatim: true });
  return addresses.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

/**
 * Resolves a URL's host and returns the address to connect to, refusing
 * non-public addresses unless allowed. Every address the name resolves to
 * must be public: a name that mixes public and private answers is refused.
 */
export async function resolveChecked(
  hostname: string,
  options: Pick<SafeFetchOptions, "allowPrivate" | "allowAddress" | "resolve">,
): Promise<ResolvedAddress> {
  const host = classifyHost(hostname);
  let addresses: ResolvedAddress[];
  if (host.kind === "ipv4") addresses = [{ address: host.address, family: 4 }];
  else if (host.kind === "ipv6") addresses = [{ address: host.address, family: 6 }];
  else {
    try {
      addresses = await (options.resolve ?? systemResolve)(hostname);
    } catch (error) {
      throw new FetchRefusedError(`Cannot resolve ${hostname}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  if (addresses.length === 0) throw new FetchRefusedError(`${hostname} has no address`);
  if (!options.allowPrivate) {
    const blocked = addresses.find(
      ({ address }) => isBlockedAddress(address) && !options.allowAddress?.(address),
    );
    if (blocked)
      throw new FetchRefusedError(
        `Refusing to fetch ${hostname}: ${blocked.address} is not a public address`,
      );
  }
  return addresses[0]!;
}

/**
 * Fetches a web page for reading, defending the server it runs on (SSRF):
 * http(s) only; the host is resolved first and the connection goes to the
 * address that was checked (the socket's `lookup` returns it, so DNS cannot
 * answer differently in between); redirects are followed by hand and every
 * hop is checked again; the body is capped after decompression; the whole
 * exchange has one time limit.
 */
export async function safeFetch(url: string, options: SafeFetchOptions = {}): Promise<FetchedPage> {
  const maxRedirects = options.maxRedirects ?? 5;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new FetchRefusedError(`Timed out after ${timeoutMs} ms`)),
    timeoutMs,
  );
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    let current: URL;
    try {
      current = new URL(url);
    } catch (error) {
      throw new FetchRefusedError(`Not a valid URL: ${url}`, { cause: error });
    }
    for (let hop = 0; ; hop++) {
      if (current.protocol !== "http:" && current.protocol !== "https:") {
        throw new FetchRefusedError(`Refusing to fetch a ${current.protocol} URL`);
      }
      if (current.username || current.password)
        throw new FetchRefusedError("Refusing a URL with credentials");
      const target = await resolveChecked(current.hostname, options);
      const response = await request(current, target, controller.signal, options.userAgent);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (REDIRECTS.has(status) && location) {
        response.resume();
        if (hop >= maxRedirects) throw new FetchRefusedError(`More than ${maxRedirects} redirects`);
        current = new URL(location, current);
        continue;
      }
      const contentType = String(response.headers["content-type"] ?? "");
      if (!options.binary && !TEXT_TYPES.test(contentType)) {
        response.destroy();
        throw new FetchRefusedError(`Not a text document (${contentType})`);
      }
      const { bytes, truncated } = await readCapped(
        decoded(response),
        options.maxBytes ?? 2_000_000,
        controller.signal,
      );
      if (options.binary) return { url: current.href, status, contentType, body: "", truncated, bytes };
      return { url: current.href, status, contentType, body: decodeText(bytes, contentType), truncated };
    }
  } catch (error) {
    if (controller.signal.aborted && controller.signal.reason instanceof FetchRefusedError)
      throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

function request(
  url: URL,
  target: ResolvedAddress,
  signal: AbortSignal,
  userAgent?: string,
): Promise<http.IncomingMessage> {
  // Connect to the checked address whatever the name would resolve to now.
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) {
      (callback as unknown as (error: null, addresses: ResolvedAddress[]) => void)(null, [target]);
    } else callback(null, target.address, target.family);
  };
  const isHttps = url.protocol === "https:";
  const hostKind = classifyHost(url.hostname).kind;
  return new Promise((resolve, reject) => {
    const outgoing = (isHttps ? https : http).request(
      url,
      {
        method: "GET",
        agent: false,
        lookup,
        signal,
        ...(isHttps && hostKind === "name" ? { servername: url.hostname } : {}),
        headers: {
          "user-agent": userAgent ?? "Fathom/0.1 (+research reader)",
          accept: "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5",
          "accept-encoding": "gzip, deflate, br",
        },
      },
      resolve,
    );
    outgoing.on("error", reject);
    outgoing.end();
  });
}

function decoded(response: http.IncomingMessage): Readable {
  const encoding = String(response.headers["content-encoding"] ?? "").toLowerCase();
  if (encoding === "gzip" || encoding === "x-gzip") return response.pipe(zlib.createGunzip());
  if (encoding === "deflate") return response.pipe(zlib.createInflate());
  if (encoding === "br") return response.pipe(zlib.createBrotliDecompress());
  return response;
}

async function readCapped(
  stream: Readable,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of stream) {
      signal.throwIfAborted();
      const buffer = chunk as Buffer;
      if (size + buffer.length > maxBytes) {
        chunks.push(buffer.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        break;
      }
      chunks.push(buffer);
      size += buffer.length;
    }
  } finally {
    // Stops the download (and the decompressor) once the cap is reached.
    stream.destroy();
  }
  return { bytes: Buffer.concat(chunks, size), truncated };
}

function decodeText(bytes: Buffer, contentType: string): string {
  const declared =
    /charset=["']?([\w-]+)/i.exec(contentType)?.[1] ??
    /<meta[^>]+charset=["']?([\w-]+)/i.exec(bytes.subarray(0, 2048).toString("latin1"))?.[1] ??
    "utf-8";
  try {
    return new TextDecoder(declared).decode(bytes);
  } catch (error) {
    // An unknown charset label: UTF-8 is the best guess on today's web.
    void error;
    return new TextDecoder("utf-8").decode(bytes);
  }
}
