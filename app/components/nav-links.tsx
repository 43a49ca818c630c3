"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useTranslations } from "next-intl";

const links = [
  { href: "/", label: "newResearch", active: (path: string) => path === "/" },
  { href: "/tasks", label: "tasks", active: (path: string) => path.startsWith("/tasks") },
  { href: "/collections", label: "collections", active: (path: string) => path.startsWith("/collections") },
  { href: "/schedules", label: "schedules", active: (path: string) => path.startsWith("/schedules") },
  { href: "/docs/api", label: "api", active: (path: string) => path.startsWith("/docs/api") },
] as const;

export function NavLinks() {
  const t = useTranslations("nav");
  const pathname = usePathname() ?? "/";
  return (
    <nav className="nav" aria-label={t("main")}>
      {links.map((link) => {
        const active = link.active(pathname);
        return (
          <Link
            key={link.href}
            href={link.href}
            className={`nav-link${active ? " nav-link-active" : ""}`}
            aria-current={active ? "page" : undefined}
          >
            {t(link.label)}
          </Link>
        );
      })}
    </nav>
  );
}
