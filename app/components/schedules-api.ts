/**
 * The browser's calls to the schedules API (app/api/schedules/**), each
 * answer parsed with the model's schema (lib/model/schedule-view.ts,
 * lib/model/schedule.ts).
 */
import { z } from "zod";
import type { ScheduleRunJson, ScheduleRunPage } from "@/lib/model/schedule";
import { scheduleRunJsonSchema, scheduleRunPageSchema } from "@/lib/model/schedule";
import { type ScheduleView, scheduleListSchema, scheduleViewSchema } from "@/lib/model/schedule-view";
import { apiFetch, apiSend } from "./api";

/** What the schedule form sends: the body of a create, or a patch of every field the form shows. */
export interface ScheduleInput {
  name: string;
  request: { query: string; depth?: number; breadth?: number };
  cron: string;
  timezone: string;
  missed: "skip" | "once";
  /** Absent: keep (create: none); null: remove (edit only). */
  webhook?: { url: string } | null;
}

const schedulePath = (id: string) => `/api/schedules/${encodeURIComponent(id)}`;
const runNowSchema = z.object({ run: scheduleRunJsonSchema });

export async function listSchedules(signal?: AbortSignal): Promise<ScheduleView[]> {
  return (await apiFetch("/api/schedules", scheduleListSchema, { signal })).schedules;
}

export function getSchedule(id: string, signal?: AbortSignal): Promise<ScheduleView> {
  return apiFetch(schedulePath(id), scheduleViewSchema, { signal });
}

export function createSchedule(input: ScheduleInput): Promise<ScheduleView> {
  const { webhook, ...rest } = input;
  const body = webhook ? { ...rest, webhook } : rest;
  return apiFetch("/api/schedules", scheduleViewSchema, { method: "POST", body: JSON.stringify(body) });
}

export function updateSchedule(id: string, patch: ScheduleInput): Promise<ScheduleView> {
  return apiFetch(schedulePath(id), scheduleViewSchema, { method: "PATCH", body: JSON.stringify(patch) });
}

export function setSchedulePaused(id: string, paused: boolean): Promise<ScheduleView> {
  return apiFetch(`${schedulePath(id)}/${paused ? "pause" : "resume"}`, scheduleViewSchema, {
    method: "POST",
  });
}

/** Fires the schedule now: the fire's run record. */
export async function runScheduleNow(id: string): Promise<ScheduleRunJson> {
  return (await apiFetch(`${schedulePath(id)}/run`, runNowSchema, { method: "POST" })).run;
}

export function deleteSchedule(id: string): Promise<void> {
  return apiSend(schedulePath(id), { method: "DELETE" });
}

/** A page of the schedule's run records, newest fire first. */
export function listScheduleRuns(
  id: string,
  options: { cursor?: string; limit?: number; signal?: AbortSignal } = {},
): Promise<ScheduleRunPage> {
  const query = new URLSearchParams();
  if (options.limit) query.set("limit", String(options.limit));
  if (options.cursor) query.set("cursor", options.cursor);
  const suffix = query.size > 0 ? `?${query}` : "";
  return apiFetch(`${schedulePath(id)}/runs${suffix}`, scheduleRunPageSchema, { signal: options.signal });
}
