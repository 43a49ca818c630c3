import { z } from "zod";
import type { EventType, TaskEvent } from "./events";
import { attemptKinds, sourceJsonSchema, taskStatuses } from "./task-json";
import { usageTotalsSchema } from "./usage";

/**
 * What each event type carries in `data` (docs/ARCHITECTURE.md, "Wire
 * format"), for readers on the other side of the wire: the browser parses
 * every event with these before using it. Optional fields are optional on
 * purpose: a reader applies what an event says and leaves the rest alone.
 */

/** A node of the research tree, as a `progress` event's `detail`. */
export const researchTreeNodeSchema = z.object({
  kind: z.enum(["question", "search", "learning", "thinking"]),
  id: z.string().min(1),
  parentId: z.string().min(1).optional(),
  label: z.string().min(1),
});

export const progressDataSchema = z.object({
  step: z.string().optional(),
  percentage: z.number().optional(),
  message: z.string().optional(),
  // A node the reader cannot place costs only that node, not the progress it came with.
  detail: researchTreeNodeSchema.optional().catch(undefined),
  /** The task's usage totals so far, when its model calls changed them since the last `progress` event. */
  usage: usageTotalsSchema.optional().catch(undefined),
});

export const sourceDataSchema = z.object({
  title: z.string().optional(),
  url: z.string().optional(),
  documentRef: z.string().optional(),
  page: z.number().int().positive().optional(),
  /** Why the page could not be read. */
  unreadable: z.string().optional(),
});

export const outputDataSchema = z.object({ text: z.string() });

export const statusDataSchema = z.object({
  status: z.enum(taskStatuses).optional(),
  /** On `running`: which kind of attempt started (a takeover, a resume…). */
  attempt: z.enum(attemptKinds).optional(),
  message: z.string().optional(),
  error: z
    .union([z.string(), z.object({ code: z.string().optional(), message: z.string().optional() })])
    .optional(),
  /** Present when this event starts a new run of the task (a retry or `fresh`): it is the run's first event. */
  run: z.number().int().positive().optional(),
  checkpointRun: z.number().int().positive().optional(),
});

export const doneDataSchema = z.object({
  status: z.enum(taskStatuses),
  error: z.string().optional(),
  /** The result without its report (the report is the run's `output` events). */
  result: z
    .object({
      sources: z.array(sourceJsonSchema),
      learnings: z.array(z.string()),
      reportLength: z.number().int().nonnegative().optional(),
    })
    .nullable()
    .optional(),
});

/**
 * The `error` event (unnumbered, not in the log) that ends a stream the
 * server cannot go on serving: the task was deleted, or its log could not be
 * read. A client reconnects and hears why (410, or the stream again).
 */
export const streamErrorDataSchema = z.object({ message: z.string() });

export const eventDataSchemas = {
  progress: progressDataSchema,
  source: sourceDataSchema,
  output: outputDataSchema,
  status: statusDataSchema,
  done: doneDataSchema,
} as const satisfies Record<EventType, z.ZodType>;

export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;

/** An event whose `data` was checked against its type's schema. */
export type TypedEvent = { [T in EventType]: { id: number; type: T; data: EventData<T> } }[EventType];

/** Checks an event's data against its type; the error is a readable list of what was wrong. */
export function parseEvent(
  event: Pick<TaskEvent, "id" | "type"> & { data: unknown },
): { success: true; event: TypedEvent } | { success: false; error: string } {
  const parsed = eventDataSchemas[event.type].safeParse(event.data);
  if (!parsed.success) {
    return { success: false, error: `${event.type} event ${event.id}: ${z.prettifyError(parsed.error)}` };
  }
  // The schema was chosen by `event.type`, so type and data match; TypeScript cannot correlate the two.
  return { success: true, event: { id: event.id, type: event.type, data: parsed.data } as TypedEvent };
}
