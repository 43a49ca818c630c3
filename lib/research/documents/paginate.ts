/**
 * How long a "page" of a document without pages is: about one printed page,
 * so that "p. 7" of a Word document or a text file lands near its seventh
 * printed page. Whichever comes first closes a page (the character count
 * covers scripts written without spaces).
 */
export const PAGE_WORDS = 500;
export const PAGE_CHARACTERS = 3_500;

/**
 * Splits a document's text into pages of about `PAGE_WORDS` words. Pages end
 * between paragraphs (blank-line separated); a paragraph longer than a page
 * is split between lines, and a line longer than a page between words, so no
 * page is much longer than the target. Returns no page for text that is only
 * white space.
 */
export function paginate(text: string): string[] {
  const pages: string[] = [];
  let page = "";
  let words = 0;
  const close = () => {
    if (page.trim() !== "") pages.push(page.trim());
    page = "";
    words = 0;
  };
  const add = (piece: string, separator: string) => {
    page = page === "" ? piece : `${page}${separator}${piece}`;
    words += countWords(piece);
    if (words >= PAGE_WORDS || page.length >= PAGE_CHARACTERS) close();
  };
  for (const paragraph of text.split(/\n[ \t]*\n/)) {
    const trimmed = paragraph.trim();
    if (trimmed === "") continue;
    if (countWords(trimmed) <= PAGE_WORDS && trimmed.length <= PAGE_CHARACTERS) {
      add(trimmed, "\n\n");
      continue;
    }
    // A long paragraph: its lines, and the words of lines too long themselves.
    let separator = "\n\n";
    for (const line of trimmed.split("\n")) {
      for (const piece of splitLongLine(line)) {
        add(piece, separator);
        separator = "\n";
      }
      separator = "\n";
    }
  }
  close();
  return pages;
}

function countWords(text: string): number {
  let count = 0;
  for (const _ of text.matchAll(/\S+/g)) count++;
  return count;
}

function splitLongLine(line: string): string[] {
  if (countWords(line) <= PAGE_WORDS && line.length <= PAGE_CHARACTERS) return [line];
  const pieces: string[] = [];
  let piece = "";
  let words = 0;
  for (const word of line.split(/\s+/)) {
    if (word === "") continue;
    // A single "word" longer than a page (base64, a URL list) is cut at the page length.
    for (let at = 0; at < word.length; at += PAGE_CHARACTERS) {
      const part = word.slice(at, at + PAGE_CHARACTERS);
      if (piece !== "" && (words >= PAGE_WORDS || piece.length + part.length + 1 > PAGE_CHARACTERS)) {
        pieces.push(piece);
        piece = "";
        words = 0;
      }
      piece = piece === "" ? part : `${piece} ${part}`;
      words++;
    }
  }
  if (piece !== "") pieces.push(piece);
  return pieces;
}
