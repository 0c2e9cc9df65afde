import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WARM_SCHEDULE_PATTERN } from "../../contracts/patterns.js";
import { parseWarmSchedule } from "../../lambdas/reconcile/warm.js";

/** Whether the reconcile function accepts a schedule at run time. */
function handlerAccepts(schedule: string): boolean {
  try {
    parseWarmSchedule(schedule);
    return true;
  } catch {
    return false;
  }
}

const planAccepts = (schedule: string): boolean => new RegExp(WARM_SCHEDULE_PATTERN).test(schedule);

describe("the warm pool schedule pattern (plan time) and the reconcile parser (run time)", () => {
  it.each([
    ["", true],
    ["  ", true],
    ["Mon-Fri 07:00-19:00", true],
    ["Sat,Sun 10:00-14:00; mon-FRI 06:00-20:00", true],
    ["Fri-Mon 22:00-06:00", true],
    ["* 00:00-24:00", true],
    ["Mon-Fri 25:00-29:59", false],
    ["Xyz-Qqq 07:00-19:00", false],
    ["Mon 07:60-19:00", false],
    ["Mon 07:00-24:01", false],
    ["Mon-Fri 07:00-19:00;", false],
    ["weekdays", false],
  ])("%j: accepted %s by both", (schedule, accepted) => {
    expect(planAccepts(schedule)).toBe(accepted);
    expect(handlerAccepts(schedule)).toBe(accepted);
  });

  it("agree on generated schedules (ASCII: RE2's \\s has no Unicode spaces, so the pattern spells them out)", () => {
    const day = fc.constantFrom("Mon", "mon", "FRI", "Sun", "sat", "Xyz", "Mo", "*");
    const days = fc.oneof(day, fc.tuple(day, day).map(([a, b]) => `${a}-${b}`), fc.array(day, { minLength: 1, maxLength: 3 }).map((d) => d.join(",")));
    const time = fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 70 })).map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
    const space = fc.constantFrom("", " ", "  ", "\t");
    const window = fc.tuple(space, days, fc.constantFrom(" ", "\t", ""), time, time, space).map(([a, d, s, t1, t2, b]) => `${a}${d}${s}${t1}-${t2}${b}`);
    const schedule = fc.oneof(fc.array(window, { minLength: 1, maxLength: 3 }).map((w) => w.join(";")), fc.string({ maxLength: 20 }));
    fc.assert(fc.property(schedule, (s) => planAccepts(s) === handlerAccepts(s)), { numRuns: 3000 });
  });
});
