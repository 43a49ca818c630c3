/**
 * Finding a cited passage in a document's page, to mark it. The index cuts a
 * page into passages with its whitespace collapsed (lib/research/text/chunk.ts),
 * so a passage is the page's text give or take whitespace: the search here
 * ignores whitespace differences and case, and answers offsets into the page
 * as it is shown.
 */

/** How much of a passage a link carries (`?passage=`): enough to find it, short enough for a URL. */
export const PASSAGE_PREFIX_LENGTH = 80;

/** Longest stretch marked after the quoted start, to the end of its sentence. */
const MAX_EXTENSION = 400;

/** The start of a passage as a link carries it: whitespace collapsed, at most 80 characters. */
export function passageParam(passage: string): string {
  return passage.replace(/\s+/g, " ").trim().slice(0, PASSAGE_PREFIX_LENGTH).trim();
}

/** `text` with whitespace runs collapsed to one space and lower-cased, and where each character came from. */
function normalize(text: string): { value: string; origin: number[] } {
  let value = "";
  const origin: number[] = [];
  let inSpace = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (/\s/.test(char)) {
      if (!inSpace && value !== "") {
        value += " ";
        origin.push(index);
      }
      inSpace = true;
    } else {
      inSpace = false;
      value += char.toLowerCase();
      origin.push(index);
    }
  }
  return { value, origin };
}

/** Where `needle` is in `text` (whitespace and case aside): `[start, end)` offsets into `text`, or null. */
export function findText(text: string, needle: string): { start: number; end: number } | null {
  const wanted = normalize(needle).value.trim();
  if (wanted === "") return null;
  const page = normalize(text);
  const at = page.value.indexOf(wanted);
  if (at < 0) return null;
  return { start: page.origin[at]!, end: page.origin[at + wanted.length - 1]! + 1 };
}

/**
 * The range to mark for a passage whose start is `quoted`: the quoted start
 * itself, continued to the end of its sentence (a link carries only the first
 * 80 characters). Null when the page does not hold it.
 */
export function passageRange(text: string, quoted: string): { start: number; end: number } | null {
  const found = findText(text, quoted);
  if (!found) return null;
  const rest = text.slice(found.end, found.end + MAX_EXTENSION);
  // A sentence ends at . ! or ? followed by whitespace or the end, or at a blank line.
  const stop = /[.!?]["”’)\]]*(?=\s|$)|\n\s*\n/.exec(rest);
  let end = found.end;
  if (stop) end = found.end + stop.index + (stop[0].startsWith("\n") ? 0 : stop[0].length);
  // No sentence end before the page ends: the passage runs to the end of the page.
  else if (found.end + rest.length === text.length) end = found.end + rest.trimEnd().length;
  return { start: found.start, end: Math.max(found.end, end) };
}

/** `text` cut around `range`: what comes before, the marked part and what comes after. */
export function splitAt(
  text: string,
  range: { start: number; end: number } | null,
): { before: string; marked: string; after: string } {
  if (!range) return { before: text, marked: "", after: "" };
  return {
    before: text.slice(0, range.start),
    marked: text.slice(range.start, range.end),
    after: text.slice(range.end),
  };
}
