import { errorMessage, isAppError } from "../errors";
import type { Logger } from "../log";
import { type AttemptJson, isFinished, type TaskJson } from "../model/task-json";
import type { AcquiredLease, TaskStore } from "../store/types";
import { type RunnerOptions, type RunOutcome, TaskRunner } from "./task-runner";

/** Options of `Scheduler`. */
export interface SchedulerOptions {
  store: TaskStore;
  logger: Logger;
  /** This process's owner id (what its leases carry). */
  ownerId: string;
  /** Runners at once in this process (MAX_CONCURRENT_TASKS). */
  maxConcurrent: number;
  /** Options of every runner, but for the callbacks the scheduler sets itself. */
  runner: Omit<RunnerOptions, "store" | "logger" | "onChange" | "onFinished">;
  /** Every change a runner makes to its task (the index, list feeds). */
  onChange: (task: TaskJson) => void;
  /**
   * A completed, failed or cancelled ending was saved (by a runner of this
   * process, or found still active by a scan after its owner stopped short
   * of unmarking it): idempotent (`RunnerOptions.onFinished`).
   */
  onFinished?: (task: TaskJson) => Promise<void>;
  /** A runner started (`takeover` when the previous owner's lease expired). */
  onStart?: (kind: AttemptJson["kind"]) => void;
  /** Sleeps while waiting for a runner to end. Default: a timer. */
  sleep: (ms: number) => Promise<void>;
}

/**
 * Which tasks this process runs, and when: at every `scan` it looks at the
 * unfinished tasks of the store, orders the queued ones (priority, then age),
 * and with free slots takes, first, running tasks whose owner died (expired
 * lease: a takeover), then queued ones. Scans never overlap; one asked for
 * during a scan runs right after it.
 */
export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #runners = new Map<string, TaskRunner>();
  /** Tasks being deleted by this process: never taken up meanwhile. */
  readonly #setAside = new Set<string>();
  #queueOrder: string[] = [];
  #scanning = false;
  #scanAgain = false;
  #closed = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  /** The runner of a task in this process, if it runs here. */
  runnerOf(taskId: string): TaskRunner | undefined {
    return this.#runners.get(taskId);
  }

  /**
   * Keeps scans off a task until the returned function is called (a delete:
   * its runner's end asks for a scan, which must not start it again).
   */
  setAside(taskId: string): () => void {
    this.#setAside.add(taskId);
    return () => this.#setAside.delete(taskId);
  }

  get runningCount(): number {
    return this.#runners.size;
  }

  /** 1-based position among queued tasks as last seen by this process, if queued. */
  queuePosition(taskId: string): number | undefined {
    const index = this.#queueOrder.indexOf(taskId);
    return index === -1 ? undefined : index + 1;
  }

  /** Resolves once `runner` has ended and let go of its task. */
  async waitFor(runner: TaskRunner): Promise<void> {
    while ([...this.#runners.values()].includes(runner)) await this.#options.sleep(20);
  }

  /** Stops taking work and hands every running task back; resolves when they have ended. */
  async stop(): Promise<void> {
    this.#closed = true;
    const running = [...this.#runners.values()];
    for (const runner of running) runner.stop("stopped");
    await Promise.allSettled(running.map((runner) => this.waitFor(runner)));
  }

  /** Looks for work: queued tasks when a slot is free, running tasks whose owner died. */
  scan(): void {
    if (this.#closed) return;
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
        this.#options.logger.error("manager.scan_failed", { error: errorMessage(error) });
      } finally {
        this.#scanning = false;
      }
    })();
  }

  async #scanOnce(): Promise<void> {
    const { store, logger } = this.#options;
    const ids = await store.listActiveTaskIds();
    const candidates: TaskJson[] = [];
    for (const id of ids) {
      if (this.#runners.has(id) || this.#setAside.has(id)) continue;
      let task: TaskJson | null;
      try {
        task = await store.getTask(id);
      } catch (error) {
        logger.warn("manager.task_unreadable", { taskId: id, error: errorMessage(error) });
        continue;
      }
      if (!task) continue;
      if (isFinished(task.status)) {
        // Its owner saved the ending but stopped before unmarking it (a
        // crash, a store error): what it did not finish is done here.
        try {
          await this.#options.onFinished?.(task);
        } catch (error) {
          logger.warn("task.end_not_announced", { taskId: id, error: errorMessage(error) });
          continue;
        }
        await store.setActive(id, false);
        // A new run may have been requested since the read: it marks the task
        // active before and after saving it queued, so a second read after
        // unmarking sees it, and the mark is put back.
        const again = await store.getTask(id);
        if (again && !isFinished(again.status)) await store.setActive(id, true);
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
      if (this.#closed || this.#runners.size >= this.#options.maxConcurrent) break;
      let lease: AcquiredLease | null;
      try {
        lease = await store.acquireLease(task.id, this.#options.ownerId);
      } catch (error) {
        // One damaged task must not stop the others from running.
        logger.error("manager.acquire_failed", { taskId: task.id, error: errorMessage(error) });
        continue;
      }
      if (!lease) continue;
      const current = await store.getTask(task.id);
      const runnable = current && (current.status === "queued" || current.status === "running");
      if (!runnable || this.#setAside.has(task.id)) {
        await store.releaseLease(lease);
        continue;
      }
      this.#queueOrder = this.#queueOrder.filter((id) => id !== task.id);
      this.#start(current, lease, attemptKind(current, lease));
    }
  }

  #start(task: TaskJson, lease: AcquiredLease, kind: AttemptJson["kind"]): void {
    const { store, logger } = this.#options;
    const runner = new TaskRunner(task, lease, {
      ...this.#options.runner,
      store,
      logger,
      onChange: this.#options.onChange,
      onFinished: this.#options.onFinished,
    });
    this.#runners.set(task.id, runner);
    this.#options.onStart?.(kind);
    void runner
      .run(kind)
      .catch((error): RunOutcome => {
        logger.error("task.runner_crashed", { taskId: task.id, error: errorMessage(error) });
        return "failed";
      })
      .then(async (outcome) => {
        if (outcome !== "lost") {
          // (For a deleted task this only lets go of the local lease state.)
          await store.releaseLease(lease).catch((error) => {
            if (!(isAppError(error) && error.code === "lease_lost")) {
              logger.warn("task.release_failed", { taskId: task.id, error: errorMessage(error) });
            }
          });
        }
        this.#runners.delete(task.id);
        this.#options.onChange(runner.task);
        this.scan();
      });
  }
}

/** What kind of attempt taking `task` under `lease` starts. */
function attemptKind(task: TaskJson, lease: AcquiredLease): AttemptJson["kind"] {
  if (task.status === "running") return lease.kind === "expired" ? "takeover" : "resume";
  if (task.attempts.length === 0) return "first";
  return task.attempts.at(-1)?.outcome === "failed" ? "retry" : "resume";
}
