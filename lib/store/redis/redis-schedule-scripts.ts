import { RedisScript } from "./redis-scripts";

/**
 * The Lua scripts of schedules and webhook deliveries (keys in
 * `redis-keys.ts`). Each change is one script naming every key it touches,
 * so it happens whole or not at all, and each checks before its first write.
 * Numbers travel as strings: a Lua number printed with `..` may turn into
 * `1.7e+12`, so scripts compare with `tonumber` and write what they were given.
 */

/**
 * KEYS: schedules hash
 * ARGV: id, schedule json
 * Returns {1, ""} when created, {0, stored json} when the id is taken.
 */
export const createScheduleScript = new RedisScript(`
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return {0, existing} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {1, ''}
`);

/**
 * KEYS: schedules hash
 * ARGV: id, schedule json
 * Returns 1 when replaced, 0 when there is no such schedule (nothing written).
 */
export const updateScheduleScript = new RedisScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`);

/**
 * KEYS: schedules hash, fires zset, runs hash, run order zset
 * ARGV: id
 * Returns 1 when the schedule existed. Its claims and run records go with it.
 */
export const deleteScheduleScript = new RedisScript(`
local existed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('UNLINK', KEYS[2], KEYS[3], KEYS[4])
return existed
`);

/**
 * KEYS: schedules hash, fires zset
 * ARGV: id, fire ms, horizon ms
 * Returns 1 for the one claim of this fire, 0 otherwise: the schedule is
 * missing, the fire is claimed, or it is more than the horizon behind the
 * latest claim (whose older claims are forgotten here, in the same script).
 */
export const claimFireScript = new RedisScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('ZSCORE', KEYS[2], ARGV[2]) then return 0 end
local fire = tonumber(ARGV[2])
local latest = fire
local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if newest[2] and tonumber(newest[2]) > latest then latest = tonumber(newest[2]) end
local cut = latest - tonumber(ARGV[3])
if fire < cut then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. string.format('%.0f', cut))
return 1
`);

/**
 * KEYS: schedules hash, runs hash, run order zset
 * ARGV: id, fire ms, run json
 * Returns 1 when stored, 0 when the schedule does not exist (nothing written).
 */
export const saveRunScript = new RedisScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[2])
return 1
`);

/**
 * KEYS: runs hash, run order zset
 * ARGV: cut ms (records before it go)
 * Returns how many records were removed.
 */
export const pruneRunsScript = new RedisScript(`
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
for _, fire in ipairs(old) do redis.call('HDEL', KEYS[1], fire) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
return #old
`);

// Hash fields of <prefix>webhook:<id>:
//   json      the delivery (WebhookDeliveryJson) with every recorded attempt
//   attempts  how many attempts are recorded
//   gen       claims taken of the next attempt (0: none yet); a reclaim after expiry adds one
//   status    pending | delivered | failed
//   next      the next attempt's time in ms (0 once not pending)

/**
 * KEYS: delivery hash, due zset, task's deliveries zset
 * ARGV: delivery json, first attempt ms, created ms, id
 * Returns {1, ""} when created, {0, stored json} when it exists.
 */
export const createDeliveryScript = new RedisScript(`
local existing = redis.call('HGET', KEYS[1], 'json')
if existing then return {0, existing} end
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'attempts', '0', 'gen', '0', 'status', 'pending', 'next', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return {1, ''}
`);

/**
 * KEYS: delivery hash, claim string
 * ARGV: now ms, owner id, lease ms
 * Claims the next attempt of a due, pending delivery unless a live claim
 * exists (the claim key expires with its lease, on Redis's clock).
 * Returns {1, attempt, generation, json}, or {0} when refused.
 */
export const claimDeliveryScript = new RedisScript(`
local d = redis.call('HMGET', KEYS[1], 'json', 'attempts', 'status', 'next')
if not d[1] then return {0} end
if d[3] ~= 'pending' or tonumber(d[4]) > tonumber(ARGV[1]) then return {0} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {0} end
local attempt = tonumber(d[2]) + 1
local gen = redis.call('HINCRBY', KEYS[1], 'gen', 1)
redis.call('SET', KEYS[2], string.format('%d:%d:%s', attempt, gen, ARGV[2]), 'PX', ARGV[3])
return {1, attempt, gen, d[1]}
`);

/**
 * KEYS: delivery hash, claim string, due zset
 * ARGV: attempt, generation, owner id, new json, new status, next ms (0 when not pending), id
 * Records attempt n once: only while n-1 attempts are recorded, the claim's
 * generation is the latest, and no other holder's claim is live. A claim
 * that expired without being taken again may still record.
 * Returns 1 when recorded, 0 when the claim was lost.
 */
export const recordAttemptScript = new RedisScript(`
local d = redis.call('HMGET', KEYS[1], 'attempts', 'gen')
if not d[1] then return 0 end
if tonumber(d[1]) ~= tonumber(ARGV[1]) - 1 or tonumber(d[2]) ~= tonumber(ARGV[2]) then return 0 end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= (ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[4], 'attempts', ARGV[1], 'gen', '0', 'status', ARGV[5], 'next', ARGV[6])
redis.call('DEL', KEYS[2])
if ARGV[5] == 'pending' then redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7]) else redis.call('ZREM', KEYS[3], ARGV[7]) end
return 1
`);

/**
 * KEYS: delivery hash, claim string, due zset, task's deliveries zset
 * ARGV: id
 * Returns 1 when the delivery existed.
 */
export const deleteDeliveryScript = new RedisScript(`
local existed = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return existed
`);

/**
 * KEYS: the task's subscriptions set
 * ARGV: member ("<run> <url>"), the run's prefix ("<run> "), limit
 * Returns 1 when added, 0 when the member was there, 2 when the run has `limit` URLs.
 */
export const addSubscriptionScript = new RedisScript(`
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
local count = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if string.sub(member, 1, #ARGV[2]) == ARGV[2] then count = count + 1 end
end
if count >= tonumber(ARGV[3]) then return 2 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
`);
