import { parseHTML } from "linkedom";

/** The text of simple, well-formed HTML (mammoth's output), block by block. */
export interface HtmlBlocks {
  /** One entry per heading, paragraph, list item or table row, in order. */
  blocks: string[];
  /** The text of the first `h1`, else of the first heading of any level. */
  firstHeading?: string;
}

const HEADINGS = new Set(["H1", "H2", "H3", "H4", "H5", "H6"]);
const TEXT_BLOCKS = new Set([...HEADINGS, "P", "PRE", "DT", "DD", "CAPTION", "FIGCAPTION"]);
const LISTS = new Set(["UL", "OL"]);
const SKIPPED = new Set(["SCRIPT", "STYLE", "TEMPLATE", "IMG"]);

/**
 * Headings and paragraphs become blocks of their own, list items "- item"
 * (indented two spaces per level of nesting), table rows their cells joined
 * by " | ". Line breaks inside a paragraph are kept; other white space is
 * collapsed. Unlike `extractMainText` nothing is judged boilerplate: every
 * part of a Word document is content.
 */
export function htmlToBlocks(html: string): HtmlBlocks {
  const { document } = parseHTML(`<!doctype html><html><body>${html}</body></html>`);
  const blocks: string[] = [];
  const headings: { level: number; text: string }[] = [];
  const push = (text: string) => {
    if (text !== "") blocks.push(text);
  };
  const walk = (node: Node, depth: number) => {
    if (node.nodeType === 3) {
      push(inline(node));
      return;
    }
    if (node.nodeType !== 1) return;
    const element = node as Element;
    const tag = element.tagName.toUpperCase();
    if (SKIPPED.has(tag)) return;
    if (TEXT_BLOCKS.has(tag)) {
      const text = inline(element);
      if (HEADINGS.has(tag) && text !== "") headings.push({ level: Number(tag.slice(1)), text });
      push(text);
      return;
    }
    if (tag === "LI") {
      // The item's own text, then its nested lists one level deeper.
      const own = Array.from(element.childNodes).filter(
        (child) => !(child.nodeType === 1 && LISTS.has((child as Element).tagName.toUpperCase())),
      );
      const text = own
        .map((child) => inline(child))
        .join(" ")
        .replace(/ +/g, " ")
        .trim();
      if (text !== "") push(`${"  ".repeat(Math.max(0, depth - 1))}- ${text}`);
      for (const child of Array.from(element.childNodes)) {
        if (child.nodeType === 1 && LISTS.has((child as Element).tagName.toUpperCase())) walk(child, depth);
      }
      return;
    }
    if (tag === "TR") {
      const cells = Array.from(element.children)
        .map((cell) => inline(cell).replace(/\n/g, " "))
        .filter((cell) => cell !== "");
      push(cells.join(" | "));
      return;
    }
    const nextDepth = LISTS.has(tag) ? depth + 1 : depth;
    for (const child of Array.from(element.childNodes)) walk(child, nextDepth);
  };
  walk(document.body, 0);
  const firstHeading = (headings.find((heading) => heading.level === 1) ?? headings[0])?.text;
  return firstHeading === undefined ? { blocks } : { blocks, firstHeading };
}

/** A node's text with `<br>` as line breaks and other white space collapsed. */
function inline(node: Node): string {
  const parts: string[] = [];
  const walk = (current: Node) => {
    if (current.nodeType === 3) parts.push((current.textContent ?? "").replace(/\s+/g, " "));
    else if (current.nodeType === 1) {
      const tag = (current as Element).tagName.toUpperCase();
      if (tag === "BR") parts.push("\n");
      else if (!SKIPPED.has(tag)) {
        // Paragraphs inside a table cell or a list item are lines of their own.
        const block = TEXT_BLOCKS.has(tag) || LISTS.has(tag) || tag === "LI";
        if (block) parts.push("\n");
        for (const child of Array.from(current.childNodes)) walk(child);
        if (block) parts.push("\n");
      }
    }
  };
  walk(node);
  return parts
    .join("")
    .split("\n")
    .map((line) => line.replace(/ +/g, " ").trim())
    .filter((line) => line !== "")
    .join("\n");
}
