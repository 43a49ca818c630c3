/**
 * The browser's calls to the collections API (app/api/collections/**),
 * each answer parsed with the model's schema (lib/model/collection.ts).
 * Uploads are not here: they need upload progress, which `fetch` does not
 * report (app/components/upload-request.ts).
 */
import { z } from "zod";
import {
  type CollectionView,
  collectionViewSchema,
  type DocumentView,
  documentViewSchema,
} from "@/lib/model/collection";
import { apiFetch, apiSend } from "./api";

const collectionListSchema = z.object({ collections: z.array(collectionViewSchema) });
const documentListSchema = z.object({ documents: z.array(documentViewSchema) });

const collectionPath = (name: string) => `/api/collections/${encodeURIComponent(name)}`;

export async function listCollections(signal?: AbortSignal): Promise<CollectionView[]> {
  return (await apiFetch("/api/collections", collectionListSchema, { signal })).collections;
}

export function createCollection(input: { name: string; description?: string }): Promise<CollectionView> {
  return apiFetch("/api/collections", collectionViewSchema, { method: "POST", body: JSON.stringify(input) });
}

export function deleteCollection(name: string): Promise<void> {
  return apiSend(collectionPath(name), { method: "DELETE" });
}

/** A user collection's documents (a built-in one's are listed by its page, on the server). */
export async function listDocuments(name: string, signal?: AbortSignal): Promise<DocumentView[]> {
  return (await apiFetch(`${collectionPath(name)}/documents`, documentListSchema, { signal })).documents;
}

/** A document as it is now, from its `links.self`. */
export function getDocument(self: string, signal?: AbortSignal): Promise<DocumentView> {
  return apiFetch(self, documentViewSchema, { signal });
}

export function deleteDocument(document: DocumentView): Promise<void> {
  return apiSend(document.links.self, { method: "DELETE" });
}
