import { createHash } from "node:crypto";
import type Redis from "ioredis";
import { replyMessage } from "./redis-connection";

/**
 * A Lua script run with EVALSHA, falling back to EVAL when the server does
 * not know it (a restarted Redis has an empty script cache). Redis runs a
 * script atomically: no other command sees it half done, which is what makes
 * the fencing checks below race-free. A script does not roll back, so every
 * script checks everything before its first write.
 */
export class RedisScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash("sha1").update(source).digest("hex");
  }

  async run(redis: Redis, keys: string[], args: (string | number | Buffer)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!replyMessage(error)?.startsWith("NOSCRIPT")) throw error;
      return redis.eval(this.#source, keys.length, ...keys, ...args);
    }
  }
}

// Hash fields of <prefix>task:<id>:
//   state    the task snapshot (TaskJson as JSON), written by the lease holder
//   created  the snapshot at creation (rebuilds `state` with the log if it is damaged)
//   epoch    the last epoch granted (the fencing number); 0 before the first owner
//   owner    owner id of that epoch (absent: never owned)
//   released the last epoch whose owner released the task cleanly
//   next     the last event id assigned (event ids are per task, from 1, no gaps)
//   ck       checkpoints appended after event `next` (their stream ids are next-1, next-2, …)

/**
 * KEYS: task, log, lease, controls, tombstone, active set, index set
 * ARGV: task json, task id
 * Returns {1, ""} when created, {0, stored state} when the task exists.
 * A task created again after a delete continues the epochs of the deleted
 * one (kept in the tombstone), so a stale owner of the old task stays fenced.
 */
export const createScript = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGET', KEYS[1], 'state') or ''}
end
local epoch = tonumber(redis.call('GET', KEYS[5]) or '0') or 0
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'created', ARGV[1], 'epoch', epoch, 'released', epoch, 'next', 0, 'ck', 0)
redis.call('SADD', KEYS[6], ARGV[2])
redis.call('SADD', KEYS[7], ARGV[2])
return {1, ''}
`);

/**
 * KEYS: task, lease
 * ARGV: owner id, lease time in ms
 * Returns {epoch, kind} when granted, {0, why} when not. The lease key's PX
 * expiry is the only clock: a lease is live while its key exists.
 */
export const acquireScript = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 'missing'} end
if redis.call('GET', KEYS[2]) then return {0, 'held'} end
local fields = redis.call('HMGET', KEYS[1], 'epoch', 'owner', 'released')
local epoch = tonumber(fields[1]) or 0
local kind = 'expired'
if not fields[2] then kind = 'new' elseif tonumber(fields[3]) == epoch then kind = 'released' end
epoch = epoch + 1
redis.call('HSET', KEYS[1], 'epoch', epoch, 'owner', ARGV[1])
redis.call('SET', KEYS[2], string.format('%d', epoch) .. ':' .. ARGV[1], 'PX', ARGV[2])
return {epoch, kind}
`);

/** KEYS: lease. ARGV: lease value, lease time in ms. Returns 1 when renewed, 0 when the lease is gone. */
export const renewScript = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/** KEYS: task, lease. ARGV: lease value, epoch, owner id. Marks the epoch released if it is still the last. */
export const releaseScript = new RedisScript(`
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
local fields = redis.call('HMGET', KEYS[1], 'epoch', 'owner')
if fields[1] == ARGV[2] and fields[2] == ARGV[3] then redis.call('HSET', KEYS[1], 'released', ARGV[2]) end
return 1
`);

/** KEYS: task, lease. ARGV: lease value, task json. Returns 1 when saved, 0 when fenced. */
export const saveScript = new RedisScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
return 1
`);

/**
 * KEYS: task, lease, log
 * ARGV: lease value, then pairs of (kind, json) with kind "e" (event) or "c" (checkpoint)
 * Returns the id of the last event after the append, or -1 when fenced.
 * Events get stream ids <eventId>-0; a checkpoint after event N gets N-<k>
 * (k ≥ 1), so stream order is log order and XRANGE from <N+1>-0 reads the
 * events after cursor N without scanning.
 */
export const appendScript = new RedisScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
local fields = redis.call('HMGET', KEYS[1], 'next', 'ck')
local nextId = tonumber(fields[1]) or 0
local ck = tonumber(fields[2]) or 0
for i = 2, #ARGV, 2 do
  if ARGV[i] == 'e' then
    nextId = nextId + 1
    ck = 0
    redis.call('XADD', KEYS[3], string.format('%d-0', nextId), 'e', ARGV[i + 1])
  else
    ck = ck + 1
    redis.call('XADD', KEYS[3], string.format('%d-%d', nextId, ck), 'c', ARGV[i + 1])
  end
end
redis.call('HSET', KEYS[1], 'next', nextId, 'ck', ck)
return nextId
`);

/**
 * KEYS: lease, log
 * ARGV: lease value, first event id kept
 * Removes every entry below <first>-0 (the events of older runs and the
 * checkpoints between them). Returns the entries removed, or -1 when fenced.
 * The id counter lives in the task hash, so ids are never reused.
 */
export const compactScript = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
return redis.call('XTRIM', KEYS[2], 'MINID', string.format('%d-0', tonumber(ARGV[2])))
`);

/**
 * KEYS: task, log, lease, controls, tombstone, active set, index set
 * ARGV: task id, tombstone lifetime in ms
 * The tombstone keeps the highest epoch so a re-created task continues it.
 */
export const deleteScript = new RedisScript(`
local epoch = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0') or 0
local previous = tonumber(redis.call('GET', KEYS[5]) or '0') or 0
if previous > epoch then epoch = previous end
redis.call('SET', KEYS[5], string.format('%d', epoch), 'PX', ARGV[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('SREM', KEYS[6], ARGV[1])
redis.call('SREM', KEYS[7], ARGV[1])
return 1
`);

/** KEYS: controls. Reads and removes every pending control, atomically. */
export const takeControlsScript = new RedisScript(`
local actions = redis.call('LRANGE', KEYS[1], 0, -1)
if #actions > 0 then redis.call('DEL', KEYS[1]) end
return actions
`);
