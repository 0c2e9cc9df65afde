import type { DecideInput } from "../../lambdas/reconcile/decide.js";

// The input of the reconciler's runner decisions (decide, lambdas/reconcile/decide.ts) at a fixed
// clock: decide.test.ts, decide.boundaries.test.ts and decide.guards.test.ts.

export const DECIDE_RUNNERS_NOW = new Date("2024-06-11T12:00:00Z");
export const RUNNER_PREFIX = "sr";
export const BOOT_TIMEOUT_SECONDS = 600;
export const IDLE_TIMEOUT_SECONDS = 1800;

/** decide's input: no instance, record or registration (octo-org listed, with none), the timeouts above. */
export function decideInput(overrides: Partial<DecideInput>): DecideInput {
  return {
    instances: [],
    registrations: new Map([["octo-org", []]]),
    records: [],
    now: DECIDE_RUNNERS_NOW,
    bootTimeoutSeconds: BOOT_TIMEOUT_SECONDS,
    idleTimeoutSeconds: IDLE_TIMEOUT_SECONDS,
    prefix: RUNNER_PREFIX,
    ...overrides,
  };
}
