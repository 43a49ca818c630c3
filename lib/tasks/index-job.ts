import { AppError, errorMessage, isAppError } from "../errors";
import type { DocumentJson } from "../model/collection";
import type { IndexRequest } from "../model/request";
import type { ExtractedDocument } from "../research/documents";
import { chunkText } from "../research/text/chunk";
import type { ResearchContext, ResearchEngine, ResearchResult } from "../research/types";
import type { CollectionStore } from "../store/collections/types";

/** Extracts a document's text, page by page, reporting pages done. */
export type ExtractText = (input: {
  bytes: Uint8Array;
  filename: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}) => Promise<ExtractedDocument>;

/** Options of `createIndexEngine`. */
export interface IndexEngineOptions {
  collections: CollectionStore;
  extract: ExtractText;
  /** Wall clock for `indexedAt`. Default `new Date()`. */
  now?: () => Date;
  /** The redactor every stored error text goes through. */
  redact: (text: string) => string;
}

/** Share of the progress bar that extraction fills (the rest is cutting passages). */
const EXTRACT_SHARE = 90;

/**
 * The engine of an index task: extract the document's text page by page
 * (step `extract`, its text stored beside the original), then cut it into
 * passages and mark the document ready (step `index`), after which every
 * process's collection index takes it in. A task like research ones: its
 * progress streams, it survives a restart (a finished step is not repeated),
 * and it runs in one process at a time.
 */
export function createIndexEngine(options: IndexEngineOptions): ResearchEngine<IndexRequest> {
  const { collections } = options;
  const now = options.now ?? (() => new Date());

  const update = async (document: DocumentJson, change: Partial<DocumentJson>): Promise<DocumentJson> => {
    const next = { ...document, ...change };
    await collections.updateDocument(next);
    return next;
  };

  return {
    async run(context: ResearchContext<IndexRequest>): Promise<ResearchResult> {
      const { collection, document: id } = context.request;
      let document = await collections.getDocument(collection, id);
      if (!document) throw new AppError("not_found", "The document was deleted before it was indexed.");
      try {
        const extracted = await context.step("extract", async () => {
          document = await update(document!, { status: "indexing", error: null });
          await context.progress({ step: "extract", percentage: 0, message: `Reading ${document.filename}` });
          const bytes = await collections.readOriginal(collection, id);
          if (!bytes) throw new AppError("not_found", "The document's file is gone.");
          // Progress per page, at most every 2 % (a 300-page PDF sends ~50 events, not 300).
          let sent = -1;
          let progress = Promise.resolve();
          const result = await options.extract({
            bytes,
            filename: document.filename,
            signal: context.signal,
            onProgress: (done, total) => {
              const percentage = Math.floor((done / Math.max(1, total)) * EXTRACT_SHARE);
              if (percentage - sent < 2 && done !== total) return;
              sent = percentage;
              progress = progress.then(() =>
                context.progress({ step: "extract", percentage, message: `Read page ${done} of ${total}` }),
              );
            },
          });
          await progress;
          await collections.putText(collection, id, result.pages);
          return {
            type: result.type,
            mediaType: result.mediaType,
            title: result.title,
            pages: result.pageCount,
            characters: result.characters,
          };
        });
        const indexed = await context.step("index", async () => {
          await context.progress({ step: "index", percentage: EXTRACT_SHARE, message: "Cutting passages" });
          const pages = (await collections.readText(collection, id)) ?? [];
          const passages = pages.reduce((sum, page) => sum + chunkText(page).length, 0);
          const current = await collections.getDocument(collection, id);
          if (!current) throw new AppError("not_found", "The document was deleted while it was indexed.");
          document = await update(current, {
            ...extracted,
            title: extracted.title || current.title,
            passages,
            status: "ready",
            error: null,
            indexedAt: now().toISOString(),
          });
          return { passages };
        });
        const report =
          `Indexed “${extracted.title || document.title}”: ${extracted.pages} page${extracted.pages === 1 ? "" : "s"}, ` +
          `${indexed.passages} passage${indexed.passages === 1 ? "" : "s"}.\n`;
        // Resumed after (part of) the summary went out: only what is missing. Text
        // already sent stays the report, whatever it said.
        const sent = context.reportSoFar;
        if (!report.startsWith(sent)) return { report: sent, sources: [], learnings: [] };
        await context.output(report.slice(sent.length));
        return { report, sources: [], learnings: [] };
      } catch (error) {
        // A permanent failure is the document's status too; a transient one is retried as the task is.
        if (!context.signal.aborted && !(isAppError(error) && error.retryable)) {
          const current = await collections.getDocument(collection, id);
          if (current) {
            await update(current, {
              status: "failed",
              error: {
                code: isAppError(error) ? error.code : "internal",
                message: options.redact(errorMessage(error)),
              },
            });
          }
        }
        throw error;
      }
    },
  };
}
