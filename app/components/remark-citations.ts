import type { Link, Parent, PhrasingContent, Root, Text } from "mdast";

/** `[3]`, `[1, 4]` or `[2–5]` in running text. */
const CITATION = /\[(\d{1,3}(?:\s*[,–-]\s*\d{1,3})*)\]/g;

/** The element id of source `n` in the sources list. */
export function sourceAnchor(number: number): string {
  return `source-${number}`;
}

/** `[1, 3]` becomes two small links, `1` and `3`, without the brackets (the styling marks them). */
function citationLinks(label: string): PhrasingContent[] {
  const nodes: PhrasingContent[] = [];
  for (const part of label.split(/\s*([,–-])\s*/)) {
    const number = Number(part);
    if (part !== "" && Number.isInteger(number)) {
      const link: Link = {
        type: "link",
        url: `#${sourceAnchor(number)}`,
        title: `Source ${number}`,
        children: [{ type: "text", value: part }],
        data: { hProperties: { className: ["citation"] } },
      };
      nodes.push(link);
    } else if (part === "–" || part === "-") {
      nodes.push({ type: "text", value: "–" });
    }
  }
  return nodes;
}

function splitText(node: Text): PhrasingContent[] | null {
  const value = node.value;
  CITATION.lastIndex = 0;
  if (!CITATION.test(value)) return null;
  CITATION.lastIndex = 0;
  const out: PhrasingContent[] = [];
  let last = 0;
  for (const match of value.matchAll(CITATION)) {
    const start = match.index ?? 0;
    if (start > last) out.push({ type: "text", value: value.slice(last, start) });
    out.push(...citationLinks(match[1] ?? ""));
    last = start + match[0].length;
  }
  if (last < value.length) out.push({ type: "text", value: value.slice(last) });
  return out;
}

function visit(parent: Parent): void {
  const children = parent.children as Root["children"];
  for (let index = 0; index < children.length; index++) {
    const child = children[index]!;
    // Inside links, code and definitions a bracketed number is not a citation.
    if (
      child.type === "link" ||
      child.type === "linkReference" ||
      child.type === "code" ||
      child.type === "inlineCode"
    )
      continue;
    if (child.type === "text") {
      const replacement = splitText(child);
      if (replacement) {
        children.splice(index, 1, ...(replacement as Root["children"]));
        index += replacement.length - 1;
      }
    } else if ("children" in child) {
      visit(child);
    }
  }
}

/**
 * A remark plugin that turns citation markers in the report (`[n]`, which
 * markdown leaves as plain text when no link definition matches) into links
 * to the sources list. Code spans and blocks are left alone.
 */
export function remarkCitations() {
  return (tree: Root) => {
    visit(tree);
  };
}
