import type { Nodes, PhrasingContent, Root, RootContent } from "mdast";
import { fromMarkdown } from "mdast-util-from-markdown";
import { gfmFromMarkdown } from "mdast-util-gfm";
import { gfm } from "micromark-extension-gfm";
import { SOURCES_HEADINGS } from "../model/report-phrases";

/** A piece of running text, with the marks every format can show. */
export type Inline =
  | { kind: "text"; text: string; strong?: boolean; emphasis?: boolean; code?: boolean }
  | { kind: "link"; text: string; url: string }
  /** One number of a citation marker (`[3]`, `[1, 4]`): the brackets and commas are text around it. */
  | { kind: "citation"; number: number };

/**
 * The report as a flat sequence of blocks, which every format renders in
 * order. Lists are flattened into their items (each with its depth and the
 * list it belongs to), which is what a PDF or a Word document draws anyway;
 * the HTML renderer nests them again from `level`.
 */
export type Block =
  | { kind: "heading"; level: number; inlines: Inline[] }
  | { kind: "paragraph"; inlines: Inline[]; quote?: boolean }
  | {
      kind: "list-item";
      /** 0 for a top-level list, 1 for a list inside one of its items, … */
      level: number;
      ordered: boolean;
      /** The item's number in an ordered list (its start counts), 1-based. */
      number: number;
      /** The same for every item of one list, different for each list: restarts numbering. */
      list: number;
      inlines: Inline[];
    }
  | { kind: "code"; text: string }
  | { kind: "table"; rows: Inline[][][] }
  | { kind: "rule" };

/** `[3]`, `[1, 4]` or `[2–5]` in running text (as app/components/remark-citations.ts reads them). */
const CITATION = /\[(\d{1,3}(?:\s*[,–-]\s*\d{1,3})*)\]/g;

/** The report's blocks. Parsed once; each export format renders these. */
export function reportBlocks(markdown: string): Block[] {
  const tree: Root = fromMarkdown(markdown, {
    extensions: [gfm()],
    mdastExtensions: [gfmFromMarkdown()],
  });
  const blocks: Block[] = [];
  const lists = { next: 1 };
  for (const node of tree.children) addBlock(node, blocks, { level: 0, quote: false, lists });
  return blocks;
}

interface BlockContext {
  level: number;
  quote: boolean;
  lists: { next: number };
}

function addBlock(node: RootContent, blocks: Block[], context: BlockContext): void {
  switch (node.type) {
    case "heading":
      blocks.push({ kind: "heading", level: node.depth, inlines: inlinesOf(node.children) });
      return;
    case "paragraph": {
      const inlines = inlinesOf(node.children);
      if (inlines.length > 0)
        blocks.push({ kind: "paragraph", inlines, ...(context.quote && { quote: true }) });
      return;
    }
    case "blockquote":
      for (const child of node.children) addBlock(child, blocks, { ...context, quote: true });
      return;
    case "list": {
      const list = context.lists.next++;
      let number = node.start ?? 1;
      for (const item of node.children) {
        const inlines: Inline[] = [];
        const nested: RootContent[] = [];
        for (const child of item.children) {
          // An item's paragraphs are its text, joined; lists inside it follow it.
          if (child.type === "paragraph") {
            if (inlines.length > 0) inlines.push({ kind: "text", text: " " });
            inlines.push(...inlinesOf(child.children));
          } else nested.push(child);
        }
        blocks.push({
          kind: "list-item",
          level: context.level,
          ordered: node.ordered === true,
          number,
          list,
          inlines,
        });
        number++;
        for (const child of nested) addBlock(child, blocks, { ...context, level: context.level + 1 });
      }
      return;
    }
    case "code":
      blocks.push({ kind: "code", text: node.value });
      return;
    case "html":
      // Raw HTML in a report is shown as the text it is, never interpreted.
      blocks.push({ kind: "paragraph", inlines: [{ kind: "text", text: node.value }] });
      return;
    case "table":
      blocks.push({
        kind: "table",
        rows: node.children.map((row) => row.children.map((cell) => inlinesOf(cell.children))),
      });
      return;
    case "thematicBreak":
      blocks.push({ kind: "rule" });
      return;
    default:
      // Definitions, footnote definitions, front matter: nothing a reader sees.
      return;
  }
}

interface Marks {
  strong?: boolean;
  emphasis?: boolean;
}

function inlinesOf(nodes: readonly PhrasingContent[], marks: Marks = {}): Inline[] {
  const out: Inline[] = [];
  for (const node of nodes) {
    switch (node.type) {
      case "text":
        out.push(...citationsIn(node.value, marks));
        break;
      case "strong":
        out.push(...inlinesOf(node.children, { ...marks, strong: true }));
        break;
      case "emphasis":
        out.push(...inlinesOf(node.children, { ...marks, emphasis: true }));
        break;
      case "delete":
        out.push(...inlinesOf(node.children, marks));
        break;
      case "inlineCode":
        out.push({ kind: "text", text: node.value, code: true });
        break;
      case "break":
        out.push({ kind: "text", text: " " });
        break;
      case "link":
        out.push({ kind: "link", text: plainText(node) || node.url, url: node.url });
        break;
      case "image":
        if (node.alt) out.push({ kind: "text", text: node.alt, ...marks });
        break;
      case "html":
        out.push({ kind: "text", text: node.value, ...marks });
        break;
      case "linkReference":
      case "footnoteReference":
      case "imageReference":
        // Unresolved references read as their text (`[3]` without a definition is parsed as text anyway).
        out.push({ kind: "text", text: plainText(node), ...marks });
        break;
      default:
        break;
    }
  }
  return merge(out);
}

/** Text with its citation markers split out as citations. */
function citationsIn(value: string, marks: Marks): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  for (const match of value.matchAll(CITATION)) {
    const start = match.index ?? 0;
    if (start > last) out.push({ kind: "text", text: value.slice(last, start), ...marks });
    out.push({ kind: "text", text: "[", ...marks });
    for (const part of (match[1] ?? "").split(/\s*([,–-])\s*/)) {
      if (part === ",") out.push({ kind: "text", text: ", ", ...marks });
      else if (part === "–" || part === "-") out.push({ kind: "text", text: "–", ...marks });
      else if (part !== "") out.push({ kind: "citation", number: Number(part) });
    }
    out.push({ kind: "text", text: "]", ...marks });
    last = start + match[0].length;
  }
  if (last < value.length) out.push({ kind: "text", text: value.slice(last), ...marks });
  return out;
}

/** Adjacent text runs with the same marks become one (fewer runs in PDF and Word). */
function merge(inlines: Inline[]): Inline[] {
  const out: Inline[] = [];
  for (const inline of inlines) {
    const previous = out.at(-1);
    if (
      inline.kind === "text" &&
      previous?.kind === "text" &&
      previous.strong === inline.strong &&
      previous.emphasis === inline.emphasis &&
      previous.code === inline.code
    ) {
      out[out.length - 1] = { ...previous, text: previous.text + inline.text };
    } else out.push(inline);
  }
  return out;
}

function plainText(node: Nodes): string {
  if ("value" in node && typeof node.value === "string") return node.value;
  if ("alt" in node && typeof node.alt === "string") return node.alt;
  if ("children" in node) return (node.children as Nodes[]).map(plainText).join("");
  return "";
}

/** The text of inlines, citations as their numbers (headings, titles, file names). */
export function inlineText(inlines: readonly Inline[]): string {
  return inlines.map((inline) => (inline.kind === "citation" ? String(inline.number) : inline.text)).join("");
}

/**
 * The blocks without the engine's trailing sources list (`## Sources` and
 * what follows it, lib/research/report/sources-section.ts): the exports draw
 * that list from the task's sources instead, with anchors and links. The
 * heading is found in any language the engine writes it in.
 */
const SOURCES_TITLES = new Set(
  SOURCES_HEADINGS.map((heading) => heading.replace(/^#+\s*/, "").toLowerCase()),
);

export function withoutSourcesSection(blocks: readonly Block[]): Block[] {
  for (let index = blocks.length - 1; index >= 0; index--) {
    const block = blocks[index]!;
    if (block.kind !== "heading") continue;
    if (block.level === 2 && SOURCES_TITLES.has(inlineText(block.inlines).trim().toLowerCase()))
      return blocks.slice(0, index);
    return [...blocks];
  }
  return [...blocks];
}
