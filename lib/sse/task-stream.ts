import type { Logger } from "../log";
import type { TaskEvent } from "../model/events";
import type { TaskStore } from "../store/types";
import { encodeBatch, encodeComment, encodeRetry, encodeText, encodeUnnumbered } from "./encode";

export interface TaskStreamOptions {
  store: TaskStore;
  taskId: string;
  /** Send events with id > afterId. */
  afterId: number;
  /** The unnumbered `task` snapshot sent first. */
  snapshot: unknown;
  heartbeatMs: number;
  retryMs: number;
  logger: Logger;
  /** The request's signal: a disconnect noticed by the server ends the stream too. */
  signal?: AbortSignal;
  /** Counts open connections (metrics). */
  onOpen?: () => void;
  onClose?: () => void;
  /**
   * Asked on idle heartbeats. "settled": the task is finished and nothing is
   * left after `lastEventId` (it finished without a `done` event in its log,
   * e.g. its disk filled up); "gone": it was deleted. Either ends the stream
   * instead of waiting forever.
   */
  checkSettled?: (lastEventId: number) => Promise<"settled" | "gone" | "running">;
  /** Bytes a slow client may have queued before it is dropped (it reconnects from its cursor). */
  maxQueuedBytes?: number;
}

const DEFAULT_MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/**
 * A task's events as an SSE byte stream: a comment that flushes the headers,
 * `retry:` once, the `task` snapshot, every event after the cursor in order,
 * then live events, with a heartbeat comment while idle. The stream ends after
 * the `done` event. Closing it (the client went away) only unsubscribes: the
 * task goes on.
 */
export function createTaskEventStream(options: TaskStreamOptions): ReadableStream<Uint8Array> {
  const { store, taskId, logger } = options;
  const maxQueued = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
  let unsubscribe: (() => void) | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let closed = false;
  let cursor = options.afterId;
  let sent = 0;
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | null = null;

  const cleanup = (reason: string) => {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    if (heartbeat) clearInterval(heartbeat);
    options.signal?.removeEventListener("abort", onAbort);
    options.onClose?.();
    logger.info("stream.closed", { taskId, reason, lastEventId: cursor, sent });
  };
  const close = (reason: string, finalFrame?: string) => {
    if (closed) return;
    cleanup(reason);
    try {
      if (finalFrame) controllerRef?.enqueue(encodeText(finalFrame));
      controllerRef?.close();
    } catch {
      // The client is already gone.
    }
  };
  const onAbort = () => cleanup("client disconnected");

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controllerRef = controller;
        options.onOpen?.();
        options.signal?.addEventListener("abort", onAbort, { once: true });
        logger.info(options.afterId > 0 ? "stream.resumed" : "stream.opened", {
          taskId,
          from: options.afterId,
        });
        controller.enqueue(
          encodeText(
            encodeComment("fathom") +
              encodeRetry(options.retryMs) +
              encodeUnnumbered("task", options.snapshot),
          ),
        );
        heartbeat = setInterval(() => {
          try {
            controller.enqueue(encodeText(encodeComment("ping")));
          } catch {
            // The stream was closed under us; cancel() does the cleanup.
            cleanup("write after close");
            return;
          }
          options
            .checkSettled?.(cursor)
            .then((state) => {
              if (state === "settled") close("task settled");
              else if (state === "gone")
                close("task gone", encodeUnnumbered("error", { message: "The task was deleted." }));
            })
            .catch((error: unknown) =>
              logger.warn("stream.settle_check_failed", { taskId, error: String(error) }),
            );
        }, options.heartbeatMs);
        heartbeat.unref?.();
        const onEvents = (events: TaskEvent[]) => {
          if (closed) return;
          try {
            controller.enqueue(encodeBatch(events));
          } catch {
            // Enqueue throws only when the consumer is gone.
            cleanup("client gone");
            return;
          }
          cursor = events[events.length - 1]!.id;
          sent += events.length;
          if (events.some((event) => event.type === "done")) {
            close("done");
          } else if ((controller.desiredSize ?? 0) < -maxQueued) {
            // A client that reads slower than the task writes: drop it rather
            // than buffer without bound; it resumes from its cursor.
            close("client too slow");
          }
        };
        const onError = (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          close(`error: ${message}`, encodeUnnumbered("error", { message }));
        };
        const stop = store.subscribe(taskId, options.afterId, onEvents, onError);
        // Buffered events can be delivered (and end the stream) inside subscribe().
        if (closed) stop();
        else unsubscribe = stop;
      },
      cancel() {
        cleanup("client disconnected");
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
  );
}
