import type { NormalizedRequest, TaskRequest } from "../model/request";
import type { UsageEntry } from "../model/usage";

export type { UsageEntry };

/**
 * The contract between the task runner (lib/tasks) and the research engine.
 *
 * The engine is written as ordinary async code whose expensive or visible
 * parts are wrapped in `context.step(key, fn)`. The runner records each
 * finished step's result durably; when a task resumes (restart, takeover,
 * retry) it hands the recorded results back and `step` returns them without
 * calling `fn` again, so a resumed task repeats at most the step that was
 * interrupted. Keys must be deterministic functions of the request and of
 * earlier step results, and results must be JSON-serializable.
 */
export interface ResearchContext<Request extends TaskRequest = NormalizedRequest> {
  readonly request: Request;
  /** Aborted when the task is cancelled, paused, deleted or its lease is lost. */
  readonly signal: AbortSignal;
  /** Runs `run` once per task for `key`, or returns its recorded result. */
  step<T>(key: string, run: () => Promise<T>): Promise<T>;
  /** Reports progress computed from the real plan (0–100). */
  progress(update: ProgressUpdate): Promise<void>;
  /** Announces a source as it is found. */
  source(source: SourceRef): Promise<void>;
  /**
   * Appends the next piece of the report. Only the final report step calls it.
   * The concatenation of every `output` of a task is its report.
   */
  output(text: string): Promise<void>;
  /**
   * The report text already appended before this run, when an interrupted
   * report step is resumed. The engine must continue it: the report it
   * returns must start with this text, and it must only `output` the rest.
   */
  readonly reportSoFar: string;
  /** True once a user asked to stop searching and write the report now. */
  finishRequested(): boolean;
  /**
   * Records what one model call used: called after every call, failed
   * attempts and retries included (they cost as much). The runner adds it to
   * the task's and the current attempt's `usage` and saves the snapshot
   * before it resolves, so a step whose checkpoint is written never loses
   * the usage of its calls. A step repeated after an interruption calls
   * the model again, and that is counted again: it was paid for again.
   */
  usage(entry: UsageEntry): Promise<void>;
  /**
   * The task's last completed run before this one (a scheduled or fresh run
   * of a task that ran before): the report ends with what is new since it.
   * Fixed for the whole run. Absent for a task's first run.
   */
  readonly previous?: PreviousRun;
  /**
   * A follow-up's parent research (`request.parent`): its question,
   * learnings and cited sources, as its task holds them now. Absent for a
   * task without a parent. The engine records what it returns as a step, so
   * a resumed run starts from the same parent even if the parent ran again.
   */
  loadParent?(): Promise<ParentResearch>;
}

/** What a run is compared with: the previous completed run's sources and learnings. */
export interface PreviousRun {
  /** ISO time the previous run finished. */
  finishedAt: string;
  sources: readonly SourceRef[];
  learnings: readonly string[];
}

/** What a follow-up starts from: the completed parent's question, learnings and sources. */
export interface ParentResearch {
  /** The parent's task id. */
  id: string;
  query: string;
  learnings: string[];
  /** The parent report's sources, with the passages it cited. */
  sources: Source[];
}

export interface ProgressUpdate {
  /** Short machine-friendly step name: plan, search, read, learn, report. */
  step: string;
  /** 0–100. */
  percentage: number;
  message: string;
  /** Optional structure for the UI's research tree. */
  detail?: ResearchTreeNode;
}

/**
 * A node of the research tree as it grows (sub-question, search, finding,
 * and a model's reasoning in a step, whose `label` is the reasoning text).
 */
export interface ResearchTreeNode {
  kind: "question" | "search" | "learning" | "thinking";
  id: string;
  parentId?: string;
  label: string;
}

export interface SourceRef {
  title: string;
  /** A web URL, when the source is a web page. */
  url?: string;
  /**
   * A stable reference to a local document (e.g. `sotu:1803-thomas-jefferson`,
   * `collection:papers/<id>` for a collection's document).
   */
  documentRef?: string;
  /** The page of the document the passages are on (1-based), for documents with pages. */
  page?: number;
  /**
   * Why the page at `url` could not be read (refused by the address guard,
   * timed out, not text…). The source then stands only on its search
   * snippet, and is never presented as a link that was read.
   */
  unreadable?: string;
}

export interface Source extends SourceRef {
  /** 1-based number used by the report's `[n]` citations. */
  number: number;
  /** The passages the report used from this source. */
  passages: string[];
}

export interface ResearchResult {
  /** The whole Markdown report; equals the concatenation of the task's outputs. */
  report: string;
  sources: Source[];
  learnings: string[];
  /** Counts of the "What's new" section; absent when there was no previous run. */
  whatsNew?: { since: string; sources: number; learnings: number };
}

export interface ResearchEngine<Request extends TaskRequest = NormalizedRequest> {
  run(context: ResearchContext<Request>): Promise<ResearchResult>;
}

/** What the task runner runs: research, or indexing a document (`kind: "index"`). */
export type TaskEngine = ResearchEngine<TaskRequest>;
