"use client";

import { memo } from "react";
import Markdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";
import { remarkCitations } from "./remark-citations";

const remarkPlugins = [remarkGfm, remarkCitations];

const components: Components = {
  // Links in a report lead away from the task: open them beside it. Citations stay in the page, and
  // links to this app's own pages (a collection's document, from the sources list) open in this tab.
  a({ node: _node, href, children, ...props }) {
    const internal = href !== undefined && (href.startsWith("#") || /^\/(?![/\\])/.test(href));
    return (
      <a href={href} {...props} {...(internal ? {} : { target: "_blank", rel: "noopener noreferrer" })}>
        {children}
      </a>
    );
  },
  table({ node: _node, children, ...props }) {
    return (
      <div className="table-scroll">
        <table {...props}>{children}</table>
      </div>
    );
  },
};

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
