import { extractMainText } from "../web/extract-main-text";
import { byteOrderMark, decodeText, decodeWindows1252 } from "./decode-text";
import type { ExtractedPages, ExtractionContext } from "./extraction-context";
import { paginate } from "./paginate";

/**
 * An HTML file's readable text — the same Readability reading as a fetched
 * web page (navigation and boilerplate dropped; the whole body when no
 * article stands out) — split into pages of about a printed page. The title
 * is the article's, else `<title>`.
 */
export async function extractHtml(bytes: Uint8Array, context: ExtractionContext): Promise<ExtractedPages> {
  context.signal?.throwIfAborted();
  const { title, text } = extractMainText(decodeHtml(bytes));
  const pages = paginate(text);
  return title === "" ? { pages } : { title, pages };
}

/**
 * HTML is decoded like any text (BOM, else UTF-8, else Windows-1252), except
 * that a page which is not UTF-8 and names its charset in a `<meta>` tag is
 * decoded with that charset when it is one the platform knows.
 */
function decodeHtml(bytes: Uint8Array): string {
  const decoded = decodeText(bytes);
  if (decoded.encoding !== "windows-1252" || byteOrderMark(bytes)) return decoded.text;
  const head = decodeWindows1252(bytes.subarray(0, 2048));
  const charset = /<meta[^>]+charset\s*=\s*["']?([\w-]+)/i.exec(head)?.[1];
  if (!charset) return decoded.text;
  try {
    const decoder = new TextDecoder(charset);
    // Latin-1 labels mean Windows-1252, which decodeText has already read correctly.
    return decoder.encoding === "windows-1252" ? decoded.text : decoder.decode(bytes);
  } catch (error) {
    // An unknown charset label: keep the Windows-1252 reading, which never fails.
    void error;
    return decoded.text;
  }
}
