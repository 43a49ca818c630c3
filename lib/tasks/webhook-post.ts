import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { FetchRefusedError } from "../research/web/fetch-refused-error";
import { classifyHost } from "../research/web/ip-guard";
import { type ResolvedAddress, resolveChecked } from "../research/web/safe-fetch";

/** Options of `postWebhook`. */
export interface PostWebhookOptions {
  /** Allow private, loopback and link-local receivers (`FETCH_ALLOW_PRIVATE`). Default false. */
  allowPrivate?: boolean;
  /** Time limit of the whole exchange, in ms (`FETCH_TIMEOUT_MS`). Default 10 000. */
  timeoutMs?: number;
  /** Resolves a host name to every address. Default: the system resolver. */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
  signal?: AbortSignal;
}

/** How a receiver answered a POST. */
export interface WebhookResponse {
  status: number;
}

/** Posts a webhook: `(url, body, headers, options)` → the receiver's status. */
export type PostWebhook = (
  url: string,
  body: string,
  headers: Record<string, string>,
  options: PostWebhookOptions,
) => Promise<WebhookResponse>;

/** Bytes of a receiver's answer read before the connection is closed (the body is not used). */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs `body` to `url` behind the SSRF guard of the page fetcher: the host
 * is resolved first, every address it resolves to must be public (unless
 * `allowPrivate`), and the connection goes to the address that was checked,
 * so DNS cannot answer differently in between. Redirects are not followed
 * (a 3xx is an answer like any other that is not 2xx). A refused target
 * throws `FetchRefusedError` with the reason; so does the time limit.
 */
export const postWebhook: PostWebhook = async (url, body, headers, options) => {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new FetchRefusedError(`No answer within ${timeoutMs} ms`)),
    timeoutMs,
  );
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    let target: URL;
    try {
      target = new URL(url);
    } catch (error) {
      throw new FetchRefusedError("Not a valid URL", { cause: error });
    }
    if (target.protocol !== "http:" && target.protocol !== "https:") {
      throw new FetchRefusedError(`Refusing to post to a ${target.protocol} URL`);
    }
    const address = await resolveChecked(target.hostname, options);
    return await send(target, address, body, headers, controller.signal);
  } catch (error) {
    if (controller.signal.aborted && controller.signal.reason instanceof FetchRefusedError) {
      throw controller.signal.reason;
    }
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
};

function send(
  url: URL,
  target: ResolvedAddress,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<WebhookResponse> {
  // Connect to the checked address whatever the name would resolve to now.
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) {
      (callback as unknown as (error: null, addresses: ResolvedAddress[]) => void)(null, [target]);
    } else callback(null, target.address, target.family);
  };
  const isHttps = url.protocol === "https:";
  const bytes = Buffer.from(body, "utf8");
  return new Promise((resolve, reject) => {
    const outgoing = (isHttps ? https : http).request(
      url,
      {
        method: "POST",
        agent: false,
        lookup,
        signal,
        ...(isHttps && classifyHost(url.hostname).kind === "name" ? { servername: url.hostname } : {}),
        headers: { ...headers, "Content-Length": String(bytes.length) },
      },
      (response) => {
        // The status is the answer; a little of the body is drained so the
        // receiver is not cut off mid-write, the rest is dropped.
        let read = 0;
        response.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) response.destroy();
        });
        response.on("error", () => resolve({ status: response.statusCode ?? 0 }));
        response.on("close", () => resolve({ status: response.statusCode ?? 0 }));
        response.on("end", () => resolve({ status: response.statusCode ?? 0 }));
      },
    );
    outgoing.on("error", reject);
    outgoing.end(bytes);
  });
}
