/**
 * Presidents by the names people call them and the addresses' titles do not
 * use ("FDR", "Ike", "Bill Clinton"): a search for a nickname finds the
 * word, never the president. General knowledge of the names, the same for
 * any question (README, "How it works").
 */
const ALIASES: readonly { pattern: RegExp; names: string }[] = [
  { pattern: /\bFDR\b/, names: "Franklin Roosevelt" },
  { pattern: /\bJFK\b/, names: "John Kennedy" },
  { pattern: /\bLBJ\b/, names: "Lyndon Johnson" },
  { pattern: /\bIke\b/, names: "Dwight Eisenhower" },
  { pattern: /\b(?:TR|Teddy(?: Roosevelt)?)\b/, names: "Theodore Roosevelt" },
  { pattern: /\b(?:Honest Abe|Abe Lincoln)\b/, names: "Abraham Lincoln" },
  { pattern: /\bOld Hickory\b/i, names: "Andrew Jackson" },
  { pattern: /\bSilent Cal\b/i, names: "Calvin Coolidge" },
  { pattern: /\bBill Clinton\b/i, names: "William Clinton" },
  { pattern: /\bJoe Biden\b/i, names: "Joseph Biden" },
];

/**
 * `query` with the full name of each president it calls by a nickname
 * added after it ("What did FDR say…" → "What did FDR say… Franklin
 * Roosevelt"); unchanged when it names none.
 */
export function withPresidentNames(query: string): string {
  const names = ALIASES.filter(({ pattern }) => pattern.test(query)).map(({ names }) => names);
  return names.length === 0 ? query : `${query} ${names.join(" ")}`;
}
