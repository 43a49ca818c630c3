"use client";

import { useLocale, useTranslations } from "next-intl";
import { useEffect, useState } from "react";

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/**
 * "just now", "5 min. ago", "yesterday" — in `locale` ("5分钟前", "昨天"),
 * with `justNow` the words for under 45 seconds.
 */
export function formatAge(iso: string, now: number, locale = "en", justNow = "just now"): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = Math.round((then - now) / 1000);
  if (Math.abs(seconds) < 45) return justNow;
  const formatter = new Intl.RelativeTimeFormat(locale, { numeric: "auto", style: "short" });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return formatter.format(Math.round(seconds / size), unit);
  }
  return formatter.format(Math.round(seconds / 60), "minute");
}

/**
 * A timestamp shown as its age, kept fresh every 30 s. The server renders the
 * absolute time; the browser replaces it after hydration (clocks differ).
 */
export function RelativeTime({ iso }: { iso: string }) {
  const locale = useLocale();
  const t = useTranslations("time");
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  const date = new Date(iso);
  const absolute = Number.isNaN(date.getTime()) ? iso : date.toISOString().replace("T", " ").slice(0, 16);
  return (
    <time dateTime={iso} title={absolute}>
      {now === null ? absolute : formatAge(iso, now, locale, t("justNow"))}
    </time>
  );
}
