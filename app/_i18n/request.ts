import { cookies, headers } from "next/headers";
import { getRequestConfig } from "next-intl/server";
import { isLocale, LOCALE_COOKIE, type Locale, negotiateLocale } from "../components/locales";

/**
 * next-intl's request configuration (docs/ARCHITECTURE.md, "Languages"): the
 * language of the page being rendered is the reader's cookie, else the
 * browser's Accept-Language, else English. No locale in the URL: every page
 * keeps one address in every language.
 */
export default getRequestConfig(async () => {
  const chosen = (await cookies()).get(LOCALE_COOKIE)?.value;
  const locale: Locale = isLocale(chosen)
    ? chosen
    : negotiateLocale((await headers()).get("accept-language"));
  const messages =
    locale === "zh-CN"
      ? (await import("../../messages/zh-CN.json")).default
      : (await import("../../messages/en.json")).default;
  return { locale, messages };
});
