import { readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { temporaryDirectory } from "../testing/fixtures";
import { corpusFingerprint } from "./corpus-fingerprint";
import { createFolderCorpus } from "./folder-corpus";
import { createPassageIndexCache, INDEX_FORMAT, writePassageIndexFile } from "./passage-index";
import { decodePassageIndexFile, encodePassageIndexFile } from "./passage-index-file";

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
    const decoded = decodePassageIndexFile(readFileSync(path.join(dataDir, files[0]!)), {
      format: INDEX_FORMAT,
      fingerprint: first.fingerprint,
    });
    expect(decoded).toMatchObject({
      current: true,
      content: { fingerprint: first.fingerprint, documents: [{ ref: "doc:a.txt" }, { ref: "doc:b.txt" }] },
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

describe("passage index files", () => {
  const fruit = {
    "a.txt": "Apples grow on trees in orchards. Apple growers harvest in autumn.",
    "b.txt":
      "Bananas grow in tropical plantations.\n\nThe governments of banana-growing countries tax exports.",
    "c.md": "# Governing orchards\n\nGovernment inspectors visit the orchards and the plantations.",
  };

  /** A corpus whose document reads are counted. */
  function countedCorpus(files: Record<string, string>) {
    const corpus = createFolderCorpus(corpusWith(files));
    const counted = {
      ...corpus,
      loads: 0,
      loadDocuments() {
        counted.loads++;
        return corpus.loadDocuments();
      },
    };
    return counted;
  }

  /** A cache directory holding the index of `corpus`, and that file's path. */
  async function cachedIndexOf(corpus: ReturnType<typeof countedCorpus>) {
    const cacheDir = temporaryDirectory();
    const cache = createPassageIndexCache({ cacheDir });
    const index = await cache.get(corpus);
    await cache.settled();
    const [name] = readdirSync(cacheDir);
    expect(name).toMatch(/^search-index-folder-[0-9a-f]+\.idx$/);
    return { cacheDir, file: path.join(cacheDir, name!), index };
  }

  /** A fresh cache over `cacheDir` (a new process), collecting its warnings. */
  function freshCache(cacheDir: string) {
    const warnings: string[] = [];
    const cache = createPassageIndexCache({ cacheDir, warn: (message) => warnings.push(message) });
    return { cache, warnings };
  }

  const ranking = (index: Awaited<ReturnType<typeof cachedIndexOf>>["index"], query: string) =>
    index.search(query, 10).map(({ passage, document, score }) => ({ passage, document, score }));

  it("ranks a loaded index exactly as the index it was built as", async () => {
    const corpus = countedCorpus(fruit);
    const { cacheDir, index } = await cachedIndexOf(corpus);
    const { cache } = freshCache(cacheDir);
    const loaded = await cache.get(corpus);
    expect(corpus.loads).toBe(1);
    for (const query of ["orchards", "govern", "government plantations", "banana exports", "grow", "zebra"]) {
      expect(ranking(loaded, query)).toEqual(ranking(index, query));
    }
    expect(loaded.inverseDocumentFrequency("orchard")).toBe(index.inverseDocumentFrequency("orchard"));
    expect(loaded.passages).toEqual(index.passages);
    expect(loaded.documents).toEqual(index.documents);
  });

  it("counts a word's passages from the posting lists as a search for it would", async () => {
    const corpus = countedCorpus(fruit);
    const { index } = await cachedIndexOf(corpus);
    const passages = index.passages.length;
    // Passages whose text holds the word (MiniSearch's terms: "banana-growing" is two words).
    const idf = (containing: number) => Math.log(1 + passages / (1 + containing));
    const holding = (pattern: RegExp) => index.passages.filter(([, text]) => pattern.test(text)).length;
    expect(index.inverseDocumentFrequency("orchard")).toBe(idf(holding(/\borchards?\b/i)));
    expect(index.inverseDocumentFrequency("governments")).toBe(idf(holding(/\bgovernments?\b/i)));
    expect(index.inverseDocumentFrequency("banana-growing")).toBe(idf(holding(/\bbananas?\b|\bgrowing\b/i)));
    // Stopwords and unknown words are in no passage.
    expect(index.inverseDocumentFrequency("the")).toBe(idf(0));
    expect(index.inverseDocumentFrequency("zebra")).toBe(idf(0));
  });

  it("rebuilds a truncated cache file, with a warning", async () => {
    const corpus = countedCorpus(fruit);
    const { cacheDir, file } = await cachedIndexOf(corpus);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    const { cache, warnings } = freshCache(cacheDir);
    expect((await cache.get(corpus)).search("bananas", 5)).toHaveLength(1);
    expect(corpus.loads).toBe(2);
    expect(warnings.join("\n")).toMatch(/unreadable search index cache .*truncated/);
    await cache.settled();
    expect(readFileSync(file)).toEqual(bytes);
  });

  it("rebuilds a cache file of another format version or corpus state, quietly", async () => {
    const corpus = countedCorpus(fruit);
    const { cacheDir, file, index } = await cachedIndexOf(corpus);
    const bytes = readFileSync(file);
    const decoded = decodePassageIndexFile(bytes, { format: INDEX_FORMAT, fingerprint: index.fingerprint });
    if (!decoded.current) throw new Error("expected the current format");
    for (const foreign of [
      { ...decoded.content, format: "fathom-passage-index-0" },
      { ...decoded.content, fingerprint: "0".repeat(64) },
    ]) {
      writeFileSync(file, encodePassageIndexFile(foreign));
      const loadsBefore = corpus.loads;
      const { cache, warnings } = freshCache(cacheDir);
      expect(ranking(await cache.get(corpus), "orchards")).toEqual(ranking(index, "orchards"));
      expect(corpus.loads).toBe(loadsBefore + 1);
      expect(warnings).toEqual([]);
      await cache.settled();
      expect(readFileSync(file)).toEqual(bytes);
    }
  });

  it("removes the JSON cache of the previous format when it writes the new one", async () => {
    const corpus = countedCorpus(fruit);
    const { cacheDir, file } = await cachedIndexOf(corpus);
    const legacy = file.replace(/\.idx$/, ".json");
    rmSync(file);
    writeFileSync(legacy, '{"format":"fathom-passage-index-1"}');
    const { cache } = freshCache(cacheDir);
    await cache.get(corpus);
    await cache.settled();
    expect(readdirSync(cacheDir)).toEqual([path.basename(file)]);
  });

  it("uses the index built with the app, and never writes it or the cache", async () => {
    const built = countedCorpus(fruit);
    const prebuiltIndexFile = path.join(temporaryDirectory(), "search-index", "corpus.idx");
    const index = await writePassageIndexFile(built, prebuiltIndexFile);
    const bytes = readFileSync(prebuiltIndexFile);
    const corpus = Object.assign(built, { prebuiltIndexFile });
    const cacheDir = temporaryDirectory();
    const { cache, warnings } = freshCache(cacheDir);
    const loaded = await cache.get(corpus);
    await cache.settled();
    expect(ranking(loaded, "government")).toEqual(ranking(index, "government"));
    expect(corpus.loads).toBe(1); // the build's own read
    expect(warnings).toEqual([]);
    expect(readdirSync(cacheDir)).toEqual([]);
    expect(readFileSync(prebuiltIndexFile)).toEqual(bytes);
  });

  it("falls back to the cache when the index built with the app is stale or damaged, with a warning", async () => {
    const directory = corpusWith(fruit);
    const prebuiltIndexFile = path.join(temporaryDirectory(), "corpus.idx");
    await writePassageIndexFile(createFolderCorpus(directory), prebuiltIndexFile);
    const corpus = { ...createFolderCorpus(directory), prebuiltIndexFile };
    writeFileSync(path.join(directory, "d.txt"), "Dates grow on palms.");
    const stale = readFileSync(prebuiltIndexFile);

    const cacheDir = temporaryDirectory();
    const first = freshCache(cacheDir);
    expect((await first.cache.get(corpus)).search("palms", 5)).toHaveLength(1);
    expect(first.warnings.join("\n")).toMatch(
      /Not using .*corpus\.idx: built from another version of the corpus/,
    );
    await first.cache.settled();
    expect(readdirSync(cacheDir)).toHaveLength(1);
    expect(readFileSync(prebuiltIndexFile)).toEqual(stale);

    // Damaged: one flipped byte in the body.
    await writePassageIndexFile(corpus, prebuiltIndexFile);
    const damaged = readFileSync(prebuiltIndexFile);
    damaged[damaged.length - 1]! ^= 0xff;
    writeFileSync(prebuiltIndexFile, damaged);
    const second = freshCache(cacheDir);
    expect((await second.cache.get(corpus)).search("palms", 5)).toHaveLength(1);
    expect(second.warnings.join("\n")).toMatch(/unreadable search index built with the app .*checksum/);
  });

  it("identifies a corpus with a content version by it and its file names, not by file times", async () => {
    const directory = corpusWith(fruit);
    const versioned = (version: string) => ({
      ...createFolderCorpus(directory),
      contentVersion: async () => version,
    });
    const before = await corpusFingerprint(versioned("1.0.0"), INDEX_FORMAT);
    utimesSync(path.join(directory, "a.txt"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(await corpusFingerprint(versioned("1.0.0"), INDEX_FORMAT)).toBe(before);
    expect(await corpusFingerprint(versioned("1.0.1"), INDEX_FORMAT)).not.toBe(before);
    writeFileSync(path.join(directory, "d.txt"), "Dates grow on palms.");
    expect(await corpusFingerprint(versioned("1.0.0"), INDEX_FORMAT)).not.toBe(before);
  });
});
