import { describe, expect, it } from "vitest";
import {
  checkCronSpec,
  dueFires,
  fireTimesBetween,
  isTimeZone,
  nextFireTime,
  nextFireTimes,
} from "./schedule-clock";

const at = (iso: string) => Date.parse(iso);
const iso = (times: number[]) => times.map((time) => new Date(time).toISOString());
const local = (times: number[], timeZone: string) =>
  times.map((time) =>
    new Intl.DateTimeFormat("sv-SE", { timeZone, dateStyle: "short", timeStyle: "medium" }).format(time),
  );

const NY = "America/New_York";
const BERLIN = "Europe/Berlin";

describe("checkCronSpec", () => {
  const now = at("2026-05-01T12:00:00Z");
  const check = (cron: string, timezone = "UTC", minIntervalS = 60) =>
    checkCronSpec({ cron, timezone }, { minIntervalS, now });

  it("accepts 5 and 6 fields, nicknames and zones such as UTC", () => {
    expect(check("0 9 * * 1-5", NY)).toEqual([]);
    expect(check("30 */5 * * * *", "UTC", 60)).toEqual([]);
    expect(check("@daily", BERLIN)).toEqual([]);
  });

  it("names an unknown zone", () => {
    const [problem] = check("0 9 * * *", "Mars/Olympus_Mons");
    expect(problem).toMatchObject({ field: "timezone" });
    expect(problem?.message).toContain("Mars/Olympus_Mons");
    expect(problem?.message).toContain("IANA");
    expect(check("0 9 * * *", "+01:00")[0]?.field).toBe("timezone");
    expect(check("0 9 * * *", "")[0]?.field).toBe("timezone");
  });

  it("names an expression that does not parse, and one that never fires", () => {
    expect(check("61 * * * *")[0]?.message).toMatch(/not a cron expression.*minute/);
    expect(check("* * *")[0]?.message).toMatch(/not a cron expression/);
    expect(check("0 0 0 1 1 * 2020")[0]?.field).toBe("cron");
    expect(check("0 0 30 2 *")[0]?.message).toContain("never fires");
  });

  it("refuses expressions that fire more often than the minimum interval, anywhere in the next fires", () => {
    expect(check("* * * * *", "UTC", 120)[0]?.message).toMatch(
      /fires 1 min apart.*every 2 min.*MIN_SCHEDULE_INTERVAL_S/,
    );
    expect(check("*/10 * * * * *", "UTC", 60)[0]?.message).toMatch(/fires 10 s apart/);
    // Twice a minute apart once a day: the close pair is among the next fires.
    expect(check("0,1 9 * * *", "UTC", 300)[0]?.message).toMatch(/1 min apart/);
    expect(check("* * * * *", "UTC", 60)).toEqual([]);
  });
});

describe("isTimeZone", () => {
  it("knows IANA names and aliases, not offsets or junk", () => {
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Etc/GMT+5")).toBe(true);
    expect(isTimeZone("America/Argentina/Buenos_Aires")).toBe(true);
    expect(isTimeZone("Europe/Nowhere")).toBe(false);
    expect(isTimeZone("-05:00")).toBe(false);
    expect(isTimeZone("../etc")).toBe(false);
  });
});

describe("nextFireTimes", () => {
  it("previews the next five fires, strictly after the instant", () => {
    const fires = nextFireTimes({ cron: "0 9 * * *", timezone: BERLIN }, at("2026-06-01T07:00:00Z"));
    expect(iso(fires)).toEqual([
      "2026-06-02T07:00:00.000Z",
      "2026-06-03T07:00:00.000Z",
      "2026-06-04T07:00:00.000Z",
      "2026-06-05T07:00:00.000Z",
      "2026-06-06T07:00:00.000Z",
    ]);
    expect(nextFireTime({ cron: "0 9 * * *", timezone: BERLIN }, at("2026-06-01T06:59:59Z"))).toBe(
      at("2026-06-01T07:00:00Z"),
    );
  });

  it("lists the fires between two instants, after exclusive and until inclusive", () => {
    const spec = { cron: "*/15 * * * *", timezone: "UTC" };
    expect(iso(fireTimesBetween(spec, at("2026-01-01T00:00:00Z"), at("2026-01-01T01:00:00Z"), 10))).toEqual([
      "2026-01-01T00:15:00.000Z",
      "2026-01-01T00:30:00.000Z",
      "2026-01-01T00:45:00.000Z",
      "2026-01-01T01:00:00.000Z",
    ]);
    expect(fireTimesBetween(spec, at("2026-01-01T00:00:00Z"), at("2026-01-01T01:00:00Z"), 2)).toHaveLength(2);
    expect(fireTimesBetween(spec, at("2026-01-01T01:00:00Z"), at("2026-01-01T00:00:00Z"), 10)).toEqual([]);
  });
});

describe("daylight saving time (2026 transitions)", () => {
  it("America/New_York, spring (8 March, 02:00 → 03:00): a daily fire in the gap runs at 03:00, once", () => {
    const spec = { cron: "30 2 * * *", timezone: NY };
    const fires = nextFireTimes(spec, at("2026-03-06T12:00:00Z"), 4);
    expect(local(fires, NY)).toEqual([
      "2026-03-07 02:30:00",
      "2026-03-08 03:00:00",
      "2026-03-09 02:30:00",
      "2026-03-10 02:30:00",
    ]);
  });

  it("America/New_York, spring: a list with a time in the gap and one after it loses neither", () => {
    const fires = nextFireTimes({ cron: "30 2,3 * * *", timezone: NY }, at("2026-03-08T00:00:00Z"), 3);
    expect(local(fires, NY)).toEqual(["2026-03-08 03:00:00", "2026-03-08 03:30:00", "2026-03-09 02:30:00"]);
  });

  it("America/New_York, autumn (1 November, 02:00 → 01:00): a daily fire in the repeated hour runs once", () => {
    const spec = { cron: "30 1 * * *", timezone: NY };
    const fires = nextFireTimes(spec, at("2026-10-31T12:00:00Z"), 3);
    expect(iso(fires)).toEqual([
      "2026-11-01T05:30:00.000Z", // 01:30 EDT, the first occurrence
      "2026-11-02T06:30:00.000Z",
      "2026-11-03T06:30:00.000Z",
    ]);
    // Every fire of the day, from the evening before to the evening after: one.
    const day = fireTimesBetween(spec, at("2026-11-01T00:00:00Z"), at("2026-11-01T23:00:00Z"), 10);
    expect(day).toHaveLength(1);
  });

  it("America/New_York, autumn: an hourly expression follows elapsed time (one fire per real hour)", () => {
    const fires = fireTimesBetween(
      { cron: "0 * * * *", timezone: NY },
      at("2026-11-01T03:30:00Z"),
      at("2026-11-01T08:30:00Z"),
      10,
    );
    expect(iso(fires)).toEqual([
      "2026-11-01T04:00:00.000Z",
      "2026-11-01T05:00:00.000Z",
      "2026-11-01T06:00:00.000Z",
      "2026-11-01T07:00:00.000Z",
      "2026-11-01T08:00:00.000Z",
    ]);
    expect(local(fires, NY).map((text) => text.slice(11))).toEqual([
      "00:00:00",
      "01:00:00",
      "01:00:00",
      "02:00:00",
      "03:00:00",
    ]);
  });

  it("Europe/Berlin, spring (29 March, 02:00 → 03:00): 02:00 daily runs at 03:00 that day, then 02:00 again", () => {
    const fires = nextFireTimes({ cron: "0 2 * * *", timezone: BERLIN }, at("2026-03-28T12:00:00Z"), 3);
    expect(local(fires, BERLIN)).toEqual([
      "2026-03-29 03:00:00",
      "2026-03-30 02:00:00",
      "2026-03-31 02:00:00",
    ]);
  });

  it("Europe/Berlin, autumn (25 October, 03:00 → 02:00): 02:30 daily runs once, in the first 02:30", () => {
    const fires = fireTimesBetween(
      { cron: "30 2 * * *", timezone: BERLIN },
      at("2026-10-24T12:00:00Z"),
      at("2026-10-26T12:00:00Z"),
      10,
    );
    expect(iso(fires)).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]);
  });

  it("Europe/Berlin: every-30-minutes keeps its interval across both transitions", () => {
    const spring = fireTimesBetween(
      { cron: "*/30 * * * *", timezone: BERLIN },
      at("2026-03-29T00:00:00Z"),
      at("2026-03-29T02:00:00Z"),
      10,
    );
    const autumn = fireTimesBetween(
      { cron: "*/30 * * * *", timezone: BERLIN },
      at("2026-10-25T00:00:00Z"),
      at("2026-10-25T02:00:00Z"),
      10,
    );
    for (const fires of [spring, autumn]) {
      expect(fires).toHaveLength(4);
      expect(fires.slice(1).map((time, index) => time - fires[index]!)).toEqual([
        1_800_000, 1_800_000, 1_800_000,
      ]);
    }
  });
});

describe("dueFires", () => {
  const hourly = { cron: "0 * * * *", timezone: "UTC" };
  const graceMs = 30_000;

  it("fires what is on time and nothing before `after`", () => {
    const due = dueFires(hourly, {
      after: at("2026-01-01T09:00:00Z"),
      now: at("2026-01-01T10:00:05Z"),
      graceMs,
      missed: "skip",
    });
    expect(iso(due.fires)).toEqual(["2026-01-01T10:00:00.000Z"]);
    expect(due.skipped).toBe(0);
    expect(
      dueFires(hourly, {
        after: at("2026-01-01T10:00:00Z"),
        now: at("2026-01-01T10:00:05Z"),
        graceMs,
        missed: "skip",
      }).fires,
    ).toEqual([]);
  });

  it("counts the grace window inclusively", () => {
    const options = { after: at("2026-01-01T09:30:00Z"), graceMs, missed: "skip" as const };
    expect(dueFires(hourly, { ...options, now: at("2026-01-01T10:00:30Z") }).fires).toHaveLength(1);
    expect(dueFires(hourly, { ...options, now: at("2026-01-01T10:00:30.001Z") }).fires).toHaveLength(0);
  });

  it("skip: fires missed while everything was down are passed over", () => {
    const due = dueFires(hourly, {
      after: at("2026-01-01T03:00:00Z"),
      now: at("2026-01-01T10:20:00Z"),
      graceMs,
      missed: "skip",
    });
    expect(due).toEqual({ fires: [], skipped: 7, latestSkipped: at("2026-01-01T10:00:00Z") });
    const onTime = dueFires(hourly, {
      after: at("2026-01-01T03:00:00Z"),
      now: at("2026-01-01T10:00:10Z"),
      graceMs,
      missed: "skip",
    });
    expect(iso(onTime.fires)).toEqual(["2026-01-01T10:00:00.000Z"]);
    expect(onTime.skipped).toBe(6);
    expect(iso([onTime.latestSkipped!])).toEqual(["2026-01-01T09:00:00.000Z"]);
  });

  it("once: one catch-up run, named by the latest missed fire, for everything missed", () => {
    const due = dueFires(hourly, {
      after: at("2026-01-01T03:00:00Z"),
      now: at("2026-01-01T10:20:00Z"),
      graceMs,
      missed: "once",
    });
    expect(iso(due.fires)).toEqual(["2026-01-01T10:00:00.000Z"]);
    expect(due.skipped).toBe(6);
  });

  it("once: an on-time fire covers the missed ones (no catch-up right before it)", () => {
    const due = dueFires(hourly, {
      after: at("2026-01-01T03:00:00Z"),
      now: at("2026-01-01T10:00:10Z"),
      graceMs,
      missed: "once",
    });
    expect(iso(due.fires)).toEqual(["2026-01-01T10:00:00.000Z"]);
    expect(due.skipped).toBe(6);
  });

  it("once: a second tick after the catch-up fires nothing more", () => {
    const first = dueFires(hourly, {
      after: at("2026-01-01T03:00:00Z"),
      now: at("2026-01-01T10:20:00Z"),
      graceMs,
      missed: "once",
    });
    const second = dueFires(hourly, {
      after: first.fires[0]!,
      now: at("2026-01-01T10:20:01Z"),
      graceMs,
      missed: "once",
    });
    expect(second).toEqual({ fires: [], skipped: 0, latestSkipped: null });
  });

  it("ticks every 29 s across New York's spring change fire each 02:30 once, none lost", () => {
    const spec = { cron: "30 2 * * *", timezone: NY };
    let after = at("2026-03-07T00:00:00Z");
    const fired: number[] = [];
    for (let now = after; now <= at("2026-03-09T12:00:00Z"); now += 29_000) {
      const due = dueFires(spec, { after, now, graceMs, missed: "skip" });
      fired.push(...due.fires);
      if (due.fires.length > 0) after = due.fires.at(-1)!;
    }
    expect(local(fired, NY)).toEqual(["2026-03-07 02:30:00", "2026-03-08 03:00:00", "2026-03-09 02:30:00"]);
  });

  it("ticks across Berlin's autumn change fire 02:30 once that day", () => {
    const spec = { cron: "30 2 * * *", timezone: BERLIN };
    let after = at("2026-10-24T00:00:00Z");
    const fired: number[] = [];
    for (let now = after; now <= at("2026-10-26T06:00:00Z"); now += 29_000) {
      const due = dueFires(spec, { after, now, graceMs, missed: "skip" });
      fired.push(...due.fires);
      if (due.fires.length > 0) after = due.fires.at(-1)!;
    }
    expect(iso(fired)).toEqual([
      "2026-10-24T00:30:00.000Z",
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
    ]);
  });
});
