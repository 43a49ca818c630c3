import Redis from "ioredis";

/**
 * Every key of the Redis database at `url`, with its type and a digest of
 * its value: a contract suite's footprint (a key written under any prefix
 * shows, so does none).
 */
export async function redisFootprint(url: string): Promise<string[]> {
  const raw = new Redis(url);
  try {
    const entries: string[] = [];
    for (const key of (await raw.keys("*")).sort()) {
      const type = await raw.type(key);
      let value: string;
      if (type === "string") value = ((await raw.getBuffer(key)) ?? Buffer.alloc(0)).toString("base64");
      else if (type === "hash") value = JSON.stringify(Object.entries(await raw.hgetall(key)).sort());
      else if (type === "set") value = JSON.stringify((await raw.smembers(key)).sort());
      else if (type === "zset") value = JSON.stringify(await raw.zrange(key, 0, -1, "WITHSCORES"));
      else value = type;
      entries.push(`${key} ${type} ${value.length} ${value.slice(0, 64)}`);
    }
    return entries;
  } finally {
    raw.disconnect();
  }
}
