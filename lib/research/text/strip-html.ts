import { parseHTML } from "linkedom";

/**
 * The text of an HTML fragment (a search engine's highlighted snippet): tags
 * dropped, entities decoded, runs of white space collapsed to one space.
 */
export function stripHtml(fragment: string): string {
  if (!/[<&]/.test(fragment)) return fragment.replace(/\s+/g, " ").trim();
  const { document } = parseHTML("<!doctype html><html><body><div></div></body></html>");
  const container = document.querySelector("div")!;
  container.innerHTML = fragment;
  return (container.textContent ?? "").replace(/\s+/g, " ").trim();
}
