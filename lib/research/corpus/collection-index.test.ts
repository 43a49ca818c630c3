import { describe, expect, it } from "vitest";
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
