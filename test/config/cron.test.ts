import { describe, expect, it } from "vitest";
import { cronForInterval, isTimeZone, longestGap, parseCron } from "../../components/config";

const HOUR = 3600;
const DAY = 86_400;

describe("parseCron", () => {
  it.each(["0 1 * * 0", "*/5 * * * *", "0 1 * * 1-6", "30 2 * * *", "0 3 * * MON-FRI", "@daily", "@weekly", "0  1 * *  0"])(
    "accepts %j",
    (schedule) => {
      expect(parseCron(schedule).ok).toBe(true);
    },
  );

  it("normalises whitespace", () => {
    expect(parseCron(" 0  1 * *  0 ")).toEqual({ ok: true, value: "0 1 * * 0" });
  });

  it.each([
    ["every day", /has 2 fields/],
    ["0 0 1 * * *", /has 6 fields, a Kubernetes schedule has 5/],
    ["61 * * * *", /not a cron expression/],
    ["0 25 * * *", /not a cron expression/],
    ["0 0 31 2 *", /not a cron expression/],
    ["@fortnightly", /not a cron macro/],
    [5, /must be a cron string/],
    // cron-parser knows these, Kubernetes' parser (robfig/cron) does not.
    ["0 0 L * *", /L, W or #, which Kubernetes schedules do not support/],
    ["0 0 * * MON#1", /L, W or #/],
    ["0 0 15W * *", /L, W or #/],
  ])("refuses %j", (schedule, message) => {
    const result = parseCron(schedule);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toMatch(message);
      expect(result.hint).toContain("'0 3 * * 0'");
    }
  });
});

describe("longestGap", () => {
  it.each([
    ["0 1 * * 0", 7 * DAY],
    ["30 2 * * *", DAY],
    ["*/5 * * * *", 300],
    // Differential Monday to Saturday: Saturday 01:00 to Monday 01:00.
    ["0 1 * * 1-6", 2 * DAY],
    ["0 */6 * * *", 6 * HOUR],
    // Monthly on the 1st: the longest month.
    ["0 0 1 * *", 31 * DAY],
  ])("of %j is %d s", (schedule, seconds) => {
    expect(longestGap(schedule)).toBe(seconds);
  });

  it("follows daylight saving time in the schedule's zone", () => {
    // 02:30 does not exist on the spring-forward night in Berlin; the gap around it grows.
    expect(longestGap("30 2 * * *", "Europe/Berlin")).toBeGreaterThan(DAY);
    expect(longestGap("30 2 * * *", "UTC")).toBe(DAY);
  });

  it("runs at both occurrences of an hour repeated when daylight saving time ends", () => {
    // Kubernetes steps through absolute time and matches local fields: every minute stays a minute.
    expect(longestGap("* * * * *", "America/New_York")).toBe(60);
    expect(longestGap("30 1 * * *", "America/New_York")).toBe(DAY);
  });

  it("bounds yearly schedules and half-hour zones", () => {
    expect(longestGap("0 0 1 1 *")).toBe(366 * DAY);
    expect(longestGap("0 0 * * *", "Australia/Lord_Howe")).toBe(DAY + HOUR / 2);
  });
});

describe("cronForInterval", () => {
  it.each([
    [60, "* * * * *"],
    [300, "*/5 * * * *"],
    [1800, "*/30 * * * *"],
    [HOUR, "0 * * * *"],
    [6 * HOUR, "0 */6 * * *"],
    [DAY, "0 0 * * *"],
  ])("runs every %d s as %j", (interval, schedule) => {
    expect(cronForInterval(interval)).toBe(schedule);
    expect(longestGap(schedule)).toBe(interval);
  });

  it.each([90, 7 * 60, 5 * HOUR, 2 * DAY])("cannot express %d s", (interval) => {
    expect(cronForInterval(interval)).toBeUndefined();
  });
});

describe("isTimeZone", () => {
  it("knows IANA names and refuses others", () => {
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
  });
});
