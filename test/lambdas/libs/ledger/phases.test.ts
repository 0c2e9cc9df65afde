import { describe, expect, it } from "vitest";
import {
  ACTIVE_PHASES,
  PHASES,
  TERMINAL_PHASES,
  TRANSITIONS,
  canTransition,
  finishedPhase,
  instanceKey,
  isLimitRelease,
  isTerminal,
  jobKey,
  limitKeys,
  limitReleaseReason,
  refusedClaimOutcome,
  runnerKey,
  takeoverAction,
} from "../../../../lambdas/libs/ledger/phases.js";
import type { Phase, Transition } from "../../../../lambdas/libs/ledger/phases.js";

const STARTS: ReadonlyArray<Phase | undefined> = [undefined, ...PHASES];
const transitions = Object.keys(TRANSITIONS) as Transition[];

describe("phase machine", () => {
  it("splits every phase into exactly one of active and terminal", () => {
    expect([...ACTIVE_PHASES, ...TERMINAL_PHASES].sort()).toEqual([...PHASES].sort());
    for (const phase of PHASES) expect(isTerminal(phase)).toBe(TERMINAL_PHASES.includes(phase));
    expect(isTerminal(undefined)).toBe(false);
  });

  it("never leaves a terminal phase", () => {
    for (const transition of transitions) {
      for (const phase of TERMINAL_PHASES) expect(canTransition(transition, phase), `${transition} from ${phase}`).toBe(false);
    }
  });

  it.each(transitions.flatMap((transition) => STARTS.map((phase) => ({ transition, phase: phase ?? "(no item)", from: phase }))))(
    "$transition from $phase is allowed exactly when the table lists it",
    ({ transition, from }) => {
      const listed = (TRANSITIONS[transition].from as ReadonlyArray<Phase | undefined>).includes(from);
      expect(canTransition(transition, from)).toBe(listed);
    },
  );

  it("accepts in_progress and completed from every non-terminal phase (webhooks arrive out of order)", () => {
    for (const phase of [undefined, ...ACTIVE_PHASES]) {
      expect(canTransition("finish", phase), `finish from ${phase}`).toBe(true);
    }
    for (const phase of [undefined, "received", "launching", "launched"] as const) expect(canTransition("start", phase)).toBe(true);
    expect(canTransition("start", "running")).toBe(false);
  });

  it("lets a queued delivery create the job only (an existing job keeps its phase)", () => {
    expect(STARTS.filter((phase) => canTransition("receive", phase))).toEqual([undefined]);
  });

  it("ends claims, launches and relaunches only in the phases of the diagram", () => {
    expect(TRANSITIONS.claim.to).toBe("launching");
    expect(TRANSITIONS.launch).toEqual({ from: ["launching"], to: "launched" });
    expect(TRANSITIONS.release).toEqual({ from: ["launching"], to: "received" });
    expect(TRANSITIONS.relaunch).toEqual({ from: ["launched"], to: "received" });
    expect(TRANSITIONS.expire.to).toBe("failed");
  });
});

describe("finishedPhase", () => {
  it.each([
    { conclusion: "success", phase: "completed" },
    { conclusion: "skipped", phase: "completed" },
    { conclusion: "neutral", phase: "completed" },
    { conclusion: "cancelled", phase: "cancelled" },
    { conclusion: "failure", phase: "failed" },
    { conclusion: "timed_out", phase: "failed" },
    { conclusion: "action_required", phase: "failed" },
    { conclusion: null, phase: "failed" },
    { conclusion: undefined, phase: "failed" },
  ])("$conclusion ends in $phase", ({ conclusion, phase }) => {
    expect(finishedPhase(conclusion)).toBe(phase);
  });
});

describe("keys", () => {
  it("names each attempt of a job apart, and pointers and counters by their own prefixes", () => {
    expect(jobKey({ jobId: 29679449632, runAttempt: 1 })).toBe("job#29679449632#1");
    expect(jobKey({ jobId: 29679449632, runAttempt: 2 })).not.toBe(jobKey({ jobId: 29679449632, runAttempt: 1 }));
    expect(instanceKey("i-0123456789abcdef0")).toBe("instance#i-0123456789abcdef0");
    expect(runnerKey("sr-i-0123456789abcdef0")).toBe("runner#sr-i-0123456789abcdef0");
    expect(limitKeys("linux", "octo-org")).toEqual({ global: "limit#global", pool: "limit#pool#linux", owner: "limit#owner#octo-org" });
  });

  it("keys a warm-pool job by its id alone, apart from any attempt of a real job", () => {
    expect(jobKey({ jobId: 1718107200000, runAttempt: 1, kind: "warm" })).toBe("warm#1718107200000");
    expect(jobKey({ jobId: 1718107200000, runAttempt: 1, kind: "job" })).toBe("job#1718107200000#1");
  });
});

describe("isLimitRelease", () => {
  it("tells a limit deferral from any other release reason", () => {
    expect(isLimitRelease(limitReleaseReason("pool linux"))).toBe(true);
    expect(isLimitRelease("no capacity in eu-west-1a")).toBe(false);
    expect(isLimitRelease("launch failed: limit of pool linux reached")).toBe(false);
    expect(isLimitRelease(undefined)).toBe(false);
  });
});

describe("refusedClaimOutcome", () => {
  it.each([
    { phase: "launching", outcome: "in-flight" },
    { phase: "received", outcome: "duplicate" },
    { phase: "launched", outcome: "duplicate" },
    { phase: "running", outcome: "duplicate" },
    { phase: "completed", outcome: "duplicate" },
    { phase: "failed", outcome: "duplicate" },
    { phase: "cancelled", outcome: "duplicate" },
    { phase: undefined, outcome: "duplicate" },
  ] as const)("a claim refused in $phase is $outcome", ({ phase, outcome }) => {
    expect(refusedClaimOutcome(phase)).toBe(outcome);
  });
});

describe("takeoverAction", () => {
  it("launches when the crashed attempt recorded no instance", () => {
    expect(takeoverAction({ runnerWritten: false })).toBe("launch");
  });

  it("adopts the instance whose runner configuration was written", () => {
    expect(takeoverAction({ instanceId: "i-0123456789abcdef0", runnerWritten: true })).toBe("adopt");
  });

  it("reuses the instance that has no configuration yet (it waits for one until the boot timeout)", () => {
    expect(takeoverAction({ instanceId: "i-0123456789abcdef0", runnerWritten: false })).toBe("reuse");
  });
});
