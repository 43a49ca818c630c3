import { RedisScript } from "./redis-scripts";

/**
 * The Lua scripts of collections (keys in `redis-keys.ts`). Each change is
 * one script, so a reader sees it whole or not at all; every key a script
 * touches is passed in KEYS. Each checks before its first write (scripts do
 * not roll back).
 */

/**
 * KEYS: collections hash
 * ARGV: name, collection json
 * Returns {1, ""} when created, {0, stored json} when the name is taken.
 */
export const createCollectionScript = new RedisScript(`
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return {0, existing} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {1, ''}
`);

/**
 * KEYS: collections hash, documents hash, ready set, original
 * ARGV: name, id, document json, original bytes, 1 when the document is ready
 * Returns {1, ""} when created, {0, stored json} when the document exists,
 * {-1, ""} when the collection does not. The original and the metadata appear together.
 */
export const putDocumentScript = new RedisScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {-1, ''} end
local existing = redis.call('HGET', KEYS[2], ARGV[2])
if existing then return {0, existing} end
redis.call('SET', KEYS[4], ARGV[4])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
if ARGV[5] == '1' then redis.call('SADD', KEYS[3], ARGV[2]) end
return {1, ''}
`);

/**
 * KEYS: documents hash, ready set
 * ARGV: id, document json, 1 when the document is ready
 * Returns 1 when updated, 0 when the document does not exist (nothing written).
 */
export const updateDocumentScript = new RedisScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '1' then redis.call('SADD', KEYS[2], ARGV[1]) else redis.call('SREM', KEYS[2], ARGV[1]) end
return 1
`);

/**
 * KEYS: documents hash, text
 * ARGV: id, text json
 * Returns 1 when stored, 0 when the document does not exist (nothing written).
 */
export const putTextScript = new RedisScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1
`);

/**
 * KEYS: documents hash, ready set, original, text
 * ARGV: id
 * Returns 1 when the document existed. UNLINK frees a large original off the main thread.
 */
export const deleteDocumentScript = new RedisScript(`
local existed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('UNLINK', KEYS[3], KEYS[4])
return existed
`);

/**
 * KEYS: collections hash, documents hash, ready set, then the original and the
 * text of each document the caller listed (in ARGV's order)
 * ARGV: name, number of documents listed, their ids
 * Returns 1 when deleted, 0 when there was no collection, -1 when the
 * documents are no longer those listed (one was put or deleted since): the
 * caller lists them again, so no original or text is left behind unnamed.
 */
export const deleteCollectionScript = new RedisScript(`
local count = tonumber(ARGV[2])
if redis.call('HLEN', KEYS[2]) ~= count then return -1 end
for i = 1, count do
  if redis.call('HEXISTS', KEYS[2], ARGV[2 + i]) == 0 then return -1 end
end
local existed = redis.call('HDEL', KEYS[1], ARGV[1])
for i = 2, #KEYS do redis.call('UNLINK', KEYS[i]) end
return existed
`);
