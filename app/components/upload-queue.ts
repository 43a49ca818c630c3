/**
 * The upload area's state: one item per file a person dropped or picked,
 * from waiting to sent to taken (or refused). A pure reducer, so the page's
 * behaviour with many files, failures among them and retries is tested
 * without a browser. Once the server took a file, the document it made
 * carries the rest of the story (its indexing status and progress).
 */

/**
 * - `waiting`: not sent yet (a few files go at once, the others wait their turn);
 * - `uploading`: bytes on their way (`loaded` of `size`);
 * - `processing`: every byte sent, the server's answer not in yet;
 * - `accepted`: the server stored it as document `documentId` and started indexing it;
 * - `failed`: refused or lost (`error` says why); the other files are not affected.
 */
export type UploadPhase = "waiting" | "uploading" | "processing" | "accepted" | "failed";

export interface UploadItem {
  /** This page's own id of the item (two files may have the same name). */
  key: string;
  filename: string;
  /** Bytes in the file. */
  size: number;
  phase: UploadPhase;
  /** Bytes sent so far. */
  loaded: number;
  /** The document the server made of the file (`accepted`). */
  documentId?: string;
  /** Why it was refused or lost (`failed`), a sentence. */
  error?: string;
}

export type UploadAction =
  | { type: "add"; files: { key: string; filename: string; size: number }[] }
  | { type: "start"; key: string }
  | { type: "progress"; key: string; loaded: number; total: number }
  | { type: "sent"; key: string }
  | { type: "accepted"; key: string; documentId: string }
  | { type: "failed"; key: string; error: string }
  /** Sends a failed file again. */
  | { type: "retry"; key: string }
  | { type: "remove"; keys: readonly string[] };

function update(items: UploadItem[], key: string, change: (item: UploadItem) => UploadItem): UploadItem[] {
  let changed = false;
  const next = items.map((item) => {
    if (item.key !== key) return item;
    const updated = change(item);
    if (updated !== item) changed = true;
    return updated;
  });
  return changed ? next : items;
}

/** The next state of the upload list. Actions about unknown items change nothing. */
export function uploadReducer(items: UploadItem[], action: UploadAction): UploadItem[] {
  switch (action.type) {
    case "add":
      return [
        ...items,
        ...action.files.map((file): UploadItem => ({ ...file, phase: "waiting", loaded: 0 })),
      ];
    case "start":
      return update(items, action.key, (item) =>
        item.phase === "waiting" ? { ...item, phase: "uploading", loaded: 0 } : item,
      );
    case "progress":
      return update(items, action.key, (item) => {
        if (item.phase !== "uploading") return item;
        // The browser counts the multipart envelope too: scale its total to the file's size.
        const loaded =
          action.total > 0 ? Math.min(item.size, Math.round((action.loaded / action.total) * item.size)) : 0;
        return loaded > item.loaded ? { ...item, loaded } : item;
      });
    case "sent":
      return update(items, action.key, (item) =>
        item.phase === "uploading" ? { ...item, phase: "processing", loaded: item.size } : item,
      );
    case "accepted":
      return update(items, action.key, (item) =>
        item.phase === "uploading" || item.phase === "processing"
          ? { ...item, phase: "accepted", loaded: item.size, documentId: action.documentId, error: undefined }
          : item,
      );
    case "failed":
      return update(items, action.key, (item) =>
        item.phase === "accepted" || item.phase === "failed"
          ? item
          : { ...item, phase: "failed", error: action.error },
      );
    case "retry":
      return update(items, action.key, (item) =>
        item.phase === "failed" ? { ...item, phase: "waiting", loaded: 0, error: undefined } : item,
      );
    case "remove": {
      const keys = new Set(action.keys);
      const next = items.filter((item) => !keys.has(item.key));
      return next.length === items.length ? items : next;
    }
  }
}

/** The waiting items to start now so that at most `concurrency` are on their way, oldest first. */
export function uploadsToStart(items: readonly UploadItem[], concurrency: number): UploadItem[] {
  const busy = items.filter((item) => item.phase === "uploading" || item.phase === "processing").length;
  const room = Math.max(0, concurrency - busy);
  return items.filter((item) => item.phase === "waiting").slice(0, room);
}

/** How far the bytes of an item got, 0–100. */
export function uploadPercent(item: UploadItem): number {
  if (item.phase === "accepted" || item.phase === "processing") return 100;
  if (item.size === 0) return 0;
  return Math.round((item.loaded / item.size) * 100);
}

/** Where an accepted file's document is, as far as the upload area needs to know. */
export type IndexingOutcome = "indexing" | "ready" | "failed" | "gone";

/**
 * One sentence for the live region: how many files are where. It changes
 * only when a file moves on (never with each percent), so a screen reader
 * announces steps, not noise.
 */
export function uploadSummary(
  items: readonly UploadItem[],
  outcomeOf: (documentId: string) => IndexingOutcome,
  words: UploadSummaryWords = englishSummaryWords,
): string {
  let uploading = 0;
  let indexing = 0;
  let ready = 0;
  let failed = 0;
  for (const item of items) {
    if (item.phase === "waiting" || item.phase === "uploading" || item.phase === "processing") uploading++;
    else if (item.phase === "failed") failed++;
    else {
      const outcome = outcomeOf(item.documentId ?? "");
      if (outcome === "ready") ready++;
      else if (outcome === "failed") failed++;
      else if (outcome === "indexing") indexing++;
    }
  }
  const parts: string[] = [];
  if (uploading > 0) parts.push(words.part("uploading", uploading));
  if (indexing > 0) parts.push(words.part("indexing", indexing));
  if (ready > 0) parts.push(words.part("ready", ready));
  if (failed > 0) parts.push(words.part("failed", failed));
  if (parts.length === 0) return "";
  const [first, ...rest] = parts;
  return words.sentence([first!.charAt(0).toUpperCase() + first!.slice(1), ...rest]);
}

/** The words of `uploadSummary`, in the page's language (English by default). */
export interface UploadSummaryWords {
  part(state: "uploading" | "indexing" | "ready" | "failed", count: number): string;
  sentence(parts: string[]): string;
}

const englishSummaryWords: UploadSummaryWords = {
  part: (state, count) => `${count} file${count === 1 ? "" : "s"} ${state}`,
  sentence: (parts) => `${parts.join(", ")}.`,
};
