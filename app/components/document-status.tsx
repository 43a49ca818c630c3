import { useTranslations } from "next-intl";
import type { DocumentStatus, DocumentView } from "@/lib/model/collection";
import type { TaskStatus } from "@/lib/model/task-json";
import { isSettled } from "./document-format";
import { ProgressBar } from "./progress-bar";
import type { IndexingProgress } from "./use-document-indexing";

/** The task status whose colours a document status borrows (pill and progress bar). */
const tones: Record<DocumentStatus, TaskStatus> = {
  queued: "queued",
  indexing: "running",
  ready: "completed",
  failed: "failed",
};

export function DocumentStatusPill({ status }: { status: DocumentStatus }) {
  const t = useTranslations("format.documentStatus");
  return (
    <span className={`pill pill-${tones[status]}`} data-status={status}>
      <span className="pill-dot" aria-hidden="true" />
      {t(status)}
    </span>
  );
}

/** A document's status: the pill, the indexing progress while it is indexed, the reason when it failed. */
export function DocumentStatusDetail({
  document,
  progress,
}: {
  document: DocumentView;
  progress: IndexingProgress | undefined;
}) {
  const t = useTranslations("documents");
  const percentage = progress?.percentage ?? 0;
  return (
    <div className="document-status">
      <div className="document-status-head">
        <DocumentStatusPill status={document.status} />
        {isSettled(document.status) ? null : (
          <span className="mono small muted">{Math.round(percentage)}%</span>
        )}
      </div>
      {isSettled(document.status) ? null : (
        <>
          <ProgressBar
            value={percentage}
            status={tones[document.status]}
            label={t("indexingOf", { filename: document.filename })}
            size="sm"
          />
          <span className="document-status-message muted small">
            {progress?.message ?? (document.status === "queued" ? t("waiting") : t("indexing"))}
          </span>
        </>
      )}
      {document.status === "failed" ? (
        <span className="document-error small">{document.error?.message ?? t("indexingFailed")}</span>
      ) : null}
    </div>
  );
}
