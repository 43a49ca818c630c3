import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CollectionJson, DocumentJson } from "../../model/collection";
import type { StoreHarness } from "../testing/store-harness";
import type { TaskStore } from "../types";
import { documentIdOf } from "./collection-records";
import type { CollectionStore } from "./types";

/**
 * The CollectionStore contract, written once and run against every store
 * (file, file with DURABILITY=fsync, Redis, memory) through the task store
 * that carries it (`TaskStore.collections`).
 */
export type CollectionHarness = StoreHarness;

let counter = 0;

export function makeCollection(name: string, overrides: Partial<CollectionJson> = {}): CollectionJson {
  return { name, description: `The ${name} collection`, createdAt: new Date().toISOString(), ...overrides };
}

/** A document of `collection` whose id and size are those of `original`. */
export function makeDocument(
  collection: string,
  original: Uint8Array,
  overrides: Partial<DocumentJson> = {},
): DocumentJson {
  counter += 1;
  return {
    id: documentIdOf(original),
    collection,
    title: `Document ${counter}`,
    filename: `document-${counter}.pdf`,
    type: null,
    mediaType: null,
    bytes: original.byteLength,
    pages: null,
    characters: null,
    passages: null,
    status: "queued",
    error: null,
    job: `job-${counter}`,
    createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, counter)).toISOString(),
    indexedAt: null,
    ...overrides,
  };
}

/** Bytes that differ per `seed`: every byte value first, then a deterministic pseudo-random tail. */
export function sampleBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = (seed * 2_654_435_761) >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    if (index < 256) {
      bytes[index] = (index + seed) & 0xff;
      continue;
    }
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

const text = (value: string) => new TextEncoder().encode(value);

/** Names and ids that must never reach the disk or Redis. */
const BAD_NAMES = [
  "../x",
  "..",
  ".",
  "a/b",
  "a\\b",
  "%2e%2e",
  "%2F",
  "/etc",
  "/tmp/x",
  "",
  " padded",
  "padded ",
  "name\n",
  "nul\u0000",
  "UPPER",
  "ｐａｐｅｒｓ", // fullwidth look-alikes
  "pаpers", // Cyrillic а
  "a\u2215b", // division slash
  "a\u2024b", // one dot leader
  ".staging",
  ".trash",
  "a".repeat(65),
];
const BAD_IDS = [
  "../../etc/passwd",
  "..",
  "a".repeat(31),
  "a".repeat(33),
  "A".repeat(32),
  `${"a".repeat(31)}/`,
  `${"a".repeat(16)}/../${"a".repeat(12)}`,
  "０".repeat(32), // fullwidth digits
  `${"a".repeat(32)}\n`,
  "",
];

export function describeCollectionStoreContract(name: string, harness: () => CollectionHarness): void {
  describe(`CollectionStore contract: ${name}`, () => {
    let h: CollectionHarness;
    let shared: string;
    const stores: TaskStore[] = [];
    const open = async (): Promise<CollectionStore> => {
      const store = await h.create(shared);
      stores.push(store);
      return store.collections;
    };
    /** Stores a document with its original, returning both. */
    const put = async (store: CollectionStore, collection: string, seed: number, size = 1000) => {
      const original = sampleBytes(size, seed);
      const document = makeDocument(collection, original);
      const result = await store.putDocument(document, original);
      expect(result.created).toBe(true);
      return { document, original };
    };

    beforeEach(() => {
      h = harness();
      counter += 1;
      shared = `c${Date.now()}-${counter}`;
    });
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
      await h.cleanup?.();
    });

    it("creates, gets, lists by name and deletes collections", async () => {
      const store = await open();
      expect(await store.listCollections()).toEqual([]);
      expect(await store.getCollection("papers")).toBeNull();
      const papers = makeCollection("papers");
      expect(await store.createCollection(papers)).toEqual({ created: true, collection: papers });
      await store.createCollection(makeCollection("0-first_one"));
      await store.createCollection(makeCollection("zeta"));
      expect(await store.getCollection("papers")).toEqual(papers);
      expect((await store.listCollections()).map((collection) => collection.name)).toEqual([
        "0-first_one",
        "papers",
        "zeta",
      ]);
      expect(await store.deleteCollection("papers")).toBe(true);
      expect(await store.deleteCollection("papers")).toBe(false);
      expect(await store.getCollection("papers")).toBeNull();
      expect((await store.listCollections()).map((collection) => collection.name)).toEqual([
        "0-first_one",
        "zeta",
      ]);
    });

    it("creates a collection once: concurrent creators on two stores get one winner", async () => {
      const [a, b] = [await open(), await open()];
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          (index % 2 ? a : b).createCollection(makeCollection("shared", { description: `by ${index}` })),
        ),
      );
      expect(results.filter((result) => result.created)).toHaveLength(1);
      const stored = await b.getCollection("shared");
      for (const result of results) expect(result.collection).toEqual(stored);
      expect(await a.listCollections()).toEqual([stored]);
    });

    it("refuses a built-in collection's name", async () => {
      const store = await open();
      await expect(store.createCollection(makeCollection("sotu"))).rejects.toMatchObject({
        code: "conflict",
      });
      expect(await store.getCollection("sotu")).toBeNull();
    });

    it("stores the same document once, and answers a repeat with the stored one", async () => {
      const store = await open();
      await store.createCollection(makeCollection("papers"));
      const original = sampleBytes(5000, 1);
      const first = makeDocument("papers", original, { title: "First" });
      expect(await store.putDocument(first, original)).toEqual({ created: true, document: first });
      const again = makeDocument("papers", original, { title: "Second" });
      expect(await store.putDocument(again, original)).toEqual({ created: false, document: first });
      expect(await store.countDocuments("papers")).toBe(1);
      expect(await store.listDocuments("papers")).toEqual([first]);
    });

    it("stores one document when two stores put it at once", async () => {
      const [a, b] = [await open(), await open()];
      await a.createCollection(makeCollection("papers"));
      const original = sampleBytes(200_000, 2);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          (index % 2 ? a : b).putDocument(makeDocument("papers", original, { title: `T${index}` }), original),
        ),
      );
      expect(results.filter((result) => result.created)).toHaveLength(1);
      const stored = await b.getDocument("papers", documentIdOf(original));
      for (const result of results) expect(result.document).toEqual(stored);
      expect(await a.countDocuments("papers")).toBe(1);
      expect(Buffer.from((await a.readOriginal("papers", stored!.id))!).equals(Buffer.from(original))).toBe(
        true,
      );
    });

    it("refuses a document for a missing collection, or one whose id or size is not its content's", async () => {
      const store = await open();
      const original = sampleBytes(100, 3);
      await expect(store.putDocument(makeDocument("nowhere", original), original)).rejects.toMatchObject({
        code: "not_found",
      });
      await store.createCollection(makeCollection("papers"));
      const before = await h.footprint(shared);
      const wrongId = makeDocument("papers", original, { id: "0".repeat(32) });
      await expect(store.putDocument(wrongId, original)).rejects.toMatchObject({ code: "invalid_request" });
      const wrongSize = makeDocument("papers", original, { bytes: 99 });
      await expect(store.putDocument(wrongSize, original)).rejects.toMatchObject({ code: "invalid_request" });
      const invalid = { ...makeDocument("papers", original), status: "done" } as unknown as DocumentJson;
      await expect(store.putDocument(invalid, original)).rejects.toMatchObject({ code: "invalid_request" });
      expect(await h.footprint(shared)).toEqual(before);
      expect(await store.countDocuments("papers")).toBe(0);
      expect(await store.countDocuments("nowhere")).toBe(0);
      expect(await store.listDocuments("nowhere")).toEqual([]);
      expect(await store.readyDocumentIds("nowhere")).toEqual([]);
    });

    it("lists documents oldest first and counts them", async () => {
      const [a, b] = [await open(), await open()];
      await a.createCollection(makeCollection("papers"));
      const at = (second: number) => new Date(Date.UTC(2025, 5, 1, 12, 0, second)).toISOString();
      const stored: DocumentJson[] = [];
      for (const [seed, second] of [
        [10, 30],
        [11, 10],
        [12, 50],
        [13, 10],
        [14, 20],
      ] as const) {
        const original = sampleBytes(300 + seed, seed);
        const document = makeDocument("papers", original, { createdAt: at(second) });
        await (seed % 2 ? a : b).putDocument(document, original);
        stored.push(document);
      }
      const expected = [...stored].sort(
        (x, y) => x.createdAt.localeCompare(y.createdAt) || x.id.localeCompare(y.id),
      );
      expect(await b.listDocuments("papers")).toEqual(expected);
      expect(await a.countDocuments("papers")).toBe(5);
    });

    it("round-trips text: unicode of every plane, empty pages, and large texts", async () => {
      const [a, b] = [await open(), await open()];
      await a.createCollection(makeCollection("papers"));
      const { document } = await put(a, "papers", 20);
      const pages = [
        "Plain ASCII.",
        "",
        "Ünïcödé — “quotes”, ½, ß, Ω, 中文, 日本語, 한국어, العربية, עברית",
        "Emoji 👩🏽‍🔬🧪 and flags 🇫🇷, combining e\u0301, zero width \u200b\u200d, BOM \ufeff",
        "Controls \u0000\u0001\t\r\n and a lone surrogate \ud800 and \udfff",
        "\u{10ffff}\u{1f600}",
      ];
      expect(await b.readText("papers", document.id)).toBeNull();
      expect(await a.putText("papers", document.id, pages)).toBe(true);
      expect(await b.readText("papers", document.id)).toEqual(pages);
      const large = Array.from(
        { length: 2000 },
        (_, index) => `Page ${index}: ${"lorem ipsum ß 中 ".repeat(150)}`,
      );
      expect(await b.putText("papers", document.id, large)).toBe(true);
      const read = await a.readText("papers", document.id);
      expect(read).toHaveLength(2000);
      expect(read).toEqual(large);
      expect(await a.putText("papers", documentIdOf(text("absent")), ["x"])).toBe(false);
      expect(await a.readText("papers", documentIdOf(text("absent")))).toBeNull();
    });

    it("round-trips originals of several MB with every byte value, to another store", async () => {
      const [a, b] = [await open(), await open()];
      await a.createCollection(makeCollection("papers"));
      const { document, original } = await put(a, "papers", 30, 5 * 1024 * 1024 + 7);
      const read = await b.readOriginal("papers", document.id);
      expect(read).not.toBeNull();
      expect(read!.byteLength).toBe(original.byteLength);
      expect(Buffer.from(read!).equals(Buffer.from(original))).toBe(true);
      expect(new Set(read!.subarray(0, 256)).size).toBe(256);
      const empty = new Uint8Array(0);
      await a.putDocument(makeDocument("papers", empty), empty);
      expect((await b.readOriginal("papers", documentIdOf(empty)))?.byteLength).toBe(0);
      expect(await b.readOriginal("papers", documentIdOf(text("absent")))).toBeNull();
    });

    it("keeps the ready ids: updates to ready add, other statuses and deletions remove", async () => {
      const [a, b] = [await open(), await open()];
      await a.createCollection(makeCollection("papers"));
      const docs = [await put(a, "papers", 40), await put(a, "papers", 41), await put(b, "papers", 42)].map(
        ({ document }) => document,
      );
      expect(await b.readyDocumentIds("papers")).toEqual([]);
      const ready = (document: DocumentJson): DocumentJson => ({
        ...document,
        status: "ready",
        passages: 3,
        indexedAt: new Date().toISOString(),
      });
      for (const document of docs) expect(await a.updateDocument(ready(document))).toBe(true);
      const ids = docs.map((document) => document.id).sort();
      expect(await b.readyDocumentIds("papers")).toEqual(ids);
      expect((await b.getDocument("papers", docs[0]!.id))?.status).toBe("ready");
      await b.updateDocument({ ...docs[0]!, status: "indexing" });
      expect(await a.readyDocumentIds("papers")).toEqual(ids.filter((id) => id !== docs[0]!.id));
      expect(await a.deleteDocument("papers", docs[1]!.id)).toBe(true);
      expect(await b.readyDocumentIds("papers")).toEqual([docs[2]!.id]);
      // A document put as ready is ready at once.
      const original = sampleBytes(77, 43);
      const readyAtOnce = ready(makeDocument("papers", original));
      await b.putDocument(readyAtOnce, original);
      expect(await a.readyDocumentIds("papers")).toEqual([docs[2]!.id, readyAtOnce.id].sort());
    });

    it("never resurrects a deleted document: updates and texts after the delete write nothing", async () => {
      const [a, b] = [await open(), await open()];
      await a.createCollection(makeCollection("papers"));
      const { document } = await put(a, "papers", 50);
      await a.putText("papers", document.id, ["page"]);
      expect(await b.deleteDocument("papers", document.id)).toBe(true);
      expect(await b.deleteDocument("papers", document.id)).toBe(false);
      expect(await a.updateDocument({ ...document, status: "ready" })).toBe(false);
      expect(await a.putText("papers", document.id, ["again"])).toBe(false);
      for (const store of [a, b]) {
        expect(await store.getDocument("papers", document.id)).toBeNull();
        expect(await store.readOriginal("papers", document.id)).toBeNull();
        expect(await store.readText("papers", document.id)).toBeNull();
        expect(await store.readyDocumentIds("papers")).toEqual([]);
        expect(await store.countDocuments("papers")).toBe(0);
        expect(await store.listDocuments("papers")).toEqual([]);
      }
    });

    it("ends consistent when updates to ready race deletes of the same documents", async () => {
      const [a, b] = [await open(), await open()];
      await a.createCollection(makeCollection("papers"));
      // The delete starts a little later each round, so it lands at every point of the update.
      const later = async (turns: number) => {
        for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
      };
      for (let round = 0; round < 40; round++) {
        const { document } = await put(a, "papers", 100 + round);
        const [updated, deleted] = await Promise.all([
          a.updateDocument({ ...document, status: "ready" }),
          later(round).then(() => b.deleteDocument("papers", document.id)),
        ]);
        expect(deleted).toBe(true);
        expect(typeof updated).toBe("boolean");
        expect(await b.getDocument("papers", document.id)).toBeNull();
        expect(await a.readyDocumentIds("papers")).toEqual([]);
        expect(await a.countDocuments("papers")).toBe(0);
      }
    });

    it("deletes a collection with everything in it, leaving the others untouched", async () => {
      const [a, b] = [await open(), await open()];
      await a.createCollection(makeCollection("doomed"));
      await a.createCollection(makeCollection("kept"));
      const doomed = [await put(a, "doomed", 60), await put(a, "doomed", 61)];
      await a.updateDocument({ ...doomed[0]!.document, status: "ready" });
      await a.putText("doomed", doomed[0]!.document.id, ["doomed text"]);
      // The same file in both collections: one document in each.
      const kept = await a.putDocument(makeDocument("kept", doomed[1]!.original), doomed[1]!.original);
      expect(kept.created).toBe(true);
      await a.updateDocument({ ...kept.document, status: "ready" });
      await a.putText("kept", kept.document.id, ["kept text"]);
      const usedBefore = await a.usedBytes();

      expect(await b.deleteCollection("doomed")).toBe(true);
      for (const store of [a, b]) {
        expect(await store.getCollection("doomed")).toBeNull();
        expect(await store.countDocuments("doomed")).toBe(0);
        expect(await store.listDocuments("doomed")).toEqual([]);
        expect(await store.readyDocumentIds("doomed")).toEqual([]);
        for (const { document } of doomed) {
          expect(await store.getDocument("doomed", document.id)).toBeNull();
          expect(await store.readOriginal("doomed", document.id)).toBeNull();
          expect(await store.readText("doomed", document.id)).toBeNull();
        }
        expect(await store.listDocuments("kept")).toEqual([{ ...kept.document, status: "ready" }]);
        expect(await store.readyDocumentIds("kept")).toEqual([kept.document.id]);
        expect(await store.readText("kept", kept.document.id)).toEqual(["kept text"]);
        expect(Buffer.from((await store.readOriginal("kept", kept.document.id))!)).toEqual(
          Buffer.from(doomed[1]!.original),
        );
      }
      expect(await a.usedBytes()).toBeLessThan(usedBefore);
      // Created again, it starts empty: nothing of the deleted one comes back.
      expect((await b.createCollection(makeCollection("doomed"))).created).toBe(true);
      expect(await a.countDocuments("doomed")).toBe(0);
      expect(await a.readyDocumentIds("doomed")).toEqual([]);
      expect(await a.readOriginal("doomed", doomed[0]!.document.id)).toBeNull();
      expect(await a.readText("doomed", doomed[0]!.document.id)).toBeNull();
    });

    it("shows a collection being deleted whole or not at all to readers on another store", async () => {
      const [a, b] = [await open(), await open()];
      await a.createCollection(makeCollection("big"));
      const count = 30;
      for (let index = 0; index < count; index++) {
        const { document } = await put(a, "big", 200 + index, 20_000);
        await a.updateDocument({ ...document, status: "ready" });
      }
      const seen = new Set<number>();
      let deleting = true;
      const reading = (async () => {
        while (deleting) {
          seen.add(await b.countDocuments("big"));
          seen.add((await b.readyDocumentIds("big")).length);
          seen.add((await b.listDocuments("big")).length);
        }
      })();
      await a.deleteCollection("big");
      deleting = false;
      await reading;
      for (const value of seen) expect([0, count]).toContain(value);
    });

    it("lets puts race a delete of their collection without leaving anything behind", async () => {
      const [a, b] = [await open(), await open()];
      for (let round = 0; round < 5; round++) {
        await a.createCollection(makeCollection("racing"));
        const puts = Array.from({ length: 6 }, (_, index) => {
          const original = sampleBytes(50_000, 300 + round * 10 + index);
          return b.putDocument(makeDocument("racing", original), original).then(
            () => "stored",
            (error: { code?: string }) => error.code,
          );
        });
        const [deleted, ...outcomes] = await Promise.all([a.deleteCollection("racing"), ...puts]);
        expect(deleted).toBe(true);
        for (const outcome of outcomes) expect(["stored", "not_found"]).toContain(outcome);
        expect(await b.getCollection("racing")).toBeNull();
        expect(await b.countDocuments("racing")).toBe(0);
        await a.createCollection(makeCollection("racing"));
        expect(await b.countDocuments("racing")).toBe(0);
        expect(await b.listDocuments("racing")).toEqual([]);
        await a.deleteCollection("racing");
      }
      expect(await a.usedBytes()).toBe(0);
      expect(await b.usedBytes()).toBe(0);
    });

    it("lets a second store see everything the first wrote", async () => {
      const a = await open();
      await a.createCollection(makeCollection("papers", { description: "Résumés 📄" }));
      const { document, original } = await put(a, "papers", 70, 70_000);
      const indexed: DocumentJson = { ...document, status: "ready", type: "pdf", pages: 2, passages: 9 };
      await a.updateDocument(indexed);
      await a.putText("papers", document.id, ["one", "two"]);
      const b = await open();
      expect(await b.listCollections()).toEqual([(await a.getCollection("papers"))!]);
      expect((await b.getCollection("papers"))?.description).toBe("Résumés 📄");
      expect(await b.getDocument("papers", document.id)).toEqual(indexed);
      expect(await b.listDocuments("papers")).toEqual([indexed]);
      expect(await b.countDocuments("papers")).toBe(1);
      expect(await b.readyDocumentIds("papers")).toEqual([document.id]);
      expect(await b.readText("papers", document.id)).toEqual(["one", "two"]);
      expect(Buffer.from((await b.readOriginal("papers", document.id))!).equals(Buffer.from(original))).toBe(
        true,
      );
      expect(await b.usedBytes()).toBeGreaterThanOrEqual(70_000);
    });

    it("refuses names and ids that are not exactly names and ids, writing nothing", async () => {
      const store = await open();
      await store.createCollection(makeCollection("papers"));
      const { document } = await put(store, "papers", 80);
      const before = await h.footprint(shared);
      const refused = async (attempt: () => Promise<unknown>, what: string) => {
        await expect(attempt(), what).rejects.toMatchObject({ code: "invalid_request" });
      };
      const original = sampleBytes(10, 81);
      for (const bad of BAD_NAMES) {
        const what = JSON.stringify(bad);
        await refused(() => store.createCollection(makeCollection(bad)), `create ${what}`);
        await refused(() => store.getCollection(bad), `get ${what}`);
        await refused(() => store.deleteCollection(bad), `delete ${what}`);
        await refused(() => store.putDocument(makeDocument(bad, original), original), `put into ${what}`);
        await refused(() => store.updateDocument({ ...document, collection: bad }), `update in ${what}`);
        await refused(() => store.getDocument(bad, document.id), `get document of ${what}`);
        await refused(() => store.listDocuments(bad), `list ${what}`);
        await refused(() => store.countDocuments(bad), `count ${what}`);
        await refused(() => store.deleteDocument(bad, document.id), `delete document of ${what}`);
        await refused(() => store.readOriginal(bad, document.id), `read original of ${what}`);
        await refused(() => store.putText(bad, document.id, ["x"]), `put text of ${what}`);
        await refused(() => store.readText(bad, document.id), `read text of ${what}`);
        await refused(() => store.readyDocumentIds(bad), `ready ids of ${what}`);
      }
      for (const bad of BAD_IDS) {
        const what = JSON.stringify(bad);
        await refused(() => store.putDocument({ ...document, id: bad }, original), `put ${what}`);
        await refused(() => store.updateDocument({ ...document, id: bad }), `update ${what}`);
        await refused(() => store.getDocument("papers", bad), `get ${what}`);
        await refused(() => store.deleteDocument("papers", bad), `delete ${what}`);
        await refused(() => store.readOriginal("papers", bad), `read original ${what}`);
        await refused(() => store.putText("papers", bad, ["x"]), `put text ${what}`);
        await refused(() => store.readText("papers", bad), `read text ${what}`);
      }
      expect(await h.footprint(shared)).toEqual(before);
      expect((await store.listCollections()).map((collection) => collection.name)).toEqual(["papers"]);
      expect(await store.countDocuments("papers")).toBe(1);
    });
  });
}
