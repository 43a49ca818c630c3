import { ApiError, getTask, isFinishedStatus, type TaskJson, type TaskStatus, toApiError } from "./api";
import { backoffDelay } from "./backoff";

/** A node of the research tree, built from `progress` events that carry a `detail`. */
export interface TreeNode {
  id: string;
  /** `source`: a document found by the search it hangs under (from `source` events). */
  kind: "question" | "search" | "learning" | "source";
  label: string;
  parentId?: string;
}

/**
 * A source as the page knows it: while streaming, each distinct source found
 * so far (no number: citation numbers are only assigned when the report is
 * written); when finished, the result's numbered sources.
 */
export interface StreamSource {
  number?: number;
  title: string;
  url?: string;
  documentRef?: string;
  /** Why the page could not be read (it is then not shown as a link). */
  unreadable?: string;
  passages?: string[];
}

/**
 * The state of the connection, as the indicator shows it.
 * - `connecting`: the first connection is being opened.
 * - `live`: events are flowing.
 * - `reconnecting`: the stream broke; the next attempt is at `retryAt`.
 * - `unreachable`: the server does not answer at all (or the browser is offline); retrying with backoff.
 * - `finished`: the task is over and every event was received.
 * - `gone`: the task does not exist (any more).
 */
export type ConnectionState =
  | { kind: "connecting" }
  | { kind: "live" }
  | { kind: "reconnecting"; retryAt: number }
  | { kind: "unreachable"; retryAt: number | null; offline: boolean }
  | { kind: "finished" }
  | { kind: "gone"; message: string };

export interface StreamView {
  task: TaskJson;
  /** The report markdown: the concatenation of every `output` text received, or the result's report. */
  markdown: string;
  /** Where `markdown` came from: the event stream, or the finished task's result. */
  reportOrigin: "stream" | "result";
  sources: StreamSource[];
  tree: TreeNode[];
  /** Id of the last numbered event applied (0: none). */
  cursor: number;
  connection: ConnectionState;
  /** A passing remark from the server, e.g. that another process took the task over. */
  notice: string | null;
}

/** What survives a reload: everything derived from events up to `cursor`, saved together. */
interface SavedStream {
  version: 1;
  runStartEventId: number | null;
  cursor: number;
  markdown: string;
  sources: StreamSource[];
  tree: TreeNode[];
}

const STORAGE_PREFIX = "fathom:stream:";
const PERSIST_INTERVAL_MS = 200;
const PROBE_TIMEOUT_MS = 10_000;

function storageKey(taskId: string): string {
  return `${STORAGE_PREFIX}${taskId}`;
}

function loadSaved(taskId: string): SavedStream | null {
  try {
    const raw = window.sessionStorage.getItem(storageKey(taskId));
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<SavedStream>;
    if (
      parsed.version !== 1 ||
      typeof parsed.cursor !== "number" ||
      typeof parsed.markdown !== "string" ||
      !Array.isArray(parsed.sources) ||
      !Array.isArray(parsed.tree)
    )
      return null;
    return {
      version: 1,
      runStartEventId: typeof parsed.runStartEventId === "number" ? parsed.runStartEventId : null,
      cursor: parsed.cursor,
      markdown: parsed.markdown,
      sources: parsed.sources,
      tree: parsed.tree,
    };
  } catch (error) {
    // Storage disabled or a damaged entry: start from the beginning of the run instead.
    console.warn("Fathom: ignoring the saved stream state", error);
    return null;
  }
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function parseData(raw: string): Record<string, unknown> | null {
  try {
    return record(JSON.parse(raw));
  } catch (error) {
    console.warn("Fathom: an event with unreadable data was skipped", error);
    return null;
  }
}

const treeKinds = new Set(["question", "search", "learning", "source"]);

/**
 * Follows one task's event stream (docs/ARCHITECTURE.md, "Wire format") with a native `EventSource`.
 *
 * Invariants:
 * - The cursor is the id of the last numbered event applied; an event whose id
 *   is not above it is a duplicate and is dropped, so the report never repeats.
 * - The cursor is saved in `sessionStorage` together with everything derived
 *   from the events up to it (markdown, sources, tree), in one entry, so a
 *   reload restores a consistent prefix and resumes right after it.
 * - After an error the `EventSource` is closed (no native retry) and a new one
 *   is opened with `?lastEventId=<cursor>`, after asking the server what became
 *   of the task; an unreachable server is retried with exponential backoff.
 */
export class TaskStream {
  readonly #taskId: string;
  #view: StreamView;
  /** What React sees: `#view` as of the last render flush (a burst of events renders once). */
  #published: StreamView;
  #runStartEventId: number | null;
  #source: EventSource | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #persistTimer: ReturnType<typeof setTimeout> | null = null;
  #noticeTimer: ReturnType<typeof setTimeout> | null = null;
  #renderFrame: number | null = null;
  #renderTimer: ReturnType<typeof setTimeout> | null = null;
  #attempt = 0;
  #probe: AbortController | null = null;
  #listeners = new Set<() => void>();
  #stopped = false;
  #started = false;
  /**
   * A finished task opened fresh shows its stored report at once; its log is
   * still read once, in the background, only to rebuild the research tree.
   */
  #replayOnly = false;

  constructor(taskId: string, initialTask: TaskJson) {
    this.#taskId = taskId;
    this.#runStartEventId = initialTask.runStartEventId ?? null;
    const result = initialTask.result;
    const finishedWithResult = isFinishedStatus(initialTask.status) && result != null;
    this.#view = {
      task: initialTask,
      markdown: finishedWithResult ? result.report : "",
      reportOrigin: finishedWithResult ? "result" : "stream",
      sources: finishedWithResult ? result.sources : [],
      tree: [],
      cursor: 0,
      connection: finishedWithResult ? { kind: "finished" } : { kind: "connecting" },
      notice: null,
    };
    this.#published = this.#view;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getSnapshot = (): StreamView => this.#published;

  /** Restores what this tab already received and connects. Call once, in the browser. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    window.addEventListener("online", this.#onOnline);
    window.addEventListener("offline", this.#onOffline);
    window.addEventListener("pagehide", this.#persistNow);
    if (this.#view.connection.kind === "finished") {
      // A finished task opened fresh: the whole report is already here.
      this.#forget();
      this.#replayOnly = true;
      this.#connect();
      return;
    }
    const saved = loadSaved(this.#taskId);
    if (saved && saved.runStartEventId === this.#runStartEventId && saved.cursor > 0) {
      this.#update({
        markdown: saved.markdown,
        sources: saved.sources,
        tree: saved.tree,
        cursor: saved.cursor,
      });
    }
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    window.removeEventListener("online", this.#onOnline);
    window.removeEventListener("offline", this.#onOffline);
    window.removeEventListener("pagehide", this.#persistNow);
    this.#closeSource();
    this.#clearRetry();
    this.#probe?.abort();
    if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
    if (this.#renderFrame !== null) cancelAnimationFrame(this.#renderFrame);
    if (this.#renderTimer) clearTimeout(this.#renderTimer);
    this.#persistNow();
    this.#listeners.clear();
  }

  /** Merges a task snapshot obtained elsewhere (e.g. the answer to a control). */
  applyTask(task: TaskJson): void {
    this.#mergeTask(task);
  }

  // ---- connection -------------------------------------------------------

  #connect(): void {
    if (this.#stopped) return;
    this.#clearRetry();
    this.#closeSource();
    const cursor = this.#view.cursor;
    // Without a cursor the server starts at the first event of the current run.
    const url = `/api/tasks/${this.#taskId}/events${cursor > 0 ? `?lastEventId=${cursor}` : ""}`;
    const source = new EventSource(url);
    this.#source = source;
    if (this.#replayOnly) {
      source.onerror = () => this.#closeSource();
      source.addEventListener("progress", (event) => this.#onReplayEvent(source, event));
      return;
    }
    if (this.#view.connection.kind !== "live") {
      const kind = this.#view.connection.kind;
      if (kind !== "reconnecting" && kind !== "unreachable")
        this.#update({ connection: { kind: "connecting" } });
    }
    let opened = false;
    source.onopen = () => {
      if (this.#source !== source) return;
      opened = true;
      this.#update({ connection: { kind: "live" } });
    };
    source.onerror = () => {
      if (this.#source !== source) return;
      if (opened) this.#onStreamError();
      else void this.#onRefused(url);
    };
    source.addEventListener("task", (event) => this.#onSnapshot(source, event));
    for (const type of ["progress", "source", "output", "status", "done"] as const) {
      source.addEventListener(type, (event) => this.#onEvent(source, type, event));
    }
  }

  #closeSource(): void {
    if (this.#source) {
      this.#source.onopen = null;
      this.#source.onerror = null;
      this.#source.close();
      this.#source = null;
    }
  }

  #clearRetry(): void {
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
    }
  }

  #scheduleReconnect(connection: "reconnecting" | "unreachable", offline = false): void {
    this.#clearRetry();
    const delay = backoffDelay(this.#attempt);
    this.#attempt += 1;
    const retryAt = Date.now() + delay;
    this.#update({
      connection:
        connection === "reconnecting"
          ? { kind: "reconnecting", retryAt }
          : { kind: "unreachable", retryAt, offline },
    });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#connect();
    }, delay);
  }

  /**
   * The stream broke or was refused. An `EventSource` does not say why (a
   * network failure, 204 "nothing more", 404 "deleted" all look alike), so ask
   * the task's JSON and decide from that.
   */
  #onStreamError(): void {
    this.#closeSource();
    if (this.#isDone()) return;
    if (typeof navigator !== "undefined" && navigator.onLine === false) {
      this.#update({ connection: { kind: "unreachable", retryAt: null, offline: true } });
      // The `online` event reconnects at once; keep a slow retry in case it never fires.
      this.#scheduleReconnect("unreachable", true);
      return;
    }
    this.#probe?.abort();
    const probe = new AbortController();
    this.#probe = probe;
    const timeout = setTimeout(() => probe.abort(), PROBE_TIMEOUT_MS);
    this.#update({ connection: { kind: "reconnecting", retryAt: Date.now() } });
    getTask(this.#taskId, probe.signal)
      .then((task) => {
        if (this.#stopped || this.#probe !== probe) return;
        this.#mergeTask(task);
        if (this.#cursorRefused(task)) {
          // The server answers this cursor 409/410 (its events were lost in a
          // crash or compacted away): what we derived from them is not the
          // report any more. Start the current run over from its first event.
          this.#update({ markdown: "", sources: [], tree: [], cursor: 0, reportOrigin: "stream" });
          this.#runStartEventId = task.runStartEventId;
          this.#persistNow();
          this.#attempt = 0;
          this.#connect();
          return;
        }
        // A finished task whose log we have read to the end (or that keeps
        // refusing a stream: nothing more will come) is finished for us too.
        if (isFinishedStatus(task.status) && (this.#view.cursor >= task.lastEventId || this.#attempt >= 3)) {
          this.#finish(task);
        } else if (this.#attempt === 0) {
          // The first failure after a healthy stream: reconnect promptly.
          this.#attempt = 1;
          this.#connect();
        } else {
          this.#scheduleReconnect("reconnecting");
        }
      })
      .catch((error: unknown) => {
        if (this.#stopped || this.#probe !== probe) return;
        if (error instanceof ApiError && (error.status === 404 || error.status === 410)) {
          this.#gone("This task no longer exists: it was deleted or has expired.");
        } else if (error instanceof ApiError && [400, 401, 403].includes(error.status)) {
          // A malformed id, or an API that wants a token this page does not have: retrying won't help.
          this.#gone(error.message);
        } else if (error instanceof ApiError && !error.unreachable) {
          this.#scheduleReconnect("reconnecting");
        } else {
          this.#scheduleReconnect("unreachable");
        }
      })
      .finally(() => clearTimeout(timeout));
  }

  /**
   * The stream failed before it opened. An `EventSource` hides the status,
   * so ask the same URL once by `fetch`: a limit (429/503) is waited out for
   * its `Retry-After`, with a sentence saying why; anything else goes the
   * usual way.
   */
  async #onRefused(url: string): Promise<void> {
    this.#closeSource();
    if (this.#isDone()) return;
    let refusal: ApiError | null = null;
    try {
      const controller = new AbortController();
      const timeout = setTimeout(() => controller.abort(), PROBE_TIMEOUT_MS);
      const response = await fetch(url, {
        headers: { Accept: "text/event-stream" },
        signal: controller.signal,
      });
      clearTimeout(timeout);
      if (response.status === 429 || response.status === 503) refusal = await toApiError(response);
      else await response.body?.cancel();
      controller.abort();
    } catch (error) {
      void error; // Unreachable or aborted: the usual error path finds out which.
    }
    if (this.#stopped || this.#isDone()) return;
    if (!refusal) {
      this.#onStreamError();
      return;
    }
    this.#clearRetry();
    const delay = Math.max((refusal.retryAfterSeconds ?? 0) * 1000, backoffDelay(this.#attempt));
    this.#attempt += 1;
    this.#showNotice(refusal.message);
    this.#update({ connection: { kind: "reconnecting", retryAt: Date.now() + delay } });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#connect();
    }, delay);
  }

  /** True when the server can no longer serve our cursor (see `streamStart` on the server). */
  #cursorRefused(task: TaskJson): boolean {
    const cursor = this.#view.cursor;
    if (cursor <= 0) return false;
    const { compacted, lostEvents } = task;
    if (compacted && cursor <= compacted.throughEventId) return true;
    return lostEvents != null && cursor > lostEvents.after && cursor <= lostEvents.through;
  }

  #onOnline = (): void => {
    if (this.#stopped || this.#isDone() || this.#source) return;
    this.#attempt = 0;
    this.#connect();
  };

  #onOffline = (): void => {
    if (this.#stopped || this.#isDone()) return;
    // Chromium may keep a dead connection open for a long time: drop it and reconnect when back online.
    this.#closeSource();
    this.#clearRetry();
    this.#update({ connection: { kind: "unreachable", retryAt: null, offline: true } });
  };

  #isDone(): boolean {
    const kind = this.#view.connection.kind;
    return kind === "finished" || kind === "gone";
  }

  #gone(message: string): void {
    this.#closeSource();
    this.#clearRetry();
    this.#forget();
    this.#update({ connection: { kind: "gone", message } });
  }

  // ---- events -----------------------------------------------------------

  #onSnapshot(source: EventSource, event: MessageEvent<string>): void {
    if (this.#source !== source) return;
    const data = parseData(event.data);
    if (!data) return;
    const task = data as unknown as TaskJson;
    const runStart = typeof task.runStartEventId === "number" ? task.runStartEventId : null;
    if (runStart !== null && this.#runStartEventId !== null && runStart !== this.#runStartEventId) {
      // A new run of the task started (`fresh`): what we hold belongs to the old one.
      this.#runStartEventId = runStart;
      this.#update({ markdown: "", sources: [], tree: [], cursor: 0, reportOrigin: "stream" });
      this.#persistNow();
      this.#mergeTask(task);
      this.#connect();
      return;
    }
    if (runStart !== null) this.#runStartEventId = runStart;
    this.#mergeTask(task);
  }

  #onReplayEvent(source: EventSource, event: MessageEvent<string>): void {
    if (this.#source !== source) return;
    const data = parseData(event.data);
    const tree = data ? this.#grow(this.#view.tree, data) : null;
    if (tree) this.#update({ tree });
  }

  /** The tree with the node a `progress` event describes added (or relabelled); null when it has none. */
  #grow(tree: TreeNode[], data: Record<string, unknown>): TreeNode[] | null {
    const detail = record(data.detail);
    const nodeId = text(detail.id);
    const label = text(detail.label);
    const kind = text(detail.kind);
    if (!nodeId || !label || !kind || !treeKinds.has(kind)) return null;
    const node: TreeNode = { id: nodeId, kind: kind as TreeNode["kind"], label };
    const parentId = text(detail.parentId);
    if (parentId) node.parentId = parentId;
    const index = tree.findIndex((existing) => existing.id === nodeId);
    return index === -1 ? [...tree, node] : tree.map((n, i) => (i === index ? node : n));
  }

  #onEvent(source: EventSource, type: string, event: MessageEvent<string>): void {
    if (this.#source !== source) return;
    const id = Number(event.lastEventId);
    if (!Number.isSafeInteger(id) || id <= this.#view.cursor) return; // a duplicate (or not numbered)
    const data = parseData(event.data);
    this.#attempt = 0;
    const view = this.#view;
    const patch: Partial<StreamView> = { cursor: id };
    if (view.connection.kind !== "live") patch.connection = { kind: "live" };
    if (data) {
      switch (type) {
        case "output": {
          const piece = text(data.text);
          if (piece) patch.markdown = view.markdown + piece;
          break;
        }
        case "progress": {
          const task: TaskJson = { ...view.task };
          if (typeof data.percentage === "number") task.progress = data.percentage;
          if (typeof data.step === "string") task.step = data.step;
          if (typeof data.message === "string") task.message = data.message;
          patch.task = task;
          const tree = this.#grow(view.tree, data);
          if (tree) patch.tree = tree;
          break;
        }
        case "source": {
          const title = text(data.title) ?? text(data.url) ?? text(data.documentRef) ?? "Untitled source";
          const url = text(data.url);
          const documentRef = text(data.documentRef);
          const key = url ?? documentRef ?? title;
          if (!view.sources.some((known) => (known.url ?? known.documentRef ?? known.title) === key)) {
            const entry: StreamSource = { title };
            if (url) entry.url = url;
            if (documentRef) entry.documentRef = documentRef;
            const unreadable = text(data.unreadable);
            if (unreadable) entry.unreadable = unreadable;
            patch.sources = [...view.sources, entry];
          }
          // In the tree, a source hangs under the search that found it: the latest one.
          const search = view.tree.findLast((node) => node.kind === "search");
          if (search) {
            const node: TreeNode = {
              id: `source:${search.id}:${key}`,
              kind: "source",
              label: title,
              parentId: search.id,
            };
            if (!view.tree.some((existing) => existing.id === node.id)) patch.tree = [...view.tree, node];
          }
          break;
        }
        case "status": {
          const status = text(data.status) as TaskStatus | undefined;
          const task: TaskJson = { ...view.task };
          if (status) task.status = status;
          const error = data.error;
          if (typeof error === "string") task.error = { code: "error", message: error };
          else if (error && typeof error === "object") {
            const e = record(error);
            task.error = { code: text(e.code) ?? "error", message: text(e.message) ?? "The task failed." };
          }
          const message = text(data.message);
          if (message) {
            task.message = message;
            const attempt = text(data.attempt);
            if (status === "running" && (attempt === "takeover" || attempt === "resume"))
              this.#showNotice(message);
          }
          patch.task = task;
          break;
        }
        case "done": {
          const status = text(data.status) as TaskStatus | undefined;
          const task: TaskJson = { ...view.task };
          if (status) task.status = status;
          if (status === "completed") task.progress = 100;
          const error = text(data.error);
          if (error) task.error = { code: task.error?.code ?? "error", message: error };
          patch.task = task;
          // The summary carries the numbered sources the report cites.
          const sources = record(data.result).sources;
          if (Array.isArray(sources) && sources.length > 0) patch.sources = sources as StreamSource[];
          break;
        }
      }
    }
    this.#update(patch);
    this.#schedulePersist();
    if (type === "done") this.#onDone();
  }

  #onDone(): void {
    // The server closes the stream after `done`; a reconnect would only get 204.
    this.#closeSource();
    this.#persistNow();
    this.#update({ connection: { kind: "finished" } });
    getTask(this.#taskId)
      .then((task) => this.#finish(task))
      .catch((error: unknown) => {
        // The report is complete already; only the sources' passages are missing.
        console.warn("Fathom: could not load the finished task", error);
      });
  }

  /** The task is over and everything was received: take the result (sources with passages). */
  #finish(task: TaskJson): void {
    this.#closeSource();
    this.#clearRetry();
    this.#mergeTask(task);
    const patch: Partial<StreamView> = { connection: { kind: "finished" } };
    const result = task.result;
    if (result) {
      patch.sources = result.sources;
      if (result.report !== this.#view.markdown) {
        // The stream and the stored report disagree (this tab's saved state was
        // stale, or a bug): the stored report is authoritative.
        console.warn("Fathom: the streamed report differs from the stored one; showing the stored report");
        patch.markdown = result.report;
        patch.reportOrigin = "result";
      }
    }
    this.#update(patch);
    this.#forget();
  }

  #mergeTask(task: Partial<TaskJson>): void {
    const merged: TaskJson = { ...this.#view.task };
    for (const [key, value] of Object.entries(task)) {
      if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
    }
    this.#update({ task: merged });
  }

  #showNotice(message: string): void {
    if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
    this.#update({ notice: message });
    this.#noticeTimer = setTimeout(() => this.#update({ notice: null }), 8_000);
  }

  // ---- state, rendering and persistence ---------------------------------

  #update(patch: Partial<StreamView>): void {
    this.#view = { ...this.#view, ...patch };
    // Many events can arrive in one burst (a replay): render once per frame.
    // The timer covers hidden tabs, where animation frames don't run.
    if (this.#renderFrame === null) this.#renderFrame = requestAnimationFrame(this.#flush);
    if (this.#renderTimer === null) this.#renderTimer = setTimeout(this.#flush, 250);
  }

  #flush = (): void => {
    if (this.#renderFrame !== null) cancelAnimationFrame(this.#renderFrame);
    if (this.#renderTimer !== null) clearTimeout(this.#renderTimer);
    this.#renderFrame = null;
    this.#renderTimer = null;
    if (this.#published === this.#view) return;
    this.#published = this.#view;
    for (const listener of this.#listeners) listener();
  };

  #schedulePersist(): void {
    if (this.#persistTimer) return;
    this.#persistTimer = setTimeout(this.#persistNow, PERSIST_INTERVAL_MS);
  }

  #persistNow = (): void => {
    if (this.#persistTimer) {
      clearTimeout(this.#persistTimer);
      this.#persistTimer = null;
    }
    const view = this.#view;
    if (
      view.connection.kind === "finished" ||
      view.connection.kind === "gone" ||
      view.reportOrigin !== "stream"
    )
      return;
    const saved: SavedStream = {
      version: 1,
      runStartEventId: this.#runStartEventId,
      cursor: view.cursor,
      markdown: view.markdown,
      sources: view.sources,
      tree: view.tree,
    };
    try {
      window.sessionStorage.setItem(storageKey(this.#taskId), JSON.stringify(saved));
    } catch (error) {
      // Storage full or disabled: a reload then replays the run from its start, which is still correct.
      console.warn("Fathom: could not save the stream position", error);
    }
  };

  #forget(): void {
    try {
      window.sessionStorage.removeItem(storageKey(this.#taskId));
    } catch (error) {
      console.warn("Fathom: could not clear the saved stream position", error);
    }
  }
}
