import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { temporaryDirectory } from "../testing/fixtures";
import { createSotuCorpus, SOTU_PREBUILT_INDEX } from "./sotu-corpus";

describe("the State of the Union corpus", () => {
  it("is identified by its package's name and version", async () => {
    const corpus = createSotuCorpus();
    expect(await corpus.contentVersion?.()).toMatch(/^@stdlib\/datasets-sotu@\d+\.\d+\.\d+/);
  });

  it("has no content version when its data folder stands alone", async () => {
    const data = path.join(temporaryDirectory(), "data");
    mkdirSync(data);
    expect(await createSotuCorpus(data).contentVersion?.()).toBeUndefined();
    writeFileSync(path.join(data, "..", "package.json"), JSON.stringify({ name: "another-package" }));
    expect(await createSotuCorpus(data).contentVersion?.()).toBeUndefined();
  });

  it("looks for the index built with the app in the working directory, unless told otherwise", () => {
    expect(createSotuCorpus().prebuiltIndexFile).toBe(path.join(process.cwd(), SOTU_PREBUILT_INDEX));
    expect(createSotuCorpus(undefined, { prebuiltIndexFile: "/app/index.idx" }).prebuiltIndexFile).toBe(
      "/app/index.idx",
    );
    expect(createSotuCorpus(undefined, { prebuiltIndexFile: null }).prebuiltIndexFile).toBeUndefined();
  });
});
