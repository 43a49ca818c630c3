import type { TaskEvent } from "../model/events";
import type { TaskStore } from "../store/types";

/** Options of `followTask`. */
export interface FollowTaskOptions {
  store: TaskStore;
  taskId: string;
  /** Deliver events with id > afterId. */
  afterId: number;
  /**
   * Gets each batch in log order; the next batch waits until it resolves, so
   * a consumer that writes to a slow client applies back-pressure to itself
   * rather than queueing without bound.
   */
  onEvents: (events: TaskEvent[]) => Promise<void>;
  /**
   * Asked every `settleCheckMs` while no `done` event arrived: "settled" when
   * the task is finished and nothing is left after `lastEventId` (it ended
   * without a `done` in its log, e.g. its disk filled up), "gone" when it was
   * deleted. Either ends the follow, as for the SSE stream.
   */
  checkSettled: (lastEventId: number) => Promise<"settled" | "gone" | "running">;
  settleCheckMs: number;
  /** Aborting ends the follow (the client went away): the task goes on. */
  signal?: AbortSignal;
}

/** Why a follow ended, and the last event id it delivered. */
export interface FollowEnd {
  reason: "done" | "settled" | "gone" | "aborted";
  lastEventId: number;
}

/**
 * Follows a task's log from a cursor until its `done` event (or until it is
 * found settled or deleted, or the signal aborts), handing every event after
 * the cursor to `onEvents` exactly once, in order — the store's `subscribe`
 * guarantee, whichever process writes the log (docs/ARCHITECTURE.md, "Wire
 * format"). The same follower serves a client on the owning process, on
 * another process and after a restart. A store error rejects.
 */
export function followTask(options: FollowTaskOptions): Promise<FollowEnd> {
  const { store, taskId, signal } = options;
  return new Promise<FollowEnd>((resolve, reject) => {
    let cursor = options.afterId;
    let ended = false;
    let unsubscribe: (() => void) | null = null;
    let timer: NodeJS.Timeout | null = null;
    // Batches are handed over one at a time: `chain` is the delivery in flight.
    let chain: Promise<void> = Promise.resolve();

    const end = (outcome: FollowEnd | { error: unknown }) => {
      if (ended) return;
      ended = true;
      unsubscribe?.();
      if (timer) clearInterval(timer);
      signal?.removeEventListener("abort", onAbort);
      if ("error" in outcome) reject(outcome.error);
      else resolve(outcome);
    };
    const onAbort = () => end({ reason: "aborted", lastEventId: cursor });

    if (signal?.aborted) {
      end({ reason: "aborted", lastEventId: cursor });
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });

    const deliver = (events: TaskEvent[]) => {
      chain = chain.then(async () => {
        if (ended) return;
        const fresh = events.filter((event) => event.id > cursor);
        if (fresh.length === 0) return;
        await options.onEvents(fresh);
        cursor = fresh[fresh.length - 1]!.id;
        if (fresh.some((event) => event.type === "done")) end({ reason: "done", lastEventId: cursor });
      });
      chain.catch((error: unknown) => end({ error }));
    };

    timer = setInterval(() => {
      // Only once every delivered batch was handed over: `cursor` is then what the client has.
      chain = chain.then(async () => {
        if (ended) return;
        const state = await options.checkSettled(cursor);
        if (state === "settled") end({ reason: "settled", lastEventId: cursor });
        else if (state === "gone") end({ reason: "gone", lastEventId: cursor });
      });
      chain.catch((error: unknown) => end({ error }));
    }, options.settleCheckMs);
    timer.unref?.();

    const stop = store.subscribe(taskId, options.afterId, deliver, (error) => end({ error }));
    if (ended) stop();
    else unsubscribe = stop;
  });
}
