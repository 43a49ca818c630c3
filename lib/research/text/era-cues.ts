/**
 * When a question is set: the spans of years its words point to. A search
 * over dated documents (the State of the Union addresses, whose titles name
 * their year) can then prefer the documents of that time, which the words
 * alone do not tell: "the 1930s" is not the word "1930", "the Great
 * Depression" names no year, and an address reports on the year before it
 * was given (README, "How it works").
 */

/** A span of years, both ends included. */
export interface YearSpan {
  from: number;
  to: number;
}

/** Earliest and latest year read as a date (a four-digit number outside is a quantity). */
const FIRST_YEAR = 1700;
const LAST_YEAR = 2099;

/**
 * Periods of U.S. history by their usual names, with the years whose
 * addresses report on them (the year after a period's end included: an
 * address looks back on the year before it). General knowledge of the
 * calendar, the same for any question.
 */
const NAMED_ERAS: readonly { pattern: RegExp; span: YearSpan }[] = [
  { pattern: /\bwar of 1812\b/, span: { from: 1812, to: 1815 } },
  { pattern: /\bmexican(?:-american)? war\b/, span: { from: 1846, to: 1848 } },
  { pattern: /\bcivil war\b/, span: { from: 1861, to: 1866 } },
  { pattern: /\breconstruction era\b/, span: { from: 1865, to: 1877 } },
  { pattern: /\bgilded age\b/, span: { from: 1870, to: 1900 } },
  { pattern: /\bspanish(?:-american)? war\b/, span: { from: 1898, to: 1899 } },
  { pattern: /\bprogressive era\b/, span: { from: 1900, to: 1917 } },
  { pattern: /\b(?:world war (?:i|one|1)|first world war|great war)\b/, span: { from: 1914, to: 1919 } },
  { pattern: /\broaring twenties\b/, span: { from: 1920, to: 1929 } },
  { pattern: /\b(?:great depression|new deal)\b/, span: { from: 1930, to: 1940 } },
  { pattern: /\b(?:world war (?:ii|two|2)|second world war)\b/, span: { from: 1939, to: 1946 } },
  { pattern: /\bkorean war\b/, span: { from: 1950, to: 1954 } },
  { pattern: /\bvietnam war\b/, span: { from: 1964, to: 1975 } },
  { pattern: /\b(?:persian )?gulf war\b/, span: { from: 1990, to: 1992 } },
  { pattern: /\b(?:september 11(?:th)?|9\/11)\b/, span: { from: 2001, to: 2002 } },
  { pattern: /\bgreat recession\b/, span: { from: 2008, to: 2010 } },
  { pattern: /\b(?:covid(?:-19)?|coronavirus) pandemic\b/, span: { from: 2020, to: 2021 } },
];

/**
 * Words after which a year bounds rather than sets the time ("before 1900",
 * "since the 1940s"): it says nothing about when the question is set.
 */
const BOUNDING_WORDS: ReadonlySet<string> = new Set(
  "before after since until till by from to through".split(" "),
);

/**
 * Whether the word at `at` of `words` (a question's words in order, as
 * written) is a year or decade that sets the question's time: "1941",
 * "1930s", but not the "1900" of "before 1900".
 */
export function isTimeWord(words: readonly string[], at: number): boolean {
  if (!/^\d{4}(?:['’]?s)?$/.test(words[at] ?? "")) return false;
  const year = Number(words[at]!.slice(0, 4));
  if (year < FIRST_YEAR || year > LAST_YEAR) return false;
  const before = words[at - 1]?.toLowerCase();
  const bounding = (word: string | undefined) => word !== undefined && BOUNDING_WORDS.has(word.toLowerCase());
  return !(bounding(before) || (before === "the" && bounding(words[at - 2])));
}

/**
 * The spans of years a question points to, in order of appearance,
 * duplicates left out: a year ("in 1941": 1941 and 1942, whose address looks
 * back on it), a decade ("the 1930s": 1930–1940) and the named periods
 * above. A year, decade or period after "before", "after", "since",
 * "until"… bounds the question rather than sets it and is left out, as is
 * every number outside 1700–2099.
 */
export function eraCues(question: string): YearSpan[] {
  const text = question.toLowerCase().replace(/’/g, "'");
  const found: (YearSpan & { at: number })[] = [];
  const words = [...text.matchAll(/[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu)];
  const surfaces = words.map((match) => match[0]);
  words.forEach((match, at) => {
    if (!isTimeWord(surfaces, at)) return;
    const year = Number(match[0].slice(0, 4));
    const decade = match[0].endsWith("s");
    if (decade && year % 10 !== 0) return;
    found.push({ from: year, to: year + (decade ? 10 : 1), at: match.index });
  });
  for (const { pattern, span } of NAMED_ERAS) {
    const match = pattern.exec(text);
    if (match === null) continue;
    // "since the Great Depression" compares with the period, it is not set in it.
    const before = text.slice(0, match.index).match(/(\S+)\s+(?:(\S+)\s+)?$/);
    const [previous, last] = before?.[2] === undefined ? [undefined, before?.[1]] : [before[1], before[2]];
    const bounding = (word: string | undefined) => word !== undefined && BOUNDING_WORDS.has(word);
    if (bounding(last) || (last === "the" && bounding(previous))) continue;
    found.push({ ...span, at: match.index });
  }
  found.sort((a, b) => a.at - b.at);
  const spans: YearSpan[] = [];
  for (const { from, to } of found)
    if (!spans.some((span) => span.from === from && span.to === to)) spans.push({ from, to });
  return spans;
}

/** The one year a title names ("State of the Union, 1941 — Franklin D. Roosevelt"), or undefined. */
export function titleYear(title: string): number | undefined {
  const years = [...title.matchAll(/\b(\d{4})\b/g)]
    .map((match) => Number(match[1]))
    .filter((year) => year >= FIRST_YEAR && year <= LAST_YEAR);
  return years.length === 1 ? years[0] : undefined;
}
