import { setImmediate as nextTurn } from "node:timers/promises";

/** Limits of `extractDocument`; each refuses with `document_too_large` (413). */
export interface ExtractionLimits {
  /** Most pages a PDF may have (checked before any page is read). Default 2,000. */
  maxPages?: number;
  /**
   * Most bytes a Word document may unpack to, by the sizes its ZIP directory
   * declares (checked before anything is inflated; an entry that inflates past
   * its declared size is refused as damaged). Default 100 MB.
   */
  maxUncompressedBytes?: number;
  /** Most characters of extracted text, all pages together. Default 10,000,000. */
  maxCharacters?: number;
}

export const defaultLimits: Required<ExtractionLimits> = {
  maxPages: 2_000,
  maxUncompressedBytes: 100 * 1024 * 1024,
  maxCharacters: 10_000_000,
};

/** What every extractor is given. */
export interface ExtractionContext {
  filename: string;
  declaredType?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  limits: Required<ExtractionLimits>;
}

/** What an extractor returns: the pages, and a title when the document has one. */
export interface ExtractedPages {
  title?: string;
  pages: string[];
}

/** Validated limits, defaults filled in ("expected …, got …" for a bad value). */
export function resolveLimits(limits: ExtractionLimits = {}): Required<ExtractionLimits> {
  const resolved = { ...defaultLimits };
  for (const key of Object.keys(defaultLimits) as (keyof ExtractionLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1)
      throw new TypeError(`${key}: expected a positive integer, got ${String(value)}`);
    resolved[key] = value;
  }
  return resolved;
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it
 * is aborted (the work behind `promise` is the caller's to stop).
 */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Lets timers, I/O and abort events run between two slices of synchronous work. */
export async function yieldToEventLoop(signal: AbortSignal | undefined): Promise<void> {
  await nextTurn();
  signal?.throwIfAborted();
}
