import { describe, expect, it } from "vitest";
import { parseWarmSchedule, warmShortfalls, warmWindowOpen } from "../../../lambdas/reconcile/warm.js";
import type { WarmPool } from "../../../lambdas/reconcile/warm.js";

// 2024-06-10 is a Monday.
const at = (isoUtc: string): Date => new Date(`${isoUtc}Z`);

describe("parseWarmSchedule", () => {
  it("reads an empty schedule as always open", () => {
    // Act
    const windows = parseWarmSchedule("  ");

    // Assert
    expect(windows).toEqual([{ days: new Set([0, 1, 2, 3, 4, 5, 6]), start: 0, end: 1440 }]);
  });

  it("reads day ranges, day lists, `*` and several windows, case-insensitively", () => {
    // Act
    const windows = parseWarmSchedule("Mon-Fri 07:00-19:30; sat,SUN 10:00-14:00;* 00:00-24:00");

    // Assert
    expect(windows).toEqual([
      { days: new Set([1, 2, 3, 4, 5]), start: 7 * 60, end: 19 * 60 + 30 },
      { days: new Set([6, 0]), start: 10 * 60, end: 14 * 60 },
      { days: new Set([0, 1, 2, 3, 4, 5, 6]), start: 0, end: 1440 },
    ]);
  });

  it("reads a day range that wraps over the week's end", () => {
    // Act
    const [window] = parseWarmSchedule("Fri-Mon 08:00-12:00");

    // Assert
    expect(window?.days).toEqual(new Set([5, 6, 0, 1]));
  });

  it("reads every day name, Tue and Wed included, and a range that starts on an unknown day fails", () => {
    // Act + Assert
    expect(parseWarmSchedule("Tue,Wed,Thu 09:00-10:00")[0]?.days).toEqual(new Set([2, 3, 4]));
    expect(() => parseWarmSchedule("Fru-Mon 07:00-19:00")).toThrow('warm schedule day "fru-mon" is not one of Sun..Sat');
  });

  it("accepts the last valid time of each field: minute 59 and 24:00 as a start or an end", () => {
    // Act + Assert
    expect(parseWarmSchedule("Mon 07:59-08:59")).toEqual([{ days: new Set([1]), start: 7 * 60 + 59, end: 8 * 60 + 59 }]);
    expect(parseWarmSchedule("Mon 24:00-02:00")).toEqual([{ days: new Set([1]), start: 24 * 60, end: 2 * 60 }]);
  });

  it.each([
    { schedule: "Mon 07:00-08:60", message: 'warm schedule time in "Mon 07:00-08:60" is out of range' },
    { schedule: "Mon 24:01-08:00", message: 'warm schedule time in "Mon 24:01-08:00" is out of range' },
    // The message names the window without the blanks around it.
    { schedule: "Mon 07:00-08:00;  Tue 07:00-08:61 ", message: 'warm schedule time in "Tue 07:00-08:61" is out of range' },
    { schedule: "Mon 07:00-08:00;  weekends 07:00-08:00 ", message: 'warm schedule "weekends 07:00-08:00" is not "<days> HH:MM-HH:MM"' },
  ])("fails when a later field or window is out of range: $schedule", ({ schedule, message }) => {
    // Act + Assert
    expect(() => parseWarmSchedule(schedule)).toThrow(message);
  });

  it.each([
    { schedule: "weekdays 07:00-19:00", message: 'warm schedule "weekdays 07:00-19:00" is not "<days> HH:MM-HH:MM"' },
    { schedule: "Mon-Fri 7:00-19:00", message: 'warm schedule "Mon-Fri 7:00-19:00" is not "<days> HH:MM-HH:MM"' },
    { schedule: "Mon-Fri", message: 'warm schedule "Mon-Fri" is not "<days> HH:MM-HH:MM"' },
    { schedule: "Mon-Fri 07:00-19:00;", message: 'warm schedule "" is not "<days> HH:MM-HH:MM"' },
    { schedule: "Mon-Fru 07:00-19:00", message: 'warm schedule day "mon-fru" is not one of Sun..Sat' },
    { schedule: "Mon 07:60-19:00", message: 'warm schedule time in "Mon 07:60-19:00" is out of range' },
    { schedule: "Mon 07:00-24:01", message: 'warm schedule time in "Mon 07:00-24:01" is out of range' },
    { schedule: "Mon 25:00-26:00", message: 'warm schedule time in "Mon 25:00-26:00" is out of range' },
  ])("fails when the schedule is malformed: $schedule", ({ schedule, message }) => {
    // Act + Assert
    expect(() => parseWarmSchedule(schedule)).toThrow(message);
  });
});

describe("warmWindowOpen", () => {
  it.each([
    { now: "2024-06-10T06:59:59", open: false, name: "Monday just before the start" },
    { now: "2024-06-10T07:00:00", open: true, name: "Monday at the start" },
    { now: "2024-06-14T18:59:00", open: true, name: "Friday in the last minute" },
    { now: "2024-06-14T19:00:00", open: false, name: "Friday at the end (exclusive)" },
    { now: "2024-06-15T12:00:00", open: false, name: "Saturday noon" },
  ])("weekday window, $name: $open", ({ now, open }) => {
    // Act + Assert
    expect(warmWindowOpen("Mon-Fri 07:00-19:00", at(now))).toBe(open);
  });

  it.each([
    { now: "2024-06-14T21:59:00", open: false, name: "Friday before the start" },
    { now: "2024-06-14T22:00:00", open: true, name: "Friday at the start" },
    { now: "2024-06-14T23:59:00", open: true, name: "Friday before midnight" },
    { now: "2024-06-15T00:00:00", open: true, name: "Saturday at midnight (the window belongs to Friday)" },
    { now: "2024-06-15T01:59:00", open: true, name: "Saturday before the end" },
    { now: "2024-06-15T02:00:00", open: false, name: "Saturday at the end" },
    { now: "2024-06-15T22:30:00", open: false, name: "Saturday night (not a window day)" },
    { now: "2024-06-14T01:00:00", open: true, name: "Friday early (Thursday's window)" },
    { now: "2024-06-10T01:00:00", open: false, name: "Monday early (Sunday has no window)" },
  ])("window across midnight, $name: $open", ({ now, open }) => {
    // Act + Assert
    expect(warmWindowOpen("Mon-Fri 22:00-02:00", at(now))).toBe(open);
  });

  it("is open when any of several windows is", () => {
    // Arrange
    const schedule = "Sat,Sun 10:00-14:00; Mon-Fri 06:00-20:00";

    // Act + Assert
    expect(warmWindowOpen(schedule, at("2024-06-15T11:00:00"))).toBe(true);
    expect(warmWindowOpen(schedule, at("2024-06-15T15:00:00"))).toBe(false);
    expect(warmWindowOpen(schedule, at("2024-06-11T19:59:00"))).toBe(true);
    expect(warmWindowOpen(schedule, at("2024-06-11T05:00:00"))).toBe(false);
  });

  it.each([
    { now: "2024-06-10T07:15:00", open: false, name: "before a start with minutes" },
    { now: "2024-06-10T07:30:00", open: true, name: "at a start with minutes" },
    { now: "2024-06-10T07:45:00", open: true, name: "inside, minutes past the hour" },
  ])("window starting at half past, $name: $open", ({ now, open }) => {
    // Act + Assert
    expect(warmWindowOpen("Mon 07:30-08:00", at(now))).toBe(open);
  });

  it("is never open when a window ends where it starts (the end is exclusive)", () => {
    // Act + Assert
    for (const now of ["2024-06-10T07:00:00", "2024-06-10T12:00:00", "2024-06-11T06:59:00"]) expect(warmWindowOpen("Mon 07:00-07:00", at(now))).toBe(false);
  });

  it("is always open with an empty schedule", () => {
    // Act + Assert
    expect(warmWindowOpen("", at("2024-06-16T03:17:00"))).toBe(true);
  });
});

describe("warmShortfalls", () => {
  const NOW = at("2024-06-11T12:00:00");
  const pool = (size: number, overrides: Partial<WarmPool> = {}): WarmPool => ({ size, owner: "octo-org", schedule: "Mon-Fri 07:00-19:00", ...overrides });

  it("asks for the size minus the ready and pending runners of the pool and owner", () => {
    // Act
    const shortfalls = warmShortfalls(
      { linux: pool(5), gpu: pool(2) },
      [
        { pool: "linux", owner: "octo-org", ready: 1, pending: 2 },
        // Another owner's runners in the same pool do not count.
        { pool: "linux", owner: "other-org", ready: 4, pending: 0 },
        { pool: "gpu", owner: "octo-org", ready: 0, pending: 0 },
      ],
      NOW,
    );

    // Assert
    expect(shortfalls).toEqual([
      { pool: "linux", owner: "octo-org", count: 2 },
      { pool: "gpu", owner: "octo-org", count: 2 },
    ]);
  });

  it("asks for nothing when ready plus pending runners reach the size", () => {
    // Act
    const shortfalls = warmShortfalls({ linux: pool(3) }, [{ pool: "linux", owner: "octo-org", ready: 1, pending: 2 }], NOW);

    // Assert
    expect(shortfalls).toEqual([]);
  });

  it("asks for nothing outside the window, or for pools without a warm setting", () => {
    // Act
    const shortfalls = warmShortfalls(
      { linux: pool(3, { schedule: "Sat,Sun 00:00-24:00" }), gpu: undefined, arm: pool(0) },
      [],
      NOW,
    );

    // Assert
    expect(shortfalls).toEqual([]);
  });
});
