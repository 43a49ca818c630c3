import { readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { temporaryDirectory } from "../testing/fixtures";
import { createFolderCorpus } from "./folder-corpus";
import { createPassageIndexCache } from "./passage-index";

function corpusWith(files: Record<string, string>) {
  const directory = temporaryDirectory("fathom-corpus-");
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(directory, name), text);
  return directory;
}

describe("passage index cache", () => {
  it("builds once for concurrent callers and writes the cache", async () => {
    const directory = corpusWith({
      "a.txt": "Apples grow on trees in orchards.",
      "b.txt": "Bananas grow in tropical plantations.",
    });
    const corpus = createFolderCorpus(directory);
    let loads = 0;
    const counted = {
      ...corpus,
      loadDocuments: () => {
        loads++;
        return corpus.loadDocuments();
      },
    };
    const dataDir = temporaryDirectory();
    const cache = createPassageIndexCache({ cacheDir: dataDir });
    const [first, second] = await Promise.all([cache.get(counted), cache.get(counted)]);
    expect(first).toBe(second);
    expect(loads).toBe(1);
    await cache.settled();
    const files = readdirSync(dataDir);
    expect(files).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(dataDir, files[0]!), "utf8"))).toMatchObject({
      fingerprint: first.fingerprint,
      documents: [{ ref: "doc:a.txt" }, { ref: "doc:b.txt" }],
    });
    expect(first.search("bananas", 5).map((hit) => first.documents[hit.document]!.ref)).toEqual([
      "doc:b.txt",
    ]);

    // A fresh process loads the cached index instead of reading the corpus.
    const fresh = await createPassageIndexCache({ cacheDir: dataDir }).get(counted);
    expect(loads).toBe(1);
    expect(fresh.search("orchards", 5).map((hit) => fresh.documents[hit.document]!.ref)).toEqual([
      "doc:a.txt",
    ]);
  });

  it("rebuilds when the corpus changes", async () => {
    const directory = corpusWith({ "a.txt": "Apples grow on trees." });
    const corpus = createFolderCorpus(directory);
    let now = 0;
    const dataDir = temporaryDirectory();
    const cache = createPassageIndexCache({ cacheDir: dataDir, now: () => now, recheckMs: 1000 });
    const before = await cache.get(corpus);
    await cache.settled();
    writeFileSync(path.join(directory, "c.txt"), "Cherries are small stone fruits.");
    now = 500;
    expect(await cache.get(corpus)).toBe(before);
    now = 2000;
    const after = await cache.get(corpus);
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(after.search("cherries", 5)).toHaveLength(1);
    // An edit (size or mtime) counts too, and a stale cache file is not reused by a new process.
    writeFileSync(path.join(directory, "a.txt"), "Apricots grow on trees.");
    utimesSync(path.join(directory, "a.txt"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    await cache.settled();
    const reloaded = await createPassageIndexCache({ cacheDir: dataDir }).get(corpus);
    expect(reloaded.search("apricots", 5)).toHaveLength(1);
  });

  it("ignores a corrupt cache file and rebuilds", async () => {
    const directory = corpusWith({ "a.txt": "Apples grow on trees." });
    const dataDir = temporaryDirectory();
    const corpus = createFolderCorpus(directory);
    const first = createPassageIndexCache({ cacheDir: dataDir });
    await first.get(corpus);
    await first.settled();
    const file = path.join(dataDir, readdirSync(dataDir)[0]!);
    writeFileSync(file, '{"format": "something else"');
    const warnings: string[] = [];
    const index = await createPassageIndexCache({
      cacheDir: dataDir,
      warn: (message) => warnings.push(message),
    }).get(corpus);
    expect(index.search("apples", 5)).toHaveLength(1);
    expect(warnings.join("\n")).toMatch(/unreadable search index cache/);
  });
});
