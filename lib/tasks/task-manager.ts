import { nanoid } from "nanoid";
import type { Config } from "../config";
import { AppError, errorMessage, isAppError } from "../errors";
import type { Logger } from "../log";
import { fingerprint } from "../model/fingerprint";
import { reportFromEvents } from "../model/report";
import { normalizeRequest, type ResearchRequestBody } from "../model/request";
import { type AttemptJson, isFinished, newTaskJson, type TaskJson } from "../model/task-json";
import { afterAppend, assertControl, type ControlAction, control, requeue } from "../model/transitions";
import { redactorFor } from "../redact";
import type { ResearchEngine } from "../research/types";
import { sleep } from "../sleep";
import type { AcquiredLease, TaskStore } from "../store/types";
import { BatchedLookup } from "./batched-lookup";
import { planCompaction } from "./compaction";
import { TaskIndex } from "./task-index";
import { type RunOutcome, TaskRunner } from "./task-runner";

export interface TaskManagerOptions {
  config: Config;
  store: TaskStore;
  engine: ResearchEngine;
  logger: Logger;
  /** Throws a `provider_not_configured` AppError when a request needs what the server lacks. */
  checkProviders?: (request: TaskJson["request"]) => void;
  ownerId?: string;
  now?: () => Date;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface SubmitResult {
  task: TaskJson;
  created: boolean;
}

/** Options of `TaskManager.submit`. */
export interface SubmitOptions {
  /**
   * Called just before the submission creates a task or starts a new run of
   * one (never when it joins an existing task); throws to refuse it (a rate
   * limit, a full queue, a storage budget). Nothing has been written then.
   */
  admit?: (kind: "task" | "run") => void | Promise<void>;
}

/** Counters for /api/metrics. */
export interface ManagerMetrics {
  takeovers: number;
  retries: number;
  runsStarted: number;
  eventsAppended: number;
}

/**
 * One per process. Turns requests into tasks (deduplicated by fingerprint),
 * runs up to MAX_CONCURRENT_TASKS of them while holding their leases, and
 * picks up queued tasks and tasks whose owner died, at boot and periodically.
 */
export class TaskManager {
  readonly ownerId: string;
  readonly store: TaskStore;
  readonly config: Config;
  readonly metrics: ManagerMetrics = { takeovers: 0, retries: 0, runsStarted: 0, eventsAppended: 0 };
  /** Every task's snapshot, for listing and the list feed. */
  readonly index: TaskIndex;
  readonly #options: TaskManagerOptions;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #runners = new Map<string, TaskRunner>();
  /** Reports rebuilt from logs, most recently used last. */
  readonly #reports = new Map<string, { key: string; report: string }>();
  /** Submissions in flight in this process, by task id (one creation per id at a time). */
  readonly #submitting = new Map<string, Promise<SubmitResult>>();
  /** Snapshot reads shared by the requests that ask for one task in the same turn. */
  readonly #lookups = new BatchedLookup<TaskJson | null>((id) => this.store.getTask(id));
  #queueOrder: string[] = [];
  #scanTimer: NodeJS.Timeout | null = null;
  #sweepTimer: NodeJS.Timeout | null = null;
  #scanning = false;
  #scanAgain = false;
  #closed = false;
  #started = false;

  constructor(options: TaskManagerOptions) {
    this.#options = options;
    this.config = options.config;
    this.store = options.store;
    this.ownerId = options.ownerId ?? nanoid(12);
    this.#logger = options.logger.child({ ownerId: this.ownerId });
    this.#now = options.now ?? (() => new Date());
    this.#sleep = options.sleep ?? sleep;
    this.index = new TaskIndex(options.store, 1000);
  }

  /** Starts the periodic scan (recovery at boot, queue, takeover). */
  start(): void {
    if (this.#scanTimer) return;
    this.#started = true;
    this.#logger.info("manager.started", {
      store: this.store.kind,
      maxConcurrent: this.config.MAX_CONCURRENT_TASKS,
    });
    this.#scanTimer = setInterval(() => this.scan(), this.config.TAKEOVER_SCAN_MS);
    this.#scanTimer.unref();
    this.#sweepTimer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.#sweepTimer.unref();
    this.scan();
    void this.sweep();
  }

  /** Gives every running task back (released leases, so another process continues at once). */
  async shutdown(): Promise<void> {
    this.#closed = true;
    if (this.#scanTimer) clearInterval(this.#scanTimer);
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    this.index.close();
    const running = [...this.#runners.values()];
    for (const runner of running) runner.stop("stopped");
    await Promise.allSettled(running.map((runner) => this.#waitFor(runner)));
    await this.store.close();
  }

  #emitChange(task: TaskJson): void {
    this.index.update(task);
  }

  /**
   * Retention: removes finished tasks older than MAX_TASK_AGE_HOURS. Their
   * endpoints then answer 410 (the volume keeps a tombstone) or 404.
   */
  async sweep(): Promise<number> {
    const cutoff = this.#now().getTime() - this.config.MAX_TASK_AGE_HOURS * 3_600_000;
    let removed = 0;
    try {
      await this.index.refresh();
      for (const task of await this.index.all()) {
        if (!isFinished(task.status) || !task.finishedAt || Date.parse(task.finishedAt) > cutoff) continue;
        await this.store.deleteTask(task.id);
        this.index.remove(task.id);
        removed += 1;
        this.#logger.info("task.expired", { taskId: task.id, finishedAt: task.finishedAt });
      }
    } catch (error) {
      this.#logger.error("manager.sweep_failed", { error: errorMessage(error) });
    }
    return removed;
  }

  // ── submission ──────────────────────────────────────────────────────────

  /**
   * The normalized request and task id of a request body, without touching
   * the store. Throws `provider_not_configured` for a provider the server lacks.
   */
  identify(body: ResearchRequestBody): { id: string; request: TaskJson["request"] } {
    const request = normalizeRequest(body, {
      llmProvider: this.config.DEFAULT_LLM_PROVIDER,
      searchProvider: this.config.DEFAULT_SEARCH_PROVIDER,
      openaiModel: this.config.OPENAI_MODEL,
    });
    this.#options.checkProviders?.(request);
    return { id: fingerprint(request), request };
  }

  /** Gets or creates the task of a request and makes sure it will run. */
  async submit(
    body: ResearchRequestBody,
    requestId: string,
    options: SubmitOptions = {},
  ): Promise<SubmitResult> {
    const { id, request } = this.identify(body);
    // Simultaneous identical requests in this process share one submission.
    const inFlight = this.#submitting.get(id);
    if (inFlight) return inFlight.then((result) => ({ ...result, created: false }));
    const submission = this.#submit(id, request, body, requestId, options).finally(() =>
      this.#submitting.delete(id),
    );
    this.#submitting.set(id, submission);
    return submission;
  }

  async #submit(
    id: string,
    request: TaskJson["request"],
    body: ResearchRequestBody,
    requestId: string,
    options: SubmitOptions,
  ): Promise<SubmitResult> {
    let task = await this.store.getTask(id);
    if (!task) {
      // Admission is checked only for what creates work; joining is free.
      await options.admit?.("task");
      const fresh = newTaskJson({
        id,
        request,
        priority: body.priority ?? 0,
        now: this.#now().toISOString(),
      });
      const result = await this.store.createTask(fresh);
      if (result.created) {
        this.#logger.info("task.created", { taskId: id, requestId });
        this.#emitChange(result.task);
        this.scan();
        return { task: result.task, created: true };
      }
      task = result.task; // Another process created it a moment ago.
    }
    const restart =
      body.fresh === true ? isFinished(task.status) : task.status === "failed" || task.status === "cancelled";
    if (restart) {
      await options.admit?.("run");
      const restarted = await this.#requeue(
        task,
        body.fresh === true && task.status === "completed",
        requestId,
      );
      if (restarted) return { task: restarted, created: false };
    }
    return { task, created: false };
  }

  /**
   * A finished task asked for again: a failed or cancelled one is retried
   * (its recorded steps are kept); `fresh` on a completed one starts a new run.
   */
  async #requeue(task: TaskJson, newRun: boolean, requestId: string): Promise<TaskJson | null> {
    const lease = await this.store.acquireLease(task.id, this.ownerId);
    if (!lease) return null; // Someone else is on it already.
    try {
      const current = (await this.store.getTask(task.id)) ?? task;
      if (!isFinished(current.status)) return current;
      // A retry keeps the recorded steps, a fresh run starts without them.
      const change = requeue(current, { newRun, now: this.#now().toISOString() });
      const events = await this.store.append(lease, change.records);
      const next = afterAppend(change.task, events, change.startsRun);
      const plan = planCompaction(
        next,
        (await this.store.readLog(task.id)).events,
        this.config.MAX_RUNS_KEPT,
      );
      if (plan) {
        next.compacted = plan.compacted;
        next.attempts = plan.attempts;
      }
      await this.store.setActive(task.id, true);
      // The snapshot first: from then on cursors into removed runs get 410,
      // before their events go. A crash in between leaves them for the next run.
      await this.store.saveTask(lease, next);
      // Again after the save: a scan that read the finished snapshot just
      // before may have unmarked it in between (see #scanOnce).
      await this.store.setActive(task.id, true);
      if (next.compacted) await this.store.compact(lease, next.compacted.throughEventId + 1);
      if (plan) this.#logger.info("task.compacted", { taskId: task.id, ...plan.compacted });
      this.#logger.info("task.requeued", { taskId: task.id, requestId, newRun });
      this.#emitChange(next);
      return next;
    } finally {
      await this.store.releaseLease(lease);
      this.scan();
    }
  }

  // ── reading ─────────────────────────────────────────────────────────────

  async getTask(id: string): Promise<TaskJson | null> {
    return this.#runners.get(id)?.task ?? (await this.store.getTask(id));
  }

  /**
   * `getTask` for request handlers that only read the snapshot: requests
   * for one task that arrive together (a reconnect storm) share one read,
   * never one that started before they asked. The value is shared: read-only.
   */
  async lookupTask(id: string): Promise<Readonly<TaskJson> | null> {
    return this.#runners.get(id)?.task ?? (await this.#lookups.get(id));
  }

  /**
   * The task with `result.report` put back from its log (the snapshot stores
   * only its length). Reports are cached per run and last event, so showing a
   * finished task again reads nothing.
   */
  async getTaskWithReport(id: string): Promise<TaskJson | null> {
    const task = await this.getTask(id);
    if (!task?.result || task.result.report !== undefined) return task;
    const key = `${task.run}:${task.lastEventId}`;
    let cached = this.#reports.get(id);
    if (cached?.key !== key) {
      let report = "";
      let cursor = task.runStartEventId - 1;
      for (;;) {
        const { events, more } = await this.store.read(id, cursor, 5000);
        report += reportFromEvents(events);
        if (!more || events.length === 0) break;
        cursor = events[events.length - 1]!.id;
      }
      cached = { key, report };
      this.#reports.delete(id);
      this.#reports.set(id, cached);
      if (this.#reports.size > REPORT_CACHE_SIZE) this.#reports.delete(this.#reports.keys().next().value!);
    }
    return { ...task, result: { ...task.result, report: cached.report } };
  }

  /** Tasks waiting for a worker across the deployment (as the store has them now). */
  async queuedCount(): Promise<number> {
    let count = 0;
    for (const task of await this.index.all()) if (task.status === "queued") count += 1;
    return count;
  }

  wasDeleted(id: string): Promise<boolean> {
    return this.store.wasDeleted(id);
  }

  /** 1-based position among queued tasks as last seen by this process, if queued. */
  queuePosition(id: string): number | undefined {
    const index = this.#queueOrder.indexOf(id);
    return index === -1 ? undefined : index + 1;
  }

  isRunningHere(id: string): boolean {
    return this.#runners.has(id);
  }

  get runningCount(): number {
    return this.#runners.size;
  }

  // ── controls ────────────────────────────────────────────────────────────

  /**
   * Cancel, pause, resume or finish now. Applied directly when this process
   * runs the task or can take its lease; otherwise left for the owner, which
   * picks it up within a poll interval.
   */
  async control(id: string, action: ControlAction): Promise<TaskJson> {
    const task = await this.getTask(id);
    if (!task) throw new AppError("not_found", `No task ${id}.`);
    assertControl(task, action);
    if (action === "cancel" && task.status === "cancelled") return task; // idempotent

    const runner = this.#runners.get(id);
    if (runner) {
      if (action === "finish") {
        runner.requestFinish();
        return runner.task;
      }
      if (action === "cancel" || action === "pause") {
        runner.stop(action === "cancel" ? "cancelled" : "paused");
        await this.#waitFor(runner);
        return (await this.store.getTask(id)) ?? runner.task;
      }
    }

    const lease = await this.store.acquireLease(id, this.ownerId);
    if (!lease) {
      // A live owner elsewhere: leave the control on the volume.
      if (action === "resume")
        throw new AppError("conflict", "Cannot resume: the task is being changed by another server.");
      await this.store.sendControl(id, action);
      return this.#awaitChange(id, task, action);
    }
    try {
      const current = (await this.store.getTask(id)) ?? task;
      const next = await this.#applyWithLease(current, lease, action);
      return next;
    } finally {
      await this.store.releaseLease(lease);
      this.scan();
    }
  }

  async #applyWithLease(task: TaskJson, lease: AcquiredLease, action: ControlAction): Promise<TaskJson> {
    const change = control(task, action, this.#now().toISOString());
    const events = change.records.length > 0 ? await this.store.append(lease, change.records) : [];
    const next = afterAppend(change.task, events);
    if (next.status === "cancelled") await this.store.setActive(task.id, false);
    await this.store.saveTask(lease, next);
    this.#logger.info(`task.${action}`, { taskId: task.id });
    this.#emitChange(next);
    return next;
  }

  async #awaitChange(id: string, before: TaskJson, action: string): Promise<TaskJson> {
    const deadline = performance.now() + 5000;
    while (performance.now() < deadline) {
      await this.#sleep(100);
      const task = await this.store.getTask(id);
      if (!task) throw new AppError("gone", `Task ${id} was deleted.`);
      const changed = action === "finish" ? task.finishRequested : task.status !== before.status;
      if (changed) return task;
    }
    return (await this.store.getTask(id)) ?? before;
  }

  /** Removes a task and its files; a running task is cancelled first. */
  async delete(id: string): Promise<void> {
    const task = await this.getTask(id);
    if (!task) throw new AppError("not_found", `No task ${id}.`);
    const runner = this.#runners.get(id);
    if (runner) {
      runner.stop("deleted");
      await this.#waitFor(runner);
    } else if (!isFinished(task.status)) {
      const owner = await this.store.currentOwner(id);
      if (owner) await this.store.sendControl(id, "delete");
    }
    await this.store.deleteTask(id);
    this.index.remove(id);
    this.#logger.info("task.deleted", { taskId: id });
  }

  async #waitFor(runner: TaskRunner): Promise<void> {
    while ([...this.#runners.values()].includes(runner)) await this.#sleep(20);
  }

  // ── scheduling, recovery and takeover ─────────────────────────────────────

  /** Looks for work: queued tasks when a slot is free, running tasks whose owner died. */
  scan(): void {
    if (this.#closed || !this.#started) return;
    if (this.#scanning) {
      this.#scanAgain = true;
      return;
    }
    this.#scanning = true;
    void (async () => {
      try {
        do {
          this.#scanAgain = false;
          await this.#scanOnce();
        } while (this.#scanAgain && !this.#closed);
      } catch (error) {
        this.#logger.error("manager.scan_failed", { error: errorMessage(error) });
      } finally {
        this.#scanning = false;
      }
    })();
  }

  async #scanOnce(): Promise<void> {
    const ids = await this.store.listActiveTaskIds();
    const candidates: TaskJson[] = [];
    for (const id of ids) {
      if (this.#runners.has(id)) continue;
      let task: TaskJson | null;
      try {
        task = await this.store.getTask(id);
      } catch (error) {
        this.#logger.warn("manager.task_unreadable", { taskId: id, error: errorMessage(error) });
        continue;
      }
      if (!task) continue;
      if (isFinished(task.status)) {
        await this.store.setActive(id, false);
        // A new run may have been requested since the read: it marks the task
        // active before and after saving it queued, so a second read after
        // unmarking sees it, and the mark is put back.
        const again = await this.store.getTask(id);
        if (again && !isFinished(again.status)) await this.store.setActive(id, true);
        continue;
      }
      if (task.status === "queued" || task.status === "running") candidates.push(task);
    }
    const queued = candidates
      .filter((task) => task.status === "queued")
      .sort(
        (a, b) =>
          b.priority - a.priority || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id),
      );
    this.#queueOrder = queued.map((task) => task.id);
    // Running tasks first: their owner died mid-work.
    const ordered = [...candidates.filter((task) => task.status === "running"), ...queued];
    for (const task of ordered) {
      if (this.#closed || this.#runners.size >= this.config.MAX_CONCURRENT_TASKS) break;
      let lease: AcquiredLease | null;
      try {
        lease = await this.store.acquireLease(task.id, this.ownerId);
      } catch (error) {
        // One damaged task must not stop the others from running.
        this.#logger.error("manager.acquire_failed", { taskId: task.id, error: errorMessage(error) });
        continue;
      }
      if (!lease) continue;
      const current = await this.store.getTask(task.id);
      if (!current || (current.status !== "queued" && current.status !== "running")) {
        await this.store.releaseLease(lease);
        continue;
      }
      this.#queueOrder = this.#queueOrder.filter((id) => id !== task.id);
      const kind: AttemptJson["kind"] =
        current.status === "queued"
          ? current.attempts.length === 0
            ? "first"
            : current.attempts.at(-1)?.outcome === "failed"
              ? "retry"
              : "resume"
          : lease.kind === "expired"
            ? "takeover"
            : "resume";
      this.#startRunner(current, lease, kind);
    }
  }

  #startRunner(task: TaskJson, lease: AcquiredLease, kind: AttemptJson["kind"]): void {
    const config = this.config;
    const runner = new TaskRunner(task, lease, {
      store: this.store,
      engine: this.#options.engine,
      logger: this.#logger,
      renewMs: config.LEASE_RENEW_MS,
      controlPollMs: config.FOLLOW_POLL_MS,
      stepMaxRetries: config.STEP_MAX_RETRIES,
      outputDelayMs: config.OUTPUT_CHUNK_DELAY_MS,
      redact: redactorFor(config),
      now: this.#now,
      sleep: this.#sleep,
      onChange: (changed) => this.#emitChange(changed),
      onRetry: () => {
        this.metrics.retries += 1;
      },
      onAppend: (count) => {
        this.metrics.eventsAppended += count;
      },
    });
    this.#runners.set(task.id, runner);
    this.metrics.runsStarted += 1;
    if (kind === "takeover") this.metrics.takeovers += 1;
    void runner
      .run(kind)
      .catch((error): RunOutcome => {
        this.#logger.error("task.runner_crashed", { taskId: task.id, error: errorMessage(error) });
        return "failed";
      })
      .then(async (outcome) => {
        if (outcome !== "lost") {
          // (For a deleted task this only lets go of the local lease state.)
          await this.store.releaseLease(lease).catch((error) => {
            if (!(isAppError(error) && error.code === "lease_lost")) {
              this.#logger.warn("task.release_failed", { taskId: task.id, error: errorMessage(error) });
            }
          });
        }
        this.#runners.delete(task.id);
        this.#emitChange(runner.task);
        this.scan();
      });
  }
}

const SWEEP_EVERY_MS = 60_000;
const REPORT_CACHE_SIZE = 100;
