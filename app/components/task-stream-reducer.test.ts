import { describe, expect, it } from "vitest";
import { parseEvent } from "@/lib/model/event-data";
import type { EventType } from "@/lib/model/events";
import type { TaskJson } from "@/lib/model/task-json";
import { taskSnapshot, taskView } from "@/lib/model/task-view";
import { testTask } from "@/lib/model/testing/task-fixture";
import { addUsage, usageTotals } from "@/lib/model/usage";
import {
  cursorRefused,
  initialStreamView,
  type SavedStream,
  type StreamAction,
  type StreamView,
  streamReducer,
} from "./task-stream-reducer";

const ID = "0123456789abcdef0123456789abcdef";

function task(fields: Partial<TaskJson> = {}): TaskJson {
  return testTask({ id: ID, status: "running", ...fields });
}

/** A numbered event as the browser receives it, checked by the model's schema. */
function event(id: number, type: EventType, data: Record<string, unknown>): StreamAction {
  const parsed = parseEvent({ id, type, data });
  if (!parsed.success) throw new Error(parsed.error);
  return { type: "event", event: parsed.event };
}

const output = (id: number, text: string) => event(id, "output", { text });

function run(view: StreamView, actions: StreamAction[]): StreamView {
  return actions.reduce(streamReducer, view);
}

function saved(view: StreamView): SavedStream {
  const { runStartEventId, cursor, markdown, sources, tree } = view;
  return structuredClone({ runStartEventId, cursor, markdown, sources, tree });
}

describe("streamReducer", () => {
  it("builds the report, progress and cursor from events, and drops duplicates", () => {
    const view = run(initialStreamView(taskView(task())), [
      event(1, "status", { status: "running", attempt: "first", message: "Research started." }),
      event(2, "progress", { step: "plan", percentage: 5, message: "Planning 3 sub-questions" }),
      output(3, "# Title\n\n"),
      output(4, "First paragraph."),
      output(4, "First paragraph."),
      output(3, "# Title\n\n"),
    ]);
    expect(view.markdown).toBe("# Title\n\nFirst paragraph.");
    expect(view.cursor).toBe(4);
    expect(view.connection).toEqual({ kind: "live" });
    expect(view.task).toMatchObject({ status: "running", step: "plan", progress: 5 });
    expect(view.task.message).toBe("Planning 3 sub-questions");
    expect(view.notice).toBeNull();
  });

  it("resumes after a reload from the saved cursor without repeating text", () => {
    const initial = initialStreamView(taskView(task()));
    const before = run(initial, [output(1, "One "), output(2, "two ")]);
    const reloaded = streamReducer(initialStreamView(taskView(task())), {
      type: "restore",
      saved: saved(before),
    });
    expect(reloaded.cursor).toBe(2);
    expect(reloaded.markdown).toBe("One two ");
    // The server resumes after the cursor; an event it sends twice changes nothing.
    const after = run(reloaded, [output(2, "two "), output(3, "three.")]);
    expect(after.markdown).toBe("One two three.");
    expect(after.cursor).toBe(3);
  });

  it("ignores a saved state of another run, and one behind what the page already has", () => {
    const other = { runStartEventId: 7, cursor: 9, markdown: "old", sources: [], tree: [] };
    const initial = initialStreamView(taskView(task()));
    expect(streamReducer(initial, { type: "restore", saved: other })).toBe(initial);
    const ahead = run(initial, [output(1, "a"), output(2, "b")]);
    const stale = { runStartEventId: 1, cursor: 1, markdown: "a", sources: [], tree: [] };
    expect(streamReducer(ahead, { type: "restore", saved: stale })).toBe(ahead);
  });

  it("starts an empty report when a status event announces a new run", () => {
    const view = run(initialStreamView(taskView(task())), [
      output(1, "The old report."),
      event(2, "source", { title: "Old", documentRef: "sotu:old" }),
      event(3, "done", { status: "completed", result: { sources: [], learnings: [] } }),
      event(4, "status", { status: "queued", run: 2, checkpointRun: 2, message: "A new run started." }),
      output(5, "The new report."),
    ]);
    expect(view.markdown).toBe("The new report.");
    expect(view.sources).toEqual([]);
    expect(view.runStartEventId).toBe(4);
    expect(view.task).toMatchObject({ run: 2, runStartEventId: 4, status: "queued", result: null });
    expect(view.cursor).toBe(5);
  });

  it("resets to the new run when a snapshot names another run's first event", () => {
    const before = run(initialStreamView(taskView(task())), [output(1, "old")]);
    const snapshot = taskSnapshot(task({ run: 2, runStartEventId: 6, lastEventId: 6 }));
    const after = streamReducer(before, { type: "snapshot", task: snapshot });
    expect(after).toMatchObject({ markdown: "", cursor: 0, runStartEventId: 6 });
    expect(after.task).not.toHaveProperty("hasResult");
    // The same run's snapshot only refreshes the task.
    const same = streamReducer(before, { type: "snapshot", task: taskSnapshot(task({ progress: 40 })) });
    expect(same).toMatchObject({ markdown: "old", cursor: 1 });
    expect(same.task.progress).toBe(40);
  });

  it("continues the report after a takeover, without retracting anything, and says so", () => {
    const message = "The task was taken over by another server and continues from its last step.";
    const view = run(initialStreamView(taskView(task())), [
      output(1, "Half a sen"),
      event(2, "status", { status: "running", attempt: "takeover", message }),
      output(3, "tence, then the rest."),
    ]);
    expect(view.markdown).toBe("Half a sentence, then the rest.");
    expect(view.notice).toBe(message);
    expect(streamReducer(view, { type: "notice", notice: null }).notice).toBeNull();
  });

  it("finishes on done: status, full progress, the result's numbered sources", () => {
    const source = { number: 1, title: "Jefferson, 1803", documentRef: "sotu:1803", passages: ["…"] };
    const view = run(initialStreamView(taskView(task())), [
      output(1, "Report [1]."),
      event(2, "done", {
        status: "completed",
        result: { sources: [source], learnings: [], reportLength: 11 },
      }),
    ]);
    expect(view.connection).toEqual({ kind: "finished" });
    expect(view.task).toMatchObject({ status: "completed", progress: 100 });
    expect(view.sources).toEqual([source]);
    expect(view.markdown).toBe("Report [1].");
  });

  it("records a failure's error from status and done events", () => {
    const view = run(initialStreamView(taskView(task())), [
      event(1, "status", { status: "failed", error: "The model did not answer." }),
      event(2, "done", { status: "failed", error: "The model did not answer.", result: null }),
    ]);
    expect(view.task.status).toBe("failed");
    expect(view.task.error).toEqual({ code: "error", message: "The model did not answer." });
  });

  it("takes the stored report when the finished task's result disagrees with the stream", () => {
    const streamed = run(initialStreamView(taskView(task())), [output(1, "Partial")]);
    const finished = taskView(
      task({
        status: "completed",
        result: { report: "The whole report.", sources: [], learnings: [] },
        lastEventId: 2,
      }),
    );
    const view = streamReducer(streamed, { type: "finish", task: finished });
    expect(view).toMatchObject({
      markdown: "The whole report.",
      reportOrigin: "result",
      connection: { kind: "finished" },
    });
    const agreeing = streamReducer(
      run(initialStreamView(taskView(task())), [output(1, "The whole report.")]),
      {
        type: "finish",
        task: finished,
      },
    );
    expect(agreeing.reportOrigin).toBe("stream");
  });

  it("lists each source once, keyed by url, document or title", () => {
    const view = run(initialStreamView(taskView(task())), [
      event(1, "source", { title: "A page", url: "https://example.org/a" }),
      event(2, "source", { title: "A page again", url: "https://example.org/a" }),
      event(3, "source", { title: "Jefferson", documentRef: "sotu:1803" }),
      event(4, "source", { title: "Jefferson", documentRef: "sotu:1803" }),
      event(5, "source", { title: "Unreadable", url: "https://example.org/b", unreadable: "timed out" }),
    ]);
    expect(view.sources).toEqual([
      { title: "A page", url: "https://example.org/a" },
      { title: "Jefferson", documentRef: "sotu:1803" },
      { title: "Unreadable", url: "https://example.org/b", unreadable: "timed out" },
    ]);
  });

  it("keeps the page a collection's source cites, and lists two pages of one document apart", () => {
    const ref = `collection:my-papers/${ID}`;
    const view = run(initialStreamView(taskView(task())), [
      event(1, "source", { title: "Storms", documentRef: ref, page: 2 }),
      event(2, "source", { title: "Storms", documentRef: ref, page: 2 }),
      event(3, "source", { title: "Storms", documentRef: ref, page: 5 }),
    ]);
    expect(view.sources).toEqual([
      { title: "Storms", documentRef: ref, page: 2 },
      { title: "Storms", documentRef: ref, page: 5 },
    ]);
  });

  it("grows the research tree from progress details, with sources under the latest search", () => {
    const detail = (id: number, kind: string, nodeId: string, label: string, parentId?: string) =>
      event(id, "progress", {
        step: kind,
        percentage: id,
        message: label,
        detail: { kind, id: nodeId, label, ...(parentId && { parentId }) },
      });
    const view = run(initialStreamView(taskView(task())), [
      detail(1, "question", "q1", "What was bought?"),
      detail(2, "search", "s1", "searching: purchase", "q1"),
      event(3, "source", { title: "Jefferson", documentRef: "sotu:1803" }),
      event(4, "source", { title: "Jefferson", documentRef: "sotu:1803" }),
      detail(5, "learning", "l1", "Bought from France", "q1"),
      detail(6, "question", "q1", "What was bought, and for how much?"),
      event(7, "progress", { step: "plan", percentage: 8, message: "x", detail: { kind: "bogus" } }),
    ]);
    expect(view.tree).toEqual([
      { id: "q1", kind: "question", label: "What was bought, and for how much?" },
      { id: "s1", kind: "search", label: "searching: purchase", parentId: "q1" },
      { id: "source:s1:sotu:1803", kind: "source", label: "Jefferson", parentId: "s1" },
      { id: "l1", kind: "learning", label: "Bought from France", parentId: "q1" },
    ]);
    // A detail the page cannot place costs only the node: the progress still applies.
    expect(view.task.progress).toBe(8);
  });

  it("moves the cursor past an event whose data could not be read", () => {
    const view = run(initialStreamView(taskView(task())), [
      output(1, "a"),
      { type: "unreadable-event", id: 2 },
      output(2, "repeated"),
      output(3, "b"),
    ]);
    expect(view).toMatchObject({ markdown: "ab", cursor: 3 });
  });

  it("shows a finished task's stored report and only rebuilds the tree from a replay", () => {
    const finished = task({
      status: "completed",
      progress: 100,
      lastEventId: 3,
      result: { report: "Stored.", sources: [], learnings: [] },
    });
    const initial = initialStreamView(taskView(finished));
    expect(initial).toMatchObject({
      markdown: "Stored.",
      reportOrigin: "result",
      replayOnly: true,
      connection: { kind: "finished" },
    });
    const view = run(initial, [
      event(1, "progress", {
        step: "plan",
        percentage: 5,
        message: "m",
        detail: { kind: "question", id: "q1", label: "Q" },
      }),
      output(2, "Stored."),
      event(3, "done", { status: "completed", result: { sources: [], learnings: [] } }),
    ]);
    expect(view.markdown).toBe("Stored.");
    expect(view.cursor).toBe(0);
    expect(view.tree).toEqual([{ id: "q1", kind: "question", label: "Q" }]);
  });

  it("takes a task view from a control's answer and connection changes as given", () => {
    const initial = initialStreamView(taskView(task()));
    const paused = streamReducer(initial, { type: "task", task: taskView(task({ status: "paused" })) });
    expect(paused.task.status).toBe("paused");
    const offline = streamReducer(paused, {
      type: "connection",
      connection: { kind: "unreachable", retryAt: null, offline: true },
    });
    expect(offline.connection).toEqual({ kind: "unreachable", retryAt: null, offline: true });
  });

  it("counts usage live from progress events, never backwards", () => {
    const call = {
      provider: "openai",
      model: "gpt-4o-mini",
      inputTokens: 100,
      outputTokens: 20,
      reasoningTokens: 5,
    };
    const one = addUsage(undefined, { step: "plan", ...call }, 0.001);
    const two = addUsage(one, { step: "learn:1", ...call }, 0.001);
    const three = addUsage(two, { step: "learn:2", ...call }, undefined);
    // The snapshot on connect is newer than the first progress event replayed after it.
    const connected = streamReducer(initialStreamView(taskView(task())), {
      type: "snapshot",
      task: taskSnapshot(task({ usage: two })),
    });
    const view = run(connected, [
      event(1, "progress", { step: "plan", percentage: 5, message: "m", usage: usageTotals(one) }),
    ]);
    expect(view.task.usage).toEqual(two);
    const live = run(view, [
      event(2, "progress", { step: "learn", percentage: 50, message: "m", usage: usageTotals(three) }),
    ]);
    expect(live.task.usage).toMatchObject({ calls: 3, inputTokens: 300, totalTokens: 360 });
    // One call without a price: no cost any more, not the old one.
    expect(live.task.usage).not.toHaveProperty("costUsd");
    // A progress event without usage (or with an unreadable one) leaves it alone.
    const after = run(live, [
      event(3, "progress", { step: "learn", percentage: 60, message: "m" }),
      event(4, "progress", { step: "learn", percentage: 70, message: "m", usage: { calls: "many" } }),
    ]);
    expect(after.task.usage).toEqual(live.task.usage);
    expect(after.task.progress).toBe(70);
  });
});

describe("a refused cursor", () => {
  it("starts the current run over when the server lost or compacted the events behind the cursor", () => {
    const base = initialStreamView(taskView(task({ runStartEventId: 1 })));
    const read = run(base, [output(1, "seen text")]);
    expect(read.cursor).toBe(1);
    const lost = { ...read.task, lostEvents: { after: read.cursor - 1, through: read.cursor + 5 } };
    expect(cursorRefused(read, lost)).toBe(true);
    expect(cursorRefused(read, read.task)).toBe(false);
    const compacted = {
      ...read.task,
      compacted: { throughEventId: read.cursor, runs: 1, attempts: 1, outcomes: {} },
    };
    expect(cursorRefused(read, compacted)).toBe(true);
    const restarted = streamReducer(read, { type: "restart-run", task: { ...lost, runStartEventId: 9 } });
    expect(restarted).toMatchObject({ cursor: 0, markdown: "", sources: [], tree: [], runStartEventId: 9 });
  });
});
