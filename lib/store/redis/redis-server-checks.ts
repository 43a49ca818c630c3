import type Redis from "ioredis";
import { errorMessage } from "../../errors";
import type { Logger } from "../../log";

/**
 * Start-up checks of the Redis server's own settings that Fathom's
 * guarantees rest on. Managed services often forbid CONFIG; then we cannot
 * tell, and say nothing.
 */

/** A Redis that evicts keys under memory pressure can drop a task's log or a lease: say so at start-up. */
export async function warnAboutEviction(redis: Redis, logger: Logger | undefined): Promise<void> {
  try {
    const reply = await redis.config("GET", "maxmemory-policy");
    const policy = Array.isArray(reply) ? reply[1] : undefined;
    if (typeof policy === "string" && policy !== "noeviction") {
      logger?.warn("store.redis_eviction", { maxmemoryPolicy: policy, expected: "noeviction" });
    }
  } catch (error) {
    logger?.debug("store.redis_config_unreadable", { error: errorMessage(error) });
  }
}

/**
 * DURABILITY=fsync on Redis is Redis's own AOF with `appendfsync always`:
 * Redis fsyncs the AOF before it sends the replies of an event-loop turn, so
 * neither the owner's append nor any follower's XREAD/XRANGE answer carries
 * an entry that is not on disk. Fathom cannot enforce that setting, so it
 * says so at start-up when it is not set.
 */
export async function warnAboutDurability(redis: Redis, logger: Logger | undefined): Promise<void> {
  try {
    const appendonly = await redis.config("GET", "appendonly");
    const appendfsync = await redis.config("GET", "appendfsync");
    const value = (reply: unknown) => (Array.isArray(reply) ? reply[1] : undefined);
    if (value(appendonly) !== "yes" || value(appendfsync) !== "always") {
      logger?.warn("store.redis_not_durable", {
        appendonly: value(appendonly),
        appendfsync: value(appendfsync),
        expected: "appendonly yes, appendfsync always (DURABILITY=fsync)",
      });
    }
  } catch (error) {
    logger?.debug("store.redis_config_unreadable", { error: errorMessage(error) });
  }
}
