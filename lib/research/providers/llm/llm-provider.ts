import type { LlmProviderName } from "../../../model/request";

/** Tokens one model call used. `outputTokens` includes `reasoningTokens`. */
export interface CallUsage {
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

/** What a step learns about its model calls besides their answers. */
export interface ModelCallObserver {
  /** Usage of each call (retries included), when the server reports it. */
  onUsage?: (usage: CallUsage) => void;
  /** The reasoning of each call that had some (never part of an answer). */
  onReasoning?: (text: string) => void;
}

/** A sub-question to research: `query` is what is searched, `goal` what it should find out. */
export interface SubQuestion {
  query: string;
  goal: string;
}

/** Input of `LlmProvider.plan`. */
export interface PlanInput extends ModelCallObserver {
  /** The user's question (or, deeper down, the parent's goal and follow-ups). */
  query: string;
  /** How many sub-questions are wanted (at most). */
  count: number;
  /** What earlier steps learned, to avoid searching for it again. */
  learnings: string[];
  /** Follow-up questions of the parent node, when planning a deeper level. */
  followUps: string[];
  language: string;
  signal?: AbortSignal;
}

/** A passage put in front of the learner, numbered from 1 within one `learn` call. */
export interface NumberedPassage {
  number: number;
  title: string;
  text: string;
}

/** Input of `LlmProvider.learn`. */
export interface LearnInput extends ModelCallObserver {
  /** The user's original question. */
  rootQuery: string;
  /** The sub-question that was searched. */
  query: string;
  goal: string;
  passages: NumberedPassage[];
  /** Learnings already made elsewhere in the research (not to be repeated). */
  known: string[];
  /** Learnings wanted (at most). */
  count: number;
  /** Follow-up questions wanted (at most). */
  followUpCount: number;
  language: string;
  signal?: AbortSignal;
}

/** A finding and the numbers of the passages it comes from. */
export interface ExtractedLearning {
  text: string;
  passages: number[];
  /** How well it answers the user's question, when the writer can tell (higher is better). */
  relevance?: number;
}

export interface LearnOutput {
  learnings: ExtractedLearning[];
  followUps: string[];
}

/** A learning as the report writer sees it: with the report's citation numbers. */
export interface CitedLearning {
  text: string;
  citations: number[];
  /** How relevant it is to the user's question (higher first); used for the summary. */
  relevance: number;
}

/** Input of `LlmProvider.writeReport`. */
export interface ReportInput extends ModelCallObserver {
  query: string;
  language: string;
  /** One section per top-level sub-question, in plan order. */
  sections: { heading: string; learnings: CitedLearning[] }[];
  /** The citable sources, numbered most relevant first ([1] is the best; see `numberSources`). */
  sources: { number: number; title: string; url?: string; documentRef?: string }[];
  /** How the research went, for the summary (counts). */
  stats: { questions: number; passages: number };
  /**
   * Report text already written by an interrupted run. The provider must
   * continue after it and emit only the continuation.
   */
  prefix: string;
  /** Receives the continuation, piece by piece. */
  emit: (text: string) => Promise<void>;
  signal?: AbortSignal;
}

/** Input of `LlmProvider.summarizeWhatsNew`. */
export interface WhatsNewInput extends ModelCallObserver {
  query: string;
  language: string;
  /** When the previous run ended, as the section's heading shows it. */
  since: string;
  /** The sources the previous run did not cite, with this report's numbers. */
  sources: { number: number; title: string; url?: string; documentRef?: string }[];
  /** The learnings the previous run did not have, with their citations. */
  learnings: { text: string; citations: number[] }[];
  signal?: AbortSignal;
}

/**
 * The "thinking" half of the engine: plans sub-questions, turns passages
 * into learnings and follow-up questions, and writes the report body (title,
 * summary, sections with `[n]` citations — the engine appends the sources
 * list). Failures are ProviderErrors, retryable when transient.
 */
export interface LlmProvider {
  readonly name: LlmProviderName;
  /** The model used, for `X-Model-Name`; undefined for the offline writer. */
  readonly model?: string;
  plan(input: PlanInput): Promise<SubQuestion[]>;
  learn(input: LearnInput): Promise<LearnOutput>;
  writeReport(input: ReportInput): Promise<void>;
  /**
   * A few sentences on what a run found that the previous one had not,
   * citing by number (plain text, no heading). Optional: the offline writer
   * has none, and the "What's new" section is then its computed lists only.
   */
  summarizeWhatsNew?(input: WhatsNewInput): Promise<string>;
}
