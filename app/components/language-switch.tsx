"use client";

import { useRouter } from "next/navigation";
import { useLocale, useTranslations } from "next-intl";
import { useTransition } from "react";
import { isLocale, LOCALE_COOKIE, LOCALE_COOKIE_MAX_AGE, localeNames, locales } from "./locales";

/**
 * The language switch in the header: a labelled select. The choice goes into
 * a cookie (read by app/_i18n/request.ts) and the page is rendered again by
 * the server in the new language, so it survives a reload.
 */
export function LanguageSwitch() {
  const t = useTranslations("language");
  const locale = useLocale();
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  function choose(value: string) {
    if (!isLocale(value) || value === locale) return;
    // SameSite=Lax: the choice is a display preference, not a credential. The value is one of
    // `locales`, nothing to escape.
    // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is missing from browsers Fathom supports
    document.cookie = `${LOCALE_COOKIE}=${value}; Path=/; Max-Age=${LOCALE_COOKIE_MAX_AGE}; SameSite=Lax`;
    startTransition(() => router.refresh());
  }
  return (
    <label className="language-switch">
      <span className="visually-hidden">{t("label")}</span>
      <select value={locale} onChange={(event) => choose(event.target.value)} disabled={pending}>
        {locales.map((option) => (
          <option key={option} value={option} lang={option}>
            {localeNames[option]}
          </option>
        ))}
      </select>
    </label>
  );
}
