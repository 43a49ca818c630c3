import type { NormalizedRequest } from "../model/request";
import { addUsage, type TaskUsage, type UsageEntry } from "../model/usage";
import type {
  ParentResearch,
  PreviousRun,
  ProgressUpdate,
  ResearchContext,
  ResearchEngine,
  ResearchResult,
  SourceRef,
} from "./types";

/** Options of `runEngineInMemory`. */
export interface InMemoryRunOptions {
  /**
   * Step records, by key. Results found here are returned without running
   * the step (a resumed run); every finished step is added. Default: empty.
   */
  records?: Map<string, unknown>;
  /** The report text sent by an interrupted run of the report step. Default "". */
  reportSoFar?: string;
  signal?: AbortSignal;
  /** Whether to stop searching and write the report now. Default: never. */
  finishRequested?: () => boolean;
  /** Called before a step function actually runs (not for recorded steps). */
  beforeStep?: (key: string) => void;
  onProgress?: (update: ProgressUpdate) => void;
  onSource?: (source: SourceRef) => void;
  onOutput?: (text: string) => void;
  onUsage?: (entry: UsageEntry) => void;
  /** The previous completed run to report what is new since. Default: none (a first run). */
  previous?: PreviousRun;
  /** A follow-up's parent (`ResearchContext.loadParent`). Default: none. */
  parent?: ParentResearch;
  /** Receives each output piece; pass an array to keep outputs of a run that throws. Default: a new array. */
  outputs?: string[];
}

/** What an in-memory run produced. */
export interface InMemoryRun {
  result: ResearchResult;
  records: Map<string, unknown>;
  /** The output pieces of this run (the report minus `reportSoFar`). */
  outputs: string[];
  progress: ProgressUpdate[];
  sources: SourceRef[];
  /** Keys of the steps whose function ran in this run, in order. */
  stepsRun: string[];
  /** What this run's model calls used, without cost (no prices here); undefined when it made none. */
  usage: TaskUsage | undefined;
}

/**
 * Runs the engine outside the task system: step records in a Map (passed
 * through JSON like a durable store would), outputs collected in memory.
 * Used by the command line and by tests (interrupt with `beforeStep` or
 * `onOutput` throwing, then run again with the same `records`).
 */
export async function runEngineInMemory(
  engine: ResearchEngine,
  request: NormalizedRequest,
  options: InMemoryRunOptions = {},
): Promise<InMemoryRun> {
  const records = options.records ?? new Map<string, unknown>();
  const outputs = options.outputs ?? [];
  const progress: ProgressUpdate[] = [];
  const sources: SourceRef[] = [];
  const stepsRun: string[] = [];
  let usage: TaskUsage | undefined;
  const context: ResearchContext = {
    request,
    signal: options.signal ?? new AbortController().signal,
    reportSoFar: options.reportSoFar ?? "",
    ...(options.previous ? { previous: options.previous } : {}),
    async step<T>(key: string, run: () => Promise<T>): Promise<T> {
      if (records.has(key)) return records.get(key) as T;
      options.beforeStep?.(key);
      stepsRun.push(key);
      const result = await run();
      // Like a durable store: what is returned later is what survives JSON.
      const stored = JSON.parse(JSON.stringify(result ?? null)) as T;
      records.set(key, stored);
      return stored;
    },
    async progress(update) {
      progress.push(update);
      options.onProgress?.(update);
    },
    async source(source) {
      sources.push(source);
      options.onSource?.(source);
    },
    async output(text) {
      options.onOutput?.(text);
      outputs.push(text);
    },
    finishRequested: () => options.finishRequested?.() ?? false,
    async usage(entry) {
      usage = addUsage(usage, entry, undefined);
      options.onUsage?.(entry);
    },
    ...(options.parent ? { loadParent: async () => options.parent! } : {}),
  };
  const result = await engine.run(context);
  return { result, records, outputs, progress, sources, stepsRun, usage };
}
