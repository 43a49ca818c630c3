import { describe, expect, it, vi } from "vitest";
import { seededRandom } from "../../../tests/support/seeded-random";
import type { DocumentJson } from "../../model/collection";
import { CollectionIndex, type CollectionReader } from "./collection-index";

/** A reader over documents held in memory: `ready` lists what a sync takes in. */
function memoryReader(documents: Map<string, { title: string; pages: string[] }>): CollectionReader {
  return {
    readyDocumentIds: async () => [...documents.keys()].sort(),
    getDocument: async (_collection, id) => {
      const document = documents.get(id);
      return document ? ({ id, title: document.title } as DocumentJson) : null;
    },
    readText: async (_collection, id) => documents.get(id)?.pages ?? null,
  };
}

describe("CollectionIndex.search", () => {
  it("finds the page of a passage, ranks by text and title, and forgets removed documents", async () => {
    const documents = new Map([
      [
        "a",
        {
          title: "Canal report",
          pages: [
            "The harbour was dredged this year.",
            "Tolls on the canal paid for its upkeep.\n\nThe canal carried grain.",
          ],
        },
      ],
      ["b", { title: "Railway notes", pages: ["The railway crossed the river near the canal."] }],
      ["c", { title: "Treasury", pages: ["Revenue from customs duties rose."] }],
    ]);
    const index = new CollectionIndex(memoryReader(documents), "notes");
    await index.sync();
    expect(index.size).toBe(4);

    const hits = index.search("canal tolls", 10);
    // Page 1 of a matches by its title alone, which weighs more than b's one mention.
    expect(hits.map((hit) => [hit.document, hit.page])).toEqual([
      ["a", 2],
      ["a", 1],
      ["b", 1],
    ]);
    expect(hits[0]).toMatchObject({ title: "Canal report", text: expect.stringContaining("Tolls") });
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    // A title word counts: "treasury" is only the title of c.
    expect(index.search("treasury", 10).map((hit) => hit.document)).toEqual(["c"]);
    // Prefixes of more than three letters match longer words.
    expect(index.search("railw", 10).map((hit) => hit.document)).toEqual(["b"]);
    expect(index.search("canal", 1)).toHaveLength(1);

    documents.delete("a");
    await index.sync();
    expect(index.search("canal tolls", 10).map((hit) => hit.document)).toEqual(["b"]);
  });
});

const WORDS = (
  "treaty treaties purchase purchased territory territorial congress president presidents annual message " +
  "revenue tariff canal canals railway railways settlers frontier commerce commercial navigation river port " +
  "customs duties appropriation militia navy naval administration report union states government citizens"
).split(" ");

/** Documents of a few pages of random words (seeded), titled with two of them. */
function randomDocuments(count: number, seed: number): Map<string, { title: string; pages: string[] }> {
  const next = seededRandom(seed);
  const pick = () => WORDS[Math.floor(next() * WORDS.length)]!;
  const paragraph = () => `${Array.from({ length: 10 + Math.floor(next() * 60) }, pick).join(" ")}.`;
  const documents = new Map<string, { title: string; pages: string[] }>();
  for (let index = 0; index < count; index++) {
    const id = (seed * 1000 + index).toString(16).padStart(32, "0");
    const pages = Array.from({ length: 1 + Math.floor(next() * 3) }, () =>
      Array.from({ length: 1 + Math.floor(next() * 4) }, paragraph).join("\n\n"),
    );
    documents.set(id, { title: `${pick()} ${pick()}`, pages });
  }
  return documents;
}

const QUERIES = [
  "treaty",
  "territ",
  "rail",
  "canal tolls and the navy",
  "How did the government pay the customs duties?",
  "congress president presidents",
  "zebra",
];

function results(index: CollectionIndex) {
  return QUERIES.map((query) => index.search(query, 1000));
}

describe("CollectionIndex snapshots", () => {
  it("load into an index that ranks as the one saved, to the last bit, and keeps in step after", async () => {
    const documents = randomDocuments(40, 3);
    // A fresh build, as a process builds a collection it has no snapshot of.
    const built = new CollectionIndex(memoryReader(documents), "notes");
    await built.sync();
    const snapshot = await built.snapshot();
    expect(snapshot).toBeDefined();
    const texts = vi.fn();
    const reader = memoryReader(documents);
    const counting: CollectionReader = {
      ...reader,
      readText: (collection, id) => {
        texts(id);
        return reader.readText(collection, id);
      },
    };
    const loaded = CollectionIndex.fromSnapshot(counting, snapshot!);
    await loaded.sync();
    expect(texts).not.toHaveBeenCalled();
    expect(loaded.size).toBe(built.size);
    expect(loaded.documentIds).toEqual(built.documentIds);
    expect(results(loaded)).toEqual(results(built));
    expect(results(built)[0]!.length).toBeGreaterThan(0);

    // Documents removed and added after the load: both indexes take the same steps.
    const [first, second] = [...documents.keys()];
    documents.delete(first!);
    documents.delete(second!);
    for (const [id, document] of randomDocuments(5, 4)) documents.set(id, document);
    await built.sync();
    await loaded.sync();
    expect(texts).toHaveBeenCalledTimes(5);
    expect(loaded.documentIds).toEqual(built.documentIds);
    expect(results(loaded)).toEqual(results(built));
    expect(loaded.search("treaty", 1000).some((hit) => hit.document === first)).toBe(false);

    // A snapshot of the loaded index (some postings still from the file, some added) loads the same again.
    const again = CollectionIndex.fromSnapshot(reader, (await loaded.snapshot())!);
    expect(results(again)).toEqual(results(built));
  });

  it("are not taken while a sync is changing the index", async () => {
    const documents = randomDocuments(5, 6);
    const index = new CollectionIndex(memoryReader(documents), "notes");
    const syncing = index.sync();
    expect(await index.snapshot()).toBeUndefined();
    await syncing;
    expect(await index.snapshot()).toBeDefined();
  });
});
