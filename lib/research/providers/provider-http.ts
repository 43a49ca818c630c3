import type { z } from "zod";
import { backoffDelay } from "../../backoff";
import { AppError } from "../../errors";
import { sleep } from "../../sleep";

/** Time and randomness a provider client uses; injected so tests never sleep. */
export interface ClientRuntime {
  fetch: typeof fetch;
  /** Waits `ms` (rejects when `signal` aborts). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for backoff jitter. */
  random: () => number;
  /** Wall-clock time in ms (only to read HTTP-date `Retry-After` headers). */
  now: () => number;
}

/** The real runtime: global fetch, timers, Math.random, Date.now. */
export function defaultClientRuntime(fetchImplementation: typeof fetch = globalThis.fetch): ClientRuntime {
  return {
    fetch: fetchImplementation,
    sleep,
    random: Math.random,
    now: Date.now,
  };
}

/** Longest wait honoured from a `Retry-After` header (a server asking for more is treated as this). */
export const MAX_RETRY_AFTER_MS = 120_000;

/** Parses `Retry-After` (delta seconds or an HTTP date) into a delay in ms. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

/** An HTTP status worth retrying: rate limiting, timeouts and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/** A provider failure: `retryable` for transient ones; `retryAfterMs` when the server said when. */
export class ProviderError extends AppError {
  readonly status?: number;
  readonly retryAfterMs?: number;

  constructor(
    message: string,
    options: {
      retryable: boolean;
      status?: number;
      retryAfterMs?: number;
      cause?: unknown;
      details?: unknown;
    },
  ) {
    super("provider_error", message, {
      retryable: options.retryable,
      cause: options.cause,
      details: options.details,
    });
    this.name = "ProviderError";
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Reads an error response into a ProviderError carrying the provider's own message. */
export async function errorFromResponse(
  provider: string,
  response: Response,
  now: number,
): Promise<ProviderError> {
  let body = "";
  try {
    body = (await response.text()).slice(0, 2000);
  } catch (error) {
    body = `(unreadable body: ${(error as Error).message})`;
  }
  const message = providerMessage(body) || response.statusText || "no message";
  return new ProviderError(`${provider} answered HTTP ${response.status}: ${message}`, {
    retryable: isRetryableStatus(response.status),
    status: response.status,
    retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), now),
  });
}

function providerMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object") {
      const record = parsed as Record<string, unknown>;
      const error = record.error;
      if (
        error &&
        typeof error === "object" &&
        typeof (error as Record<string, unknown>).message === "string"
      ) {
        return (error as Record<string, string>).message!;
      }
      for (const key of ["error", "message", "detail"]) {
        const value = record[key];
        if (typeof value === "string") return value;
        if (value && typeof value === "object") return JSON.stringify(value).slice(0, 500);
      }
    }
  } catch (error) {
    // Not JSON: the raw text (trimmed) is the message.
    void error;
  }
  return body.replace(/\s+/g, " ").trim().slice(0, 500);
}

/**
 * A signal that aborts when `parent` does or after `ms`. `timedOut()` tells
 * the two apart: a timeout is a transient provider failure, a parent abort is
 * a cancellation that must not be retried.
 */
export function timeoutSignal(
  ms: number,
  parent?: AbortSignal,
): { signal: AbortSignal; timedOut: () => boolean; clear: () => void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${ms} ms`));
  }, ms);
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    clear: () => {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onAbort);
    },
  };
}

/** Turns a thrown fetch/stream error into a ProviderError (or rethrows a cancellation). */
export function classifyNetworkError(
  provider: string,
  error: unknown,
  timeout: { timedOut: () => boolean },
  parent?: AbortSignal,
): ProviderError {
  if (error instanceof ProviderError) return error;
  if (parent?.aborted) throw parent.reason ?? error;
  if (timeout.timedOut())
    return new ProviderError(`${provider} did not answer in time`, { retryable: true, cause: error });
  return new ProviderError(
    `${provider} could not be reached: ${(error as Error)?.message ?? String(error)}`,
    {
      retryable: true,
      cause: error,
    },
  );
}

/** Options of `withRetries`. */
export interface RetryOptions {
  /** Retries after the first attempt. */
  maxRetries: number;
  runtime: ClientRuntime;
  signal?: AbortSignal;
  /** Base of the exponential backoff in ms. Default 500. */
  baseDelayMs?: number;
  /** Consulted before each retry; false makes the error final (e.g. output was already streamed). */
  canRetry?: () => boolean;
}

/**
 * Runs `attempt` until it succeeds, fails permanently or retries run out.
 * Retryable ProviderErrors wait `Retry-After` when the server gave one, else
 * exponential backoff with jitter.
 */
export async function withRetries<T>(
  attempt: (index: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  for (let index = 0; ; index++) {
    try {
      return await attempt(index);
    } catch (error) {
      if (!(error instanceof ProviderError) || !error.retryable || index >= options.maxRetries) throw error;
      if (options.canRetry && !options.canRetry()) throw error;
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      const delay =
        error.retryAfterMs ??
        backoffDelay(index, { random: options.runtime.random, baseMs: options.baseDelayMs });
      await options.runtime.sleep(delay, options.signal);
    }
  }
}

/** Reads a successful response's JSON body; an unparseable body is a permanent ProviderError. */
export async function readJsonBody<T>(
  provider: string,
  response: Response,
  schema: z.ZodType<T>,
): Promise<T> {
  const text = await response.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProviderError(`${provider} returned a body that is not JSON: ${text.slice(0, 200)}`, {
      retryable: false,
      cause: error,
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ProviderError(`${provider} returned an unexpected answer: ${parsed.error.issues[0]?.message}`, {
      retryable: false,
    });
  }
  return parsed.data;
}
