import { z } from "zod";

/**
 * Collections: named sets of documents that research can search. Built-in
 * ones (the State of the Union corpus `sotu`, and `corpus` when CORPUS_DIR is
 * set) are read-only; the others are made by users and live in the store, so
 * every container of a deployment sees the same ones.
 */

/** A collection's name: lowercase letters, digits, `-` and `_`; it appears in URLs and file names. */
export const collectionNameSchema = z
  .string()
  .trim()
  .min(1, "name must not be empty")
  .max(64, "name must be at most 64 characters")
  .regex(
    /^[a-z0-9][a-z0-9_-]*$/,
    "name must be lowercase letters, digits, - and _ (starting with a letter or digit), such as my-papers",
  );

/** The built-in collection of U.S. State of the Union addresses. */
export const SOTU_COLLECTION = "sotu";
/** The collection of the CORPUS_DIR folder, when one is configured. */
export const CORPUS_COLLECTION = "corpus";
export const BUILT_IN_COLLECTIONS: readonly string[] = [SOTU_COLLECTION, CORPUS_COLLECTION];

/** The built-in collections a server has: `sotu`, and `corpus` when it has a CORPUS_DIR. */
export function servedBuiltIns(hasCorpusDir: boolean): readonly string[] {
  return hasCorpusDir ? BUILT_IN_COLLECTIONS : [SOTU_COLLECTION];
}

/** The collection a request without one searches: `corpus` when the server has one, else `sotu`. */
export function defaultCollectionOf(hasCorpusDir: boolean): string {
  return hasCorpusDir ? CORPUS_COLLECTION : SOTU_COLLECTION;
}

/** Limits of collections and uploads (the server's own are configured: MAX_UPLOAD_MB, MAX_COLLECTION_DOCUMENTS). */
export const COLLECTION_LIMITS = {
  descriptionMaxLength: 500,
  /** Files in one upload request. */
  filesPerUpload: 20,
} as const;

export const createCollectionSchema = z.strictObject({
  name: collectionNameSchema,
  description: z
    .string()
    .trim()
    .max(
      COLLECTION_LIMITS.descriptionMaxLength,
      `description must be at most ${COLLECTION_LIMITS.descriptionMaxLength} characters`,
    )
    .optional(),
});

/** A stored collection. */
export const collectionJsonSchema = z.object({
  name: collectionNameSchema,
  description: z.string(),
  createdAt: z.string(),
});
export type CollectionJson = z.infer<typeof collectionJsonSchema>;

/** A document's id: the first 32 hex digits of the SHA-256 of its bytes (the same file twice is one document). */
export const DOCUMENT_ID_PATTERN = /^[0-9a-f]{32}$/;
export const documentIdSchema = z
  .string()
  .regex(DOCUMENT_ID_PATTERN, "expected a document id (32 hex digits)");

export const documentTypes = ["pdf", "docx", "html", "markdown", "text", "csv"] as const;
export type DocumentType = (typeof documentTypes)[number];

export const documentStatuses = ["queued", "indexing", "ready", "failed"] as const;
export type DocumentStatus = (typeof documentStatuses)[number];

/** A stored document's metadata (its original and extracted text are stored beside it). */
export const documentJsonSchema = z.object({
  id: documentIdSchema,
  collection: collectionNameSchema,
  title: z.string(),
  /** The uploaded file's name (or the URL's last segment), cleaned of path characters. */
  filename: z.string(),
  /** Where it was fetched from, for documents added by URL. */
  sourceUrl: z.string().optional(),
  /** Sniffed from the bytes once extracted; null while queued. */
  type: z.enum(documentTypes).nullable(),
  mediaType: z.string().nullable(),
  bytes: z.number().int().nonnegative(),
  /** Pages (PDF) or parts of the text; null until extracted. */
  pages: z.number().int().nonnegative().nullable(),
  characters: z.number().int().nonnegative().nullable(),
  /** Passages indexed; null until ready. */
  passages: z.number().int().nonnegative().nullable(),
  status: z.enum(documentStatuses),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** The task that indexes it (its events are the indexing progress). */
  job: z.string(),
  createdAt: z.string(),
  indexedAt: z.string().nullable(),
});
export type DocumentJson = z.infer<typeof documentJsonSchema>;

/**
 * A reference to a place in a collection's document, as sources carry it:
 * `collection:<name>/<id>` (the page is the source's `page`).
 */
export function collectionDocumentRef(collection: string, id: string): string {
  return `collection:${collection}/${id}`;
}

/** The collection and document id of a `collection:<name>/<id>` reference, or undefined. */
export function parseCollectionDocumentRef(ref: string): { collection: string; id: string } | undefined {
  const match = /^collection:([a-z0-9][a-z0-9_-]{0,63})\/([0-9a-f]{32})$/.exec(ref);
  return match ? { collection: match[1]!, id: match[2]! } : undefined;
}

/** The page of the app that shows a document at a page (and the passage, when given). */
export function documentPagePath(collection: string, id: string, page?: number): string {
  return `/collections/${collection}/documents/${id}${page ? `?page=${page}` : ""}`;
}

/** What the API shows of a collection. */
export const collectionViewSchema = z.object({
  name: z.string(),
  description: z.string(),
  /** Built into the server (`sotu`, `corpus`): read-only, not deletable. */
  builtIn: z.boolean(),
  documents: z.number().int().nonnegative(),
  createdAt: z.string().nullable(),
  links: z.object({ self: z.string(), documents: z.string() }),
});
export type CollectionView = z.infer<typeof collectionViewSchema>;

/** What the API shows of a document: its metadata and where to get the rest. */
export const documentViewSchema = documentJsonSchema.extend({
  links: z.object({
    self: z.string(),
    text: z.string(),
    original: z.string(),
    /** The indexing task's event stream (progress while it is indexed). */
    events: z.string(),
    /** The app's page of the document. */
    page: z.string(),
  }),
});
export type DocumentView = z.infer<typeof documentViewSchema>;

/** A built-in collection's document, as listed (its text is in the built-in corpus). */
export const builtInDocumentSchema = z.object({
  ref: z.string(),
  title: z.string(),
  url: z.string().optional(),
});

/** `POST /api/collections/:name/documents`: what was accepted and what was refused, per file. */
export const uploadResultSchema = z.object({
  documents: z.array(documentViewSchema),
  rejected: z.array(
    z.object({ filename: z.string(), error: z.object({ code: z.string(), message: z.string() }) }),
  ),
});
export type UploadResult = z.infer<typeof uploadResultSchema>;

/** The JSON body of `POST /api/collections/:name/documents`: URLs to fetch and add. */
export const uploadByUrlSchema = z.strictObject({
  urls: z
    .array(z.url("each URL must be an absolute http(s) URL"))
    .min(1, "urls must name at least one URL")
    .max(COLLECTION_LIMITS.filesPerUpload, `at most ${COLLECTION_LIMITS.filesPerUpload} URLs at once`),
});

/** `GET /api/collections`: built-in collections first, then the users'. */
export const collectionListSchema = z.object({ collections: z.array(collectionViewSchema) });

/** `GET /api/collections/:name/documents`: a user collection's documents, or a built-in one's references. */
export const documentListSchema = z.object({
  documents: z.array(z.union([documentViewSchema, builtInDocumentSchema])),
});

/** `GET /api/collections/:name/documents/:id/text`: the extracted text, one string per page (`pages[0]` is page 1). */
export const documentTextSchema = z.object({ pages: z.array(z.string()) });

export function collectionLinks(name: string): CollectionView["links"] {
  return { self: `/api/collections/${name}`, documents: `/api/collections/${name}/documents` };
}

export function documentView(document: DocumentJson): DocumentView {
  const self = `/api/collections/${document.collection}/documents/${document.id}`;
  return {
    ...document,
    links: {
      self,
      text: `${self}/text`,
      original: `${self}/original`,
      events: `/api/tasks/${document.job}/events`,
      page: documentPagePath(document.collection, document.id),
    },
  };
}

/**
 * The content hash of what a collection's search sees: its ready documents'
 * ids (content hashes), sorted. Part of the fingerprint of a task that
 * searches the collection.
 */
export async function collectionIndexHash(readyIds: readonly string[]): Promise<string> {
  const bytes = new TextEncoder().encode([...readyIds].sort().join("\n"));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.slice(0, 8)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
