"use client";

import Form from "next/form";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { useEffect, useId, useState } from "react";
import type { DocumentView } from "@/lib/model/collection";
import { isSettled } from "./document-format";
import { DocumentStatusDetail } from "./document-status";
import { type IndexingProgress, useDocumentIndexing } from "./use-document-indexing";

/**
 * The page selector of a document's text: a plain GET form (`?page=n`), so
 * it works before scripts load and never navigates while a keyboard user
 * moves through the options; Next's `Form` makes the navigation a soft one.
 */
export function PageSelector({ action, page, pages }: { action: string; page: number; pages: number }) {
  const t = useTranslations("documents");
  const id = useId();
  const numbers = Array.from({ length: pages }, (_, index) => index + 1);
  return (
    <Form action={action} className="page-selector">
      <label htmlFor={id} className="field-label">
        {t("page")}
      </label>
      <select id={id} name="page" className="select" defaultValue={String(page)} key={page}>
        {numbers.map((number) => (
          <option key={number} value={number}>
            {t("pageOf", { page: number, pages })}
          </option>
        ))}
      </select>
      <button type="submit" className="button">
        {t("go")}
      </button>
    </Form>
  );
}

/**
 * Brings the element `targetId` into view once the page shows it: the
 * cited passage (centred), or the page asked for by `?page=`. Runs again
 * for each new target (a soft navigation to another page).
 */
export function ScrollIntoView({ targetId, block }: { targetId: string; block: "center" | "start" }) {
  useEffect(() => {
    // After the router's own scroll to the top of a new page.
    const frame = requestAnimationFrame(() => {
      const element = document.getElementById(targetId);
      element?.scrollIntoView({ block });
      if (element instanceof HTMLElement && element.tabIndex === -1) element.focus({ preventScroll: true });
    });
    return () => cancelAnimationFrame(frame);
  }, [targetId, block]);
  return null;
}

/** A document not indexed yet: its progress, live, and the page shown again once it is settled. */
export function DocumentPending({ document: initial }: { document: DocumentView }) {
  const t = useTranslations("documents");
  const router = useRouter();
  const [document, setDocument] = useState(initial);
  const [progress, setProgress] = useState<IndexingProgress | undefined>(undefined);
  useDocumentIndexing(document, {
    onDocument: (next) => {
      setDocument(next);
      if (isSettled(next.status)) router.refresh();
    },
    onGone: () => router.refresh(),
    onProgress: setProgress,
  });
  return (
    <section className="card document-pending" aria-live="polite">
      <DocumentStatusDetail document={document} progress={progress} />
      <p className="muted small">{isSettled(document.status) ? t("loadingText") : t("textSoon")}</p>
    </section>
  );
}
