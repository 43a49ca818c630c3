import { once } from "node:events";
import type { Writable } from "node:stream";
import { backoffDelay } from "../lib/backoff";
import { ApiError } from "../lib/client/api-error";
import type { FathomClient } from "../lib/client/fathom-client";
import type { TaskStatus } from "../lib/model/task-json";
import { sleep } from "../lib/sleep";
import { EXIT, type ExitCode } from "./exit-codes";
import type { ProgressReporter } from "./progress-reporter";

/** Seconds with one decimal, for "retrying in 2.3 s". */
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Calls `call` until it answers, while the server is unreachable or answers
 * 5xx/429 (it may be starting or restarting), for at most `waitMs` from the
 * first try; then the last `ApiError` is thrown. Every call it retries is
 * idempotent (a research request is deduplicated by its fingerprint).
 */
export async function untilReachable<T>(
  call: () => Promise<T>,
  options: { waitMs: number; signal: AbortSignal; reporter: ProgressReporter },
): Promise<T> {
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ApiError) || !error.retryable) throw error;
      const elapsed = performance.now() - started;
      if (elapsed >= options.waitMs) throw error;
      const delay = Math.min(
        options.waitMs - elapsed,
        Math.max(backoffDelay(attempt, { baseMs: 500, maxMs: 5000 }), (error.retryAfterSeconds ?? 0) * 1000),
      );
      options.reporter.notice(`${error.message} Retrying in ${seconds(delay)}.`);
      await sleep(delay, options.signal);
    }
  }
}

/** Writes to stdout and waits while its buffer is full, so a slow reader never makes the report pile up in memory. */
async function write(stdout: Writable, text: string, signal: AbortSignal): Promise<void> {
  if (!stdout.write(text)) await once(stdout, "drain", { signal });
}

/**
 * Streams a task's report to stdout and its progress to the reporter until
 * the task ends (lib/client resumes after drops and restarts, and yields no
 * event twice, so stdout is exactly `result.report`). Resolves to the exit
 * code; an abort of `signal` (Ctrl-C) rejects with its reason.
 */
export async function followTask(
  client: FathomClient,
  taskId: string,
  options: {
    stdout: Writable & { isTTY?: boolean };
    reporter: ProgressReporter;
    signal: AbortSignal;
    waitServerMs: number;
  },
): Promise<ExitCode> {
  const { reporter, stdout } = options;
  let final: { status: TaskStatus; error?: string } | null = null;
  let atLineStart = true;
  for await (const item of client.stream(taskId, {
    signal: options.signal,
    giveUpAfterMs: options.waitServerMs,
    onConnection: (state) => {
      if (state.kind === "retrying") {
        reporter.notice(`Connection lost (${state.error.message}) Resuming in ${seconds(state.delayMs)}.`);
      } else if (state.lastEventId !== null) {
        reporter.notice(`Resumed after event ${state.lastEventId}.`);
      }
    },
  })) {
    switch (item.type) {
      case "task":
        reporter.update({ status: item.data.status, percentage: item.data.progress });
        break;
      case "progress":
        reporter.update({
          percentage: item.data.percentage,
          step: item.data.step,
          message: item.data.message,
        });
        break;
      case "status":
        reporter.update({ status: item.data.status, message: item.data.message });
        break;
      case "source":
        break;
      case "output": {
        // A terminal shared by stdout and stderr: the bar steps aside while the report is written.
        const shared = stdout.isTTY === true && reporter.tty;
        if (shared) reporter.clear();
        await write(stdout, item.data.text, options.signal);
        if (item.data.text.length > 0) atLineStart = item.data.text.endsWith("\n");
        if (shared && atLineStart) reporter.redraw();
        break;
      }
      case "done":
        final = { status: item.data.status, error: item.data.error };
        reporter.update({
          status: item.data.status,
          percentage: item.data.status === "completed" ? 100 : undefined,
        });
        break;
    }
  }
  // Ended without `done`: a 204 (everything was seen already). The task's state says how it ended.
  if (!final) {
    const task = await untilReachable(() => client.getTask(taskId, { signal: options.signal }), {
      waitMs: options.waitServerMs,
      signal: options.signal,
      reporter,
    });
    final = { status: task.status, error: task.error?.message };
  }
  reporter.clear();
  if (final.status === "completed") return EXIT.ok;
  reporter.important(
    final.status === "failed"
      ? `Research failed${final.error ? `: ${final.error}` : "."}`
      : `Research ${final.status}.`,
  );
  return EXIT.failed;
}
