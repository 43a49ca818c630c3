import Redis, { ReplyError } from "ioredis";
import { AppError, errorMessage } from "../../errors";
import type { Logger } from "../../log";

export interface RedisConnectOptions {
  /** `redis://` or `rediss://` URL (user, password, database as in the URL). */
  url: string;
  logger?: Logger;
  /** Time allowed for one connection attempt, in ms. Default 5000. */
  connectTimeoutMs?: number;
}

/**
 * Opens a connection to Redis and checks it with a PING; refuses (an
 * AppError "storage_error" naming the server, never its password) when Redis
 * cannot be reached.
 *
 * The connection fails fast instead of queueing: while Redis is unreachable a
 * command is rejected at once (no offline queue) and a command in flight when
 * the connection drops is rejected, not resent after reconnecting. A lease
 * holder thus learns at its next write or renewal that it cannot prove its
 * lease, and stops; nothing it wrote is replayed behind its back later.
 * Reconnection itself is automatic (every 100 ms … 2 s).
 */
export async function connectRedis(options: RedisConnectOptions): Promise<Redis> {
  const { url, logger } = options;
  const where = redactRedisUrl(url);
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  let lastError: unknown = null;
  let available = false;
  redis.on("error", (error) => {
    lastError = error;
    // ioredis reports every failed reconnect attempt: log an outage once.
    if (available) logger?.warn("store.redis_unavailable", { redis: where, error: reasonOf(error) });
    available = false;
  });
  redis.on("ready", () => {
    if (lastError !== null && !available) logger?.info("store.redis_available", { redis: where });
    available = true;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new AppError(
      "storage_error",
      `Cannot connect to Redis at ${where}: ${reasonOf(lastError ?? error)}`,
      {
        cause: error,
      },
    );
  }
  return redis;
}

/** The URL with its password replaced, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    // Not a URL: say so without echoing it (it may hold a secret).
    return "(an unparseable Redis URL)";
  }
}

/**
 * True when a failed command says nothing about the data: the server could
 * not be reached, or answered that it cannot serve right now (loading its
 * data after a restart, a replica that became read-only, a busy script).
 */
export function isRedisUnavailable(error: unknown): boolean {
  const reply = replyMessage(error);
  if (reply !== null) return /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN|READONLY)\b/.test(reply);
  return error instanceof Error;
}

/** True for Redis's answer to a command run against a key of another type. */
export function isWrongType(error: unknown): boolean {
  return replyMessage(error)?.includes("WRONGTYPE") ?? false;
}

/** The message of an error reply from the server; null for any other failure (connection, client). */
export function replyMessage(error: unknown): string | null {
  // ioredis types ReplyError as `any`: narrow by hand.
  const ReplyErrorClass = ReplyError as new (...args: unknown[]) => Error;
  return error instanceof ReplyErrorClass ? error.message : null;
}

function reasonOf(error: unknown): string {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : errorMessage(error);
}
