/**
 * A download's file name from a title: ASCII letters and digits joined by
 * hyphens (accents dropped), at most 80 characters, `report` when nothing
 * is left.
 */
export function fileNameOf(title: string, extension: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80)
    .replace(/-+$/, "");
  return `${slug || "report"}.${extension}`;
}

/**
 * `Content-Disposition: attachment` with the ASCII name (`filename`) and the
 * title itself in UTF-8 (`filename*`, RFC 6266/8187) for clients that read it.
 */
export function contentDisposition(title: string, extension: string): string {
  const ascii = fileNameOf(title, extension);
  const readable = title
    // A lone surrogate has no UTF-8 form (encodeURIComponent would throw).
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "")
    // Bidirectional overrides and invisible characters: a question with U+202E
    // would otherwise name a file that shows its extension reversed
    // ("x\u202Egpj.pdf" shows as "xfdp.jpg"). Joiners stay: scripts need them.
    .replace(/[\u200B\u200E\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/g, "")
    .replace(/[\\/:*?"<>|\p{Cc}]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 100)
    .trim();
  const unicode = readable === "" ? ascii : `${readable}.${extension}`;
  const encoded = encodeURIComponent(unicode).replace(
    /['()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
