import type { Metadata, Viewport } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { NextIntlClientProvider } from "next-intl";
import { getLocale, getTranslations } from "next-intl/server";
import type { ReactNode } from "react";
import { getConfig } from "@/lib/config";
import { hasValidSession } from "./_lib/access";
import { LanguageSwitch } from "./components/language-switch";
import { NavLinks } from "./components/nav-links";
import { SignOutButton } from "./components/sign-out-button";
import "./globals.css";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("layout");
  return {
    title: { default: t("title"), template: t("titleTemplate", { page: "%s" }) },
    description: t("description"),
    icons: { icon: "/icon.svg" },
  };
}

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  colorScheme: "light dark",
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#fbfbfa" },
    { media: "(prefers-color-scheme: dark)", color: "#0e0f11" },
  ],
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Access itself is checked by each page; the layout only decides whether to offer signing out.
  const signedIn = hasValidSession(await headers(), getConfig());
  const locale = await getLocale();
  const t = await getTranslations("layout");
  return (
    <html lang={locale}>
      <body>
        <NextIntlClientProvider>
          <a href="#main" className="skip-link">
            {t("skipToContent")}
          </a>
          <header className="site-header">
            <div className="site-header-inner">
              <Link href="/" className="brand" aria-label={t("home")}>
                <svg className="brand-mark" width="22" height="22" viewBox="0 0 32 32" aria-hidden="true">
                  <rect width="32" height="32" rx="8" fill="currentColor" />
                  <path
                    d="M8 12h16M10 17h12M12 22h8"
                    stroke="var(--brand-ink)"
                    strokeWidth="2.4"
                    strokeLinecap="round"
                  />
                </svg>
                <span className="brand-name">Fathom</span>
              </Link>
              <NavLinks />
              <LanguageSwitch />
              {signedIn ? <SignOutButton /> : null}
            </div>
          </header>
          <main id="main" className="site-main">
            {children}
          </main>
          <footer className="site-footer">
            <span>{t("footer")}</span>
          </footer>
        </NextIntlClientProvider>
      </body>
    </html>
  );
}
