/** A document of a local corpus, before it is split into passages. */
export interface CorpusDocument {
  /** Stable reference used in citations, e.g. `sotu:1803-thomas-jefferson`. */
  ref: string;
  title: string;
  /** Where the document lives on the web, when known. */
  url?: string;
  text: string;
}

/** A document of an index (its text lives in its passages). */
export interface IndexedDocument {
  ref: string;
  title: string;
  url?: string;
}

/** Where a corpus comes from and how to read it. */
export interface CorpusSource {
  /** A short name used in cache file names and messages (`sotu`, `folder`). */
  kind: string;
  /** The directory whose files make up the corpus. */
  directory: string;
  /** The files that belong to the corpus, relative to `directory`, sorted. */
  listFiles(): Promise<string[]>;
  /** Reads every document (in a stable order). */
  loadDocuments(): Promise<CorpusDocument[]>;
  /**
   * An identity of the content that changes whenever any file does, when
   * there is one cheaper to know than every file's size and time (a
   * published package's name and version); undefined when unknown.
   */
  contentVersion?(): Promise<string | undefined>;
  /**
   * A read-only index file built with the app (`npm run build`), used when
   * its fingerprint matches instead of a cached or freshly built index.
   */
  prebuiltIndexFile?: string;
}

/** Lower-case, dash-separated ASCII slug ("Harry S Truman" → "harry-s-truman"). */
export function slugify(value: string): string {
  return value
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}
