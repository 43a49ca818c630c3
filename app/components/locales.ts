/**
 * The UI's languages (docs/ARCHITECTURE.md, "Languages"): shared by the
 * server, which picks the language of a page, and the browser, which
 * switches it. A reader's choice is kept in a cookie, so the server renders
 * every page in it from the first byte; without one, the browser's
 * Accept-Language decides, and English is the default.
 */
export const locales = ["en", "zh-CN"] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = "en";

/** The cookie that keeps the reader's language (the name next-intl itself uses). */
export const LOCALE_COOKIE = "NEXT_LOCALE";
/** How long the choice is kept: a year. */
export const LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600;

/** Each language's name in its own language (what the switch shows). */
export const localeNames: Record<Locale, string> = { en: "English", "zh-CN": "简体中文" };

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (locales as readonly string[]).includes(value);
}

/** The UI language for a language tag: Chinese for any `zh` tag, English for the rest. */
export function localeOfTag(tag: string): Locale | undefined {
  const primary = tag.trim().toLowerCase().split("-")[0];
  if (primary === "zh") return "zh-CN";
  if (primary === "en") return "en";
  return undefined;
}

/**
 * The UI language an `Accept-Language` header prefers: its entries by
 * quality (ties keep their order), the first one the UI has; `*` and
 * languages the UI lacks are skipped; English when none matches.
 */
export function negotiateLocale(acceptLanguage: string | null | undefined): Locale {
  if (!acceptLanguage) return defaultLocale;
  const entries = acceptLanguage
    .split(",")
    .map((part, order) => {
      const [tag = "", ...parameters] = part.trim().split(";");
      const q = parameters.map((parameter) => /^\s*q=([0-9.]+)\s*$/i.exec(parameter)?.[1]).find(Boolean);
      const quality = q === undefined ? 1 : Number(q);
      return { tag: tag.trim(), quality: Number.isFinite(quality) ? quality : 0, order };
    })
    .filter((entry) => entry.tag !== "" && entry.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.order - b.order);
  for (const entry of entries) {
    const locale = localeOfTag(entry.tag);
    if (locale) return locale;
  }
  return defaultLocale;
}
