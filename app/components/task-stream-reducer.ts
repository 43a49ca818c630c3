import type { TypedEvent } from "@/lib/model/event-data";
import { reportFromEvents } from "@/lib/model/report";
import { cursorRefusal } from "@/lib/model/stream-cursor";
import { isFinished, type SourceJson } from "@/lib/model/task-json";
import type { TaskSnapshot, TaskView } from "@/lib/model/task-view";
import type { ConnectionState } from "./connection-state";

/** A node of the research tree, built from `progress` events that carry a `detail`. */
export interface TreeNode {
  id: string;
  /** `source`: a document found by the search it hangs under (from `source` events). */
  kind: "question" | "search" | "learning" | "thinking" | "source";
  label: string;
  parentId?: string;
}

/**
 * A source as the page knows it: while streaming, each distinct source found
 * so far (no number: citation numbers are only assigned when the report is
 * written); when finished, the result's numbered sources.
 */
export interface StreamSource
  extends Partial<Pick<SourceJson, "number" | "url" | "documentRef" | "page" | "passages">> {
  title: string;
  /** Why the page could not be read (it is then not shown as a link). */
  unreadable?: string;
}

/** Everything the task page shows, derived from the task's view and its events. */
export interface StreamView {
  task: TaskView;
  /** The report markdown: the concatenation of every `output` text received, or the result's report. */
  markdown: string;
  /** Where `markdown` came from: the event stream, or the finished task's result. */
  reportOrigin: "stream" | "result";
  sources: StreamSource[];
  tree: TreeNode[];
  /** Id of the last numbered event applied (0: none). Events at or below it are duplicates. */
  cursor: number;
  /** The first event of the run that `markdown`, `sources` and `tree` belong to. */
  runStartEventId: number;
  connection: ConnectionState;
  /** A passing remark from the server, e.g. that another process took the task over. */
  notice: string | null;
  /**
   * A finished task opened fresh shows its stored report at once; its log is
   * still read once, only to rebuild the research tree.
   */
  replayOnly: boolean;
}

/** What survives a reload: everything derived from events up to `cursor`, saved together. */
export type SavedStream = Pick<StreamView, "runStartEventId" | "cursor" | "markdown" | "sources" | "tree">;

export type StreamAction =
  /** This tab's state saved before a reload; taken only if it belongs to the current run. */
  | { type: "restore"; saved: SavedStream }
  /** The `task` snapshot a connection starts with. */
  | { type: "snapshot"; task: TaskSnapshot }
  /** A numbered event, its data checked. */
  | { type: "event"; event: TypedEvent }
  /** A numbered event whose data could not be read: only the cursor moves past it. */
  | { type: "unreadable-event"; id: number }
  /** The task's view obtained elsewhere (a control's answer, a probe of the task). */
  | { type: "task"; task: TaskView }
  /** The task is over and every event was received: take its result. */
  | { type: "finish"; task: TaskView }
  /**
   * The server refuses our cursor (its events were lost in a crash, 409, or
   * compacted away, 410): what was derived from them is not the report any
   * more. Start the task's current run over from its first event.
   */
  | { type: "restart-run"; task: TaskView }
  | { type: "connection"; connection: ConnectionState }
  | { type: "notice"; notice: string | null };

/** True when the server can no longer serve `view`'s cursor (see lib/model/stream-cursor.ts). */
export function cursorRefused(view: StreamView, task: TaskView): boolean {
  return cursorRefusal(task, view.cursor) !== null;
}

/** The page's state before any event: a finished task shows its stored report and sources at once. */
export function initialStreamView(task: TaskView): StreamView {
  const result = task.result;
  const finishedWithResult = isFinished(task.status) && result !== null;
  return {
    task,
    markdown: finishedWithResult ? (result.report ?? "") : "",
    reportOrigin: finishedWithResult ? "result" : "stream",
    sources: finishedWithResult ? result.sources : [],
    tree: [],
    cursor: 0,
    runStartEventId: task.runStartEventId,
    connection: finishedWithResult ? { kind: "finished" } : { kind: "connecting" },
    notice: null,
    replayOnly: finishedWithResult,
  };
}

/** True once nothing more will come: the task finished and was read to the end, or it is gone. */
export function isSettled(view: StreamView): boolean {
  return view.connection.kind === "finished" || view.connection.kind === "gone";
}

/**
 * The task page's state machine: `(view, action) → view`, pure. It keeps the
 * invariants of docs/ARCHITECTURE.md, "Wire format": an event at or below the
 * cursor is a duplicate and changes nothing (so the report never repeats),
 * and a new run (a `status` event with `run`, or a snapshot naming another
 * run's first event) starts an empty report.
 */
export function streamReducer(view: StreamView, action: StreamAction): StreamView {
  switch (action.type) {
    case "restart-run":
      return {
        ...view,
        task: action.task,
        markdown: "",
        sources: [],
        tree: [],
        cursor: 0,
        reportOrigin: "stream",
        runStartEventId: action.task.runStartEventId,
      };
    case "restore": {
      const { saved } = action;
      if (view.replayOnly || saved.runStartEventId !== view.runStartEventId || saved.cursor <= view.cursor)
        return view;
      const { markdown, sources, tree, cursor } = saved;
      return { ...view, markdown, sources, tree, cursor };
    }
    case "snapshot": {
      if (view.replayOnly) return view;
      const { hasResult, ...fields } = action.task;
      const task: TaskView = { ...fields, result: hasResult ? view.task.result : null };
      if (task.runStartEventId === view.runStartEventId) return { ...view, task };
      // A new run started while we were away: what we hold belongs to the old one.
      return { ...emptyRun(view, task.runStartEventId), task, cursor: 0 };
    }
    case "event":
      return view.replayOnly ? replayEvent(view, action.event) : applyEvent(view, action.event);
    case "unreadable-event":
      if (view.replayOnly || action.id <= view.cursor) return view;
      return { ...view, cursor: action.id, connection: live(view.connection) };
    case "task":
      return { ...view, task: action.task };
    case "finish": {
      const next: StreamView = { ...view, task: action.task, connection: { kind: "finished" } };
      const result = action.task.result;
      if (!result) return next;
      next.sources = result.sources;
      if (result.report !== undefined && result.report !== view.markdown) {
        // The stream and the stored report disagree (this tab's saved state was
        // stale, or a bug): the stored report is authoritative.
        next.markdown = result.report;
        next.reportOrigin = "result";
      }
      return next;
    }
    case "connection":
      return { ...view, connection: action.connection };
    case "notice":
      return { ...view, notice: action.notice };
  }
}

function live(connection: ConnectionState): ConnectionState {
  return connection.kind === "live" ? connection : { kind: "live" };
}

function emptyRun(view: StreamView, runStartEventId: number): StreamView {
  return { ...view, runStartEventId, markdown: "", sources: [], tree: [], reportOrigin: "stream" };
}

/** Replay-only mode: the report is already shown; only the tree is rebuilt. */
function replayEvent(view: StreamView, event: TypedEvent): StreamView {
  if (event.type !== "progress") return view;
  const tree = grow(view.tree, event.data.detail);
  return tree === view.tree ? view : { ...view, tree };
}

function applyEvent(view: StreamView, event: TypedEvent): StreamView {
  if (event.id <= view.cursor) return view;
  const next: StreamView = { ...view, cursor: event.id, connection: live(view.connection) };
  switch (event.type) {
    case "output":
      next.markdown = view.markdown + reportFromEvents([event]);
      return next;
    case "progress": {
      const { percentage, step, message, detail, usage } = event.data;
      next.task = {
        ...view.task,
        ...(percentage !== undefined && { progress: percentage }),
        ...(step !== undefined && { step }),
        ...(message !== undefined && { message }),
        // Calls only add up: an older total (an event replayed after a newer
        // snapshot) changes nothing. The breakdowns stay those of the last
        // whole view; the totals are what the page shows.
        ...(usage &&
          usage.calls > (view.task.usage?.calls ?? 0) && {
            usage: {
              ...usage,
              byStep: view.task.usage?.byStep ?? {},
              byModel: view.task.usage?.byModel ?? {},
            },
          }),
      };
      next.tree = grow(view.tree, detail);
      return next;
    }
    case "source":
      return addSource(next, event.data);
    case "status":
      return applyStatus(next, event.id, event.data);
    case "done": {
      const { status, error, result } = event.data;
      next.task = {
        ...view.task,
        status,
        ...(status === "completed" && { progress: 100 }),
        ...(error !== undefined && { error: { code: view.task.error?.code ?? "error", message: error } }),
      };
      // The summary carries the numbered sources the report cites.
      if (result && result.sources.length > 0) next.sources = result.sources;
      // The server closes the stream after `done`: everything was received.
      next.connection = { kind: "finished" };
      return next;
    }
  }
}

function applyStatus(
  view: StreamView,
  eventId: number,
  data: Extract<TypedEvent, { type: "status" }>["data"],
): StreamView {
  let next = view;
  const task: TaskView = { ...view.task };
  if (data.run !== undefined && data.run > view.task.run) {
    // This event is the first of a new run (a retry or `fresh`): a new report starts here.
    next = emptyRun(view, eventId);
    task.run = data.run;
    task.runStartEventId = eventId;
    task.result = null;
  }
  if (data.status) task.status = data.status;
  if (typeof data.error === "string") task.error = { code: "error", message: data.error };
  else if (data.error)
    task.error = { code: data.error.code ?? "error", message: data.error.message ?? "The task failed." };
  if (data.message) {
    task.message = data.message;
    // A takeover or resume continues the report where it stopped (nothing is
    // retracted); the page only says so in passing.
    if (data.status === "running" && (data.attempt === "takeover" || data.attempt === "resume"))
      next = { ...next, notice: data.message };
  }
  return { ...next, task };
}

/** What makes a source distinct: its URL, or its document and page (two pages of one document are two sources). */
export function sourceKey(source: Pick<StreamSource, "url" | "documentRef" | "page" | "title">): string {
  if (source.url) return source.url;
  if (source.documentRef)
    return source.page ? `${source.documentRef}#page=${source.page}` : source.documentRef;
  return source.title;
}

function addSource(view: StreamView, data: Extract<TypedEvent, { type: "source" }>["data"]): StreamView {
  const { url, documentRef, page, unreadable } = data;
  const title = data.title ?? url ?? documentRef ?? "Untitled source";
  const key = sourceKey({ url, documentRef, page, title });
  let { sources, tree } = view;
  if (!sources.some((known) => sourceKey(known) === key)) {
    sources = [
      ...sources,
      {
        title,
        ...(url && { url }),
        ...(documentRef && { documentRef }),
        ...(page && { page }),
        ...(unreadable && { unreadable }),
      },
    ];
  }
  // In the tree, a source hangs under the search that found it: the latest one.
  const search = tree.findLast((node) => node.kind === "search");
  if (search) {
    const id = `source:${search.id}:${key}`;
    if (!tree.some((existing) => existing.id === id))
      tree = [...tree, { id, kind: "source", label: title, parentId: search.id }];
  }
  return { ...view, sources, tree };
}

/** The tree with the node of a `progress` event's detail added (or relabelled). */
function grow(
  tree: TreeNode[],
  detail: Extract<TypedEvent, { type: "progress" }>["data"]["detail"],
): TreeNode[] {
  if (!detail) return tree;
  const node: TreeNode = { id: detail.id, kind: detail.kind, label: detail.label };
  if (detail.parentId) node.parentId = detail.parentId;
  const index = tree.findIndex((existing) => existing.id === detail.id);
  return index === -1 ? [...tree, node] : tree.map((existing, i) => (i === index ? node : existing));
}
