import { documentPagePath, parseCollectionDocumentRef } from "@/lib/model/collection";
import { passageParam } from "./passage-highlight";

/**
 * The app's page of a source from a collection's document, at the page it
 * cites and with its first passage to mark (`?page=3&passage=…`); undefined
 * for any other source (web pages link to their URL, built-in corpus
 * documents have no page of their own).
 */
export function collectionSourceHref(source: {
  documentRef?: string;
  page?: number;
  passages?: readonly string[];
}): string | undefined {
  const reference = source.documentRef ? parseCollectionDocumentRef(source.documentRef) : undefined;
  if (!reference) return undefined;
  const path = documentPagePath(reference.collection, reference.id);
  const query = new URLSearchParams();
  if (source.page) query.set("page", String(source.page));
  const passage = source.passages?.[0];
  if (passage && passageParam(passage) !== "") query.set("passage", passageParam(passage));
  const search = query.toString();
  return search === "" ? path : `${path}?${search}`;
}
