import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { findRedisServer, type RedisTestServer, startRedisServer } from "../../../tests/support/redis";
import {
  type CollectionHarness,
  describeCollectionStoreContract,
  makeCollection,
  makeDocument,
  sampleBytes,
} from "../collections/contract";
import { RedisTaskStore } from "./redis-store";
import { redisFootprint } from "./testing/redis-footprint";

const binary = findRedisServer();
const required = process.env.CI === "true";
let server: RedisTestServer | null = null;
let prefixCounter = 0;

function running(): RedisTestServer {
  if (!server) throw new Error("redis-server is not running");
  return server;
}

/**
 * The collection contract runs in database 1, which nothing else uses, so
 * its footprint (every key of the database, with a digest of its value)
 * shows a key written under any prefix, or none.
 */
const COLLECTION_DB = 1;

function redisHarness(): CollectionHarness {
  const url = () => `${running().url}/${COLLECTION_DB}`;
  return {
    async create(shared) {
      return RedisTaskStore.connect({ url: url(), prefix: `col:${shared}:`, leaseTtlMs: 1000, pollMs: 20 });
    },
    async footprint() {
      return redisFootprint(url());
    },
  };
}

describe.runIf(binary !== null || required)("RedisCollections on a real redis-server", () => {
  beforeAll(async () => {
    if (!binary) throw new Error("redis-server not found on PATH; CI=true requires the Redis suite to run.");
    server = await startRedisServer(binary);
  });
  afterAll(async () => {
    await server?.stop();
    server = null;
  });

  describeCollectionStoreContract("redis", redisHarness);

  describe("Redis specifics", () => {
    const open = (prefix: string) =>
      RedisTaskStore.connect({ url: running().url, prefix, leaseTtlMs: 1000, pollMs: 20 });
    const nextPrefix = (label: string) => {
      prefixCounter += 1;
      return `${label}:${Date.now()}-${prefixCounter}:`;
    };

    it("keeps the documented keys: one hash of collections, a hash and a set per collection, a string per original and text", async () => {
      const prefix = nextPrefix("layout");
      const store = await open(prefix);
      const raw = new Redis(running().url);
      try {
        await store.collections.createCollection(makeCollection("papers"));
        const original = sampleBytes(3000, 1);
        const document = makeDocument("papers", original);
        await store.collections.putDocument(document, original);
        await store.collections.updateDocument({ ...document, status: "ready" });
        await store.collections.putText("papers", document.id, ["one"]);
        const keys = (await raw.keys(`${prefix}*`)).sort();
        expect(keys).toEqual(
          [
            `${prefix}collection:papers:documents`,
            `${prefix}collection:papers:original:${document.id}`,
            `${prefix}collection:papers:ready`,
            `${prefix}collection:papers:text:${document.id}`,
            `${prefix}collections`,
          ].sort(),
        );
        expect(await raw.type(`${prefix}collections`)).toBe("hash");
        expect(await raw.type(`${prefix}collection:papers:documents`)).toBe("hash");
        expect(await raw.type(`${prefix}collection:papers:ready`)).toBe("set");
        expect(await raw.getBuffer(`${prefix}collection:papers:original:${document.id}`)).toEqual(
          Buffer.from(original),
        );
        expect(await raw.get(`${prefix}collection:papers:text:${document.id}`)).toBe('{"pages":["one"]}');
        await store.collections.deleteCollection("papers");
        expect(await raw.keys(`${prefix}*`)).toEqual([]);
      } finally {
        raw.disconnect();
        await store.close();
      }
    });

    it("deletes a collection whose documents change during the delete without leaving a key behind", async () => {
      const prefix = nextPrefix("churn");
      const [a, b] = [await open(prefix), await open(prefix)];
      const raw = new Redis(running().url);
      // A document is put between the delete's listing of the documents and its script.
      const hkeys = Redis.prototype.hkeys;
      let sneaked = false;
      const spy = vi.spyOn(Redis.prototype, "hkeys").mockImplementation(async function (
        this: Redis,
        ...args: unknown[]
      ) {
        const listed = await (hkeys as (...args: unknown[]) => Promise<string[]>).apply(this, args);
        if (!sneaked) {
          sneaked = true;
          const original = sampleBytes(10_000, 99);
          await b.collections.putDocument(makeDocument("busy", original), original);
        }
        return listed;
      } as typeof hkeys);
      try {
        await a.collections.createCollection(makeCollection("busy"));
        for (let index = 0; index < 5; index++) {
          const original = sampleBytes(10_000, 100 + index);
          await a.collections.putDocument(makeDocument("busy", original), original);
        }
        expect(await a.collections.deleteCollection("busy")).toBe(true);
        expect(sneaked).toBe(true);
        expect(spy.mock.calls.length).toBe(2);
        expect(await raw.keys(`${prefix}*`)).toEqual([]);
      } finally {
        spy.mockRestore();
        raw.disconnect();
        await Promise.all([a.close(), b.close()]);
      }
    });

    it("is counted in the task store's figure for MAX_STORAGE_MB (Redis's used_memory)", async () => {
      const prefix = nextPrefix("budget");
      const store = await open(prefix);
      try {
        await store.collections.createCollection(makeCollection("papers"));
        const before = await store.usedBytes();
        const original = sampleBytes(4 * 1024 * 1024, 7);
        await store.collections.putDocument(makeDocument("papers", original), original);
        expect((await store.usedBytes()) - before).toBeGreaterThanOrEqual(original.byteLength);
        expect(await store.collections.usedBytes()).toBeGreaterThanOrEqual(original.byteLength);
        await store.collections.deleteCollection("papers");
      } finally {
        await store.close();
      }
    });

    it("names a key of the wrong type under the prefix", async () => {
      const prefix = nextPrefix("wrongtype");
      const store = await open(prefix);
      const raw = new Redis(running().url);
      try {
        await raw.rpush(`${prefix}collections`, "not a hash");
        await expect(store.collections.listCollections()).rejects.toMatchObject({
          code: "storage_error",
          message: expect.stringContaining(`Redis key "${prefix}collections" holds a list, expected a hash`),
        });
      } finally {
        raw.disconnect();
        await store.close();
      }
    });

    it("answers a retryable storage error while Redis is down, and works again when it is back", async () => {
      const prefix = nextPrefix("outage");
      const store = await open(prefix);
      try {
        await store.collections.createCollection(makeCollection("papers"));
        await running().kill();
        await expect(store.collections.getCollection("papers")).rejects.toMatchObject({
          code: "storage_error",
          retryable: true,
        });
        await running().start();
        // ioredis reconnects on its own backoff; a loaded machine restarts Redis slowly too.
        const deadline = Date.now() + 25_000;
        let collection = null;
        while (!collection && Date.now() < deadline) {
          collection = await store.collections.getCollection("papers").catch(() => null);
          if (!collection) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(collection?.name).toBe("papers");
      } finally {
        await store.close();
      }
    }, 40_000);
  });
});
