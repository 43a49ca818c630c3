import type { SubQuestion } from "./providers/llm/llm-provider";
import type { SearchResult } from "./providers/search/search-provider";
import type { SourceRef } from "./types";

/**
 * The JSON results of the engine's steps, as the task runner records them.
 * Changing a shape means old records no longer fit: bump the key prefix.
 */

/** `plan` and `plan:<node>`: the sub-questions of a level. */
export interface PlanRecord {
  questions: SubQuestion[];
}

/** `search:<node>`: what the search provider returned. */
export interface SearchRecord {
  results: SearchResult[];
}

/** A document as read: the passages kept for learning. */
export interface ReadDocument extends SourceRef {
  passages: string[];
  /** True when the page could not be read and the search snippet stands in for it. */
  fromSnippet?: boolean;
}

/** `read:<node>`: the documents read for a sub-question. */
export interface ReadRecord {
  documents: ReadDocument[];
}

/** A learning with the sources and passages it comes from. */
export interface LearningRecord {
  text: string;
  sources: SourceRef[];
  passages: string[];
  /** Relevance to the user's question as judged by the writer (offline), else 0. */
  relevance: number;
}

/** `learn:<node>`: what was learned, and where to look next. */
export interface LearnRecord {
  learnings: LearningRecord[];
  followUps: string[];
}

/** The identity of a source across steps: its URL or its document reference. */
export function sourceKey(source: SourceRef): string {
  if (source.url) return source.url;
  if (source.documentRef)
    return source.page ? `${source.documentRef}#page=${source.page}` : source.documentRef;
  return `title:${source.title}`;
}
