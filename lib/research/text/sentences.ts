// Abbreviations after which a period does not end a sentence.
const ABBREVIATIONS = new Set(
  "mr mrs ms dr st jr sr gen col capt lt gov sen rep hon messrs no nos vol art sec ch pp inc co corp ltd vs etc jan feb mar apr jun jul aug sep sept oct nov dec u.s e.g i.e viz".split(
    " ",
  ),
);

/**
 * Splits prose into sentences. Rule-based and deterministic: a sentence ends
 * at `.`, `!` or `?` (optionally followed by quotes or brackets) before
 * whitespace and an upper-case letter, digit or quote — except after common
 * abbreviations and single initials ("Harry S. Truman").
 */
export function splitSentences(text: string): string[] {
  const normalized = text.replace(/\s+/g, " ").trim();
  if (normalized === "") return [];
  const sentences: string[] = [];
  const boundary = /[.!?]["'”’)\]]*\s+(?=["'“‘(]?[\p{Lu}\d])/gu;
  let start = 0;
  for (const match of normalized.matchAll(boundary)) {
    const end = match.index + match[0].trimEnd().length;
    // Only the word before the period matters (a short window keeps this linear).
    const before = normalized.slice(Math.max(start, match.index - 40), match.index);
    const lastWord = /([\p{L}.]+)$/u.exec(before)?.[1]?.toLowerCase() ?? "";
    if (
      match[0].startsWith(".") &&
      (ABBREVIATIONS.has(lastWord.replace(/\.$/, "")) || /^\p{L}$/u.test(lastWord))
    ) {
      continue;
    }
    sentences.push(normalized.slice(start, end).trim());
    start = match.index + match[0].length;
  }
  const rest = normalized.slice(start).trim();
  if (rest !== "") sentences.push(rest);
  return sentences;
}
