"use client";

import Link from "next/link";
import { useEffect } from "react";
import { Icon } from "@/app/components/icons";

/**
 * A collections page could not be rendered on the server (its storage did
 * not answer, say). Says so in a sentence and offers to try again; the
 * details stay in the server's log, matched by the digest.
 */
export default function CollectionsError({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest =
    error instanceof Error && "digest" in error ? String((error as { digest?: unknown }).digest ?? "") : "";
  return (
    <div className="empty-state">
      <p className="eyebrow">Something went wrong</p>
      <h1>This page could not be loaded</h1>
      <p className="muted">
        The server could not read the collections just now. Documents already uploaded are not affected; try
        again in a moment.
        {digest ? ` (Reference ${digest}.)` : ""}
      </p>
      <div className="button-row">
        <button type="button" className="button button-primary" onClick={() => retry()}>
          <Icon name="refresh" /> Try again
        </button>
        <Link href="/" className="button">
          <Icon name="plus" /> New research
        </Link>
      </div>
    </div>
  );
}
