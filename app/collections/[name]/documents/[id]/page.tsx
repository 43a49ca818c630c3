import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getLocale, getTranslations } from "next-intl/server";
import { requirePageAccess } from "@/app/_lib/page-access";
import { DocumentPending, PageSelector, ScrollIntoView } from "@/app/components/document-reader";
import { DocumentStatusPill } from "@/app/components/document-status";
import { Icon } from "@/app/components/icons";
import { passageRange, splitAt } from "@/app/components/passage-highlight";
import { RelativeTime } from "@/app/components/relative-time";
import { formatters } from "@/app/components/use-format";
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
  const t = await getTranslations("titles");
  if (loaded === null || loaded.kind === "protected") return { title: t("document") };
  if (loaded.kind === "found")
    return { title: `${loaded.document.title || loaded.document.filename} · ${name}` };
  return { title: t("documentNotFound") };
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
  const t = await getTranslations("documents");
  const format = formatters(await getTranslations("format"), await getLocale());

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
          <span className="meta-item">{format.documentType(document.type)}</span>
          <span className="meta-item">{format.count("page", document.pages)}</span>
          <span className="meta-item">{format.count("passage", document.passages)}</span>
          <span className="meta-item">{format.bytes(document.bytes)}</span>
          <span className="meta-item">
            {t("added")} <RelativeTime iso={document.createdAt} />
          </span>
          {document.indexedAt ? (
            <span className="meta-item">
              {t("indexed")} <RelativeTime iso={document.indexedAt} />
            </span>
          ) : null}
        </div>
        <div className="button-group document-actions">
          <a href={document.links.original} className="button" download={document.filename}>
            <Icon name="download" /> {t("downloadOriginal")}
          </a>
          {document.sourceUrl ? (
            <a href={document.sourceUrl} className="button" target="_blank" rel="noopener noreferrer">
              <Icon name="link" /> {t("source")}
            </a>
          ) : null}
          <Link href={`/?collection=${encodeURIComponent(name)}`} className="button">
            <Icon name="search" /> {t("researchCollection")}
          </Link>
        </div>
      </header>

      {document.status === "failed" ? (
        <div className="callout callout-error" role="alert">
          <Icon name="alert" />
          <div>
            <strong>{t("notIndexed")}</strong> {document.error?.message ?? t("unreadable")}
          </div>
        </div>
      ) : null}

      {document.status === "queued" || document.status === "indexing" ? (
        <DocumentPending document={document} />
      ) : null}

      {pages ? (
        <>
          {total > 1 ? (
            <nav className="page-nav" aria-label={t("pages")}>
              {page > 1 ? (
                <Link href={`${path}?page=${page - 1}`} className="button" rel="prev">
                  {t("previous")}
                </Link>
              ) : (
                <span className="button" aria-disabled="true">
                  {t("previous")}
                </span>
              )}
              <PageSelector action={path} page={page} pages={total} />
              {page < total ? (
                <Link href={`${path}?page=${page + 1}`} className="button" rel="next">
                  {t("next")}
                </Link>
              ) : (
                <span className="button" aria-disabled="true">
                  {t("next")}
                </span>
              )}
            </nav>
          ) : null}
          {passage && !range ? (
            <p className="callout callout-warning small" role="status">
              <Icon name="alert" />
              <span>{t("passageNotHere")}</span>
            </p>
          ) : null}
          <article
            id="document-page"
            className="card document-text-card"
            aria-labelledby="document-page-heading"
            data-page={page}
          >
            <h2 id="document-page-heading" className="side-heading">
              {t("pageHeading", { page, total })}
            </h2>
            {text.trim() === "" ? (
              <p className="muted">{t("noText")}</p>
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
