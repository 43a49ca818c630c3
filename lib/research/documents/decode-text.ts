/** The encodings `decodeText` recognizes. */
export type TextEncoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

/**
 * Decodes an uploaded text file. A byte-order mark decides (UTF-8, UTF-16 LE
 * or BE; the mark is dropped); without one, bytes that are valid UTF-8 are
 * UTF-8, and anything else is read as Windows-1252, the superset of Latin-1
 * that "Latin-1" files from Windows really are (every byte maps to a
 * character, so decoding never fails).
 */
export function decodeText(bytes: Uint8Array): { text: string; encoding: TextEncoding } {
  const encoding = byteOrderMark(bytes);
  if (encoding) return { text: new TextDecoder(encoding).decode(bytes), encoding };
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), encoding: "utf-8" };
  } catch (error) {
    // Not UTF-8: the documented fallback below decodes any byte sequence.
    void error;
    return { text: decodeWindows1252(bytes), encoding: "windows-1252" };
  }
}

/** Windows-1252's characters for bytes 0x80–0x9F (the undefined five stay C1 controls, as browsers do). */
const WINDOWS_1252_HIGH = "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ";

/**
 * Windows-1252 by hand: Node 20's TextDecoder accepts the label but decodes
 * ISO-8859-1, turning curly quotes, dashes and € into invisible controls.
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString("latin1")
    .replace(
      /[\u0080-\u009f]/g,
      (character) => WINDOWS_1252_HIGH[character.charCodeAt(0) - 0x80] ?? character,
    );
}

/** The encoding a byte-order mark announces, if the bytes start with one. */
export function byteOrderMark(bytes: Uint8Array): Exclude<TextEncoding, "windows-1252"> | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  return undefined;
}

/**
 * True when the start of the bytes reads as text: no NUL (outside UTF-16) and
 * almost no other control characters. Looks at the first 64 KiB only.
 */
export function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 64 * 1024);
  const mark = byteOrderMark(head);
  // Non-fatal decoding: the sample may end in the middle of a character.
  const text = new TextDecoder(mark ?? "utf-8").decode(head);
  let control = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0) return false;
    // Tab, line feed, form feed, carriage return and escape are ordinary in text files.
    if (
      (code < 0x20 && code !== 9 && code !== 10 && code !== 12 && code !== 13 && code !== 27) ||
      code === 0x7f
    )
      control++;
  }
  return control <= text.length / 100;
}
