import Link from "next/link";
import { useTranslations } from "next-intl";
import { parseCollectionDocumentRef } from "@/lib/model/collection";
import { sourceAnchor } from "./remark-citations";
import { collectionSourceHref } from "./source-links";
import { type StreamSource, sourceKey } from "./task-stream-reducer";

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, "");
  } catch {
    return url;
  }
}

function keyOf(source: StreamSource): string {
  return source.number !== undefined ? `n${source.number}` : sourceKey(source);
}

/** The line under a source's title: a web page's host, a collection document's collection and page. */
function metaOf(t: ReturnType<typeof useTranslations<"sources">>, source: StreamSource): string {
  if (source.url) return hostOf(source.url);
  const inCollection = source.documentRef ? parseCollectionDocumentRef(source.documentRef) : undefined;
  if (inCollection)
    return source.page
      ? `${inCollection.collection} · ${t("page", { page: source.page })}`
      : inCollection.collection;
  return source.documentRef ?? "";
}

/**
 * The sources: found so far while the research runs, then the report's
 * numbered sources, which citations `[n]` link to (`#source-n`). A web page
 * links to its URL (beside the task), a collection's document to its page
 * in the app, at the cited page with the cited passage marked.
 */
export function SourcesList({ sources }: { sources: StreamSource[] }) {
  const t = useTranslations("sources");
  if (sources.length === 0) return <p className="muted small">{t("empty")}</p>;
  const sorted = [...sources].sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
  return (
    <ol className="sources">
      {sorted.map((source) => {
        const documentHref = collectionSourceHref(source);
        return (
          <li
            key={keyOf(source)}
            id={source.number !== undefined ? sourceAnchor(source.number) : undefined}
            className="source"
            tabIndex={source.number !== undefined ? -1 : undefined}
          >
            <span
              className={`source-number${source.number === undefined ? " source-found" : ""}`}
              aria-hidden={source.number === undefined}
            >
              {source.number ?? "•"}
            </span>
            <div className="source-body">
              {source.url && !source.unreadable ? (
                <a className="source-title" href={source.url} target="_blank" rel="noopener noreferrer">
                  {source.title}
                </a>
              ) : documentHref ? (
                <Link className="source-title" href={documentHref}>
                  {source.title}
                  {source.page ? (
                    <span className="visually-hidden">{t("pageSuffix", { page: source.page })}</span>
                  ) : null}
                </Link>
              ) : (
                <span className="source-title">{source.title}</span>
              )}
              <span className="source-meta mono">{metaOf(t, source)}</span>
              {source.unreadable ? (
                <span className="source-unread small" title={source.unreadable}>
                  {t("notRead", { reason: source.unreadable })}
                </span>
              ) : null}
              {source.passages && source.passages.length > 0 ? (
                <details className="source-passages">
                  <summary>{t("passages", { count: source.passages.length })}</summary>
                  {source.passages.map((passage, index) => (
                    // Passages have no identity of their own; their order is fixed.
                    // biome-ignore lint/suspicious/noArrayIndexKey: see above
                    <blockquote key={index}>{passage}</blockquote>
                  ))}
                </details>
              ) : null}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
