import { z } from "zod";
import { taskRequestSchema } from "./request";
import { taskUsageSchema } from "./usage";

/** Task ids are fingerprints: lowercase hex of a fixed length. */
export const TASK_ID_LENGTH = 32;
export const TASK_ID_PATTERN = /^[0-9a-f]{32}$/;

export function isTaskId(value: unknown): value is string {
  return typeof value === "string" && TASK_ID_PATTERN.test(value);
}

export const taskStatuses = ["queued", "running", "paused", "completed", "failed", "cancelled"] as const;
export type TaskStatus = (typeof taskStatuses)[number];
export const finishedStatuses: readonly TaskStatus[] = ["completed", "failed", "cancelled"];
export function isFinished(status: TaskStatus): boolean {
  return finishedStatuses.includes(status);
}

export const attemptKinds = ["first", "resume", "takeover", "retry", "fresh"] as const;
export const attemptOutcomes = [
  "running",
  "completed",
  "failed",
  "cancelled",
  "paused",
  "interrupted",
] as const;

export const attemptJsonSchema = z.object({
  id: z.string(),
  kind: z.enum(attemptKinds),
  ownerId: z.string(),
  epoch: z.number().int(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  outcome: z.enum(attemptOutcomes),
  error: z.string().nullable(),
  /** What this attempt's model calls used; absent until it makes one (and in files written before usage was kept). */
  usage: taskUsageSchema.optional(),
});
export type AttemptJson = z.infer<typeof attemptJsonSchema>;

export const sourceJsonSchema = z.object({
  number: z.number().int(),
  title: z.string(),
  url: z.string().optional(),
  documentRef: z.string().optional(),
  page: z.number().int().positive().optional(),
  unreadable: z.string().optional(),
  passages: z.array(z.string()),
});
/** A numbered source of a result: what the report's `[n]` citations point to. */
export type SourceJson = z.infer<typeof sourceJsonSchema>;

/**
 * A task's result. The report itself is the concatenation of the run's
 * `output` events, so the persisted snapshot leaves it out (`reportLength`
 * instead) and readers that show it put it back from the log
 * (`TaskManager.getTaskWithReport`): the text is stored once, not twice.
 */
export const resultJsonSchema = z.object({
  report: z.string().optional(),
  reportLength: z.number().int().nonnegative().optional(),
  sources: z.array(sourceJsonSchema),
  learnings: z.array(z.string()),
  /**
   * The run's "What's new" section, counted: sources and learnings not in
   * the previous completed run's (`TaskJson.previousRun`). Absent for a first
   * run, and in results written before it was kept.
   */
  whatsNew: z
    .object({
      /** When the previous run finished (the section's "since"). */
      since: z.string(),
      sources: z.number().int().nonnegative(),
      learnings: z.number().int().nonnegative(),
    })
    .optional(),
});
export type ResultJson = z.infer<typeof resultJsonSchema>;

/**
 * What a new run compares itself with: the sources (identity only) and
 * learnings of the task's last completed run, kept when a fresh run replaces
 * its result (`requeue`). Fixed for the whole run, so a resumed run writes
 * the same "What's new" section.
 */
export const previousRunJsonSchema = z.object({
  run: z.number().int().positive(),
  finishedAt: z.string(),
  sources: z.array(sourceJsonSchema.omit({ number: true, passages: true })),
  learnings: z.array(z.string()),
  /**
   * The run's report length and new-source count: what a schedule's record of
   * that run needs when the next run started before the record was completed.
   */
  reportLength: z.number().int().nonnegative().optional(),
  newSources: z.number().int().nonnegative().optional(),
});
export type PreviousRunJson = z.infer<typeof previousRunJsonSchema>;

/**
 * Event ids a power loss took from the log after clients may have seen them:
 * the log kept events up to `after`, the snapshot had reached `through`. The
 * ids after `after` were given to new events, so a cursor in (after, through]
 * names an event that is not the one the client saw: it is refused (409).
 */
export const lostEventsJsonSchema = z.object({
  after: z.number().int().nonnegative(),
  through: z.number().int().positive(),
});
export type LostEventsJson = z.infer<typeof lostEventsJsonSchema>;

/**
 * What compaction removed (MAX_RUNS_KEPT): the events of the oldest runs, up to
 * and including `throughEventId` (a cursor there is answered 410), and a
 * summary of the attempts no longer listed.
 */
export const compactedJsonSchema = z.object({
  runs: z.number().int().nonnegative(),
  throughEventId: z.number().int().nonnegative(),
  attempts: z.number().int().nonnegative(),
  /** Outcomes of the attempts no longer listed, counted. */
  outcomes: z.record(z.string(), z.number().int().nonnegative()),
});
export type CompactedJson = z.infer<typeof compactedJsonSchema>;

/** The persisted state of a task (`<id>.json`). A snapshot: the event log is the source of truth. */
export const taskJsonSchema = z.object({
  version: z.literal(1),
  id: z.string().regex(TASK_ID_PATTERN),
  request: taskRequestSchema,
  status: z.enum(taskStatuses),
  priority: z.number().int(),
  /** Increases with every `fresh` run; checkpoints of older runs are ignored. */
  run: z.number().int().positive(),
  /** The run whose recorded steps count: a retry keeps them, a fresh run starts over. */
  checkpointRun: z.number().int().positive(),
  /** Id of the first event of the current run (clients without a cursor start here). */
  runStartEventId: z.number().int().positive(),
  progress: z.number().min(0).max(100),
  step: z.string().nullable(),
  message: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  attempts: z.array(attemptJsonSchema),
  lastEventId: z.number().int().nonnegative(),
  /** A stop-searching-and-write-now request is pending or was honoured. */
  finishRequested: z.boolean(),
  result: resultJsonSchema.nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** Set after a power loss shortened the log under a snapshot that was ahead of it. */
  lostEvents: lostEventsJsonSchema.nullable().optional(),
  /** Set once older runs were compacted away. */
  compacted: compactedJsonSchema.nullable().optional(),
  /**
   * What the task's model calls used, over every attempt and run (what it
   * cost, not what its current report took). Absent until the first call: a
   * task whose writer is `offline` never has one.
   */
  usage: taskUsageSchema.optional(),
  /** The last completed run before the current one; absent until a second run starts. */
  previousRun: previousRunJsonSchema.nullable().optional(),
});
export type TaskJson = z.infer<typeof taskJsonSchema>;

/** The snapshot of a task that was just asked for: queued, nothing run yet. */
export function newTaskJson(fields: {
  id: string;
  request: TaskJson["request"];
  priority: number;
  /** ISO timestamp of creation. */
  now: string;
}): TaskJson {
  return {
    version: 1,
    id: fields.id,
    request: fields.request,
    status: "queued",
    priority: fields.priority,
    run: 1,
    checkpointRun: 1,
    runStartEventId: 1,
    progress: 0,
    step: null,
    message: "Waiting for a free worker.",
    createdAt: fields.now,
    updatedAt: fields.now,
    startedAt: null,
    finishedAt: null,
    attempts: [],
    lastEventId: 0,
    finishRequested: false,
    result: null,
    error: null,
  };
}

/** The summary of a completed task's run that the next run compares itself with; null for any other task. */
export function previousRunOf(task: TaskJson): PreviousRunJson | null {
  if (task.status !== "completed" || !task.result || task.finishedAt === null) return null;
  return {
    run: task.run,
    finishedAt: task.finishedAt,
    sources: task.result.sources.map(({ title, url, documentRef, page }) => ({
      title,
      ...(url !== undefined ? { url } : {}),
      ...(documentRef !== undefined ? { documentRef } : {}),
      ...(page !== undefined ? { page } : {}),
    })),
    learnings: [...task.result.learnings],
    ...reportLengthOf(task.result),
    ...(task.result.whatsNew ? { newSources: task.result.whatsNew.sources } : {}),
  };
}

function reportLengthOf(result: ResultJson): { reportLength?: number } {
  const length = result.reportLength ?? result.report?.length;
  return length === undefined ? {} : { reportLength: length };
}

/** The snapshot as it is written to the store: the report stays in the log only. */
export function persistedTask(task: TaskJson): TaskJson {
  if (!task.result || task.result.report === undefined) return task;
  const { report, ...rest } = task.result;
  return { ...task, result: { ...rest, reportLength: report.length } };
}
