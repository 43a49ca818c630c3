import { splitSentences } from "./sentences";

/** Options of `chunkText`. */
export interface ChunkOptions {
  /** A passage is closed once it reaches this many characters. Default 900. */
  targetLength?: number;
  /** A sentence longer than this is cut at word boundaries. Default 2000. */
  maxLength?: number;
}

/**
 * Splits a document into passages for ranking: paragraphs (blank-line
 * separated) are kept whole when short, merged when tiny, and long ones
 * (including whole documents without paragraph breaks) are cut between
 * sentences near `targetLength` characters.
 */
export function chunkText(text: string, options: ChunkOptions = {}): string[] {
  const target = options.targetLength ?? 900;
  const max = options.maxLength ?? 2000;
  const passages: string[] = [];
  let current = "";
  const flush = () => {
    if (current.trim() !== "") passages.push(current.trim());
    current = "";
  };
  for (const paragraph of text.split(/\n\s*\n/)) {
    const clean = paragraph.replace(/\s+/g, " ").trim();
    if (clean === "") continue;
    for (const sentence of splitSentences(clean)) {
      for (const piece of cutLong(sentence, max)) {
        current = current === "" ? piece : `${current} ${piece}`;
        if (current.length >= target) flush();
      }
    }
    // A paragraph boundary closes a passage unless it is still very short.
    if (current.length >= target / 3) flush();
  }
  flush();
  return passages;
}

function cutLong(sentence: string, max: number): string[] {
  if (sentence.length <= max) return [sentence];
  const pieces: string[] = [];
  let rest = sentence;
  while (rest.length > max) {
    const cut = rest.lastIndexOf(" ", max);
    const at = cut > max / 2 ? cut : max;
    pieces.push(rest.slice(0, at).trim());
    rest = rest.slice(at).trim();
  }
  if (rest !== "") pieces.push(rest);
  return pieces;
}
