import { z } from "zod";

/** The event types of a task's log (docs/ARCHITECTURE.md, "Wire format"). `task` snapshots are never logged. */
export const eventTypes = ["progress", "source", "output", "status", "done"] as const;
export type EventType = (typeof eventTypes)[number];

/** An event as stored in the log and sent over SSE. */
export interface TaskEvent {
  /** Per task, strictly increasing from 1, without gaps. */
  id: number;
  type: EventType;
  data: Record<string, unknown>;
}

export const taskEventSchema = z.object({
  id: z.number().int().positive(),
  type: z.enum(eventTypes),
  data: z.record(z.string(), z.unknown()),
});

/** An event before the store has numbered it. */
export type NewEvent = Omit<TaskEvent, "id">;

/**
 * A checkpoint: the recorded result of one finished engine step. Checkpoints
 * share the log with events (so their order relative to events is exact) but
 * carry no event id and are never sent to clients.
 */
export interface Checkpoint {
  run: number;
  key: string;
  result: unknown;
}

export const checkpointSchema = z.object({
  run: z.number().int().positive(),
  key: z.string(),
  result: z.unknown(),
});

/** What an owner appends: events and checkpoints, in order. */
export type NewRecord = { event: NewEvent } | { checkpoint: Checkpoint };
