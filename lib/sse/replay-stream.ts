import type { Logger } from "../log";
import { encodeComment, encodeRetry, encodeText, encodeUnnumbered } from "./encode";
import type { EncodedRun } from "./replay-cache";

/** Bytes queued per step: a socket's worth, so the first frames never wait behind a whole run. */
const SLICE_BYTES = 256 * 1024;

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
 * The frames are slices of the cached bytes (no copy), queued as the
 * response takes them: pieces of up to `SLICE_BYTES`, so the first event of a
 * long run leaves at once instead of after megabytes (a resume in the middle
 * of 100,000 events costs what one at event 50 does), while a short run is
 * one piece (every step of a web stream costs promises, and a reconnect storm
 * multiplies them by a thousand clients). No heartbeat: the stream holds all
 * it will ever send from the start.
 */
export function createReplayStream(options: ReplayStreamOptions): ReadableStream<Uint8Array> {
  const { run, logger } = options;
  const taskId = run.key.taskId;
  const frames = options.run.framesAfter(options.afterId);
  let offset = 0;
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
        if (offset < frames.byteLength) {
          const end = Math.min(frames.byteLength, offset + SLICE_BYTES);
          controller.enqueue(frames.subarray(offset, end));
          offset = end;
          if (offset < frames.byteLength) return;
        }
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
