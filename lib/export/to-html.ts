import { type ExportDocument, safeHref, sourceAnchor } from "./export-document";
import type { Block, Inline } from "./report-blocks";

/** Everything the document needs to look right offline: no fonts, scripts or images to fetch. */
const STYLE = `
:root { color-scheme: light; }
body { font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: #1c1f24; background: #fff; margin: 0; }
main { max-width: 46rem; margin: 0 auto; padding: 2.5rem 1.25rem 4rem; }
h1, h2, h3, h4, h5, h6 { line-height: 1.25; margin: 1.8em 0 0.6em; }
h1 { font-size: 2rem; margin-top: 0; }
h2 { font-size: 1.45rem; border-bottom: 1px solid #dde1e6; padding-bottom: 0.25em; }
h3 { font-size: 1.2rem; }
a { color: #0b57d0; }
a.citation { text-decoration: none; }
blockquote { margin: 1em 0; padding: 0 1em; border-left: 3px solid #dde1e6; color: #4a5261; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
pre { background: #f4f6f8; padding: 0.8em 1em; overflow-x: auto; border-radius: 4px; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #dde1e6; padding: 0.35em 0.6em; text-align: left; vertical-align: top; }
hr { border: 0; border-top: 1px solid #dde1e6; margin: 2em 0; }
.sources li { margin: 0.3em 0; overflow-wrap: anywhere; }
.sources .detail { color: #4a5261; }
.sources li:target { background: #fff6d6; }
@media print { main { max-width: none; padding: 0; } a { color: inherit; } }
`;

/** Text safe in HTML content and in double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/**
 * A complete, standalone HTML document: styles inlined, nothing loaded from
 * anywhere, citations linked to the sources list at the end, every piece of
 * the report escaped (its Markdown may carry HTML, which is shown as text).
 */
export function toHtml(document: ExportDocument): string {
  const sourceNumbers = new Set(document.sources.map((source) => source.number));
  const body = renderBlocks(document.blocks, sourceNumbers);
  const sources =
    document.sources.length === 0
      ? ""
      : `<section class="sources" aria-labelledby="sources">\n<h2 id="sources">${escapeHtml(document.sourcesHeading)}</h2>\n<ol>\n${document.sources
          .map((source) => {
            const title = source.href
              ? `<a href="${escapeHtml(source.href)}">${escapeHtml(source.title)}</a>`
              : escapeHtml(source.title);
            const detail =
              source.detail && source.detail !== source.href
                ? ` <span class="detail">— ${escapeHtml(source.detail)}</span>`
                : "";
            return `<li id="${sourceAnchor(source.number)}" value="${source.number}">${title}${detail}</li>`;
          })
          .join("\n")}\n</ol>\n</section>`;
  return `<!doctype html>
<html lang="${escapeHtml(document.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Fathom">
<title>${escapeHtml(document.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
${sources}
</main>
</body>
</html>
`;
}

function renderBlocks(blocks: readonly Block[], sources: ReadonlySet<number>): string {
  const out: string[] = [];
  /** The lists open around the current item, innermost last. */
  const open: { list: number; ordered: boolean }[] = [];
  const closeTo = (depth: number) => {
    while (open.length > depth) {
      const list = open.pop()!;
      out.push(`</li></${list.ordered ? "ol" : "ul"}>`);
    }
  };
  let quote = false;
  for (const block of blocks) {
    if (block.kind !== "list-item") closeTo(0);
    const inQuote = block.kind === "paragraph" && block.quote === true;
    if (quote && !inQuote) out.push("</blockquote>");
    if (!quote && inQuote) out.push("<blockquote>");
    quote = inQuote;
    switch (block.kind) {
      case "heading": {
        const level = Math.min(Math.max(block.level, 1), 6);
        out.push(`<h${level}>${renderInlines(block.inlines, sources)}</h${level}>`);
        break;
      }
      case "paragraph":
        out.push(`<p>${renderInlines(block.inlines, sources)}</p>`);
        break;
      case "list-item": {
        const depth = block.level + 1;
        closeTo(depth);
        const current = open[depth - 1];
        if (current && current.list !== block.list) closeTo(depth - 1);
        if (open.length === depth) out.push("</li>");
        while (open.length < depth) {
          const tag = block.ordered ? "ol" : "ul";
          const start =
            block.ordered && block.number !== 1 && open.length === depth - 1
              ? ` start="${block.number}"`
              : "";
          out.push(`<${tag}${start}>`);
          open.push({ list: block.list, ordered: block.ordered });
          if (open.length < depth) out.push("<li>");
        }
        out.push(`<li>${renderInlines(block.inlines, sources)}`);
        break;
      }
      case "code":
        out.push(`<pre><code>${escapeHtml(block.text)}</code></pre>`);
        break;
      case "table": {
        const [head, ...rows] = block.rows;
        const cells = (row: Inline[][], tag: "th" | "td") =>
          `<tr>${row.map((cell) => `<${tag}>${renderInlines(cell, sources)}</${tag}>`).join("")}</tr>`;
        out.push(
          `<table>${head ? `<thead>${cells(head, "th")}</thead>` : ""}<tbody>${rows.map((row) => cells(row, "td")).join("")}</tbody></table>`,
        );
        break;
      }
      case "rule":
        out.push("<hr>");
        break;
    }
  }
  closeTo(0);
  if (quote) out.push("</blockquote>");
  return out.join("\n");
}

function renderInlines(inlines: readonly Inline[], sources: ReadonlySet<number>): string {
  return inlines
    .map((inline) => {
      switch (inline.kind) {
        case "text": {
          let html = escapeHtml(inline.text);
          if (inline.code) html = `<code>${html}</code>`;
          if (inline.emphasis) html = `<em>${html}</em>`;
          if (inline.strong) html = `<strong>${html}</strong>`;
          return html;
        }
        case "link": {
          const href = safeHref(inline.url);
          return href
            ? `<a href="${escapeHtml(href)}">${escapeHtml(inline.text)}</a>`
            : escapeHtml(inline.text);
        }
        case "citation":
          // A number with no source behind it stays text: a link to nowhere would mislead.
          return sources.has(inline.number)
            ? `<a class="citation" href="#${sourceAnchor(inline.number)}" title="Source ${inline.number}">${inline.number}</a>`
            : String(inline.number);
      }
      return "";
    })
    .join("");
}
