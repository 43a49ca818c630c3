"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const links = [
  { href: "/", label: "New research", active: (path: string) => path === "/" },
  { href: "/tasks", label: "Tasks", active: (path: string) => path.startsWith("/tasks") },
  { href: "/collections", label: "Collections", active: (path: string) => path.startsWith("/collections") },
  { href: "/schedules", label: "Schedules", active: (path: string) => path.startsWith("/schedules") },
  { href: "/docs/api", label: "API", active: (path: string) => path.startsWith("/docs/api") },
];

export function NavLinks() {
  const pathname = usePathname() ?? "/";
  return (
    <nav className="nav" aria-label="Main">
      {links.map((link) => {
        const active = link.active(pathname);
        return (
          <Link
            key={link.href}
            href={link.href}
            className={`nav-link${active ? " nav-link-active" : ""}`}
            aria-current={active ? "page" : undefined}
          >
            {link.label}
          </Link>
        );
      })}
    </nav>
  );
}
