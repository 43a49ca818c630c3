import { describe, expect, it } from "vitest";
import type { ScheduleRunJson } from "@/lib/model/schedule";
import { fieldErrors, formatDuration, formatRelative, runOutcome, runTaskHref } from "./schedule-format";

const NOW = Date.parse("2026-03-01T12:00:00.000Z");

function run(overrides: Partial<ScheduleRunJson>): ScheduleRunJson {
  return {
    scheduleId: "A".repeat(21),
    fireTime: "2026-03-01T11:59:57.000Z",
    run: 2,
    taskId: null,
    catchUp: false,
    manual: false,
    started: true,
    startedAt: "2026-03-01T11:59:57.100Z",
    endedAt: null,
    durationMs: null,
    success: null,
    error: null,
    reportLength: null,
    sources: null,
    newSources: null,
    ...overrides,
  };
}

describe("schedule formatting", () => {
  it("shows instants relative to the clock in their largest whole unit", () => {
    expect(formatRelative("2026-03-01T12:00:03.000Z", NOW)).toBe("in 3 seconds");
    expect(formatRelative("2026-03-01T14:00:00.000Z", NOW)).toBe("in 2 hours");
    expect(formatRelative("2026-03-03T04:00:00.000Z", NOW)).toBe("in 2 days");
    expect(formatRelative("2026-03-01T11:55:00.000Z", NOW)).toBe("5 minutes ago");
    expect(formatRelative("2026-03-01T12:00:00.000Z", NOW)).toBe("now");
    expect(formatRelative("not a date", NOW)).toBe("");
  });

  it("shows durations in ms, seconds or minutes", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(12_400)).toBe("12.4 s");
    expect(formatDuration(185_000)).toBe("3 min 5 s");
  });

  it("names a run's outcome and links its task page", () => {
    expect(runOutcome(run({}))).toEqual({ tone: "running", label: "Running" });
    expect(runOutcome(run({ started: false }))).toEqual({ tone: "running", label: "Starting" });
    expect(runOutcome(run({ success: true }))).toEqual({ tone: "completed", label: "Succeeded" });
    expect(runOutcome(run({ success: false }))).toEqual({ tone: "failed", label: "Failed" });
    expect(runOutcome(run({ success: false, run: null }))).toEqual({ tone: "failed", label: "Skipped" });
    expect(runTaskHref(run({}))).toBeNull();
    expect(runTaskHref(run({ taskId: "abc" }))).toBe("/tasks/abc");
  });

  it("splits an API refusal into messages by field", () => {
    expect(
      fieldErrors(
        'Invalid request: cron: cron "x" is not a cron expression; request.query: query must not be empty; webhook.url: expected a URL.',
      ),
    ).toEqual({
      fields: {
        cron: 'cron "x" is not a cron expression',
        query: "query must not be empty",
        webhook: "expected a URL",
      },
      rest: null,
    });
    expect(fieldErrors("expected at least one field to change")).toEqual({
      fields: {},
      rest: "expected at least one field to change",
    });
  });
});
