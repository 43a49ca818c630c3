import type { Logger } from "../log";
import { encodeComment, encodeRetry, encodeText, encodeUnnumbered } from "./encode";
import type { EncodedRun } from "./replay-cache";

export interface ReplayStreamOptions {
  run: EncodedRun;
  /** Send the frames of events with id > afterId. */
  afterId: number;
  /** The unnumbered `task` snapshot sent first. */
  snapshot: unknown;
  retryMs: number;
  logger: Logger;
  /** Counts open connections (metrics). */
  onOpen?: () => void;
  onClose?: () => void;
}

/**
 * A finished run from memory, on the same wire as the live stream: a comment
 * that flushes the headers, `retry:` once, the `task` snapshot (no id), the
 * frames after the cursor, then the end (the run's last frame is `done`).
 *
 * The frames are one slice of the cached bytes (no copy), queued once the
 * response has taken the snapshot: every step of a web stream costs
 * promises, and a reconnect storm multiplies them by a thousand clients. The
 * socket takes the slice at its own pace (the response waits for `drain`).
 * No heartbeat: the stream holds all it will ever send from the start.
 */
export function createReplayStream(options: ReplayStreamOptions): ReadableStream<Uint8Array> {
  const { run, logger } = options;
  const taskId = run.key.taskId;
  const frames = options.run.framesAfter(options.afterId);
  let closed = false;

  const finish = (reason: string) => {
    if (closed) return;
    closed = true;
    options.onClose?.();
    logger.info("stream.closed", {
      taskId,
      reason,
      lastEventId: reason === "done" ? run.key.lastEventId : null,
      replayed: true,
    });
  };

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        options.onOpen?.();
        logger.info(options.afterId > 0 ? "stream.resumed" : "stream.opened", {
          taskId,
          from: options.afterId,
          replayed: true,
        });
        controller.enqueue(
          encodeText(
            encodeComment("fathom") +
              encodeRetry(options.retryMs) +
              encodeUnnumbered("task", options.snapshot),
          ),
        );
      },
      pull(controller) {
        if (closed) return;
        if (frames.byteLength > 0) controller.enqueue(frames);
        controller.close();
        finish("done");
      },
      cancel() {
        finish("client disconnected");
      },
    },
    // The frames are queued when the response has taken the snapshot, not before.
    { highWaterMark: 1 },
  );
}
