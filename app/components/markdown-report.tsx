"use client";

import { useTranslations } from "next-intl";
import { type ComponentPropsWithoutRef, memo } from "react";
import Markdown, { type Components, type ExtraProps } from "react-markdown";
import remarkGfm from "remark-gfm";
import { remarkCitations } from "./remark-citations";

const remarkPlugins = [remarkGfm, remarkCitations];

const components: Components = {
  // Links in a report lead away from the task: open them beside it. Citations stay in the page, and
  // links to this app's own pages (a collection's document, from the sources list) open in this tab.
  a: ReportLink,
  table({ node: _node, children, ...props }) {
    return (
      <div className="table-scroll">
        <table {...props}>{children}</table>
      </div>
    );
  },
};

/** A link of the report; a citation's title ("Source 3") in the page's language. */
function ReportLink({ node: _node, href, children, ...props }: ComponentPropsWithoutRef<"a"> & ExtraProps) {
  const t = useTranslations("report");
  // An unsafe address (`javascript:`, `data:`…) reaches here emptied by react-markdown's
  // URL check: as a link it would open this very page in a new tab. Its words stay, unlinked.
  if (!href) return <span>{children}</span>;
  const internal = href !== undefined && (href.startsWith("#") || /^\/(?![/\\])/.test(href));
  const citation = /^#source-(\d+)$/.exec(href ?? "")?.[1];
  return (
    <a
      href={href}
      {...props}
      {...(citation && props.title ? { title: t("citation", { number: Number(citation) }) } : {})}
      {...(internal ? {} : { target: "_blank", rel: "noopener noreferrer" })}
    >
      {children}
    </a>
  );
}

/**
 * The report, rendered from markdown. Raw HTML in the markdown is not
 * rendered (react-markdown's default), so a report can't inject markup.
 */
export const MarkdownReport = memo(function MarkdownReport({ markdown }: { markdown: string }) {
  return (
    <Markdown remarkPlugins={remarkPlugins} components={components}>
      {markdown}
    </Markdown>
  );
});
