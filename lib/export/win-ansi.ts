/** The characters of Windows-1252 above 0x7f that are not Latin-1 (0x80–0x9f). */
const WINDOWS_1252_EXTRAS = new Set("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ");

/** Common characters outside Windows-1252 and what to write instead. */
const REPLACEMENTS: Record<string, string> = {
  Ł: "L",
  ł: "l",
  Đ: "D",
  đ: "d",
  ı: "i",
  "\u2010": "-",
  "\u2011": "-",
  "\u2012": "–",
  "\u2015": "—",
  "\u2032": "'",
  "\u2033": '"',
  "\u2212": "-",
  "\u2192": "->",
  "\u2190": "<-",
  "\u2264": "<=",
  "\u2265": ">=",
  "\u2260": "!=",
  "\u00ad": "",
  "\u200b": "",
  "\u200c": "",
  "\u200d": "",
  "\ufeff": "",
};

function encodable(character: string): boolean {
  const code = character.codePointAt(0) ?? 0;
  return (
    (code >= 0x20 && code < 0x7f) || (code >= 0xa0 && code <= 0xff) || WINDOWS_1252_EXTRAS.has(character)
  );
}

/**
 * Text the PDF standard fonts can draw (Windows-1252): other characters
 * become their closest Latin form (`ő` → `o`, `ﬁ` → `fi`, `→` → `->`) or
 * `?`, so text in any script exports without an error, though not in its own
 * letters. Line breaks and tabs become spaces except inside code (`\n` kept).
 */
export function toWinAnsi(text: string): string {
  let out = "";
  for (const character of text) {
    if (character === "\n") {
      out += "\n";
      continue;
    }
    if (encodable(character)) {
      out += character;
      continue;
    }
    const replacement = REPLACEMENTS[character];
    if (replacement !== undefined) {
      out += replacement;
      continue;
    }
    if (/\s/u.test(character)) {
      out += " ";
      continue;
    }
    if (/\p{Cc}|\p{Cf}|\p{M}/u.test(character)) continue;
    const decomposed = character.normalize("NFKD").replace(/\p{M}/gu, "");
    out += decomposed !== "" && [...decomposed].every(encodable) ? decomposed : "?";
  }
  return out;
}

/**
 * Whether the standard fonts draw `text` as written: every character is in
 * Windows-1252, or a space or control character, or has a fixed Latin
 * stand-in (`→` → `->`). Text that is not goes to the embedded fonts
 * (pdf-fonts.ts) instead of losing its letters.
 */
export function isWinAnsi(text: string): boolean {
  for (const character of text) {
    if (character === "\n" || encodable(character) || REPLACEMENTS[character] !== undefined) continue;
    if (/\s/u.test(character) || /\p{Cc}|\p{Cf}/u.test(character)) continue;
    return false;
  }
  return true;
}
