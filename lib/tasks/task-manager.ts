import { nanoid } from "nanoid";
import type { Config } from "../config";
import { AppError, errorMessage } from "../errors";
import type { Logger } from "../log";
import { fingerprint } from "../model/fingerprint";
import { reportFromEvents } from "../model/report";
import {
  type FollowUpBody,
  followUpRequestBody,
  isIndexRequest,
  type NormalizedRequest,
  normalizeRequest,
  type ResearchRequestBody,
  type TaskRequest,
} from "../model/request";
import { requestDefaults } from "../model/request-defaults";
import { isFinished, newTaskJson, type TaskJson } from "../model/task-json";
import { afterAppend, assertControl, type ControlAction, control, requeue } from "../model/transitions";
import { addToTokenUsage, emptyTokenUsage, modelKey, type TokenUsage } from "../model/usage";
import { SCHEDULE_LIMITS } from "../model/schedule";
import { type DeliveryView, deliveryView, WEBHOOK_LIMITS } from "../model/webhook";
import { redactorFor } from "../redact";
import type { TaskEngine } from "../research/types";
import { sleep } from "../sleep";
import type { AcquiredLease, TaskStore } from "../store/types";
import { BatchedLookup } from "./batched-lookup";
import { planCompaction } from "./compaction";
import { ReportReader } from "./report-reader";
import { sweepExpired } from "./retention";
import { createRunEndDeliveries } from "./run-end-deliveries";
import { Scheduler } from "./scheduler";
import { TaskIndex } from "./task-index";
import { WebhookSender, type WebhookSenderOptions } from "./webhook-sender";

/** Options of `TaskManager`. */
export interface TaskManagerOptions {
  config: Config;
  store: TaskStore;
  engine: TaskEngine;
  logger: Logger;
  /** Throws a `provider_not_configured` AppError when a request needs what the server lacks. */
  checkProviders?: (request: NormalizedRequest) => void;
  /**
   * Completes a research request with what the store says when it is asked
   * for: the content hash of the user collection it searches (so a changed
   * collection is a new task). Throws `not_found` for a collection that does
   * not exist. Default: the request as it is.
   */
  resolveRequest?: (request: NormalizedRequest) => Promise<NormalizedRequest>;
  /** This process's owner id, carried by its leases. Default: a 12-character nanoid. */
  ownerId?: string;
  /** Wall clock for timestamps shown to people (never for liveness). Default `new Date()`. */
  now?: () => Date;
  /** Timer used for waits (tests inject a fake). Default: `lib/sleep.ts`. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Ids of attempts. Default: 12-character nanoids. */
  generateId?: () => string;
  /** Uniform random numbers in [0, 1) (retry jitter). Default `Math.random`. */
  random?: () => number;
  /** Task snapshots kept by the listing index before it re-reads them, in ms. Default 1,000. */
  indexRefreshMs?: number;
  /** Reports rebuilt from logs kept in memory. Default 100. */
  reportCacheSize?: number;
  /** How often finished tasks past MAX_TASK_AGE_HOURS are removed, in ms. Default 60,000. */
  sweepEveryMs?: number;
  /** The webhook sender's own options (tests inject `post`, `now`, `pollMs`). Default: from the configuration. */
  webhooks?: Pick<WebhookSenderOptions, "post" | "now" | "pollMs" | "random">;
}

export interface SubmitResult {
  task: TaskJson;
  created: boolean;
}

/**
 * Pages of a schedule's run records searched for the fire that started a
 * run (`#scheduleOf`): the fires refused while that run ran come after it,
 * one a second at most.
 */
const SCHEDULE_PAGES_SEARCHED = 10;

/** Options of `TaskManager.submit`. */
export interface SubmitOptions {
  /**
   * Called just before the submission creates a task or starts a new run of
   * one (never when it joins an existing task); throws to refuse it (a rate
   * limit, a full queue, a storage budget). Nothing has been written then.
   */
  admit?: (kind: "task" | "run") => void | Promise<void>;
  /**
   * With `fresh`: a failed or cancelled task starts a new run from scratch
   * too, rather than being retried from its last completed step (a
   * schedule's fire is a new run whatever the previous one came to).
   */
  newRun?: boolean;
}

/** Counters for /api/metrics. */
export interface ManagerMetrics {
  takeovers: number;
  retries: number;
  runsStarted: number;
  eventsAppended: number;
  /** Model calls this process's runs made, by `provider:model` (cost where MODEL_PRICES has the model). */
  usageByModel: Record<string, TokenUsage>;
}

/**
 * (A little over 400 lines: it is the facade the routes see — submission,
 * reading, controls — while scheduling lives in scheduler.ts, reports in
 * report-reader.ts, retention in retention.ts and every status change in
 * lib/model/transitions.ts.)
 *
 * One per process. Turns requests into tasks (deduplicated by fingerprint),
 * runs up to MAX_CONCURRENT_TASKS of them while holding their leases, and
 * picks up queued tasks and tasks whose owner died, at boot and periodically.
 */
export class TaskManager {
  readonly ownerId: string;
  readonly store: TaskStore;
  readonly config: Config;
  readonly metrics: ManagerMetrics = {
    takeovers: 0,
    retries: 0,
    runsStarted: 0,
    eventsAppended: 0,
    usageByModel: {},
  };
  /** Every task's snapshot, for listing and the list feed. */
  readonly index: TaskIndex;
  readonly #options: TaskManagerOptions;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #scheduler: Scheduler;
  readonly #reports: ReportReader;
  readonly #webhooks: WebhookSender;
  /** Submissions in flight in this process, by task id (one creation per id at a time). */
  readonly #submitting = new Map<string, Promise<SubmitResult>>();
  /** Snapshot reads shared by the requests that ask for one task in the same turn. */
  readonly #lookups = new BatchedLookup<TaskJson | null>((id) => this.store.getTask(id));
  #scanTimer: NodeJS.Timeout | null = null;
  #sweepTimer: NodeJS.Timeout | null = null;
  #started = false;

  constructor(options: TaskManagerOptions) {
    this.#options = options;
    this.config = options.config;
    this.store = options.store;
    this.ownerId = options.ownerId ?? nanoid(12);
    this.#logger = options.logger.child({ ownerId: this.ownerId });
    this.#now = options.now ?? (() => new Date());
    this.#sleep = options.sleep ?? sleep;
    this.index = new TaskIndex(options.store, options.indexRefreshMs ?? 1000);
    this.#reports = new ReportReader(options.store, options.reportCacheSize ?? 100);
    const config = options.config;
    this.#scheduler = new Scheduler({
      store: options.store,
      logger: this.#logger,
      ownerId: this.ownerId,
      maxConcurrent: config.MAX_CONCURRENT_TASKS,
      sleep: (ms) => this.#sleep(ms),
      runner: {
        engine: options.engine,
        renewMs: config.LEASE_RENEW_MS,
        controlPollMs: config.FOLLOW_POLL_MS,
        stepMaxRetries: config.STEP_MAX_RETRIES,
        outputDelayMs: config.OUTPUT_CHUNK_DELAY_MS,
        prices: config.MODEL_PRICES,
        redact: redactorFor(config),
        now: this.#now,
        sleep: this.#sleep,
        generateId: options.generateId,
        random: options.random,
        onRetry: () => {
          this.metrics.retries += 1;
        },
        onAppend: (count) => {
          this.metrics.eventsAppended += count;
        },
        onUsage: (entry, costUsd) => {
          const key = modelKey(entry.provider, entry.model);
          const byModel = this.metrics.usageByModel;
          byModel[key] = addToTokenUsage(
            Object.hasOwn(byModel, key) ? byModel[key]! : emptyTokenUsage(),
            entry,
            costUsd,
          );
        },
      },
      onChange: (task) => this.#emitChange(task),
      onFinished: (task) => this.#announceEnd(task),
      onStart: (kind) => {
        this.metrics.runsStarted += 1;
        if (kind === "takeover") this.metrics.takeovers += 1;
      },
    });
    this.#webhooks = new WebhookSender({
      store: options.store.schedules,
      logger: this.#logger,
      ownerId: this.ownerId,
      secret: config.WEBHOOK_SECRET,
      retryBaseS: config.WEBHOOK_RETRY_BASE_S,
      maxAgeHours: config.WEBHOOK_MAX_AGE_HOURS,
      allowPrivate: config.FETCH_ALLOW_PRIVATE,
      timeoutMs: config.FETCH_TIMEOUT_MS,
      redact: redactorFor(config),
      random: options.random,
      ...options.webhooks,
    });
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
    this.#sweepTimer = setInterval(() => void this.sweep(), this.#options.sweepEveryMs ?? 60_000);
    this.#sweepTimer.unref();
    this.scan();
    void this.sweep();
    this.#webhooks.start();
  }

  /** Gives every running task back (released leases, so another process continues at once). */
  async shutdown(): Promise<void> {
    if (this.#scanTimer) clearInterval(this.#scanTimer);
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    this.index.close();
    await this.#webhooks.stop();
    await this.#scheduler.stop();
    await this.store.close();
  }

  #emitChange(task: TaskJson): void {
    this.index.update(task);
  }

  /**
   * A run ended (completed, failed, cancelled) and its ending is saved: the
   * deliveries of its webhooks are created (WEBHOOK_URL and the run's
   * subscriptions). Idempotent: see `createRunEndDeliveries`.
   */
  async #announceEnd(task: TaskJson): Promise<void> {
    const created = await createRunEndDeliveries(this.store.schedules, task, {
      serverUrl: this.config.WEBHOOK_URL,
      now: this.#now(),
      ...this.#deliveryContext(),
    });
    if (created > 0) this.#logger.info("webhook.created", { taskId: task.id, run: task.run, count: created });
  }

  /**
   * Subscribes `url` to the run of `task` a submission joined or started.
   * The run may have ended between the submission's read and now: then the
   * ending is announced to this URL here (its delivery is the one the
   * runner would have made, so at most one is created either way).
   */
  async #subscribe(task: TaskJson, url: string): Promise<void> {
    const result = await this.store.schedules.addSubscription(
      task.id,
      task.run,
      url,
      WEBHOOK_LIMITS.subscriptionsPerRun,
    );
    if (result === "full") {
      throw new AppError(
        "conflict",
        `Run ${task.run} of this task already notifies ${WEBHOOK_LIMITS.subscriptionsPerRun} webhook URLs, the most one run may.`,
      );
    }
    const current = await this.store.getTask(task.id);
    if (current && current.run === task.run && isFinished(current.status)) {
      await createRunEndDeliveries(this.store.schedules, current, {
        only: [url],
        now: this.#now(),
        ...this.#deliveryContext(),
      });
    }
  }

  /** What a run's deliveries need of the server: its public address and how to find a run's schedule. */
  #deliveryContext(): { baseUrl?: string; scheduleOf: (task: TaskJson) => Promise<string | null> } {
    return {
      ...(this.config.PUBLIC_URL ? { baseUrl: this.config.PUBLIC_URL } : {}),
      scheduleOf: (task) => this.#scheduleOf(task),
    };
  }

  /**
   * The schedule whose fire started the task's current run, or null. A
   * schedule's task is its request's (same fingerprint), and the fire's
   * record names the run it starts before the run is submitted
   * (ScheduleRunner), so the record is there when the run ends. Records are
   * newest first: the search stops at an older run of the task.
   */
  async #scheduleOf(task: TaskJson): Promise<string | null> {
    for (const schedule of await this.store.schedules.listSchedules()) {
      let id: string;
      try {
        ({ id } = await this.identify(schedule.request));
      } catch (error) {
        // A schedule whose provider is gone started no run of this server's.
        this.#logger.debug("webhook.schedule_unidentified", {
          scheduleId: schedule.id,
          error: errorMessage(error),
        });
        continue;
      }
      if (id === task.id && (await this.#firedRun(schedule.id, task))) return schedule.id;
    }
    return null;
  }

  /** Whether a fire of the schedule started the task's current run (its records, newest first, up to an older run). */
  async #firedRun(scheduleId: string, task: TaskJson): Promise<boolean> {
    let cursor: string | undefined;
    for (let page = 0; page < SCHEDULE_PAGES_SEARCHED; page++) {
      const { runs, nextCursor } = await this.store.schedules.listRuns(scheduleId, {
        limit: SCHEDULE_LIMITS.runsPerPage,
        ...(cursor ? { cursor } : {}),
      });
      for (const run of runs) {
        if (run.taskId !== task.id || run.run === null) continue;
        if (run.run === task.run) return true;
        if (run.run < task.run) return false;
      }
      if (!nextCursor) return false;
      cursor = nextCursor;
    }
    return false;
  }

  /** The webhook deliveries of a task, oldest first, as the API shows them (no URL beyond its origin). */
  async deliveries(taskId: string): Promise<DeliveryView[]> {
    return (await this.store.schedules.listDeliveries(taskId)).map(deliveryView);
  }

  /** Runs one pass of the webhook sender now (tests; the loop runs them every second). */
  sendWebhooks(): Promise<number> {
    return this.#webhooks.pass();
  }

  /**
   * Retention: removes finished tasks older than MAX_TASK_AGE_HOURS. Their
   * endpoints then answer 410 (the volume keeps a tombstone) or 404.
   */
  sweep(): Promise<number> {
    return sweepExpired({
      store: this.store,
      index: this.index,
      logger: this.#logger,
      maxAgeHours: this.config.MAX_TASK_AGE_HOURS,
      now: this.#now(),
    });
  }

  // ── submission ──────────────────────────────────────────────────────────

  /**
   * The normalized request and task id of a request body, without touching
   * the store. Throws `provider_not_configured` for a provider the server lacks.
   */
  async identify(body: ResearchRequestBody): Promise<{ id: string; request: NormalizedRequest }> {
    const normalized = normalizeRequest(body, requestDefaults(this.config));
    this.#options.checkProviders?.(normalized);
    const request = (await this.#options.resolveRequest?.(normalized)) ?? normalized;
    return { id: fingerprint(request), request };
  }

  /** Gets or creates the task of a request and makes sure it will run. */
  async submit(
    body: ResearchRequestBody,
    requestId: string,
    options: SubmitOptions = {},
  ): Promise<SubmitResult> {
    const { id, request } = await this.identify(body);
    const result = await this.#submitOnce(
      id,
      request,
      { fresh: body.fresh, priority: body.priority },
      requestId,
      options,
    );
    // After the task is created or joined: a run that is already full
    // refuses a new URL, and the refusal changes nothing (a join is free;
    // a new run has no subscriptions yet).
    if (body.webhook) await this.#subscribe(result.task, body.webhook.url);
    return result;
  }

  /**
   * Gets or creates the follow-up of a completed research task: the
   * parent's providers and language with a new question, its research
   * starting from the parent's learnings and sources (the runner loads them,
   * `ResearchContext.loadParent`). The parent's id is part of the
   * fingerprint, so the same follow-up asked twice joins one task. Throws
   * `not_found` for an unknown parent, `conflict` for one that is not a
   * completed research task.
   */
  async followUp(
    parentId: string,
    body: FollowUpBody,
    requestId: string,
    options: SubmitOptions = {},
  ): Promise<SubmitResult> {
    const { id, request } = await this.identifyFollowUp(parentId, body);
    return this.#submitOnce(id, request, {}, requestId, options);
  }

  /**
   * The id and request of a follow-up, without submitting it (`identify`
   * for follow-ups). Throws as `followUp` does for a parent that cannot be
   * followed up.
   */
  async identifyFollowUp(
    parentId: string,
    body: FollowUpBody,
  ): Promise<{ id: string; request: NormalizedRequest }> {
    const parent = await this.getTask(parentId);
    if (!parent) throw new AppError("not_found", `No task ${parentId}.`);
    if (isIndexRequest(parent.request))
      throw new AppError(
        "conflict",
        `Task ${parentId} indexes a document; only research can be followed up.`,
      );
    if (parent.status !== "completed" || !parent.result) {
      throw new AppError(
        "conflict",
        `Task ${parentId} is ${parent.status}; a follow-up needs a completed report.`,
      );
    }
    const identified = await this.identify(followUpRequestBody(parent.request, body));
    const request: NormalizedRequest = { ...identified.request, parent: parentId };
    return { id: fingerprint(request), request };
  }

  /** The follow-ups of a task (research tasks whose parent it is), oldest first. */
  async followUpsOf(parentId: string): Promise<TaskJson[]> {
    return (await this.index.all())
      .filter((task) => !isIndexRequest(task.request) && task.request.parent === parentId)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /**
   * Gets or creates the task of a request the server makes itself (indexing
   * an uploaded document); `fresh` starts a finished one over.
   */
  submitRequest(
    request: TaskRequest,
    requestId: string,
    options: SubmitOptions & { fresh?: boolean; priority?: number } = {},
  ): Promise<SubmitResult> {
    return this.#submitOnce(fingerprint(request), request, options, requestId, options);
  }

  #submitOnce(
    id: string,
    request: TaskRequest,
    body: { fresh?: boolean; priority?: number },
    requestId: string,
    options: SubmitOptions,
  ): Promise<SubmitResult> {
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
    request: TaskRequest,
    body: { fresh?: boolean; priority?: number },
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
    // A run of this process that has just finished is shown finished at once,
    // before its snapshot is saved: a new run asked for then waits for that
    // save rather than joining the run that is over.
    const runner = this.#scheduler.runnerOf(id);
    if (body.fresh === true && runner && isFinished(runner.task.status) && !isFinished(task.status)) {
      await this.#scheduler.waitFor(runner);
      task = (await this.store.getTask(id)) ?? task;
    }
    const restart =
      body.fresh === true ? isFinished(task.status) : task.status === "failed" || task.status === "cancelled";
    if (restart) {
      await options.admit?.("run");
      const restarted = await this.#requeue(
        task,
        body.fresh === true && (task.status === "completed" || options.newRun === true),
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
    return this.#scheduler.runnerOf(id)?.task ?? (await this.store.getTask(id));
  }

  /**
   * `getTask` for request handlers that only read the snapshot: requests
   * for one task that arrive together (a reconnect storm) share one read,
   * never one that started before they asked. The value is shared: read-only.
   */
  async lookupTask(id: string): Promise<Readonly<TaskJson> | null> {
    return this.#scheduler.runnerOf(id)?.task ?? (await this.#lookups.get(id));
  }

  /**
   * The task with `result.report` put back from its log (the snapshot stores
   * only its length). Reports are cached per run and last event, so showing a
   * finished task again reads nothing.
   */
  async getTaskWithReport(id: string): Promise<TaskJson | null> {
    const task = await this.getTask(id);
    return task ? this.#reports.withReport(task) : null;
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
    return this.#scheduler.queuePosition(id);
  }

  isRunningHere(id: string): boolean {
    return this.#scheduler.runnerOf(id) !== undefined;
  }

  get runningCount(): number {
    return this.#scheduler.runningCount;
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

    const runner = this.#scheduler.runnerOf(id);
    if (runner) {
      if (action === "finish") {
        runner.requestFinish();
        return runner.task;
      }
      if (action === "cancel" || action === "pause") {
        runner.stop(action === "cancel" ? "cancelled" : "paused");
        await this.#scheduler.waitFor(runner);
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
    // A task cancelled while no runner has it (queued, paused) keeps the report its
    // run streamed so far, as one cancelled while running does: the output invariant.
    let partial: TaskJson["result"] = null;
    if (action === "cancel") {
      const report = reportFromEvents((await this.store.readLog(task.id)).events, task.runStartEventId);
      if (report) partial = { report, sources: [], learnings: [] };
    }
    const change = control(task, action, this.#now().toISOString(), partial);
    const events = change.records.length > 0 ? await this.store.append(lease, change.records) : [];
    const next = afterAppend(change.task, events);
    await this.store.saveTask(lease, next);
    // Saved first, then announced, then unmarked: a crash in between leaves
    // the cancelled task active, and a scan announces it (as after a runner's end).
    if (next.status === "cancelled") {
      const announced = await this.#announceEnd(next).then(
        () => true,
        (error: unknown) => {
          this.#logger.warn("task.end_not_announced", { taskId: task.id, error: errorMessage(error) });
          return false;
        },
      );
      if (announced) await this.store.setActive(task.id, false);
    }
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
    const restore = this.#scheduler.setAside(id);
    try {
      const runner = this.#scheduler.runnerOf(id);
      if (runner) {
        runner.stop("deleted");
        await this.#scheduler.waitFor(runner);
      } else if (!isFinished(task.status)) {
        const owner = await this.store.currentOwner(id);
        if (owner) await this.store.sendControl(id, "delete");
      }
      await this.store.deleteTask(id);
    } finally {
      restore();
    }
    await this.store.schedules.deleteDeliveries(id);
    this.index.remove(id);
    this.#logger.info("task.deleted", { taskId: id });
  }

  /** Looks for work now: queued tasks when a slot is free, running tasks whose owner died. */
  scan(): void {
    if (this.#started) this.#scheduler.scan();
  }
}
