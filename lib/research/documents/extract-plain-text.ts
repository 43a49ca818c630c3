import { decodeText } from "./decode-text";
import type { ExtractedPages, ExtractionContext } from "./extraction-context";
import { paginate } from "./paginate";

/** A plain text file, split into pages of about a printed page; its title is its file name. */
export async function extractPlainText(
  bytes: Uint8Array,
  context: ExtractionContext,
): Promise<ExtractedPages> {
  context.signal?.throwIfAborted();
  return { pages: paginate(normalizeNewlines(decodeText(bytes).text)) };
}

/**
 * A Markdown file, kept as written (its syntax reads well enough and marks
 * the structure), without YAML front matter, in pages of about a printed
 * page. The title is the front matter's `title:`, else the first heading.
 */
export async function extractMarkdown(
  bytes: Uint8Array,
  context: ExtractionContext,
): Promise<ExtractedPages> {
  context.signal?.throwIfAborted();
  let text = normalizeNewlines(decodeText(bytes).text);
  let title: string | undefined;
  const frontMatter = /^---[ \t]*\n([\s\S]*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(text);
  if (frontMatter) {
    text = text.slice(frontMatter[0].length);
    title = /^title:[ \t]*(.+)$/m.exec(frontMatter[1] ?? "")?.[1]?.replace(/^(["'])(.*)\1$/, "$2");
  }
  title ??= firstHeading(text);
  const pages = paginate(text);
  return title === undefined ? { pages } : { title, pages };
}

/** The first ATX (`# Title`) or setext (`Title` over `===`) heading outside code fences. */
function firstHeading(markdown: string): string | undefined {
  let fenced = false;
  const lines = markdown.split("\n");
  for (const [index, line] of lines.entries()) {
    if (/^\s{0,3}(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const atx = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (atx?.[1]) return atx[1];
    const next = lines[index + 1];
    if (
      line.trim() !== "" &&
      next !== undefined &&
      /^\s{0,3}(=+|-+)\s*$/.test(next) &&
      !/^\s*[-*+]\s/.test(line)
    )
      return line.trim();
  }
  return undefined;
}

function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}
