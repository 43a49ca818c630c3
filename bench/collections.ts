/**
 * Collections: how fast uploaded documents become searchable, and how fast a
 * large collection answers. Real parts throughout: the upload path of the
 * API (`CollectionService`), the task manager running the index task
 * (`createIndexEngine` with the real extraction) on the real file store in a
 * temporary folder, and the process's `CollectionIndexes` (and, for the
 * restart, their snapshots in the cache directory). Documents are
 * generated from State of the Union sentences (`collection-fixtures.ts`).
 *
 * Run alone with `npm run bench -- --only=collections`.
 */
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { promisify } from "node:util";
import { parseConfig } from "../lib/config";
import { silentLogger } from "../lib/log";
import type { DocumentJson } from "../lib/model/collection";
import { redactorFor } from "../lib/redact";
import { createResearchEngine } from "../lib/research";
import { CollectionIndexes } from "../lib/research/corpus/collection-indexes";
import { extractDocument, inspectDocument } from "../lib/research/documents";
import { chunkText } from "../lib/research/text/chunk";
import { documentIdOf } from "../lib/store/collections/collection-records";
import type { CollectionStore } from "../lib/store/collections/types";
import { createStore } from "../lib/store/create-store";
import { CollectionService } from "../lib/tasks/collection-service";
import { createIndexEngine } from "../lib/tasks/index-job";
import { createTaskEngine } from "../lib/tasks/task-engine";
import { TaskManager } from "../lib/tasks/task-manager";
import {
  benchQueries,
  corpusSentences,
  generatedMarkdown,
  generatedPdf,
  ProseGenerator,
} from "./collection-fixtures";
import {
  type Figure,
  figure,
  median,
  percentile,
  removeDir,
  type SectionResult,
  sleep,
  tempDir,
} from "./support";

/** The goals. */
export const COLLECTION_BENCH_GOALS = {
  /** A 300-page PDF from upload to searchable, ms. */
  pdfSearchableMs: 10_000,
  /** One added document searchable, whatever the collection's size, ms. */
  addOneMs: 1_000,
  /** Search over 100,000 passages, p99, ms. */
  searchP99Ms: 50,
  /** A fresh process's index of 100,000 passages loaded from its snapshot, ms. */
  snapshotLoadMs: 2_000,
} as const;

/** Sizes of the run (smaller ones make a quick check of the section itself). */
export interface CollectionBenchOptions {
  /** Pages of the PDF whose extraction speed is measured. Default 1,000. */
  bigPdfPages?: number;
  /** Pages of the PDF taken from upload to searchable. Default 300. */
  pdfPages?: number;
  /** Markdown files uploaded (about 10 passages each). Default 1,000. */
  markdownFiles?: number;
  /** Passages of the large collection. Default 100,000. */
  largePassages?: number;
  /** Queries of the latency figure. Default 200. */
  queries?: number;
}

/** Files per upload request: the API's own limit (`COLLECTION_LIMITS.filesPerUpload`). */
const FILES_PER_UPLOAD = 20;
/** Added documents timed at each collection size (the median is the figure). */
const ADD_ONE_REPEATS = 3;

export async function benchCollections(options: CollectionBenchOptions = {}): Promise<SectionResult> {
  const bigPdfPages = options.bigPdfPages ?? 1000;
  const pdfPages = options.pdfPages ?? 300;
  const markdownFiles = options.markdownFiles ?? 1000;
  const largePassages = options.largePassages ?? 100_000;
  const queryCount = options.queries ?? 200;
  const figures: Figure[] = [];
  const notes: string[] = [];
  const dir = tempDir("collections");
  const config = parseConfig({ TASK_STORAGE_DIR: `${dir}/tasks` });
  const store = await createStore(config, silentLogger);
  const collections = store.collections;
  const indexes = new CollectionIndexes(collections);
  const manager = new TaskManager({
    config,
    store,
    engine: createTaskEngine({
      research: createResearchEngine({ config, collections: indexes }),
      index: createIndexEngine({ collections, extract: extractDocument, redact: redactorFor(config) }),
    }),
    logger: silentLogger,
  });
  const service = new CollectionService({
    config: { ...config, MAX_COLLECTION_DOCUMENTS: 1_000_000 },
    manager,
    logger: silentLogger,
    inspect: (input) => inspectDocument(input),
    builtIns: [],
  });
  manager.start();
  try {
    const sentences = await corpusSentences();
    const prose = new ProseGenerator(sentences, 20_240_601);
    let started = performance.now();
    const bigPdf = await generatedPdf(prose, bigPdfPages, { title: "Generated report" });
    const marker = uniqueSentence(prose, "pdf");
    const pdf = await generatedPdf(prose, pdfPages, { title: "Annual review", lastPageSentence: marker });
    const markdown = Array.from({ length: markdownFiles }, (_, index) =>
      generatedMarkdown(prose, prose.title(), prose.between(2_000, 11_000)).concat(
        index === markdownFiles - 1 ? `\n${uniqueSentence(prose, "markdown")}\n` : "",
      ),
    );
    notes.push(
      `fixtures generated in ${seconds(performance.now() - started)} s: PDFs of ${bigPdfPages} pages ` +
        `(${mb(bigPdf.length)} MB) and ${pdfPages} pages, ${markdownFiles} Markdown files ` +
        `(${mb(markdown.reduce((sum, text) => sum + text.length, 0))} MB), from ${sentences.length.toLocaleString("en")} corpus sentences`,
    );

    // 1. Extraction alone, then a PDF from upload to searchable.
    started = performance.now();
    const extracted = await extractDocument({ bytes: bigPdf, filename: "generated.pdf" });
    const extractMs = performance.now() - started;
    figures.push(
      figure(`PDF extraction, ${bigPdfPages} pages`, (extracted.pageCount / extractMs) * 1000, "pages/s", {
        note: `${seconds(extractMs)} s`,
      }),
    );

    await service.create({ name: "reports" });
    started = performance.now();
    const [pdfDocument] = await upload(service, "reports", [{ filename: "annual-review.pdf", bytes: pdf }]);
    await waitReady(collections, "reports", [pdfDocument!]);
    const pdfIndex = await indexes.get("reports");
    const pdfHit = pdfIndex.search(marker, 10).find((hit) => hit.document === pdfDocument);
    const pdfMs = performance.now() - started;
    if (pdfHit?.page !== pdfPages)
      throw new Error(`the last page's phrase was not found on page ${pdfPages}`);
    figures.push(
      figure(`${pdfPages}-page PDF: upload → searchable`, pdfMs, "ms", {
        goal: { op: "<", target: COLLECTION_BENCH_GOALS.pdfSearchableMs },
        note: `${Math.round((pdfPages / pdfMs) * 1000)} pages/s, a search finds its last page`,
      }),
    );

    // 2. Markdown files from upload to searchable, uploaded as a client would (20 per request).
    await service.create({ name: "notes" });
    started = performance.now();
    const ids: string[] = [];
    for (let from = 0; from < markdown.length; from += FILES_PER_UPLOAD) {
      const files = markdown.slice(from, from + FILES_PER_UPLOAD).map((text, offset) => ({
        filename: `note-${from + offset + 1}.md`,
        bytes: new TextEncoder().encode(text),
      }));
      ids.push(...(await upload(service, "notes", files)));
    }
    const uploadedMs = performance.now() - started;
    const ready = await waitReady(collections, "notes", ids);
    const notesIndex = await indexes.get("notes");
    const lastMarker = markdown.at(-1)!.trim().split("\n").at(-1)!;
    if (!notesIndex.search(lastMarker, 10).some((hit) => hit.document === ids.at(-1)))
      throw new Error("the last Markdown file is not searchable");
    const markdownMs = performance.now() - started;
    const markdownPages = ready.reduce((sum, document) => sum + (document.pages ?? 0), 0);
    figures.push(
      figure(
        `${markdownFiles} Markdown files: upload → searchable`,
        (markdownPages / markdownMs) * 1000,
        "pages/s",
        {
          note: `${markdownPages.toLocaleString("en")} pages, ${notesIndex.size.toLocaleString("en")} passages in ${seconds(markdownMs)} s (uploads ${seconds(uploadedMs)} s)`,
        },
      ),
    );

    // 3. One more document in a collection of ~10,000 passages, then of ~100,000.
    const addOne = async (label: string) => {
      const times: number[] = [];
      for (let repeat = 0; repeat < ADD_ONE_REPEATS; repeat++) {
        const phrase = uniqueSentence(prose, `added ${label} ${repeat}`);
        const text = `${generatedMarkdown(prose, prose.title(), 9_000)}\n${phrase}\n`;
        const begin = performance.now();
        const [id] = await upload(service, "notes", [
          { filename: `added-${label}-${repeat}.md`, bytes: new TextEncoder().encode(text) },
        ]);
        await waitReady(collections, "notes", [id!]);
        const index = await indexes.get("notes");
        if (!index.search(phrase, 10).some((hit) => hit.document === id))
          throw new Error("the added document is not searchable");
        times.push(performance.now() - begin);
      }
      return times;
    };
    const smallSize = notesIndex.size;
    const small = await addOne("small");
    figures.push(
      figure(
        `one added document searchable, ${smallSize.toLocaleString("en")} passages`,
        median(small),
        "ms",
        {
          goal: { op: "<", target: COLLECTION_BENCH_GOALS.addOneMs },
          note: `median of ${ADD_ONE_REPEATS}: ${small.map((ms) => Math.round(ms)).join(", ")} ms`,
        },
      ),
    );

    // The rest of the large collection goes straight into the store (its
    // extraction is what parts 1 and 2 measure): documents of ~130 passages.
    started = performance.now();
    const stored = await fillCollection(collections, "notes", prose, largePassages - notesIndex.size);
    const fillMs = performance.now() - started;
    started = performance.now();
    const largeIndex = await indexes.get("notes");
    const syncMs = performance.now() - started;
    notes.push(
      `${stored.documents} documents of ${stored.passages.toLocaleString("en")} passages written to the store in ` +
        `${seconds(fillMs)} s; the running process's index took them in in ${seconds(syncMs)} s`,
    );
    const largeSize = largeIndex.size;
    const large = await addOne("large");
    figures.push(
      figure(
        `one added document searchable, ${largeSize.toLocaleString("en")} passages`,
        median(large),
        "ms",
        {
          goal: { op: "<", target: COLLECTION_BENCH_GOALS.addOneMs },
          note: `median of ${ADD_ONE_REPEATS}: ${large.map((ms) => Math.round(ms)).join(", ")} ms`,
        },
      ),
    );

    // 4. Search latency over the large collection, as the collection search provider asks (limit 100).
    const queries = benchQueries(prose, queryCount);
    for (const query of queries.slice(0, 20)) largeIndex.search(query, 100);
    const latencies: number[] = [];
    let empty = 0;
    for (const query of queries) {
      const begin = performance.now();
      const hits = largeIndex.search(query, 100);
      latencies.push(performance.now() - begin);
      if (hits.length === 0) empty++;
    }
    figures.push(
      figure(`search p50, ${largeIndex.size.toLocaleString("en")} passages`, median(latencies), "ms", {
        note: `${queries.length} queries (questions, evidence phrases, corpus phrases); ${empty} without hits`,
      }),
      figure(
        `search p99, ${largeIndex.size.toLocaleString("en")} passages`,
        percentile(latencies, 99),
        "ms",
        {
          goal: { op: "<", target: COLLECTION_BENCH_GOALS.searchP99Ms },
          note: `max ${Math.round(Math.max(...latencies))} ms`,
        },
      ),
    );

    // 5. What a fresh process does on its first search of the collection:
    // without a snapshot, build its index from the store (watching how long
    // the event loop waits meanwhile); with one, load it and sync.
    indexes.drop("notes");
    const builder = new CollectionIndexes(collections, { cacheDir: config.cacheDir });
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    started = performance.now();
    const cold = await builder.get("notes");
    const coldMs = performance.now() - started;
    loopDelay.disable();
    started = performance.now();
    await builder.flush();
    const writeMs = performance.now() - started;
    const snapshotBytes = statSync(path.join(config.cacheDir, "collections", "notes.idx")).size;
    const checked = queries.slice(0, 20);
    const expected = JSON.stringify(checked.map((query) => cold.search(query, 100)));
    // In this process (whose heap holds two other indexes of the collection) and in a new one.
    started = performance.now();
    const inProcess = await new CollectionIndexes(collections, { cacheDir: config.cacheDir }).get("notes");
    const inProcessMs = performance.now() - started;
    if (JSON.stringify(checked.map((query) => inProcess.search(query, 100))) !== expected)
      throw new Error("the index loaded from the snapshot answers differently");
    const child = await loadInChildProcess(config.storageDir, "notes", checked);
    if (child.warnings.length > 0) throw new Error(`the fresh process warned: ${child.warnings[0]}`);
    if (JSON.stringify(child.results) !== expected)
      throw new Error("the index a fresh process loaded from the snapshot answers differently");
    const loadMs = child.ms;
    figures.push(
      figure(`index built by a fresh process, ${cold.size.toLocaleString("en")} passages`, coldMs, "ms", {
        note: `first search of a collection after a restart, without a snapshot; longest event-loop wait meanwhile ${Math.round(loopDelay.max / 1e6)} ms`,
      }),
      figure(
        `index loaded by a fresh process from its snapshot, ${child.size.toLocaleString("en")} passages`,
        loadMs,
        "ms",
        {
          goal: { op: "<", target: COLLECTION_BENCH_GOALS.snapshotLoadMs },
          note:
            `first search after a restart: snapshot load and sync, in a new process (in this one: ${Math.round(inProcessMs)} ms); ` +
            `the snapshot (${mb(snapshotBytes)} MB) was written in ${Math.round(writeMs)} ms`,
        },
      ),
    );
    return { figures, notes };
  } finally {
    await manager.shutdown();
    removeDir(dir);
  }
}

/** `collection-load.ts` in a new Node process: what a restarted server does on its first search. */
async function loadInChildProcess(
  storageDir: string,
  collection: string,
  queries: readonly string[],
): Promise<{ ms: number; size: number; warnings: string[]; results: unknown[] }> {
  const script = path.join(__dirname, "collection-load.ts");
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", script, storageDir, collection, ...queries],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  return JSON.parse(stdout);
}

/** Uploads through the API's service; the ids of the documents, in order. */
async function upload(
  service: CollectionService,
  collection: string,
  files: { filename: string; bytes: Uint8Array }[],
): Promise<string[]> {
  const result = await service.upload(collection, files, "bench");
  if (result.rejected.length > 0) throw new Error(`upload refused: ${JSON.stringify(result.rejected[0])}`);
  return result.documents.map((document) => document.id);
}

/** Waits until every one of `ids` is ready (polling the store every 10 ms); their records. */
async function waitReady(store: CollectionStore, collection: string, ids: string[]): Promise<DocumentJson[]> {
  const documents: DocumentJson[] = [];
  for (const id of ids) {
    for (;;) {
      const document = await store.getDocument(collection, id);
      if (document?.status === "ready") {
        documents.push(document);
        break;
      }
      if (!document || document.status === "failed")
        throw new Error(`document ${id}: ${document ? JSON.stringify(document.error) : "gone"}`);
      await sleep(10);
    }
  }
  return documents;
}

/**
 * Adds ready documents of about 130 passages each (25 pages of ~3,500
 * characters) directly through the store, as an index task leaves them,
 * until `passages` more passages are stored.
 */
async function fillCollection(
  store: CollectionStore,
  collection: string,
  prose: ProseGenerator,
  passages: number,
): Promise<{ documents: number; passages: number }> {
  let added = 0;
  let documents = 0;
  const now = new Date().toISOString();
  while (added < passages) {
    const title = prose.title();
    const pages = Array.from({ length: 25 }, () => prose.text(3_400).join("\n\n"));
    const original = new TextEncoder().encode(`# ${title}\n\n${pages.join("\n\n")}\n`);
    const id = documentIdOf(original);
    const count = pages.reduce((sum, page) => sum + chunkText(page).length, 0);
    const document: DocumentJson = {
      id,
      collection,
      title,
      filename: `filled-${documents + 1}.md`,
      type: "markdown",
      mediaType: "text/markdown",
      bytes: original.length,
      pages: pages.length,
      characters: pages.reduce((sum, page) => sum + page.length, 0),
      passages: count,
      status: "indexing",
      error: null,
      job: id,
      createdAt: now,
      indexedAt: null,
    };
    await store.putDocument(document, original);
    await store.putText(collection, id, pages);
    await store.updateDocument({ ...document, status: "ready", indexedAt: now });
    added += count;
    documents++;
  }
  return { documents, passages: added };
}

/** A sentence found nowhere else: corpus words and a made-up one. */
function uniqueSentence(prose: ProseGenerator, label: string): string {
  const word = `zq${label.replace(/\W+/g, "")}${prose.between(100_000, 999_999)}`;
  return `The ${word} ledger records ${prose.title().toLowerCase()}.`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

if (/bench[\\/]collections\.ts$/.test(process.argv[1] ?? "")) {
  const scale = Number(process.env.COLLECTION_BENCH_SCALE ?? "1");
  benchCollections({
    bigPdfPages: Math.round(1000 * scale),
    pdfPages: Math.round(300 * scale),
    markdownFiles: Math.round(1000 * scale),
    largePassages: Math.round(100_000 * scale),
  }).then(
    (result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
