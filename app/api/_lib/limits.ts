import "server-only";
import { createHash } from "node:crypto";
import { presentedToken, readCookie, SESSION_COOKIE } from "@/app/_lib/access";
import { clientAddress } from "@/app/_lib/client-address";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { ConnectionLimiter } from "@/lib/limits/connection-limiter";
import { RateLimiter } from "@/lib/limits/rate-limiter";
import { directoryBytes, StorageUsage } from "@/lib/limits/storage-usage";
import type { SubmitOptions, TaskManager } from "@/lib/tasks/task-manager";

/**
 * The exposure limits (README, "Limits"): who a client is, admission
 * of new work (rate, queue, storage) and SSE connection slots. Each refusal
 * is an AppError naming its variable, with Retry-After.
 */

/**
 * Who is asking, for per-client limits: the API token when one is given (so
 * every program sharing a token shares its allowance), else the browser's
 * session, else the address (see `clientAddress`).
 */
export function clientKey(request: Request): string {
  const token = presentedToken(request.headers, new URL(request.url));
  if (token) return `token:${digest(token)}`;
  const session = readCookie(request.headers.get("cookie"), SESSION_COOKIE);
  if (session) return `session:${digest(session)}`;
  return `address:${clientAddress(request)}`;
}

function digest(secret: string): string {
  return createHash("sha256").update(secret).digest("hex").slice(0, 16);
}

interface Limits {
  rate: RateLimiter;
  connections: ConnectionLimiter;
  storage: StorageUsage | null;
}

// On globalThis: Next.js may load this module once per route bundle.
const key = Symbol.for("fathom.limits");

function limits(manager: TaskManager): Limits {
  const holder = globalThis as { [key]?: Limits };
  if (!holder[key]) {
    const config = getConfig();
    holder[key] = {
      rate: new RateLimiter({ perMinute: config.RATE_LIMIT_TASKS_PER_MINUTE }),
      connections: new ConnectionLimiter({
        max: config.MAX_SSE_CONNECTIONS,
        maxPerKey: config.MAX_SSE_CONNECTIONS_PER_CLIENT,
      }),
      storage:
        config.MAX_STORAGE_MB > 0
          ? new StorageUsage({
              measure: () =>
                // The search-index cache is rebuildable and bounded: not task data.
                manager.store.usedBytes
                  ? manager.store.usedBytes()
                  : directoryBytes(config.storageDir, [config.cacheDir]),
            })
          : null,
    };
  }
  return holder[key];
}

const MIB = 1024 * 1024;

/**
 * The admission check of `TaskManager.submit` for one request: runs only
 * when the request would create a task or a run (joining one is free).
 * Server-wide limits first, so a refused request does not use up the
 * client's allowance.
 */
export function admission(manager: TaskManager, request: Request): NonNullable<SubmitOptions["admit"]> {
  return async (kind) => {
    const config = getConfig();
    const { rate, storage } = limits(manager);
    if (storage) {
      const used = await storage.bytes();
      if (used >= config.MAX_STORAGE_MB * MIB) {
        throw new AppError(
          "insufficient_storage",
          `The storage budget is used up (${(used / MIB).toFixed(1)} of ${config.MAX_STORAGE_MB} MiB, MAX_STORAGE_MB): no new research until older tasks expire or are deleted. Running tasks go on.`,
          { retryAfterSeconds: 60, limit: "MAX_STORAGE_MB" },
        );
      }
    }
    if (config.MAX_QUEUED_TASKS > 0) {
      const queued = await manager.queuedCount();
      if (queued >= config.MAX_QUEUED_TASKS) {
        throw new AppError(
          "overloaded",
          `The queue is full (${queued} tasks waiting, MAX_QUEUED_TASKS is ${config.MAX_QUEUED_TASKS}). Try again later.`,
          { retryAfterSeconds: 30, limit: "MAX_QUEUED_TASKS" },
        );
      }
    }
    const decision = rate.take(clientKey(request));
    if (!decision.allowed) {
      throw new AppError(
        "rate_limited",
        `Too many new ${kind === "task" ? "tasks" : "runs"} from this client: at most ${config.RATE_LIMIT_TASKS_PER_MINUTE} a minute (RATE_LIMIT_TASKS_PER_MINUTE). Joining an existing task is not limited.`,
        { retryAfterSeconds: decision.retryAfterSeconds, limit: "RATE_LIMIT_TASKS_PER_MINUTE" },
      );
    }
  };
}

/**
 * A slot for one SSE connection of this process, or a refusal: 503 when the
 * process is full (another replica may have room), 429 when this client has
 * too many open. Call `release` when the stream ends (it is idempotent).
 */
export function acquireStreamSlot(manager: TaskManager, request: Request): () => void {
  const config = getConfig();
  const decision = limits(manager).connections.acquire(clientKey(request));
  if (decision.allowed) return decision.release;
  if (decision.reason === "total") {
    throw new AppError(
      "overloaded",
      `This server has ${config.MAX_SSE_CONNECTIONS} event streams open (MAX_SSE_CONNECTIONS). Try again shortly.`,
      { retryAfterSeconds: 5, limit: "MAX_SSE_CONNECTIONS" },
    );
  }
  throw new AppError(
    "rate_limited",
    `This client has ${config.MAX_SSE_CONNECTIONS_PER_CLIENT} event streams open on this server (MAX_SSE_CONNECTIONS_PER_CLIENT). Close one and try again.`,
    { retryAfterSeconds: 5, limit: "MAX_SSE_CONNECTIONS_PER_CLIENT" },
  );
}
