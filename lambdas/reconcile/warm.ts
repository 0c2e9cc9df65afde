/**
 * Warm pools, pure: when a pool's warm window is open, keep `size` runners ready (booting or idle);
 * the reconciler asks scale-up for the shortfall through the pool's queue, so warm runners go through
 * the same limits, ledger and fallbacks as any other, and count against the limits. Outside the window
 * nothing is launched and idle runners end at the idle timeout as usual, so nothing leaks.
 */

import { WARM_WINDOW_SHAPE } from "../../contracts/patterns.js";

/**
 * The installation id a warm job message carries in enterprise scope. The message format requires a
 * positive id, but enterprise runners are registered and removed with the enterprise token, never an
 * App installation, so nothing reads it.
 */
export const ENTERPRISE_WARM_INSTALLATION_ID = 1;

/** A pool's warm setting: `size` ready runners for `owner` while `schedule` is open. */
export interface WarmPool {
  readonly size: number;
  /** Registration target: organization (org scope), `owner/repo` (repo scope) or the enterprise slug (enterprise scope). */
  readonly owner: string;
  /** "" (always) or windows in UTC, e.g. "Mon-Fri 07:00-19:00" or "Sat,Sun 10:00-14:00; Mon-Fri 06:00-20:00". */
  readonly schedule: string;
}

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface Window {
  readonly days: ReadonlySet<number>;
  /** Minutes after midnight UTC; end exclusive; end < start spans midnight. */
  readonly start: number;
  readonly end: number;
}

/** Parses a schedule; throws with the offending part when it is malformed. */
export function parseWarmSchedule(schedule: string): Window[] {
  if (schedule.trim() === "") return [{ days: new Set([0, 1, 2, 3, 4, 5, 6]), start: 0, end: 24 * 60 }];
  return schedule.split(";").map((part) => {
    const match = WARM_WINDOW_SHAPE.exec(part);
    if (match === null) throw new Error(`warm schedule "${part.trim()}" is not "<days> HH:MM-HH:MM"`);
    const [, dayText, h1, m1, h2, m2] = match as unknown as [string, string, string, string, string, string];
    const days = new Set<number>();
    for (const range of dayText === "*" ? ["sun-sat"] : dayText.toLowerCase().split(",")) {
      const [from, to = from] = range.split("-") as [string, string?];
      const a = DAYS.indexOf(from);
      const b = DAYS.indexOf(to);
      if (a < 0 || b < 0) throw new Error(`warm schedule day "${range}" is not one of Sun..Sat`);
      for (let d = a; ; d = (d + 1) % 7) {
        days.add(d);
        if (d === b) break;
      }
    }
    const start = Number(h1) * 60 + Number(m1);
    const end = Number(h2) * 60 + Number(m2);
    if (start > 24 * 60 || end > 24 * 60 || Number(m1) > 59 || Number(m2) > 59) throw new Error(`warm schedule time in "${part.trim()}" is out of range`);
    return { days, start, end };
  });
}

/** Whether a schedule is open at `now` (UTC). A window spanning midnight belongs to its start day. */
export function warmWindowOpen(schedule: string, now: Date): boolean {
  const day = now.getUTCDay();
  const minute = now.getUTCHours() * 60 + now.getUTCMinutes();
  return parseWarmSchedule(schedule).some((w) => {
    if (w.start <= w.end) return w.days.has(day) && minute >= w.start && minute < w.end;
    return (w.days.has(day) && minute >= w.start) || (w.days.has((day + 6) % 7) && minute < w.end);
  });
}

/** Runners of a pool and owner that could take a job now or soon (booting or idle, not stopped). */
export interface ReadyRunnerCount {
  readonly pool: string;
  readonly owner: string;
  readonly ready: number;
  /** Warm requests already on their way (claimed or queued warm jobs not yet launched). */
  readonly pending: number;
}

/** Warm runners to ask for, per pool: the open windows' sizes minus what is ready or pending. */
export function warmShortfalls(
  pools: Readonly<Record<string, WarmPool | undefined>>,
  counts: readonly ReadyRunnerCount[],
  now: Date,
): Array<{ readonly pool: string; readonly owner: string; readonly count: number }> {
  const out: Array<{ pool: string; owner: string; count: number }> = [];
  for (const [pool, warm] of Object.entries(pools)) {
    if (warm === undefined || warm.size <= 0 || !warmWindowOpen(warm.schedule, now)) continue;
    const have = counts.filter((c) => c.pool === pool && c.owner === warm.owner).reduce((n, c) => n + c.ready + c.pending, 0);
    if (have < warm.size) out.push({ pool, owner: warm.owner, count: warm.size - have });
  }
  return out;
}
