import { z } from "zod";
import type { SavedStream, StreamView, TreeNode } from "./task-stream-reducer";

const STORAGE_PREFIX = "fathom:stream:";
/** At most one write per interval: a replay applies thousands of events in a burst. */
const PERSIST_INTERVAL_MS = 200;

const treeNodeSchema = z.object({
  id: z.string(),
  kind: z.enum(["question", "search", "learning", "thinking", "source"]),
  label: z.string(),
  parentId: z.string().optional(),
}) satisfies z.ZodType<TreeNode>;

/** What is written; `version` changes when the shape does, and an entry of another version is ignored. */
const savedStreamSchema = z.object({
  version: z.literal(1),
  runStartEventId: z.number().int().positive(),
  cursor: z.number().int().nonnegative(),
  markdown: z.string(),
  sources: z.array(
    z.object({
      number: z.number().int().optional(),
      title: z.string(),
      url: z.string().optional(),
      documentRef: z.string().optional(),
      unreadable: z.string().optional(),
      passages: z.array(z.string()).optional(),
    }),
  ),
  tree: z.array(treeNodeSchema),
});

/** Only a stream still being followed is worth saving; a finished or result-backed page reloads from the server. */
function worthSaving(view: StreamView): boolean {
  return (
    view.connection.kind !== "finished" && view.connection.kind !== "gone" && view.reportOrigin === "stream"
  );
}

/**
 * A task page's position in its stream, kept in `sessionStorage` so a reload
 * resumes right after the last event this tab applied. The cursor is saved
 * in one entry together with everything derived from the events up to it, so
 * a reload restores a consistent prefix and never repeats text. Any storage
 * failure only costs the resume: the page then replays the run from its start.
 */
export class StreamStorage {
  readonly #key: string;
  readonly #storage: () => Storage;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** `storage` defaults to the tab's `sessionStorage` (tests pass their own). */
  constructor(taskId: string, storage: () => Storage = () => window.sessionStorage) {
    this.#key = `${STORAGE_PREFIX}${taskId}`;
    this.#storage = storage;
  }

  load(): SavedStream | null {
    let raw: string | null;
    try {
      raw = this.#storage().getItem(this.#key);
    } catch (error) {
      console.warn("Fathom: the saved stream position could not be read", error);
      return null;
    }
    if (!raw) return null;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      console.warn("Fathom: ignoring a damaged saved stream position", error);
      return null;
    }
    const parsed = savedStreamSchema.safeParse(json);
    if (!parsed.success) {
      console.warn(`Fathom: ignoring the saved stream position:\n${z.prettifyError(parsed.error)}`);
      return null;
    }
    const { version: _version, ...saved } = parsed.data;
    return saved;
  }

  /** Saves `view()` within the interval (one write for a burst of events). */
  saveSoon(view: () => StreamView): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.saveNow(view()), PERSIST_INTERVAL_MS);
  }

  saveNow(view: StreamView): void {
    this.#cancel();
    if (!worthSaving(view)) return;
    const { runStartEventId, cursor, markdown, sources, tree } = view;
    const saved: z.input<typeof savedStreamSchema> = {
      version: 1,
      runStartEventId,
      cursor,
      markdown,
      sources,
      tree,
    };
    try {
      this.#storage().setItem(this.#key, JSON.stringify(saved));
    } catch (error) {
      // Storage full or disabled: a reload then replays the run from its start, which is still correct.
      console.warn("Fathom: could not save the stream position", error);
    }
  }

  forget(): void {
    this.#cancel();
    try {
      this.#storage().removeItem(this.#key);
    } catch (error) {
      console.warn("Fathom: could not clear the saved stream position", error);
    }
  }

  #cancel(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}
