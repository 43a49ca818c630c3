"use client";

import { useEffect, useRef, useState } from "react";
import { Icon } from "./icons";

function fileName(query: string): string {
  const slug = query
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
  return `${slug || "report"}.md`;
}

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

/** Download the report as a `.md` file, or copy its markdown. */
export function ExportButtons({
  markdown,
  query,
  disabled,
}: {
  markdown: string;
  query: string;
  disabled: boolean;
}) {
  const [copyState, setCopyState] = useState<"idle" | "copied" | "failed">("idle");
  const reset = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => (reset.current ? clearTimeout(reset.current) : undefined), []);

  function download() {
    const blob = new Blob([markdown], { type: "text/markdown;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = fileName(query);
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1_000);
  }

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
    <div className="button-group" role="group" aria-label="Export">
      <button type="button" className="button" onClick={download} disabled={disabled}>
        <Icon name="download" /> Markdown
      </button>
      <button type="button" className="button" onClick={copy} disabled={disabled} aria-live="polite">
        <Icon name={copyState === "copied" ? "check" : "copy"} />
        {copyState === "copied" ? "Copied" : copyState === "failed" ? "Copy failed" : "Copy"}
      </button>
    </div>
  );
}
