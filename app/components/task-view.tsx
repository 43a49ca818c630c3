"use client";

import Link from "next/link";
import { useFormatter, useLocale, useTranslations } from "next-intl";
import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from "react";
import type { TaskAction } from "@/lib/model/lifecycle";
import { isIndexRequest, taskTitle } from "@/lib/model/request";
import { isFinished } from "@/lib/model/task-json";
import type { TaskView as TaskViewJson } from "@/lib/model/task-view";
import { sendTaskAction } from "./api";
import { ConnectionIndicator } from "./connection-indicator";
import { useErrorText } from "./error-text";
import { ExportButtons } from "./export-buttons";
import { FollowUpThread } from "./follow-up-thread";
import { Icon } from "./icons";
import { MarkdownReport } from "./markdown-report";
import { ProgressBar } from "./progress-bar";
import { useProviderName } from "./provider-names";
import { RelativeTime } from "./relative-time";
import { ResearchTree } from "./research-tree";
import { SourcesList } from "./sources-list";
import { StatusPill } from "./status-pill";
import { TaskStream } from "./task-stream";
import type { StreamView } from "./task-stream-reducer";
import { formatUsage, type UsageWords, usageDetails } from "./usage-format";

type Translator = ReturnType<typeof useTranslations<"task">>;

const stepNames = {
  plan: "stepPlan",
  search: "stepSearch",
  read: "stepRead",
  learn: "stepLearn",
  report: "stepReport",
  write: "stepReport",
} as const;

function stepLabel(t: Translator, task: TaskViewJson): string {
  switch (task.status) {
    case "queued":
      return task.queuePosition ? t("queuedAt", { position: task.queuePosition }) : t("queued");
    case "paused":
      return t("paused");
    case "completed":
      return t("completed");
    case "failed":
      return t("failed");
    case "cancelled":
      return t("cancelled");
    default: {
      const step = task.step?.trim();
      if (!step) return t("starting");
      return step in stepNames
        ? t(stepNames[step as keyof typeof stepNames])
        : step.charAt(0).toUpperCase() + step.slice(1).replace(/[_-]+/g, " ");
    }
  }
}

/** Words of a report, counted the same in every language (runs of non-space). */
function wordCount(markdown: string): number {
  return markdown.split(/\s+/).filter(Boolean).length;
}

/** The line under the progress bar: the server's message while running, a summary once finished. */
function progressMessage(
  t: Translator,
  task: TaskViewJson,
  markdown: string,
  sourceCount: number,
): string | null {
  switch (task.status) {
    case "completed":
      return t("summaryCompleted", { words: wordCount(markdown), sources: sourceCount });
    case "cancelled":
      return markdown ? t("summaryCancelledPartial") : t("summaryCancelledEmpty");
    case "failed":
      return task.error?.message ?? t("researchFailed");
    case "queued":
      return t("summaryQueued");
    case "paused":
      return t("summaryPaused");
    default: {
      // When the message only repeats the step, say how far the report got instead.
      if (task.message && task.message !== stepLabel(t, task)) return task.message;
      const words = wordCount(markdown);
      return words > 0 ? t("wordsSoFar", { words }) : task.message;
    }
  }
}

function duration(t: Translator, task: TaskViewJson): string | null {
  if (!task.startedAt || !task.finishedAt) return null;
  const ms = Date.parse(task.finishedAt) - Date.parse(task.startedAt);
  if (!Number.isFinite(ms) || ms < 0) return null;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return t("durationSeconds", { seconds });
  return t("durationMinutes", { minutes: Math.floor(seconds / 60), seconds: seconds % 60 });
}

/** What the line under the progress bar says: trouble with the connection first, then the task's own message. */
function statusLine(
  t: Translator,
  describeError: (error: unknown) => string,
  view: StreamView,
): { text: string | null; tone: "warning" | "info" | "error" | null } {
  const { connection, task } = view;
  if (connection.kind === "unreachable")
    return { tone: "warning", text: connection.offline ? t("offline") : t("unreachable") };
  if (connection.kind === "reconnecting")
    return {
      tone: "warning",
      // A refusal (a limit) says which one and when the page tries again.
      text: connection.refusal ? describeError(connection.refusal) : t("reconnecting"),
    };
  if (view.notice) return { tone: "info", text: view.notice };
  const text = progressMessage(t, task, view.markdown, view.sources.length);
  return { tone: task.status === "failed" ? "error" : null, text };
}

/** The usage line's words in the page's language. */
function useUsageWords(): UsageWords {
  const t = useTranslations("usage");
  const locale = useLocale();
  return {
    tokensIn: (count) => t("tokensIn", { count }),
    out: (count) => t("out", { count }),
    reasoning: (count) => t("reasoning", { count }),
    calls: (count, formatted) => t("calls", { count, formatted }),
    noCost: t("noCost"),
    integer: new Intl.NumberFormat(locale),
  };
}

function useTaskStream(id: string, initialTask: TaskViewJson) {
  const [stream] = useState(() => new TaskStream(id, initialTask));
  useEffect(() => {
    stream.start();
    return () => stream.stop();
  }, [stream]);
  const view = useSyncExternalStore(stream.subscribe, stream.getSnapshot, stream.getSnapshot);
  return { stream, view };
}

function Controls({ task, onTask }: { task: TaskViewJson; onTask: (task: TaskViewJson) => void }) {
  const t = useTranslations("task");
  const describeError = useErrorText();
  const [pending, setPending] = useState<TaskAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const status = task.status;

  // While an action is under way the buttons are marked busy with
  // `aria-disabled`, not `disabled`: a disabled button drops the keyboard
  // focus, and the person who pressed Pause would have to find their place
  // again (docs/ARCHITECTURE.md, "Accessibility").
  const busy = pending !== null;
  // Cancel is never dropped: pressed while another action is under way (a
  // slow Resume), it is sent as soon as that one has answered.
  const cancelAfter = useRef(false);
  const [cancelQueued, setCancelQueued] = useState(false);
  async function run(action: TaskAction) {
    if (busy) {
      if (action === "cancel" && pending !== "cancel") {
        cancelAfter.current = true;
        setCancelQueued(true);
      }
      return;
    }
    setError(null);
    let next: TaskAction | null = action;
    while (next !== null) {
      setPending(next);
      try {
        onTask(await sendTaskAction(task.id, next));
      } catch (caught) {
        setError(describeError(caught));
      }
      next = next !== "cancel" && cancelAfter.current ? "cancel" : null;
      cancelAfter.current = false;
    }
    setCancelQueued(false);
    setPending(null);
  }

  if (isFinished(status)) {
    const took = duration(t, task);
    const outcome = status === "completed" ? "complete" : status === "failed" ? "failed" : "cancelled";
    return (
      <p className="controls-summary muted">
        {took ? t("finishedAfter", { outcome, took }) : t("finished", { outcome })}
      </p>
    );
  }

  const canPause = status === "running" || status === "queued";
  const finishing = task.finishRequested === true;
  return (
    <div className="controls">
      <div className="button-group" role="group" aria-label={t("controls")}>
        {status === "paused" ? (
          <button
            type="button"
            className="button"
            onClick={() => run("resume")}
            aria-disabled={busy || undefined}
          >
            <Icon name="play" /> {pending === "resume" ? t("resuming") : t("resume")}
          </button>
        ) : (
          <button
            type="button"
            className="button"
            onClick={() => run("pause")}
            disabled={!canPause}
            aria-disabled={busy || undefined}
          >
            <Icon name="pause" /> {pending === "pause" ? t("pausing") : t("pause")}
          </button>
        )}
        <button
          type="button"
          className="button"
          onClick={() => run("finish")}
          disabled={status !== "running" || finishing}
          aria-disabled={busy || undefined}
          title={t("finishTitle")}
        >
          <Icon name="flag" />{" "}
          {pending === "finish" ? t("finishingNow") : finishing ? t("finishing") : t("finishNow")}
        </button>
        <button
          type="button"
          className="button button-danger"
          onClick={() => run("cancel")}
          aria-disabled={busy || undefined}
          data-action="cancel"
        >
          <Icon name="stop" /> {pending === "cancel" || cancelQueued ? t("cancelling") : t("cancel")}
        </button>
      </div>
      {error ? (
        <p className="inline-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/**
 * The question as the page's heading. A long question (the form takes 4,000
 * characters) is cut to a few lines with a button that shows all of it:
 * otherwise it pushes the progress, the controls and the report out of
 * sight, on a phone by several screens. The whole text stays in the heading
 * for screen readers; only its height is limited.
 */
function TaskTitle({ title }: { title: string }) {
  const t = useTranslations("task");
  const heading = useRef<HTMLHeadingElement>(null);
  const [expanded, setExpanded] = useState(false);
  const [overflowing, setOverflowing] = useState(false);
  useLayoutEffect(() => {
    const element = heading.current;
    if (!element || expanded) return;
    const measure = () => setOverflowing(element.scrollHeight > element.clientHeight + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [expanded]);
  return (
    <>
      <h1 ref={heading} id="task-title" className={`task-title${expanded ? "" : " three-lines"}`} dir="auto">
        {title}
      </h1>
      {overflowing || expanded ? (
        <button
          type="button"
          className="link-button task-title-toggle"
          aria-expanded={expanded}
          aria-controls="task-title"
          onClick={() => setExpanded(!expanded)}
        >
          {expanded ? t("showLessQuestion") : t("showWholeQuestion")}
        </button>
      ) : null}
    </>
  );
}

/** The live page of one task: report, progress, research tree, sources, controls. */
export function TaskView({ initialTask }: { initialTask: TaskViewJson }) {
  const t = useTranslations("task");
  const format = useFormatter();
  const providerName = useProviderName();
  const usageWords = useUsageWords();
  const { stream, view } = useTaskStream(initialTask.id, initialTask);
  const { task, markdown, connection } = view;
  const finished = isFinished(task.status);
  const streaming = !finished && connection.kind !== "gone";
  const request = task.request;
  const progress = task.status === "completed" ? 100 : task.progress;
  const describeError = useErrorText();
  const line = statusLine(t, describeError, view);

  return (
    <div className="task-page">
      <header className="task-header">
        <div className="task-header-top">
          <Link href="/tasks" className="back-link">
            ← {t("allTasks")}
          </Link>
          <ConnectionIndicator state={connection} />
        </div>
        <TaskTitle title={taskTitle(request)} />
        <div className="task-meta">
          <StatusPill status={task.status} live />
          {isIndexRequest(request) ? null : (
            <>
              <span className="meta-item">
                {t("depth")} <strong>{request.depth}</strong>
              </span>
              <span className="meta-item">
                {t("breadth")} <strong>{request.breadth}</strong>
              </span>
              <span className="meta-item" title={t("providersTitle")}>
                {providerName(request.llm.provider)}
                {request.llm.model ? ` · ${request.llm.model}` : ""} · {providerName(request.search.provider)}
                {request.search.collection ? ` · ${request.search.collection}` : ""}
              </span>
            </>
          )}
          <span className="meta-item">
            {t("created")} <RelativeTime iso={task.createdAt} />
          </span>
          {task.usage ? (
            <span className="meta-item" id="task-usage" title={usageDetails(task.usage, usageWords)}>
              {formatUsage(task.usage, usageWords)}
            </span>
          ) : null}
        </div>
      </header>

      <section className="card progress-card" aria-label={t("progress")}>
        <div className="progress-head">
          <span className="progress-step">{stepLabel(t, task)}</span>
          <span className="progress-percent mono">
            {format.number(Math.round(progress) / 100, { style: "percent" })}
          </span>
        </div>
        <ProgressBar value={progress} status={task.status} label={t("researchProgress")} />
        {/* One line, whatever it says: a dropped connection must not push the report down. */}
        <p
          className={`progress-message${line.tone ? ` progress-message-${line.tone}` : ""}`}
          title={line.text ?? undefined}
        >
          {line.tone ? <Icon name={line.tone === "info" ? "refresh" : "alert"} size={14} /> : null}
          <span className="progress-message-text" role={line.tone ? "status" : undefined}>
            {line.text ?? "\u00a0"}
          </span>
        </p>
        <div className="toolbar">
          <Controls task={task} onTask={(next) => stream.applyTask(next)} />
          <ExportButtons
            taskId={task.id}
            markdown={markdown}
            downloadable={isFinished(task.status) && markdown.length > 0}
          />
        </div>
      </section>

      {task.status === "failed" && task.error ? (
        <div className="callout callout-error" role="alert">
          <Icon name="alert" />
          <div>
            <strong>{t("researchFailed")}</strong> {task.error.message}
          </div>
        </div>
      ) : null}
      {connection.kind === "gone" ? (
        <div className="callout callout-error" role="alert">
          <Icon name="alert" />
          <div>{connection.expired ? t("goneExpired") : connection.message}</div>
        </div>
      ) : null}
      <div className="task-grid">
        <article className="card report-card" aria-label={t("report")} aria-busy={streaming}>
          {markdown.length > 0 ? (
            <div className={`prose${streaming ? " prose-streaming" : ""}`}>
              <MarkdownReport markdown={markdown} />
            </div>
          ) : (
            <div className="report-empty">
              {finished ? (
                <p className="muted">{t("endedEmpty")}</p>
              ) : (
                <>
                  <p className="muted">
                    {task.status === "queued"
                      ? t("emptyQueued")
                      : task.status === "paused"
                        ? t("emptyPaused")
                        : t("emptyResearching")}
                  </p>
                  <div className="skeleton-lines" aria-hidden="true">
                    <span />
                    <span />
                    <span />
                    <span />
                  </div>
                </>
              )}
            </div>
          )}
          {/* The raw markdown exactly as received, for export and for tests. */}
          <pre
            hidden
            id="report-source"
            data-origin={view.reportOrigin}
            data-cursor={view.cursor}
            data-status={task.status}
            data-connection={connection.kind}
          >
            {markdown}
          </pre>
        </article>

        <aside className="task-side">
          <section className="card side-card" aria-labelledby="tree-heading">
            <h2 id="tree-heading" className="side-heading">
              {t("research")}
            </h2>
            <ResearchTree nodes={view.tree} sourceCount={view.sources.length} />
          </section>
          <section className="card side-card" aria-labelledby="sources-heading">
            <h2 id="sources-heading" className="side-heading">
              {t("sources")} <span className="count">{view.sources.length}</span>
            </h2>
            <SourcesList sources={view.sources} />
          </section>
        </aside>
      </div>
      {isIndexRequest(request) ? null : (
        <FollowUpThread key={task.status} taskId={task.id} status={task.status} />
      )}
    </div>
  );
}
