import { Readability } from "@mozilla/readability";
import { parseHTML } from "linkedom";

/** The readable content of an HTML page. */
export interface ExtractedText {
  title: string;
  /** Plain text, paragraphs separated by blank lines. */
  text: string;
}

const BLOCK_TAGS = new Set(
  "ADDRESS ARTICLE ASIDE BLOCKQUOTE BR DD DIV DL DT FIGCAPTION FIGURE FOOTER H1 H2 H3 H4 H5 H6 HEADER HR LI MAIN NAV OL P PRE SECTION TABLE TD TH TR UL".split(
    " ",
  ),
);
const SKIPPED_TAGS = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "SVG", "IFRAME"]);

/**
 * Extracts the main text of an HTML document with Mozilla Readability (over
 * a linkedom DOM, no browser). When Readability finds no article (short or
 * unusual pages) the whole body's text is used instead. Paragraph structure
 * is kept as blank lines so the text can be split into passages.
 */
export function extractMainText(html: string, url?: string): ExtractedText {
  const { document } = parseHTML(html);
  const pageTitle = document.querySelector("title")?.textContent?.trim() ?? "";
  if (url !== undefined) setDocumentUrl(document, url);
  let article: ReturnType<Readability<Node>["parse"]> = null;
  try {
    // Readability mutates the DOM it is given: hand it its own copy.
    const copy = parseHTML(html).document;
    if (url !== undefined) setDocumentUrl(copy, url);
    article = new Readability<Node>(copy as unknown as Document, { serializer: (node) => node }).parse();
  } catch (error) {
    // Readability throws on some malformed documents; the body text below is
    // the documented fallback, so the error is only worth a debug note.
    void error;
  }
  const articleText = article?.content ? blockText(article.content) : "";
  const text = articleText.length >= 200 ? articleText : blockText(document.body ?? document.documentElement);
  const title = (article?.title?.trim() || pageTitle).replace(/\s+/g, " ");
  return { title, text };
}

function setDocumentUrl(document: object, url: string): void {
  // Readability resolves relative links against these; linkedom leaves them unset.
  for (const key of ["documentURI", "baseURI"]) {
    try {
      Object.defineProperty(document, key, { value: url, configurable: true });
    } catch (error) {
      // A DOM that refuses the property just keeps relative links as they are.
      void error;
    }
  }
}

/** Text of a DOM subtree with block elements separated by blank lines. */
function blockText(root: Node | null | undefined): string {
  if (!root) return "";
  const parts: string[] = [];
  const walk = (node: Node) => {
    if (node.nodeType === 3) {
      parts.push(node.textContent ?? "");
      return;
    }
    if (node.nodeType !== 1 && node.nodeType !== 9 && node.nodeType !== 11) return;
    const tag = (node as Element).tagName?.toUpperCase() ?? "";
    if (SKIPPED_TAGS.has(tag)) return;
    const block = BLOCK_TAGS.has(tag);
    if (block) parts.push("\n\n");
    for (const child of Array.from(node.childNodes)) walk(child);
    if (block) parts.push("\n\n");
  };
  walk(root);
  return parts
    .join("")
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\s+/g, " ").trim())
    .filter((paragraph) => paragraph !== "")
    .join("\n\n");
}
