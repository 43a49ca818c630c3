import { nanoid } from "nanoid";
import { backoffDelay } from "../backoff";
import { AppError, errorMessage, isAppError } from "../errors";
import type { Logger } from "../log";
import type { NewRecord, TaskEvent } from "../model/events";
import { assertTransition } from "../model/lifecycle";
import { replayEvents } from "../model/replay";
import { reportFromEvents } from "../model/report";
import { isIndexRequest, type TaskRequest } from "../model/request";
import { type AttemptJson, persistedTask, type TaskJson, type TaskStatus } from "../model/task-json";
import { endAttempt, endRunningAttempts, settle } from "../model/transitions";
import { addUsage, costOf, type ModelPrices, priceOf, type UsageEntry, usageTotals } from "../model/usage";
import { createRedactor, type Redact } from "../redact";
import type {
  ParentResearch,
  ProgressUpdate,
  ResearchContext,
  ResearchResult,
  SourceRef,
  TaskEngine,
} from "../research/types";
import type { AcquiredLease, ControlAction, TaskStore } from "../store/types";

/** Options of `TaskRunner` (the manager fills them from the configuration). */
export interface RunnerOptions {
  store: TaskStore;
  engine: TaskEngine;
  logger: Logger;
  /** Lease renewal interval, in ms (LEASE_RENEW_MS). */
  renewMs: number;
  /** How often controls left by other processes are read, in ms (FOLLOW_POLL_MS). */
  controlPollMs: number;
  /** Retries of a step after a transient provider error (STEP_MAX_RETRIES). */
  stepMaxRetries: number;
  /** Pause between streamed report chunks, in ms (OUTPUT_CHUNK_DELAY_MS). */
  outputDelayMs: number;
  /** Prices of models, per million tokens (MODEL_PRICES). Default: none (usage without cost). */
  prices?: ModelPrices;
  /**
   * Removes secrets from error text before it is stored in the task
   * (`error.message`, `attempts[].error`) or streamed (`status`, `done`):
   * a provider may echo the key it was sent. Default: credential shapes only.
   */
  redact?: Redact;
  /** Wall clock for timestamps shown to people (never used for liveness). */
  now: () => Date;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Ids of attempts. Default: 12-character nanoids. */
  generateId?: () => string;
  /** Uniform random numbers in [0, 1) for the retry backoff's jitter. Default `Math.random`. */
  random?: () => number;
  /** Called whenever the in-memory task changes (list feeds, metrics). */
  onChange?: (task: TaskJson) => void;
  /**
   * Called once a completed, failed or cancelled ending is saved, before
   * the task leaves the store's active set (webhook deliveries are created
   * here). When it throws, the task stays active, and the scan of any
   * process that finds it finished calls it again: it must be idempotent.
   */
  onFinished?: (task: TaskJson) => Promise<void>;
  onRetry?: () => void;
  onAppend?: (events: number) => void;
  /** Called for every model call the engine reports, with its cost (undefined without a price). */
  onUsage?: (entry: UsageEntry, costUsd: number | undefined) => void;
}

/** How a run ended, from the runner's point of view. */
export type RunOutcome = "completed" | "failed" | "cancelled" | "paused" | "lost" | "stopped" | "deleted";

const SAVE_EVERY_MS = 500;

const defaultRedact = createRedactor();

/**
 * (Over 400 lines on purpose: one attempt's whole life — restore, run, renew,
 * controls, the end in each of its ways — reads best in one place; the rules
 * it applies live elsewhere: transitions in lib/model/transitions.ts, the
 * report in lib/model/report.ts, the backoff in lib/backoff.ts.)
 *
 * Runs one attempt of one task while holding its lease: restores the
 * recorded steps, runs the engine, appends its events and checkpoints,
 * renews the lease, applies controls, and writes the final state.
 */
export class TaskRunner {
  readonly #options: RunnerOptions;
  readonly #lease: AcquiredLease;
  readonly #logger: Logger;
  #task: TaskJson;
  readonly #abort = new AbortController();
  #stopReason: RunOutcome | null = null;
  #lastSave = 0;
  #saving: Promise<void> = Promise.resolve();
  #attempt: AttemptJson | null = null;
  /** The log lost the event that started the current run: #begin's status event starts it. */
  #restartsRun = false;
  /** The engine's run returned or threw: what is left is this runner's own ending. */
  #engineDone = false;
  /** `usage.calls` as the last `progress` event of this attempt carried it (-1: none yet). */
  #announcedCalls = -1;

  constructor(task: TaskJson, lease: AcquiredLease, options: RunnerOptions) {
    this.#task = task;
    this.#lease = lease;
    this.#options = options;
    this.#logger = options.logger.child({ taskId: task.id, ownerId: lease.ownerId, epoch: lease.epoch });
  }

  get task(): TaskJson {
    return this.#task;
  }

  /** Asks the run to stop: cancel/pause/delete end the task that way; `stopped` hands it back (shutdown). */
  stop(reason: Exclude<RunOutcome, "completed" | "failed" | "lost">): void {
    if (this.#stopReason) return;
    this.#stopReason = reason;
    this.#abort.abort(new AppError("conflict", `Task ${reason}.`));
  }

  /** Marks the finish-now request; the engine stops searching at its next check. */
  requestFinish(): void {
    this.#task.finishRequested = true;
    this.#changed(true);
  }

  async run(kind: AttemptJson["kind"]): Promise<RunOutcome> {
    const { store } = this.#options;
    const renewTimer = setInterval(() => void this.#renew(), this.#options.renewMs);
    const controlTimer = setInterval(() => void this.#pollControls(), this.#options.controlPollMs);
    try {
      const log = await store.readLog(this.#task.id);
      this.#reconcileWithLog(log.lastEventId);
      const lastEvent = log.events.at(-1);
      const ended =
        lastEvent?.type === "done" || (lastEvent?.type === "status" && lastEvent.data.status === "paused");
      if (lastEvent && ended && lastEvent.id >= this.#task.runStartEventId) {
        // The previous owner finished (or paused) but died before saving the
        // state: bring the snapshot up to date, run nothing.
        return await this.#settleFromLog(log.events);
      }
      const checkpoints = new Map<string, unknown>();
      for (const checkpoint of log.checkpoints) {
        if (checkpoint.run === this.#task.checkpointRun) checkpoints.set(checkpoint.key, checkpoint.result);
      }
      const reportSoFar = reportFromEvents(log.events, this.#task.runStartEventId);
      await this.#begin(kind, log.lastEventId);
      const result = await this.#options.engine.run(this.#context(checkpoints, reportSoFar)).finally(() => {
        this.#engineDone = true;
      });
      return await this.#complete(result, reportSoFar);
    } catch (error) {
      this.#engineDone = true;
      return await this.#end(error);
    } finally {
      clearInterval(renewTimer);
      clearInterval(controlTimer);
    }
  }

  /**
   * After a power loss the snapshot (fsynced) can be ahead of the log (whose
   * appends are not, under DURABILITY=none). The log is the truth: the run
   * continues from its last event, and the store numbers the next event right
   * after it. Ids between the two were seen by clients but now name other
   * events, so they are recorded (`lostEvents`) and cursors there refused.
   */
  #reconcileWithLog(logLastEventId: number): void {
    const task = this.#task;
    if (task.lastEventId <= logLastEventId) return;
    this.#logger.warn("task.log_behind_snapshot", {
      snapshotLastEventId: task.lastEventId,
      logLastEventId,
    });
    const previous = task.lostEvents;
    task.lostEvents = {
      after: Math.min(logLastEventId, previous?.after ?? logLastEventId),
      through: Math.max(task.lastEventId, previous?.through ?? 0),
    };
    task.lastEventId = logLastEventId;
    if (task.runStartEventId > logLastEventId) {
      // The event that started this run was lost too: the status event this
      // attempt appends next starts it again (it carries the run's numbers).
      task.runStartEventId = logLastEventId + 1;
      this.#restartsRun = true;
    }
  }

  async #settleFromLog(events: TaskEvent[]): Promise<RunOutcome> {
    const settled = replayEvents(this.#task, events);
    const now = this.#options.now().toISOString();
    const finished =
      settled.status === "completed" || settled.status === "failed" || settled.status === "cancelled";
    endRunningAttempts(
      settled,
      settled.status === "completed" || settled.status === "failed" || settled.status === "cancelled"
        ? settled.status
        : "interrupted",
      now,
    );
    if (finished) settled.finishedAt ??= now;
    this.#task = settled;
    await this.#save();
    if (finished && (await this.#announceEnd(settled)))
      await this.#options.store.setActive(settled.id, false);
    this.#logger.info("task.settled_from_log", { status: settled.status });
    if (settled.status === "completed" || settled.status === "failed" || settled.status === "cancelled") {
      return settled.status;
    }
    return settled.status === "paused" ? "paused" : "stopped";
  }

  async #begin(kind: AttemptJson["kind"], lastEventId: number): Promise<void> {
    const now = this.#options.now().toISOString();
    const task = this.#task;
    if (task.status !== "running") assertTransition(task.status, "running");
    // Any attempt still marked running ended when its owner vanished.
    endRunningAttempts(task, "interrupted", now);
    this.#attempt = {
      id: (this.#options.generateId ?? (() => nanoid(12)))(),
      kind,
      ownerId: this.#lease.ownerId,
      epoch: this.#lease.epoch,
      startedAt: now,
      endedAt: null,
      durationMs: null,
      outcome: "running",
      error: null,
    };
    task.attempts.push(this.#attempt);
    task.status = "running";
    task.startedAt ??= now;
    task.lastEventId = Math.max(task.lastEventId, lastEventId);
    task.error = null;
    const message =
      kind === "takeover"
        ? "The task was taken over by another server and continues from its last step."
        : kind === "resume"
          ? "The task resumed from its last completed step."
          : "Research started.";
    const run = this.#restartsRun ? { run: task.run, checkpointRun: task.checkpointRun } : {};
    await this.#append([
      { event: { type: "status", data: { status: "running", attempt: kind, message, ...run } } },
    ]);
    if (this.#restartsRun && task.runStartEventId !== task.lastEventId) {
      throw new AppError("internal", "The run's first event did not get the id after the log's last event.");
    }
    await this.#save();
    this.#logger.info(kind === "takeover" ? "task.takeover" : "task.run_started", { attempt: kind });
  }

  #context(checkpoints: Map<string, unknown>, reportSoFar: string): ResearchContext<TaskRequest> {
    const task = this.#task;
    const parentId = isIndexRequest(task.request) ? undefined : task.request.parent;
    return {
      request: task.request,
      signal: this.#abort.signal,
      reportSoFar,
      step: async <T>(key: string, run: () => Promise<T>): Promise<T> => {
        if (checkpoints.has(key)) return checkpoints.get(key) as T;
        const result = await this.#withRetries(key, run);
        await this.#append([{ checkpoint: { run: task.checkpointRun, key, result } }]);
        checkpoints.set(key, result);
        this.#logger.debug("task.step_done", { step: key });
        return result;
      },
      progress: async (update: ProgressUpdate) => {
        task.progress = Math.max(0, Math.min(100, Math.round(update.percentage)));
        task.step = update.step;
        task.message = update.message;
        // The task's usage totals ride along when they changed, so a watching page counts live.
        const usage =
          task.usage && task.usage.calls !== this.#announcedCalls ? usageTotals(task.usage) : null;
        if (usage) this.#announcedCalls = usage.calls;
        await this.#append([
          {
            event: {
              type: "progress",
              data: {
                step: update.step,
                percentage: task.progress,
                message: update.message,
                detail: update.detail,
                ...(usage && { usage }),
              },
            },
          },
        ]);
        this.#changed(false);
      },
      source: async (source: SourceRef) => {
        await this.#append([{ event: { type: "source", data: { ...source } } }]);
      },
      output: async (text: string) => {
        if (text.length === 0) return;
        await this.#append([{ event: { type: "output", data: { text } } }]);
        if (this.#options.outputDelayMs > 0)
          await this.#options.sleep(this.#options.outputDelayMs, this.#abort.signal);
      },
      finishRequested: () => task.finishRequested,
      usage: (entry: UsageEntry) => this.#addUsage(entry),
      ...(task.previousRun ? { previous: task.previousRun } : {}),
      ...(parentId !== undefined ? { loadParent: () => this.#loadParent(parentId) } : {}),
    };
  }

  /** A follow-up's parent as it is now: its question, learnings and cited sources. */
  async #loadParent(id: string): Promise<ParentResearch> {
    const parent = await this.#options.store.getTask(id);
    if (!parent || isIndexRequest(parent.request))
      throw new AppError("not_found", `The task this follows up (${id}) no longer exists.`);
    if (!parent.result)
      throw new AppError(
        "conflict",
        `The task this follows up (${id}) is ${parent.status}, without a report.`,
      );
    return {
      id,
      query: parent.request.query,
      learnings: parent.result.learnings,
      sources: parent.result.sources,
    };
  }

  /**
   * Adds a model call to the task and to this attempt, and saves the
   * snapshot before returning: the engine reports a call before its step's
   * checkpoint is appended, so the usage of every recorded step survives a
   * restart or takeover (the next owner reads this snapshot).
   */
  async #addUsage(entry: UsageEntry): Promise<void> {
    const costUsd = costOf(entry, priceOf(this.#options.prices ?? {}, entry.provider, entry.model));
    const task = this.#task;
    task.usage = addUsage(task.usage, entry, costUsd);
    // By id: the run's end replaces the task (and its attempts) with a settled copy.
    const attempt = task.attempts.find((candidate) => candidate.id === this.#attempt?.id);
    if (attempt) attempt.usage = addUsage(attempt.usage, entry, costUsd);
    this.#options.onUsage?.(entry, costUsd);
    // A call that ends after the engine gave up (a parallel step of a failed
    // run) is kept by the final save if it is still to come; saving here could
    // only race it, or write after the lease was handed back.
    if (this.#engineDone) return;
    this.#changed(true);
    await this.#saving;
  }

  async #withRetries<T>(key: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        const retryable = isAppError(error) && error.retryable && !this.#abort.signal.aborted;
        if (!retryable || attempt >= this.#options.stepMaxRetries) throw error;
        const delay = backoffDelay(attempt, { random: this.#options.random });
        this.#logger.warn("task.step_retry", { step: key, attempt: attempt + 1, error: errorMessage(error) });
        this.#options.onRetry?.();
        await this.#options.sleep(delay, this.#abort.signal);
      }
    }
  }

  async #append(records: NewRecord[]): Promise<void> {
    if (this.#abort.signal.aborted && this.#stopReason === "lost") throw this.#abort.signal.reason;
    const events = await this.#options.store.append(this.#lease, records);
    const last = events.at(-1);
    if (last) this.#task.lastEventId = last.id;
    this.#options.onAppend?.(events.length);
  }

  /** Notes a change; saves the snapshot now or at most every SAVE_EVERY_MS. */
  #changed(important: boolean): void {
    this.#task.updatedAt = this.#options.now().toISOString();
    this.#options.onChange?.(this.#task);
    const now = performance.now();
    if (important || now - this.#lastSave >= SAVE_EVERY_MS) {
      this.#lastSave = now;
      this.#saving = this.#saving.then(() => this.#save()).catch((error) => this.#onWriteError(error));
    }
  }

  async #save(): Promise<void> {
    this.#task.updatedAt = this.#options.now().toISOString();
    await this.#options.store.saveTask(this.#lease, persistedTask(this.#task));
    this.#options.onChange?.(this.#task);
  }

  #onWriteError(error: unknown): void {
    if (isAppError(error) && error.code === "lease_lost") this.#lose(error);
    else this.#logger.error("task.save_failed", { error: errorMessage(error) });
  }

  #lose(error: unknown): void {
    if (this.#stopReason === "lost") return;
    this.#logger.warn("task.lease_lost", { error: errorMessage(error) });
    this.#stopReason = "lost";
    this.#abort.abort(error);
  }

  async #renew(): Promise<void> {
    try {
      await this.#options.store.renewLease(this.#lease);
    } catch (error) {
      if (isAppError(error) && error.code === "lease_lost") this.#lose(error);
      // Anything else (a slow or failing disk, Redis away) is retried at the
      // next tick; if renewals keep failing the store fences the lease itself.
      else this.#logger.warn("task.renew_failed", { error: errorMessage(error) });
    }
  }

  async #pollControls(): Promise<void> {
    let actions: ControlAction[];
    try {
      actions = await this.#options.store.takeControls(this.#task.id);
    } catch (error) {
      this.#logger.warn("task.controls_unreadable", { error: errorMessage(error) });
      return;
    }
    for (const action of actions) {
      if (action === "finish") this.requestFinish();
      else if (action === "cancel") this.stop("cancelled");
      else if (action === "pause") this.stop("paused");
      else if (action === "delete") this.stop("deleted");
    }
  }

  async #complete(result: ResearchResult, reportSoFar: string): Promise<RunOutcome> {
    const log = await this.#options.store.readLog(this.#task.id);
    const report = reportFromEvents(log.events, this.#task.runStartEventId);
    if (report !== result.report) {
      // The streamed text is what clients saw; it is the report (docs/ARCHITECTURE.md, "Wire format").
      this.#logger.error("task.report_mismatch", {
        streamed: report.length,
        returned: result.report.length,
        reportSoFar: reportSoFar.length,
      });
    }
    const sources = result.sources.map((source) => ({ ...source }));
    return this.#finish("completed", null, {
      report,
      sources,
      learnings: result.learnings,
      ...(result.whatsNew ? { whatsNew: result.whatsNew } : {}),
    });
  }

  async #end(error: unknown): Promise<RunOutcome> {
    const reason = this.#stopReason;
    if (reason === "lost") return "lost";
    if (isAppError(error) && error.code === "lease_lost") {
      this.#lose(error);
      return "lost";
    }
    if (reason === "deleted") {
      await this.#saving.catch(() => undefined);
      return "deleted";
    }
    if (reason === "stopped") {
      this.#endAttempt("interrupted", null);
      await this.#trySave();
      return "stopped";
    }
    if (reason === "cancelled" || reason === "paused") {
      return this.#finish(reason, null, reason === "cancelled" ? await this.#partialResult() : null);
    }
    const message = this.#redact(errorMessage(error));
    this.#logger.error("task.failed", { error: message });
    // After a storage failure the snapshot must stay small to fit what space is
    // left; the text written so far is in the log either way.
    const storageFailed = isAppError(error) && error.code === "storage_error";
    return this.#finish(
      "failed",
      { code: isAppError(error) ? error.code : "internal", message },
      storageFailed ? null : await this.#partialResult(),
    );
  }

  /** `onFinished` for a saved ending; false (the task stays active for a scan to retry) when it failed. */
  async #announceEnd(task: TaskJson): Promise<boolean> {
    try {
      await this.#options.onFinished?.(task);
      return true;
    } catch (error) {
      this.#logger.warn("task.end_not_announced", { error: errorMessage(error) });
      return false;
    }
  }

  /** What a cancelled or failed task keeps: the report text streamed so far, if any. */
  async #partialResult(): Promise<TaskJson["result"]> {
    try {
      const log = await this.#options.store.readLog(this.#task.id);
      const report = reportFromEvents(log.events, this.#task.runStartEventId);
      return report ? { report, sources: [], learnings: [] } : null;
    } catch (error) {
      this.#logger.warn("task.partial_result_unreadable", { error: errorMessage(error) });
      return null;
    }
  }

  #endAttempt(outcome: AttemptJson["outcome"], error: string | null): void {
    const attempt = this.#attempt;
    if (!attempt) return;
    endAttempt(
      attempt,
      outcome,
      this.#options.now().toISOString(),
      error === null ? null : this.#redact(error),
    );
  }

  /** Every error text the task stores or streams passes through here. */
  #redact(text: string): string {
    return (this.#options.redact ?? defaultRedact)(text);
  }

  async #trySave(): Promise<void> {
    try {
      await this.#saving;
      await this.#save();
    } catch (error) {
      this.#onWriteError(error);
    }
  }

  async #finish(
    status: Extract<TaskStatus, "completed" | "failed" | "cancelled" | "paused">,
    error: TaskJson["error"],
    result: TaskJson["result"],
  ): Promise<RunOutcome> {
    // Whatever the caller passed, no secret reaches the state file or the stream.
    const redacted = error ? { ...error, message: this.#redact(error.message) } : null;
    const change = settle(this.#task, {
      status,
      now: this.#options.now().toISOString(),
      error: redacted,
      result,
    });
    this.#task = change.task;
    const task = change.task;
    try {
      const records = change.records;
      await this.#saving;
      // This process shows the final status before clients see `done`.
      this.#options.onChange?.(task);
      await this.#append(records);
      await this.#save();
      if (status !== "paused" && (await this.#announceEnd(task))) {
        await this.#options.store.setActive(task.id, false);
      }
      this.#logger.info(`task.${status}`, { attempts: task.attempts.length });
    } catch (writeError) {
      if (isAppError(writeError) && writeError.code === "lease_lost") {
        this.#lose(writeError);
        return "lost";
      }
      // The log could not take the final events (a full disk): the state
      // snapshot is small and may still fit; the events already written stay readable.
      this.#logger.error("task.finish_write_failed", { error: errorMessage(writeError) });
      await this.#save().catch((saveError) =>
        this.#logger.error("task.final_state_unsaved", { error: errorMessage(saveError) }),
      );
    }
    return status;
  }
}
