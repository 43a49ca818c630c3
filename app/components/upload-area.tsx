"use client";

import { useTranslations } from "next-intl";
import { type DragEvent, useEffect, useId, useReducer, useRef, useState } from "react";
import type { DocumentView } from "@/lib/model/collection";
import { isSettled } from "./document-format";
import { Icon } from "./icons";
import { ProgressBar } from "./progress-bar";
import {
  type IndexingOutcome,
  type UploadItem,
  uploadPercent,
  uploadReducer,
  uploadSummary,
  uploadsToStart,
} from "./upload-queue";
import { uploadDocument } from "./upload-request";
import type { IndexingProgress } from "./use-document-indexing";
import { type Formatters, useFormat } from "./use-format";

/** Files on their way at once; the others wait their turn. */
const CONCURRENT_UPLOADS = 2;

/** What the file picker offers (the server sniffs the bytes whatever the name says). */
const ACCEPT = [
  ".pdf",
  ".docx",
  ".html",
  ".htm",
  ".md",
  ".markdown",
  ".txt",
  ".csv",
  "application/pdf",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "text/html",
  "text/markdown",
  "text/plain",
  "text/csv",
].join(",");

interface UploadAreaProps {
  collection: string;
  /** The collection's documents by id, as the page knows them (an accepted file's indexing is there). */
  documents: ReadonlyMap<string, DocumentView>;
  progress: ReadonlyMap<string, IndexingProgress>;
  /** The server made a document of a file. */
  onDocument: (document: DocumentView) => void;
}

function outcomeOf(documents: ReadonlyMap<string, DocumentView>, id: string): IndexingOutcome {
  const document = documents.get(id);
  if (!document) return "gone";
  if (document.status === "ready") return "ready";
  if (document.status === "failed") return "failed";
  return "indexing";
}

/** What one file's row says, and its bar. */
function describe(
  t: ReturnType<typeof useTranslations<"upload">>,
  format: Formatters,
  item: UploadItem,
  document: DocumentView | undefined,
  progress: IndexingProgress | undefined,
): { text: string; percent: number | null; barLabel: string; tone: "running" | "completed" | "failed" } {
  const uploadingBar = t("uploadingBar", { filename: item.filename });
  const indexingBar = t("indexingBar", { filename: item.filename });
  switch (item.phase) {
    case "waiting":
      return { text: t("waiting"), percent: 0, barLabel: uploadingBar, tone: "running" };
    case "uploading":
      return {
        text: t("uploading", { percent: uploadPercent(item) }),
        percent: uploadPercent(item),
        barLabel: uploadingBar,
        tone: "running",
      };
    case "processing":
      return { text: t("storing"), percent: 100, barLabel: uploadingBar, tone: "running" };
    case "failed":
      return { text: item.error ?? t("failed"), percent: null, barLabel: "", tone: "failed" };
    case "accepted": {
      if (!document) return { text: t("deleted"), percent: null, barLabel: "", tone: "completed" };
      if (document.status === "ready")
        return {
          text: t("ready", {
            pages: format.count("page", document.pages),
            passages: format.count("passage", document.passages),
          }),
          percent: 100,
          barLabel: indexingBar,
          tone: "completed",
        };
      if (document.status === "failed")
        return {
          text: document.error?.message ?? t("indexingFailed"),
          percent: null,
          barLabel: "",
          tone: "failed",
        };
      const percent = Math.round(progress?.percentage ?? 0);
      const message = progress?.message ?? (document.status === "queued" ? t("waitingIndex") : "");
      return {
        text: `${t("indexing", { percent })}${message ? ` · ${message}` : ""}`,
        percent,
        barLabel: indexingBar,
        tone: "running",
      };
    }
  }
}

/**
 * Where files are added to a collection: a drop zone that is also the button
 * opening the file picker (so a keyboard reaches it), several files at once,
 * each with its upload progress, then its indexing progress, and its own
 * error (one refused file never loses the others). A polite live region says
 * when files move on.
 */
export function UploadArea({ collection, documents, progress, onDocument }: UploadAreaProps) {
  const t = useTranslations("upload");
  const format = useFormat();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const files = useRef(new Map<string, File>());
  const inFlight = useRef(new Set<string>());
  const counter = useRef(0);
  const [items, dispatch] = useReducer(uploadReducer, []);
  const [dragging, setDragging] = useState(false);
  const latestOnDocument = useRef(onDocument);
  latestOnDocument.current = onDocument;
  const documentsUrl = `/api/collections/${encodeURIComponent(collection)}/documents`;

  // Start the files whose turn it is; each request settles its own item.
  useEffect(() => {
    for (const item of uploadsToStart(items, CONCURRENT_UPLOADS)) {
      const file = files.current.get(item.key);
      if (!file || inFlight.current.has(item.key)) continue;
      inFlight.current.add(item.key);
      dispatch({ type: "start", key: item.key });
      uploadDocument(documentsUrl, file, {
        onProgress: (loaded, total) => dispatch({ type: "progress", key: item.key, loaded, total }),
        onSent: () => dispatch({ type: "sent", key: item.key }),
      })
        .then((outcome) => {
          if (outcome.kind === "accepted") {
            latestOnDocument.current(outcome.document);
            dispatch({ type: "accepted", key: item.key, documentId: outcome.document.id });
          } else {
            dispatch({ type: "failed", key: item.key, error: outcome.message });
          }
        })
        .catch((error: unknown) => dispatch({ type: "failed", key: item.key, error: String(error) }))
        .finally(() => inFlight.current.delete(item.key));
    }
  }, [items, documentsUrl]);

  function add(list: FileList | null) {
    if (!list || list.length === 0) return;
    const added = [...list].map((file) => {
      counter.current += 1;
      const key = `upload-${counter.current}`;
      files.current.set(key, file);
      return { key, filename: file.name, size: file.size };
    });
    dispatch({ type: "add", files: added });
  }

  function onDrop(event: DragEvent<HTMLElement>) {
    event.preventDefault();
    setDragging(false);
    add(event.dataTransfer.files);
  }

  function onDragOver(event: DragEvent<HTMLElement>) {
    if (![...event.dataTransfer.types].includes("Files")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    setDragging(true);
  }

  const finished = items.filter(
    (item) =>
      item.phase === "failed" ||
      (item.phase === "accepted" &&
        (!item.documentId ||
          !documents.has(item.documentId) ||
          isSettled(documents.get(item.documentId)!.status))),
  );
  const summary = uploadSummary(items, (documentId) => outcomeOf(documents, documentId), {
    part: (state, count) => t(`summary.${state}`, { count }),
    sentence: (parts) => t("summary.sentence", { parts: parts.join(t("summary.separator")) }),
  });

  return (
    <section className="card upload-card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="side-heading">
        {t("title")}
      </h2>
      <input
        ref={input}
        id={`${id}-input`}
        type="file"
        multiple
        accept={ACCEPT}
        className="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        data-testid="upload-input"
        onChange={(event) => {
          add(event.target.files);
          // The same file can be chosen again (after a refusal, say).
          event.target.value = "";
        }}
      />
      <button
        type="button"
        className={`drop-zone${dragging ? " drop-zone-active" : ""}`}
        onClick={() => input.current?.click()}
        onDragEnter={onDragOver}
        onDragOver={onDragOver}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        aria-describedby={`${id}-hint`}
      >
        <Icon name="upload" size={22} />
        <span className="drop-zone-title">{t("drop")}</span>
        <span id={`${id}-hint`} className="drop-zone-hint muted small">
          {t("hint")}
        </span>
      </button>

      <p className="upload-summary small" role="status" aria-live="polite">
        {summary}
      </p>

      {items.length > 0 ? (
        <>
          <ul className="upload-list" aria-label={t("list")}>
            {items.map((item) => {
              const document = item.documentId ? documents.get(item.documentId) : undefined;
              const shown = describe(
                t,
                format,
                item,
                document,
                item.documentId ? progress.get(item.documentId) : undefined,
              );
              return (
                <li
                  key={item.key}
                  className={`upload-item upload-item-${shown.tone}`}
                  data-filename={item.filename}
                  data-phase={item.phase}
                  data-document-status={document?.status}
                >
                  <div className="upload-item-head">
                    <Icon name="doc" />
                    <span className="upload-item-name">{item.filename}</span>
                    <span className="muted small mono">{format.bytes(item.size)}</span>
                  </div>
                  {shown.percent === null ? null : (
                    <ProgressBar value={shown.percent} status={shown.tone} label={shown.barLabel} size="sm" />
                  )}
                  <div className="upload-item-foot">
                    <span
                      className={`upload-item-status small${shown.tone === "failed" ? " upload-item-error" : ""}`}
                    >
                      {shown.text}
                    </span>
                    {item.phase === "failed" ? (
                      <span className="upload-item-actions">
                        <button
                          type="button"
                          className="button button-small"
                          onClick={() => dispatch({ type: "retry", key: item.key })}
                        >
                          <Icon name="refresh" size={14} /> {t("retry")}
                        </button>
                        <button
                          type="button"
                          className="button button-small"
                          onClick={() => {
                            files.current.delete(item.key);
                            dispatch({ type: "remove", keys: [item.key] });
                          }}
                          aria-label={t("dismissLabel", { filename: item.filename })}
                        >
                          {t("dismiss")}
                        </button>
                      </span>
                    ) : null}
                  </div>
                </li>
              );
            })}
          </ul>
          {finished.length > 0 ? (
            <button
              type="button"
              className="button button-small upload-clear"
              onClick={() => {
                for (const item of finished) files.current.delete(item.key);
                dispatch({ type: "remove", keys: finished.map((item) => item.key) });
              }}
            >
              {t("clear")}
            </button>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
