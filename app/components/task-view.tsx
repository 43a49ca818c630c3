"use client";

import Link from "next/link";
import { useEffect, useState, useSyncExternalStore } from "react";
import type { TaskAction } from "@/lib/model/lifecycle";
import { isIndexRequest, taskTitle } from "@/lib/model/request";
import { isFinished } from "@/lib/model/task-json";
import type { TaskView as TaskViewJson } from "@/lib/model/task-view";
import { describeError, sendTaskAction } from "./api";
import { ConnectionIndicator } from "./connection-indicator";
import { ExportButtons } from "./export-buttons";
import { FollowUpThread } from "./follow-up-thread";
import { Icon } from "./icons";
import { MarkdownReport } from "./markdown-report";
import { ProgressBar } from "./progress-bar";
import { providerName } from "./provider-names";
import { RelativeTime } from "./relative-time";
import { ResearchTree } from "./research-tree";
import { SourcesList } from "./sources-list";
import { StatusPill } from "./status-pill";
import { TaskStream } from "./task-stream";
import type { StreamView } from "./task-stream-reducer";
import { formatUsage, usageDetails } from "./usage-format";

const stepNames: Record<string, string> = {
  plan: "Planning",
  search: "Searching",
  read: "Reading",
  learn: "Learning",
  report: "Writing the report",
  write: "Writing the report",
};

function stepLabel(task: TaskViewJson): string {
  switch (task.status) {
    case "queued":
      return task.queuePosition ? `Queued · position ${task.queuePosition}` : "Queued";
    case "paused":
      return "Paused";
    case "completed":
      return "Completed";
    case "failed":
      return "Failed";
    case "cancelled":
      return "Cancelled";
    default: {
      const step = task.step?.trim();
      if (!step) return "Starting";
      return stepNames[step] ?? step.charAt(0).toUpperCase() + step.slice(1).replace(/[_-]+/g, " ");
    }
  }
}

/** The line under the progress bar: the server's message while running, a summary once finished. */
function progressMessage(task: TaskViewJson, markdown: string, sourceCount: number): string | null {
  switch (task.status) {
    case "completed": {
      const words = markdown.split(/\s+/).filter(Boolean).length;
      return `A report of ${words.toLocaleString("en-US")} words citing ${sourceCount} source${sourceCount === 1 ? "" : "s"}.`;
    }
    case "cancelled":
      return markdown
        ? "Cancelled. The part of the report written so far is kept below."
        : "Cancelled before the report was written.";
    case "failed":
      return task.error?.message ?? "The research failed.";
    case "queued":
      return "Waiting for a free research slot.";
    case "paused":
      return "Paused. Resume to continue from the last completed step.";
    default: {
      // When the message only repeats the step, say how far the report got instead.
      if (task.message && task.message !== stepLabel(task)) return task.message;
      const words = markdown.split(/\s+/).filter(Boolean).length;
      return words > 0 ? `${words.toLocaleString("en-US")} words written so far.` : task.message;
    }
  }
}

function duration(task: TaskViewJson): string | null {
  if (!task.startedAt || !task.finishedAt) return null;
  const ms = Date.parse(task.finishedAt) - Date.parse(task.startedAt);
  if (!Number.isFinite(ms) || ms < 0) return null;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${seconds % 60} s`;
}

/** What the line under the progress bar says: trouble with the connection first, then the task's own message. */
function statusLine(view: StreamView): { text: string | null; tone: "warning" | "info" | "error" | null } {
  const { connection, task } = view;
  if (connection.kind === "unreachable")
    return {
      tone: "warning",
      text: connection.offline
        ? "You are offline. The report continues where it stopped as soon as the connection is back."
        : "The Fathom server can't be reached. Retrying; the report continues where it stopped.",
    };
  if (connection.kind === "reconnecting")
    return { tone: "warning", text: "The connection was interrupted. Reconnecting; nothing is lost." };
  if (view.notice) return { tone: "info", text: view.notice };
  const text = progressMessage(task, view.markdown, view.sources.length);
  return { tone: task.status === "failed" ? "error" : null, text };
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
  const [pending, setPending] = useState<TaskAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const status = task.status;

  // While an action is under way the buttons are marked busy with
  // `aria-disabled`, not `disabled`: a disabled button drops the keyboard
  // focus, and the person who pressed Pause would have to find their place
  // again (docs/ARCHITECTURE.md, "Accessibility").
  const busy = pending !== null;
  async function run(action: TaskAction) {
    if (busy) return;
    setPending(action);
    setError(null);
    try {
      onTask(await sendTaskAction(task.id, action));
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setPending(null);
    }
  }

  if (isFinished(status)) {
    const took = duration(task);
    return (
      <p className="controls-summary muted">
        {status === "completed"
          ? "Research complete"
          : status === "failed"
            ? "Research failed"
            : "Research cancelled"}
        {took ? ` after ${took}` : ""}.
      </p>
    );
  }

  const canPause = status === "running" || status === "queued";
  const finishing = task.finishRequested === true;
  return (
    <div className="controls">
      <div className="button-group" role="group" aria-label="Task controls">
        {status === "paused" ? (
          <button
            type="button"
            className="button"
            onClick={() => run("resume")}
            aria-disabled={busy || undefined}
          >
            <Icon name="play" /> {pending === "resume" ? "Resuming…" : "Resume"}
          </button>
        ) : (
          <button
            type="button"
            className="button"
            onClick={() => run("pause")}
            disabled={!canPause}
            aria-disabled={busy || undefined}
          >
            <Icon name="pause" /> {pending === "pause" ? "Pausing…" : "Pause"}
          </button>
        )}
        <button
          type="button"
          className="button"
          onClick={() => run("finish")}
          disabled={status !== "running" || finishing}
          aria-disabled={busy || undefined}
          title="Stop searching and write the report from what has been found so far"
        >
          <Icon name="flag" /> {pending === "finish" ? "Finishing…" : finishing ? "Finishing" : "Finish now"}
        </button>
        <button
          type="button"
          className="button button-danger"
          onClick={() => run("cancel")}
          aria-disabled={busy || undefined}
          data-action="cancel"
        >
          <Icon name="stop" /> {pending === "cancel" ? "Cancelling…" : "Cancel"}
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

/** The live page of one task: report, progress, research tree, sources, controls. */
export function TaskView({ initialTask }: { initialTask: TaskViewJson }) {
  const { stream, view } = useTaskStream(initialTask.id, initialTask);
  const { task, markdown, connection } = view;
  const finished = isFinished(task.status);
  const streaming = !finished && connection.kind !== "gone";
  const request = task.request;
  const progress = task.status === "completed" ? 100 : task.progress;
  const line = statusLine(view);

  return (
    <div className="task-page">
      <header className="task-header">
        <div className="task-header-top">
          <Link href="/tasks" className="back-link">
            ← All tasks
          </Link>
          <ConnectionIndicator state={connection} />
        </div>
        <h1 className="task-title">{taskTitle(request)}</h1>
        <div className="task-meta">
          <StatusPill status={task.status} live />
          {isIndexRequest(request) ? null : (
            <>
              <span className="meta-item">
                Depth <strong>{request.depth}</strong>
              </span>
              <span className="meta-item">
                Breadth <strong>{request.breadth}</strong>
              </span>
              <span className="meta-item" title="Writer and search provider">
                {providerName(request.llm.provider)}
                {request.llm.model ? ` · ${request.llm.model}` : ""} · {providerName(request.search.provider)}
                {request.search.collection ? ` · ${request.search.collection}` : ""}
              </span>
            </>
          )}
          <span className="meta-item">
            Created <RelativeTime iso={task.createdAt} />
          </span>
          {task.usage ? (
            <span className="meta-item" id="task-usage" title={usageDetails(task.usage)}>
              {formatUsage(task.usage)}
            </span>
          ) : null}
        </div>
      </header>

      <section className="card progress-card" aria-label="Progress">
        <div className="progress-head">
          <span className="progress-step">{stepLabel(task)}</span>
          <span className="progress-percent mono">{Math.round(progress)}%</span>
        </div>
        <ProgressBar value={progress} status={task.status} label="Research progress" />
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
            downloadable={task.status === "completed" && markdown.length > 0}
          />
        </div>
      </section>

      {task.status === "failed" && task.error ? (
        <div className="callout callout-error" role="alert">
          <Icon name="alert" />
          <div>
            <strong>The research failed.</strong> {task.error.message}
          </div>
        </div>
      ) : null}
      {connection.kind === "gone" ? (
        <div className="callout callout-error" role="alert">
          <Icon name="alert" />
          <div>{connection.message}</div>
        </div>
      ) : null}
      <div className="task-grid">
        <article className="card report-card" aria-label="Report" aria-busy={streaming}>
          {markdown.length > 0 ? (
            <div className={`prose${streaming ? " prose-streaming" : ""}`}>
              <MarkdownReport markdown={markdown} />
            </div>
          ) : (
            <div className="report-empty">
              {finished ? (
                <p className="muted">This task ended before any of the report was written.</p>
              ) : (
                <>
                  <p className="muted">
                    {task.status === "queued"
                      ? "Waiting for a free slot. The report is written here as soon as the research starts."
                      : task.status === "paused"
                        ? "Paused. Resume the task to continue the research."
                        : "Researching. The report streams in here once the findings are in."}
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
              Research
            </h2>
            <ResearchTree nodes={view.tree} sourceCount={view.sources.length} />
          </section>
          <section className="card side-card" aria-labelledby="sources-heading">
            <h2 id="sources-heading" className="side-heading">
              Sources <span className="count">{view.sources.length}</span>
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
