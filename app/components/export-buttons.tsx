"use client";

import { useTranslations } from "next-intl";
import { useEffect, useRef, useState } from "react";
import { exportFormatLabels, exportFormats, exportPath } from "@/lib/model/export-format";
import { Icon } from "./icons";

async function copyText(value: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(value);
    return;
  }
  // Plain-HTTP deployments have no async clipboard: fall back to a selection copy.
  const area = document.createElement("textarea");
  area.value = value;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error("The browser refused to copy.");
}

/**
 * Downloads of the report in every export format (links to
 * `/api/tasks/:id/export`, which names the file after the report's title),
 * and a button that copies its Markdown. Links are plain `<a download>`, so
 * they work by keyboard, open in a new tab, and carry the session cookie.
 * Until the task has ended they are disabled buttons: the server has no
 * report to export yet (409). A cancelled or failed task exports the part
 * of its report written before it stopped.
 */
export function ExportButtons({
  taskId,
  markdown,
  downloadable,
}: {
  taskId: string;
  markdown: string;
  /** The task ended (completed, or cancelled or failed with part of a report): the exports exist. */
  downloadable: boolean;
}) {
  const t = useTranslations("export");
  const [copyState, setCopyState] = useState<"idle" | "copied" | "failed">("idle");
  const reset = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => (reset.current ? clearTimeout(reset.current) : undefined), []);

  async function copy() {
    try {
      await copyText(markdown);
      setCopyState("copied");
    } catch (error) {
      console.warn("Fathom: copy failed", error);
      setCopyState("failed");
    }
    if (reset.current) clearTimeout(reset.current);
    reset.current = setTimeout(() => setCopyState("idle"), 2_000);
  }

  return (
    <div className="button-group export-buttons" role="group" aria-label={t("group")}>
      {exportFormats.map((format) =>
        downloadable ? (
          <a
            key={format}
            className="button"
            href={exportPath(taskId, format)}
            download
            aria-label={t("downloadAs", { format: exportFormatLabels[format] })}
          >
            <Icon name="download" /> {exportFormatLabels[format]}
          </a>
        ) : (
          <button key={format} type="button" className="button" disabled>
            <Icon name="download" /> {exportFormatLabels[format]}
          </button>
        ),
      )}
      <button
        type="button"
        className="button"
        onClick={copy}
        disabled={markdown.length === 0}
        aria-live="polite"
      >
        <Icon name={copyState === "copied" ? "check" : "copy"} />
        {copyState === "copied" ? t("copied") : copyState === "failed" ? t("copyFailed") : t("copy")}
      </button>
    </div>
  );
}
