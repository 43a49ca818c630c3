import type { Logger } from "../log";
import type { TaskStore } from "../store/types";
import type { TaskEvent } from "../tasks/events";
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
  /** Counts open connections (metrics). */
  onOpen?: () => void;
  onClose?: () => void;
  /**
   * Asked on idle heartbeats: true when the task is finished and has no
   * events after `lastEventId`. Ends a stream whose task finished without a
   * `done` event in its log (its disk filled up), instead of waiting forever.
   */
  isSettled?: (lastEventId: number) => Promise<boolean>;
}

/**
 * A task's events as an SSE byte stream: a comment that flushes the headers,
 * `retry:` once, the `task` snapshot, every event after the cursor in order,
 * then live events, with a heartbeat comment while idle. The stream ends after
 * the `done` event. Closing it (the client went away) only unsubscribes: the
 * task goes on.
 */
export function createTaskEventStream(options: TaskStreamOptions): ReadableStream<Uint8Array> {
  const { store, taskId, logger } = options;
  let unsubscribe: (() => void) | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let closed = false;
  let cursor = options.afterId;
  let sent = 0;

  const cleanup = (reason: string) => {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    if (heartbeat) clearInterval(heartbeat);
    options.onClose?.();
    logger.info("stream.closed", { taskId, reason, lastEventId: cursor, sent });
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      options.onOpen?.();
      logger.info(options.afterId > 0 ? "stream.resumed" : "stream.opened", {
        taskId,
        from: options.afterId,
      });
      controller.enqueue(
        encodeText(
          encodeComment("fathom") + encodeRetry(options.retryMs) + encodeUnnumbered("task", options.snapshot),
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
          .isSettled?.(cursor)
          .then((settled) => {
            if (!settled || closed) return;
            cleanup("task settled");
            controller.close();
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
        const last = events[events.length - 1]!;
        cursor = last.id;
        sent += events.length;
        if (events.some((event) => event.type === "done")) {
          cleanup("done");
          controller.close();
        }
      };
      const onError = (error: unknown) => {
        if (closed) return;
        const message = error instanceof Error ? error.message : String(error);
        try {
          controller.enqueue(encodeText(encodeUnnumbered("error", { message })));
          controller.close();
        } catch {
          // Already closed by the client.
        }
        cleanup(`error: ${message}`);
      };
      unsubscribe = store.subscribe(taskId, options.afterId, onEvents, onError);
    },
    cancel() {
      cleanup("client disconnected");
    },
  });
}
