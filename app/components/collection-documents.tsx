"use client";

import Link from "next/link";
import { useTranslations } from "next-intl";
import { useCallback, useMemo, useState } from "react";
import type { CollectionView, DocumentView } from "@/lib/model/collection";
import { deleteDocument } from "./collections-api";
import { ConfirmDelete } from "./confirm-delete";
import { isSettled } from "./document-format";
import { DocumentStatusDetail } from "./document-status";
import { useErrorText } from "./error-text";
import { Icon } from "./icons";
import { RelativeTime } from "./relative-time";
import { UploadArea } from "./upload-area";
import { type IndexingProgress, useDocumentIndexing } from "./use-document-indexing";
import { useFormat } from "./use-format";

/** Follows one unsettled document's indexing; renders nothing. */
function IndexingFollower({
  document,
  onDocument,
  onGone,
  onProgress,
}: {
  document: DocumentView;
  onDocument: (document: DocumentView) => void;
  onGone: (id: string) => void;
  onProgress: (id: string, progress: IndexingProgress) => void;
}) {
  useDocumentIndexing(document, {
    onDocument,
    onGone: () => onGone(document.id),
    onProgress: (progress) => onProgress(document.id, progress),
  });
  return null;
}

function DocumentRow({
  document,
  progress,
  onDeleted,
}: {
  document: DocumentView;
  progress: IndexingProgress | undefined;
  onDeleted: () => void;
}) {
  const t = useTranslations("collectionPage");
  const format = useFormat();
  const describeError = useErrorText();
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function remove() {
    setDeleting(true);
    setError(null);
    try {
      await deleteDocument(document);
      onDeleted();
    } catch (caught) {
      setError(describeError(caught));
      setDeleting(false);
      setConfirming(false);
    }
  }

  return (
    <li className="document-row" data-document-id={document.id} data-status={document.status}>
      <div className="document-row-main">
        <Link href={document.links.page} className="document-title">
          {document.title || document.filename}
        </Link>
        <span className="document-meta muted small">
          <span className="mono">{document.filename}</span>
          <span>{format.documentType(document.type)}</span>
          <span>{format.count("page", document.pages)}</span>
          <span>{format.count("passage", document.passages)}</span>
          <span>{format.bytes(document.bytes)}</span>
          <span>
            {t("added")} <RelativeTime iso={document.createdAt} />
          </span>
        </span>
        {error ? (
          <span className="inline-error" role="alert">
            {error}
          </span>
        ) : null}
      </div>
      <DocumentStatusDetail document={document} progress={progress} />
      <div className="document-row-actions">
        <ConfirmDelete
          confirming={confirming}
          onConfirming={setConfirming}
          deleting={deleting}
          onDelete={remove}
          words={{
            delete: t("delete"),
            deleting: t("deleting"),
            keep: t("keep"),
            deleteLabel: t("deleteLabel", { name: document.filename }),
            confirmLabel: t("confirmDeleteLabel", { name: document.filename }),
          }}
        />
      </div>
    </li>
  );
}

/**
 * A user collection's page: its documents with their indexing status (live
 * while they are indexed), deleting one, and the upload area.
 */
export function CollectionDocuments({
  collection,
  initialDocuments,
}: {
  collection: CollectionView;
  initialDocuments: DocumentView[];
}) {
  const t = useTranslations("collectionPage");
  const format = useFormat();
  const [documents, setDocuments] = useState(initialDocuments);
  const [progress, setProgress] = useState<ReadonlyMap<string, IndexingProgress>>(new Map());
  const byId = useMemo(() => new Map(documents.map((document) => [document.id, document])), [documents]);

  const upsert = useCallback((document: DocumentView) => {
    setDocuments((previous) => {
      const index = previous.findIndex((other) => other.id === document.id);
      if (index < 0) return [...previous, document];
      const next = [...previous];
      next[index] = document;
      return next;
    });
  }, []);
  const remove = useCallback((id: string) => {
    setDocuments((previous) => previous.filter((document) => document.id !== id));
  }, []);
  const onProgress = useCallback((id: string, value: IndexingProgress) => {
    setProgress((previous) => new Map(previous).set(id, value));
  }, []);

  const ready = documents.filter((document) => document.status === "ready").length;
  const researchHref = `/?collection=${encodeURIComponent(collection.name)}`;

  return (
    <div className="collection-page">
      <header className="task-header">
        <div className="task-header-top">
          <Link href="/collections" className="back-link">
            {t("allCollections")}
          </Link>
        </div>
        <div className="page-head">
          <div>
            <h1 className="page-title mono">{collection.name}</h1>
            <p className="muted">{collection.description || t("noDescription")}</p>
          </div>
          <div className="page-head-actions">
            <Link href={researchHref} className="button button-primary">
              <Icon name="search" /> {t("researchCollection")}
            </Link>
          </div>
        </div>
        <p className="muted small">
          {t("readyCount", { documents: format.count("document", documents.length), ready })}
          {ready === 0 && documents.length > 0 ? t("noneReady") : ""}
        </p>
      </header>

      {documents
        .filter((document) => !isSettled(document.status))
        .map((document) => (
          <IndexingFollower
            key={document.id}
            document={document}
            onDocument={upsert}
            onGone={remove}
            onProgress={onProgress}
          />
        ))}

      <div className="collection-grid">
        <section className="card document-table" aria-labelledby="documents-heading">
          <h2 id="documents-heading" className="side-heading">
            {t("documents")} <span className="count">{documents.length}</span>
          </h2>
          {documents.length === 0 ? (
            <p className="muted document-empty">{t("empty")}</p>
          ) : (
            <ul className="document-rows">
              {documents.map((document) => (
                <DocumentRow
                  key={document.id}
                  document={document}
                  progress={progress.get(document.id)}
                  onDeleted={() => remove(document.id)}
                />
              ))}
            </ul>
          )}
        </section>
        <UploadArea collection={collection.name} documents={byId} progress={progress} onDocument={upsert} />
      </div>
    </div>
  );
}

/** A built-in collection's page: its documents, read-only, linked to where they came from. */
export function BuiltInDocuments({
  collection,
  documents,
}: {
  collection: CollectionView;
  documents: { ref: string; title: string; url?: string }[];
}) {
  const t = useTranslations("collectionPage");
  const format = useFormat();
  return (
    <div className="collection-page">
      <header className="task-header">
        <div className="task-header-top">
          <Link href="/collections" className="back-link">
            {t("allCollections")}
          </Link>
        </div>
        <div className="page-head">
          <div>
            <h1 className="page-title mono">
              {collection.name} <span className="badge">{t("builtIn")}</span>
            </h1>
            <p className="muted">{collection.description}</p>
          </div>
          <div className="page-head-actions">
            <Link
              href={`/?collection=${encodeURIComponent(collection.name)}`}
              className="button button-primary"
            >
              <Icon name="search" /> {t("researchCollection")}
            </Link>
          </div>
        </div>
        <p className="muted small">
          {t("builtInCount", { documents: format.count("document", documents.length) })}
        </p>
      </header>
      <section className="card document-table" aria-labelledby="documents-heading">
        <h2 id="documents-heading" className="side-heading">
          {t("documents")} <span className="count">{documents.length}</span>
        </h2>
        <ul className="document-rows">
          {documents.map((document) => (
            <li key={document.ref} className="document-row document-row-builtin">
              <div className="document-row-main">
                {document.url ? (
                  <a className="document-title" href={document.url} target="_blank" rel="noopener noreferrer">
                    {document.title}
                  </a>
                ) : (
                  <span className="document-title">{document.title}</span>
                )}
                <span className="document-meta muted small mono">{document.ref}</span>
              </div>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
