import "server-only";
import { cache } from "react";
import { hasPageAccess } from "@/app/_lib/page-access";
import { isAppError } from "@/lib/errors";
import {
  builtInDocumentSchema,
  type CollectionView,
  collectionNameSchema,
  type DocumentView,
  documentIdSchema,
  documentView,
  documentViewSchema,
} from "@/lib/model/collection";
import { getCollectionService } from "@/lib/server/manager-instance";

/**
 * What the collection pages know before the browser runs anything, read
 * from the collection service exactly as the API answers it:
 * - `missing`: answer with the not-found page (a real 404), also for names
 *   and ids that cannot exist;
 * - `protected`: the visitor has no access; nothing is read (the page itself
 *   redirects to sign-in; this keeps names out of metadata rendered alongside).
 */
export type Loaded<T> = { kind: "missing" } | { kind: "protected" } | ({ kind: "found" } & T);

/** A refusal that means "there is nothing here for you" rather than a failure. */
function isAbsent(error: unknown): boolean {
  return isAppError(error) && (error.code === "not_found" || error.code === "forbidden");
}

export type LoadedCollection =
  | { collection: CollectionView; builtIn: false; documents: DocumentView[] }
  | { collection: CollectionView; builtIn: true; documents: { ref: string; title: string; url?: string }[] };

// The service lists documents as `unknown[]` (a built-in collection's are references): check them.
const documentsSchema = documentViewSchema.array();
const builtInDocumentsSchema = builtInDocumentSchema.array();

export const loadCollection = cache(async (name: string): Promise<Loaded<LoadedCollection>> => {
  if (!collectionNameSchema.safeParse(name).success) return { kind: "missing" };
  if (!(await hasPageAccess())) return { kind: "protected" };
  const service = await getCollectionService();
  try {
    const collection = await service.get(name);
    const documents = await service.documents(name);
    if (collection.builtIn) {
      return {
        kind: "found",
        collection,
        builtIn: true,
        documents: builtInDocumentsSchema.parse(documents),
      };
    }
    return { kind: "found", collection, builtIn: false, documents: documentsSchema.parse(documents) };
  } catch (error) {
    if (isAbsent(error)) return { kind: "missing" };
    throw error;
  }
});

/** A user collection's document; `pages` is its text once it is extracted (null before). */
export const loadDocument = cache(
  async (name: string, id: string): Promise<Loaded<{ document: DocumentView; pages: string[] | null }>> => {
    if (!collectionNameSchema.safeParse(name).success || !documentIdSchema.safeParse(id).success)
      return { kind: "missing" };
    if (!(await hasPageAccess())) return { kind: "protected" };
    const service = await getCollectionService();
    try {
      const document = documentView(await service.document(name, id));
      const pages = document.status === "ready" ? await service.text(name, id) : null;
      return { kind: "found", document, pages };
    } catch (error) {
      if (isAbsent(error)) return { kind: "missing" };
      throw error;
    }
  },
);
