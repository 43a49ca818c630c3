import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { DocumentJson } from "../../model/collection";
import type { CollectionReader } from "./collection-index";
import { CollectionIndexes } from "./collection-indexes";

type Documents = Map<string, { title: string; pages: string[] }>;

/** A reader over documents in memory that counts the texts it reads. */
function memoryReader(documents: Documents): CollectionReader & { texts: string[] } {
  const texts: string[] = [];
  return {
    texts,
    readyDocumentIds: async () => [...documents.keys()].sort(),
    getDocument: async (_collection, id) => {
      const document = documents.get(id);
      return document ? ({ id, title: document.title } as DocumentJson) : null;
    },
    readText: async (_collection, id) => {
      texts.push(id);
      return documents.get(id)?.pages ?? null;
    },
  };
}

const id = (n: number) => n.toString(16).padStart(32, "0");

function sampleDocuments(): Documents {
  return new Map([
    [id(1), { title: "Canal report", pages: ["The harbour was dredged.", "Tolls paid for the canal."] }],
    [id(2), { title: "Railway notes", pages: ["The railway crossed the river near the canal."] }],
    [id(3), { title: "Empty", pages: [""] }],
  ]);
}

const QUERIES = ["canal tolls", "railw", "harbour", "report"];

async function results(indexes: CollectionIndexes, collection = "notes") {
  const index = await indexes.get(collection);
  return QUERIES.map((query) => index.search(query, 100));
}

describe("CollectionIndexes snapshots", () => {
  let cacheDir: string;
  const snapshotFile = () => path.join(cacheDir, "collections", "notes.idx");

  beforeEach(() => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "fathom-collection-snapshots-"));
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.useRealTimers();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it("are written once the delay has passed, and a new process loads one and reads only the new texts", async () => {
    const documents = sampleDocuments();
    const warn = vi.fn();
    const first = new CollectionIndexes(memoryReader(documents), { cacheDir, warn });
    const expected = await results(first);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(fs.existsSync(snapshotFile())).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await first.flush();
    expect(fs.existsSync(snapshotFile())).toBe(true);

    const reader = memoryReader(documents);
    const second = new CollectionIndexes(reader, { cacheDir, warn });
    expect(await results(second)).toEqual(expected);
    expect(reader.texts).toEqual([]);
    // Unchanged since the load: nothing to write.
    const written = fs.statSync(snapshotFile()).mtimeMs;
    await vi.advanceTimersByTimeAsync(60_000);
    await second.flush();
    expect(fs.statSync(snapshotFile()).mtimeMs).toBe(written);

    // The store moved on: only the difference is read, and the snapshot follows.
    documents.delete(id(1));
    documents.set(id(4), { title: "Treasury", pages: ["Customs duties on the canal rose."] });
    expect((await second.get("notes")).documentIds).toEqual([id(2), id(3), id(4)]);
    expect(reader.texts).toEqual([id(4)]);
    await second.flush();
    const third = new CollectionIndexes(memoryReader(documents), { cacheDir, warn });
    const fresh = new CollectionIndexes(memoryReader(documents));
    expect(await results(third)).toEqual(await results(fresh));
    expect(warn).not.toHaveBeenCalled();
  });

  it("of a damaged, truncated or foreign file are ignored with a warning, and rebuilt", async () => {
    const documents = sampleDocuments();
    const expected = await results(new CollectionIndexes(memoryReader(documents)));
    const writer = new CollectionIndexes(memoryReader(documents), { cacheDir });
    await writer.get("notes");
    await writer.get("other");
    await writer.flush();
    const good = fs.readFileSync(snapshotFile());
    const flipped = Buffer.from(good);
    flipped[flipped.length - 3]! ^= 0x20;
    const cases: [string, Buffer, RegExp][] = [
      ["damaged", flipped, /unreadable.*checksum mismatch/],
      ["truncated", good.subarray(0, good.length - 100), /unreadable.*truncated or damaged/],
      ["foreign", Buffer.from("{}"), /unreadable.*not a passage index file/],
      [
        "another collection's",
        fs.readFileSync(path.join(cacheDir, "collections", "other.idx")),
        /Not using.*another version of the corpus/,
      ],
    ];
    for (const [, bytes, message] of cases) {
      fs.writeFileSync(snapshotFile(), bytes);
      const warn = vi.fn();
      const reader = memoryReader(documents);
      const indexes = new CollectionIndexes(reader, { cacheDir, warn });
      expect(await results(indexes)).toEqual(expected);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(message));
      expect(reader.texts).toHaveLength(documents.size);
      // The rebuilt index replaces the file.
      await indexes.flush();
      expect(fs.readFileSync(snapshotFile()).equals(good)).toBe(true);
    }
  });

  it("are removed with their collection, and never written for a name that is not one", async () => {
    const indexes = new CollectionIndexes(memoryReader(sampleDocuments()), { cacheDir });
    await indexes.get("notes");
    await indexes.flush();
    expect(fs.existsSync(snapshotFile())).toBe(true);
    await indexes.drop("notes");
    expect(fs.existsSync(snapshotFile())).toBe(false);
    // A pending write is cancelled by the drop.
    await indexes.get("notes");
    await indexes.drop("notes");
    await vi.advanceTimersByTimeAsync(60_000);
    await indexes.flush();
    expect(fs.existsSync(snapshotFile())).toBe(false);

    await indexes.get("../outside");
    await indexes.get("Notes");
    await vi.advanceTimersByTimeAsync(60_000);
    await indexes.flush();
    expect(fs.readdirSync(path.join(cacheDir, "collections"))).toEqual([]);
    expect(fs.readdirSync(cacheDir)).toEqual(["collections"]);
  });

  it("are not written without a cache directory", async () => {
    const indexes = new CollectionIndexes(memoryReader(sampleDocuments()));
    await indexes.get("notes");
    await vi.advanceTimersByTimeAsync(60_000);
    await indexes.flush();
    expect(fs.readdirSync(cacheDir)).toEqual([]);
    expect(() => new CollectionIndexes(memoryReader(new Map()), { snapshotDelayMs: -1 })).toThrow(
      /expected a number of ms ≥ 0, got -1/,
    );
  });
});
