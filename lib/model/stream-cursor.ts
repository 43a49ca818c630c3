import { AppError } from "../errors";
import { isFinished, type TaskJson } from "./task-json";

/** Where a stream starts: after `afterId`, or nothing to send (HTTP 204). */
export type StreamStart = { kind: "stream"; afterId: number } | { kind: "finished" };

/**
 * Decides where a client's stream starts, or refuses a cursor that the log
 * can no longer serve — never a silent gap (docs/ARCHITECTURE.md, "Wire format"):
 *
 * - no cursor (or 0): the first event of the current run;
 * - a cursor into a run that compaction removed: 410 `gone`;
 * - a cursor whose events a power loss took from the log (`lostEvents`):
 *   409 `conflict`; past the log's end: 400, the same for running and
 *   finished tasks. Either way the client starts over without a cursor (the
 *   current run from its first event); a browser UI resets what it derived
 *   from the refused events first;
 * - a finished task whose events the client has all seen: 204;
 * - a cursor in an older, kept run: the current run from its first event.
 *
 * `logLastEventId` reads the log's end; it is asked only when the cursor is
 * past the snapshot's `lastEventId` (the snapshot may lag the log).
 */
export async function streamStart(
  task: TaskJson,
  cursor: number | undefined,
  logLastEventId: () => Promise<number>,
): Promise<StreamStart> {
  const runStart = task.runStartEventId - 1;
  if (cursor === undefined || cursor === 0) return { kind: "stream", afterId: runStart };
  const refused = cursorRefusal(task, cursor);
  if (refused === "compacted") {
    throw new AppError(
      "gone",
      `Event ${cursor} belongs to an older run of this task that was compacted away (events 1–${task.compacted?.throughEventId} were removed). Reconnect without Last-Event-ID to receive the current run from its start.`,
    );
  }
  if (refused === "lost") {
    throw new AppError(
      "conflict",
      `Event ${cursor} was lost from the task's log in a crash and its id was reused (the log was recovered up to event ${task.lostEvents?.after}). Reconnect without Last-Event-ID to receive the current run from its start.`,
    );
  }
  if (cursor > task.lastEventId) {
    // The snapshot of a running task lags the log by a moment: the log
    // decides. A finished snapshot is never ahead of its log (the log is
    // synced before it is written), so it is the end. Running or finished, a
    // cursor no event has is the same refusal, before anything is sent.
    const last = isFinished(task.status) ? task.lastEventId : await logLastEventId();
    if (cursor > last) {
      throw new AppError(
        "invalid_request",
        `Last-Event-ID ${cursor} is past the task's last event (${last}). If this client saw such events, they were lost in a crash: reconnect without Last-Event-ID to receive the current run from its start.`,
      );
    }
  }
  if (isFinished(task.status) && cursor >= task.lastEventId) return { kind: "finished" };
  return { kind: "stream", afterId: cursor < runStart ? runStart : cursor };
}

/**
 * Why the log can no longer serve `cursor`, if it cannot: its events were
 * compacted away with an older run (410), or lost in a crash and their ids
 * reused (409). The server refuses such a cursor; the browser, seeing the
 * same in the task, starts the run over.
 */
export function cursorRefusal(
  task: Pick<TaskJson, "compacted" | "lostEvents">,
  cursor: number,
): "compacted" | "lost" | null {
  if (cursor <= 0) return null;
  if (task.compacted && cursor <= task.compacted.throughEventId) return "compacted";
  const lost = task.lostEvents;
  return lost && cursor > lost.after && cursor <= lost.through ? "lost" : null;
}
