import { describe, expect, it } from "vitest";
import { applySchedulePatch, newSchedule, scheduleCreateSchema, schedulePatchSchema } from "./schedule";
import { deliveryIdOf, type WebhookDeliveryJson, webhookLinks, withOutcome } from "./webhook";

const now = Date.parse("2026-05-01T12:00:00Z");
const options = { minIntervalS: 60, now };
const body = {
  name: " Weekly ",
  request: { query: "solar power" },
  cron: "0 9 * * 1",
  timezone: "Europe/Berlin",
};

describe("schedule inputs", () => {
  it("parses a create body with its defaults", () => {
    const input = scheduleCreateSchema(options).parse(body);
    expect(input).toMatchObject({ name: "Weekly", enabled: true, missed: "once" });
    const schedule = newSchedule(input, "abcdefghijklmnopqrstu", new Date(now));
    expect(schedule).toMatchObject({ id: "abcdefghijklmnopqrstu", createdAt: "2026-05-01T12:00:00.000Z" });
  });

  it("names each problem on its field", () => {
    const result = scheduleCreateSchema(options).safeParse({ ...body, cron: "* * * * * *", extra: 1 });
    expect(result.success).toBe(false);
    const issues = result.error?.issues ?? [];
    expect(issues.some((issue) => issue.path.join(".") === "" && issue.code === "unrecognized_keys")).toBe(
      true,
    );
    const zone = scheduleCreateSchema(options).safeParse({ ...body, timezone: "Europe/Atlantis" });
    expect(zone.error?.issues[0]).toMatchObject({ path: ["timezone"] });
    const often = scheduleCreateSchema(options).safeParse({ ...body, cron: "*/20 * * * * *" });
    expect(often.error?.issues[0]?.path).toEqual(["cron"]);
    expect(often.error?.issues[0]?.message).toContain("MIN_SCHEDULE_INTERVAL_S");
    const url = scheduleCreateSchema(options).safeParse({ ...body, webhook: { url: "ftp://example.com/x" } });
    expect(url.error?.issues[0]?.message).toContain("http");
  });

  it("patches: checks a new cron with the stored zone, removes a webhook with null, refuses an empty patch", () => {
    const schedule = newSchedule(
      scheduleCreateSchema(options).parse({ ...body, webhook: { url: "https://example.com/hook" } }),
      "abcdefghijklmnopqrstu",
      new Date(now),
    );
    expect(schedulePatchSchema.safeParse({}).success).toBe(false);
    expect(() =>
      applySchedulePatch(schedule, schedulePatchSchema.parse({ cron: "* * * * * *" }), options),
    ).toThrow(/MIN_SCHEDULE_INTERVAL_S/);
    const patched = applySchedulePatch(
      schedule,
      schedulePatchSchema.parse({ webhook: null, enabled: false }),
      { ...options, now: now + 1000 },
    );
    expect(patched.webhook).toBeUndefined();
    expect(patched.enabled).toBe(false);
    expect(patched.updatedAt).toBe("2026-05-01T12:00:01.000Z");
    expect(patched.createdAt).toBe(schedule.createdAt);
  });
});

describe("webhook deliveries", () => {
  it("derives one id per task, run and URL", async () => {
    const task = "0123456789abcdef0123456789abcdef";
    const id = await deliveryIdOf(task, 1, "https://a.example/x");
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(await deliveryIdOf(task, 1, "https://a.example/x")).toBe(id);
    expect(await deliveryIdOf(task, 2, "https://a.example/x")).not.toBe(id);
    expect(await deliveryIdOf(task, 1, "https://b.example/x")).not.toBe(id);
  });

  it("folds outcomes into the status", () => {
    const taskId = "0123456789abcdef0123456789abcdef";
    const delivery: WebhookDeliveryJson = {
      id: "f".repeat(32),
      taskId,
      run: 1,
      url: "https://a.example/x",
      status: "pending",
      attempts: [],
      nextAttemptAt: "2026-05-01T12:00:00.000Z",
      createdAt: "2026-05-01T12:00:00.000Z",
      payload: {
        type: "task.finished",
        deliveryId: "f".repeat(32),
        taskId,
        run: 1,
        status: "completed",
        reportLength: 10,
        error: null,
        scheduleId: null,
        finishedAt: "2026-05-01T12:00:00.000Z",
        links: webhookLinks(taskId),
      },
    };
    const retry = withOutcome(delivery, {
      attempt: { at: "2026-05-01T12:00:01.000Z", status: 503, error: "HTTP 503" },
      delivered: false,
      nextAttemptAt: "2026-05-01T12:00:11.000Z",
    });
    expect(retry).toMatchObject({ status: "pending", nextAttemptAt: "2026-05-01T12:00:11.000Z" });
    expect(
      withOutcome(retry, {
        attempt: { at: "2026-05-01T12:00:12.000Z", status: 200 },
        delivered: true,
        nextAttemptAt: null,
      }),
    ).toMatchObject({ status: "delivered", nextAttemptAt: null });
    expect(
      withOutcome(retry, {
        attempt: { at: "2026-05-01T12:00:12.000Z", error: "timed out" },
        delivered: false,
        nextAttemptAt: null,
      }),
    ).toMatchObject({ status: "failed", nextAttemptAt: null });
  });
});
