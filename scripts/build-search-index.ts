/**
 * Builds the default corpus's search index into the app, so that a server
 * loads it instead of building it: `tsx scripts/build-search-index.ts
 * [app folder]` (default `.next/standalone`). `npm run build`
 * (scripts/ensure-build.mjs) and the Dockerfile run it after `next build`.
 * The index is made from the corpus files inside the app folder, the ones
 * its server reads, and written to `<app folder>/search-index/sotu.idx`.
 */
import path from "node:path";
import { writePassageIndexFile } from "../lib/research/corpus/passage-index";
import { createSotuCorpus, locateSotuDataDir, SOTU_PREBUILT_INDEX } from "../lib/research/corpus/sotu-corpus";

async function main(): Promise<void> {
  const appFolder = path.resolve(process.argv[2] ?? path.join(".next", "standalone"));
  const file = path.join(appFolder, SOTU_PREBUILT_INDEX);
  const started = performance.now();
  const corpus = createSotuCorpus(locateSotuDataDir(appFolder), { prebuiltIndexFile: null });
  const index = await writePassageIndexFile(corpus, file);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.error(
    `Search index of the default corpus: ${path.relative(process.cwd(), file)} ` +
      `(${index.documents.length} documents, ${index.passages.length} passages, ${seconds} s)`,
  );
}

main().catch((error: unknown) => {
  console.error(
    `Could not build the search index: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exitCode = 1;
});
