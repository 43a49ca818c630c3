import { parseEvent } from "@/lib/model/event-data";
import { type EventType, eventTypes } from "@/lib/model/events";
import { isFinished } from "@/lib/model/task-json";
import { type TaskView, taskSnapshotSchema } from "@/lib/model/task-view";
import { getTask } from "./api";
import { ApiError, toApiError } from "./api-error";
import { EventSourceClient } from "./event-source-client";
import { readSseData, readSseJson } from "./sse-data";
import {
  cursorRefused,
  initialStreamView,
  isSettled,
  type StreamAction,
  type StreamView,
  streamReducer,
} from "./task-stream-reducer";
import { StreamStorage } from "./task-stream-storage";

const PROBE_TIMEOUT_MS = 10_000;
const NOTICE_MS = 8_000;

/**
 * Follows one task's event stream (docs/ARCHITECTURE.md, "Wire format") and
 * publishes the page's state to React. The state itself is the pure
 * `streamReducer` (task-stream-reducer.ts); this class feeds it and owns the
 * effects: the connection (event-source-client.ts), the saved position
 * (task-stream-storage.ts), the probes that find out why a stream failed,
 * timers, and rendering.
 *
 * - After a reload the saved state is restored and the stream resumes with
 *   `?lastEventId=<cursor>`; without a cursor the server starts at the
 *   current run's first event.
 * - A stream the server refused for a limit (429/503) waits out its
 *   `Retry-After`, and the page says which limit until then.
 * - A stream that broke is not retried blindly: an `EventSource` hides why
 *   (a network failure, 204 "nothing more", 404 "deleted" look alike), so the
 *   task's JSON is asked, and an unreachable server is retried with backoff.
 */
export class TaskStream {
  readonly #taskId: string;
  #view: StreamView;
  /** What React sees: `#view` as of the last render flush (a burst of events renders once). */
  #published: StreamView;
  readonly #client: EventSourceClient;
  readonly #storage: StreamStorage;
  #noticeTimer: ReturnType<typeof setTimeout> | null = null;
  #renderFrame: number | null = null;
  #renderTimer: ReturnType<typeof setTimeout> | null = null;
  #probe: AbortController | null = null;
  #listeners = new Set<() => void>();
  #stopped = false;
  #started = false;

  constructor(taskId: string, initialTask: TaskView) {
    this.#taskId = taskId;
    this.#view = initialStreamView(initialTask);
    this.#published = this.#view;
    this.#storage = new StreamStorage(taskId);
    const events: Record<string, (data: string, lastEventId: string) => void> = {
      task: (data) => this.#onSnapshot(data),
    };
    for (const type of eventTypes) events[type] = (data, id) => this.#onEvent(type, data, id);
    this.#client = new EventSourceClient({
      events,
      onOpen: () => {
        if (!this.#view.replayOnly) this.#dispatch({ type: "connection", connection: { kind: "live" } });
      },
      onError: ({ opened, url }) => {
        // A replay only rebuilds the tree of a finished task: if it fails, the tree stays as it is.
        if (this.#view.replayOnly) return;
        if (opened) this.#onStreamError();
        else void this.#onRefused(url);
      },
    });
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
    window.addEventListener("pagehide", this.#saveNow);
    if (this.#view.replayOnly) {
      // A finished task opened fresh: the whole report is already here.
      this.#storage.forget();
    } else {
      const saved = this.#storage.load();
      if (saved) this.#dispatch({ type: "restore", saved });
    }
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    window.removeEventListener("online", this.#onOnline);
    window.removeEventListener("offline", this.#onOffline);
    window.removeEventListener("pagehide", this.#saveNow);
    this.#client.stop();
    this.#probe?.abort();
    if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
    if (this.#renderFrame !== null) cancelAnimationFrame(this.#renderFrame);
    if (this.#renderTimer) clearTimeout(this.#renderTimer);
    this.#saveNow();
    this.#listeners.clear();
  }

  /** Takes a task view obtained elsewhere (e.g. the answer to a control). */
  applyTask(task: TaskView): void {
    this.#dispatch({ type: "task", task });
  }

  // ---- connection -------------------------------------------------------

  #connect(): void {
    if (this.#stopped) return;
    const cursor = this.#view.cursor;
    // Without a cursor the server starts at the first event of the current run.
    const url = `/api/tasks/${this.#taskId}/events${cursor > 0 ? `?lastEventId=${cursor}` : ""}`;
    const kind = this.#view.connection.kind;
    if (!this.#view.replayOnly && kind !== "live" && kind !== "reconnecting" && kind !== "unreachable")
      this.#dispatch({ type: "connection", connection: { kind: "connecting" } });
    this.#client.open(url);
  }

  #reconnectLater(kind: "reconnecting" | "unreachable", offline = false): void {
    const retryAt = this.#client.retryLater(() => this.#connect());
    this.#dispatch({
      type: "connection",
      connection: kind === "reconnecting" ? { kind, retryAt } : { kind, retryAt, offline },
    });
  }

  /** The stream broke after it opened: ask the task's JSON what became of it, and decide from that. */
  #onStreamError(): void {
    if (this.#stopped || isSettled(this.#view)) return;
    if (typeof navigator !== "undefined" && navigator.onLine === false) {
      // The `online` event reconnects at once; keep a slow retry in case it never fires.
      this.#reconnectLater("unreachable", true);
      return;
    }
    this.#probe?.abort();
    const probe = new AbortController();
    this.#probe = probe;
    const timeout = setTimeout(() => probe.abort(), PROBE_TIMEOUT_MS);
    this.#dispatch({ type: "connection", connection: { kind: "reconnecting", retryAt: Date.now() } });
    getTask(this.#taskId, probe.signal)
      .then((task) => {
        if (this.#stopped || this.#probe !== probe) return;
        if (cursorRefused(this.#view, task)) {
          this.#dispatch({ type: "restart-run", task });
          this.#saveNow();
          this.#client.retryNow(() => this.#connect());
          return;
        }
        this.#dispatch({ type: "task", task });
        // A finished task whose log we have read to the end (or that keeps
        // refusing a stream: nothing more will come) is finished for us too.
        if (isFinished(task.status) && (this.#view.cursor >= task.lastEventId || this.#client.attempt >= 3)) {
          this.#finish(task);
        } else if (this.#client.attempt === 0) {
          // The first failure after a healthy stream: reconnect promptly.
          this.#client.retryNow(() => this.#connect());
        } else {
          this.#reconnectLater("reconnecting");
        }
      })
      .catch((error: unknown) => {
        if (this.#stopped || this.#probe !== probe) return;
        if (error instanceof ApiError && (error.status === 404 || error.status === 410)) {
          this.#gone("This task no longer exists: it was deleted or has expired.", true);
        } else if (error instanceof ApiError && [400, 401, 403].includes(error.status)) {
          // A malformed id, or an API that wants a token this page does not have: retrying won't help.
          this.#gone(error.message);
        } else if (error instanceof ApiError && !error.unreachable) {
          this.#reconnectLater("reconnecting");
        } else {
          this.#reconnectLater("unreachable");
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
    if (isSettled(this.#view)) return;
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
    if (this.#stopped || isSettled(this.#view)) return;
    if (!refusal) {
      this.#onStreamError();
      return;
    }
    const retryAt = this.#client.retryLater(() => this.#connect(), (refusal.retryAfterSeconds ?? 0) * 1000);
    // The refusal stays on the connection until the retry: a notice would be hidden by the
    // "reconnecting" line, and would outlive the wait once the stream is back.
    this.#dispatch({ type: "connection", connection: { kind: "reconnecting", retryAt, refusal } });
  }

  #onOnline = (): void => {
    if (this.#stopped || isSettled(this.#view) || this.#client.connected) return;
    this.#client.resetBackoff();
    this.#connect();
  };

  #onOffline = (): void => {
    if (this.#stopped || isSettled(this.#view)) return;
    // Chromium may keep a dead connection open for a long time: drop it and reconnect when back online.
    this.#client.close();
    this.#client.cancelRetry();
    this.#dispatch({ type: "connection", connection: { kind: "unreachable", retryAt: null, offline: true } });
  };

  #gone(message: string, expired = false): void {
    this.#client.close();
    this.#client.cancelRetry();
    this.#storage.forget();
    this.#dispatch({
      type: "connection",
      connection: { kind: "gone", message, ...(expired && { expired: true as const }) },
    });
  }

  /** The task is over and everything was received: take the result (sources with passages). */
  #finish(task: TaskView): void {
    this.#client.close();
    this.#client.cancelRetry();
    this.#dispatch({ type: "finish", task });
    this.#storage.forget();
  }

  // ---- events -----------------------------------------------------------

  #onSnapshot(raw: string): void {
    if (this.#view.replayOnly) return; // the stored result already says all the snapshot would
    const task = readSseData(raw, taskSnapshotSchema, "a task snapshot");
    if (!task) return;
    const run = this.#view.runStartEventId;
    this.#dispatch({ type: "snapshot", task });
    if (this.#view.runStartEventId !== run) {
      // A new run started: forget the old run's position and read the new one from its start.
      this.#saveNow();
      this.#connect();
    }
  }

  #onEvent(type: EventType, raw: string, lastEventId: string): void {
    const id = Number(lastEventId);
    if (!Number.isSafeInteger(id) || id <= 0) return; // not numbered: not an event of the log
    const replayOnly = this.#view.replayOnly;
    // A replay only rebuilds the tree: reading the report's text again would be wasted work.
    if (replayOnly && type !== "progress") return;
    if (!replayOnly && id <= this.#view.cursor) return; // a duplicate
    const json = readSseJson(raw, `${type} event ${id}`);
    const parsed = json === undefined ? null : parseEvent({ id, type, data: json });
    if (parsed && !parsed.success) console.warn(`Fathom: skipped the data of ${parsed.error}`);
    if (!replayOnly) this.#client.resetBackoff();
    this.#dispatch(
      parsed?.success ? { type: "event", event: parsed.event } : { type: "unreadable-event", id },
    );
    if (replayOnly) return;
    this.#storage.saveSoon(() => this.#view);
    if (type === "done") this.#onDone();
  }

  #onDone(): void {
    // The server closes the stream after `done`; a reconnect would only get 204.
    this.#client.close();
    getTask(this.#taskId)
      .then((task) => this.#finish(task))
      .catch((error: unknown) => {
        // The report is complete already; only the sources' passages are missing.
        console.warn("Fathom: could not load the finished task", error);
      });
  }

  // ---- state and rendering ----------------------------------------------

  #dispatch(action: StreamAction): void {
    const previous = this.#view;
    const next = streamReducer(previous, action);
    if (next === previous) return;
    this.#view = next;
    if (next.notice !== null && next.notice !== previous.notice) {
      if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
      this.#noticeTimer = setTimeout(() => this.#dispatch({ type: "notice", notice: null }), NOTICE_MS);
    }
    if (next.reportOrigin === "result" && previous.reportOrigin === "stream")
      console.warn("Fathom: the streamed report differs from the stored one; showing the stored report");
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

  #saveNow = (): void => {
    this.#storage.saveNow(this.#view);
  };
}
