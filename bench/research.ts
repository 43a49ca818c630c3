/**
 * Speed of the research engine's local path: cold index build of the default
 * corpus, warm start from the cached index, and one default offline research
 * end to end. Run alone with `npx tsx bench/research.ts` (prints JSON).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseConfig } from "../lib/config";
import { normalizeRequest, researchRequestSchema } from "../lib/model/request";
import { requestDefaults } from "../lib/model/request-defaults";
import { createResearchEngine, runEngineInMemory } from "../lib/research";
import { createPassageIndexCache } from "../lib/research/corpus/passage-index";
import { createSotuCorpus } from "../lib/research/corpus/sotu-corpus";

/** Goals (ms): cold < 5000, warm < 300, research < 10000. */
export const RESEARCH_BENCH_GOALS = { coldIndexMs: 5000, warmIndexMs: 300, researchMs: 10_000 } as const;

/**
 * Measures, in ms: `coldIndexMs` (default corpus read, cut into passages and
 * indexed until searchable), `coldIndexWithCacheWriteMs` (plus writing the
 * cache file), `warmIndexMs` (a fresh instance loading that file: what a
 * server does with the index `npm run build` ships, which is the same format) and
 * `researchMs` (one default offline research in a fresh instance, index load
 * included). Also reports corpus and report sizes.
 */
export async function benchResearch(): Promise<Record<string, number>> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "fathom-bench-research-"));
  try {
    // Not the index built with the app: the cold figure is a build from the corpus.
    const corpus = createSotuCorpus(undefined, { prebuiltIndexFile: null });

    let started = performance.now();
    const coldCache = createPassageIndexCache({ cacheDir: dataDir });
    const built = await coldCache.get(corpus);
    const coldIndexMs = performance.now() - started;
    // The cache file is written once the index is usable; that part is measured apart.
    await coldCache.settled();
    const coldIndexWithCacheWriteMs = performance.now() - started;

    // A fresh cache instance is a new process as far as the index is concerned.
    const warmCache = createPassageIndexCache({ cacheDir: dataDir });
    started = performance.now();
    await warmCache.get(corpus);
    const warmIndexMs = performance.now() - started;

    // End to end from a cold process's point of view: index loaded from disk, then the research.
    const config = parseConfig({ TASK_STORAGE_DIR: path.join(dataDir, "tasks") });
    const request = normalizeRequest(
      researchRequestSchema.parse({ query: "How did the United States acquire Louisiana?" }),
      requestDefaults(config),
    );
    started = performance.now();
    const engine = createResearchEngine({ config, indexes: createPassageIndexCache({ cacheDir: dataDir }) });
    const run = await runEngineInMemory(engine, request);
    const researchMs = performance.now() - started;

    return {
      coldIndexMs: Math.round(coldIndexMs),
      coldIndexWithCacheWriteMs: Math.round(coldIndexWithCacheWriteMs),
      warmIndexMs: Math.round(warmIndexMs),
      researchMs: Math.round(researchMs),
      documents: built.documents.length,
      passages: built.passages.length,
      reportChars: run.result.report.length,
      sources: run.result.sources.length,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (/bench[\\/]research\.ts$/.test(process.argv[1] ?? "")) {
  benchResearch().then(
    (results) => process.stdout.write(`${JSON.stringify(results, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
