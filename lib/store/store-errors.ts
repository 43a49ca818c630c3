import { AppError } from "../errors";
import { isTaskId } from "../model/task-json";
import type { Lease } from "./types";

/** Every store checks ids itself too: nothing that is not a task id becomes a key or a path. */
export function assertTaskId(taskId: string): void {
  if (!isTaskId(taskId)) throw new AppError("invalid_request", "Not a task id.");
}

/** The error a store answers a write with once `lease` is no longer the newest epoch. */
export function leaseLost(lease: Lease, why: string): AppError {
  return new AppError("lease_lost", `Lease ${lease.epoch} of task ${lease.taskId} was lost (${why}).`);
}

/** The error subscribers of a deleted task end with (410 at the API). */
export function taskGone(): AppError {
  return new AppError("gone", "The task was deleted.");
}

/** Refuses a store option that is not a positive number (`what` names it, e.g. "a positive lease time"). */
export function expectPositive(value: number | undefined, what: string): void {
  if (value !== undefined && !(value > 0)) {
    throw new AppError("invalid_request", `Expected ${what}, got ${value}.`);
  }
}
