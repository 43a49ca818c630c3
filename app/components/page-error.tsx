"use client";

import Link from "next/link";
import { useTranslations } from "next-intl";
import { type ReactNode, useEffect } from "react";
import { Icon } from "./icons";

/**
 * A page that could not be rendered on the server (its storage did not
 * answer, say): says so in a sentence and offers to try again; the details
 * stay in the server's log, matched by the digest.
 */
export function PageError(props: {
  error: unknown;
  retry: () => void;
  title: string;
  /** What is (and is not) affected, in a sentence. */
  message: string;
  /** Where to go instead. */
  link: { href: string; label: string; icon: "list" | "plus" };
}): ReactNode {
  const { error, retry, link } = props;
  const t = useTranslations("pageError");
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest =
    error instanceof Error && "digest" in error ? String((error as { digest?: unknown }).digest ?? "") : "";
  return (
    <div className="empty-state">
      <p className="eyebrow">{t("eyebrow")}</p>
      <h1>{props.title}</h1>
      <p className="muted">
        {props.message}
        {digest ? t("reference", { digest }) : ""}
      </p>
      <div className="button-row">
        <button type="button" className="button button-primary" onClick={() => retry()}>
          <Icon name="refresh" /> {t("retry")}
        </button>
        <Link href={link.href} className="button">
          <Icon name={link.icon} /> {link.label}
        </Link>
      </div>
    </div>
  );
}
