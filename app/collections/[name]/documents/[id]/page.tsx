import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { requirePageAccess } from "@/app/_lib/page-access";
import { countLabel, documentTypeLabel, formatBytes } from "@/app/components/document-format";
import { DocumentPending, PageSelector, ScrollIntoView } from "@/app/components/document-reader";
import { DocumentStatusPill } from "@/app/components/document-status";
import { Icon } from "@/app/components/icons";
import { passageRange, splitAt } from "@/app/components/passage-highlight";
import { RelativeTime } from "@/app/components/relative-time";
import { loadDocument } from "../../../load-collection";

interface Props {
  params: Promise<{ name: string; id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { name, id } = await params;
  // A store that fails here fails the page too, which shows the error view;
  // the metadata only keeps that view titled (docs/ARCHITECTURE.md, "Accessibility").
  const loaded = await loadDocument(name, id).catch(() => null);
  if (loaded === null || loaded.kind === "protected") return { title: "Document" };
  if (loaded.kind === "found")
    return { title: `${loaded.document.title || loaded.document.filename} · ${name}` };
  return { title: "Document not found" };
}

/**
 * A document of a user collection: what it is, its original to download,
 * and its text one page at a time. `?page=n` opens page n and scrolls to
 * it; `?passage=…` (the start of a cited passage) marks it on that page.
 */
export default async function DocumentPage({ params, searchParams }: Props) {
  const { name, id } = await params;
  const path = `/collections/${encodeURIComponent(name)}/documents/${encodeURIComponent(id)}`;
  await requirePageAccess(path);
  const loaded = await loadDocument(name, id);
  if (loaded.kind !== "found") notFound();
  const { document, pages } = loaded;
  const query = await searchParams;
  const asked = Number.parseInt(single(query.page) ?? "", 10);
  const total = pages?.length ?? 0;
  const page = Number.isInteger(asked) ? Math.min(Math.max(asked, 1), Math.max(total, 1)) : 1;
  const passage = single(query.passage)?.slice(0, 400);
  const text = pages?.[page - 1] ?? "";
  const range = passage ? passageRange(text, passage) : null;
  const parts = splitAt(text, range);
  const collectionHref = `/collections/${encodeURIComponent(name)}`;

  return (
    <div className="document-page">
      <header className="task-header">
        <div className="task-header-top">
          <Link href={collectionHref} className="back-link">
            ← {name}
          </Link>
        </div>
        <h1 className="task-title">{document.title || document.filename}</h1>
        <div className="task-meta">
          <DocumentStatusPill status={document.status} />
          <span className="meta-item mono">{document.filename}</span>
          <span className="meta-item">{documentTypeLabel(document.type)}</span>
          <span className="meta-item">{countLabel(document.pages, "page")}</span>
          <span className="meta-item">{countLabel(document.passages, "passage")}</span>
          <span className="meta-item">{formatBytes(document.bytes)}</span>
          <span className="meta-item">
            Added <RelativeTime iso={document.createdAt} />
          </span>
          {document.indexedAt ? (
            <span className="meta-item">
              Indexed <RelativeTime iso={document.indexedAt} />
            </span>
          ) : null}
        </div>
        <div className="button-group document-actions">
          <a href={document.links.original} className="button" download={document.filename}>
            <Icon name="download" /> Download original
          </a>
          {document.sourceUrl ? (
            <a href={document.sourceUrl} className="button" target="_blank" rel="noopener noreferrer">
              <Icon name="link" /> Source
            </a>
          ) : null}
          <Link href={`/?collection=${encodeURIComponent(name)}`} className="button">
            <Icon name="search" /> Research this collection
          </Link>
        </div>
      </header>

      {document.status === "failed" ? (
        <div className="callout callout-error" role="alert">
          <Icon name="alert" />
          <div>
            <strong>This document could not be indexed.</strong>{" "}
            {document.error?.message ?? "Its text could not be read."}
          </div>
        </div>
      ) : null}

      {document.status === "queued" || document.status === "indexing" ? (
        <DocumentPending document={document} />
      ) : null}

      {pages ? (
        <>
          {total > 1 ? (
            <nav className="page-nav" aria-label="Pages">
              {page > 1 ? (
                <Link href={`${path}?page=${page - 1}`} className="button" rel="prev">
                  ← Previous
                </Link>
              ) : (
                <span className="button" aria-disabled="true">
                  ← Previous
                </span>
              )}
              <PageSelector action={path} page={page} pages={total} />
              {page < total ? (
                <Link href={`${path}?page=${page + 1}`} className="button" rel="next">
                  Next →
                </Link>
              ) : (
                <span className="button" aria-disabled="true">
                  Next →
                </span>
              )}
            </nav>
          ) : null}
          {passage && !range ? (
            <p className="callout callout-warning small" role="status">
              <Icon name="alert" />
              <span>The cited passage is not on this page as quoted; the whole page is shown.</span>
            </p>
          ) : null}
          <article
            id="document-page"
            className="card document-text-card"
            aria-labelledby="document-page-heading"
            data-page={page}
          >
            <h2 id="document-page-heading" className="side-heading">
              Page {page} of {total}
            </h2>
            {text.trim() === "" ? (
              <p className="muted">This page has no text.</p>
            ) : (
              <div className="document-text">
                {parts.before}
                {range ? (
                  <mark id="cited-passage" className="cited-passage" tabIndex={-1}>
                    {parts.marked}
                  </mark>
                ) : null}
                {parts.after}
              </div>
            )}
          </article>
          {range ? (
            <ScrollIntoView key={`${page}:${passage}`} targetId="cited-passage" block="center" />
          ) : single(query.page) !== undefined ? (
            <ScrollIntoView key={page} targetId="document-page" block="start" />
          ) : null}
        </>
      ) : null}
    </div>
  );
}
