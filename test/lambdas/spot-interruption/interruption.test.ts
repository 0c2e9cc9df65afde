import { describe, expect, it } from "vitest";
import { noteRunnerInterrupted, planInterruption } from "../../../lambdas/spot-interruption/interruption.js";
import type { InterruptionFacts } from "../../../lambdas/spot-interruption/interruption.js";

const INSTANCE = "i-0123456789abcdef0";
const OTHER = "i-0123456789abcdef1";

function facts(overrides: Partial<InterruptionFacts> = {}): InterruptionFacts {
  return {
    ours: true,
    runningJob: undefined,
    launchedFor: { key: "job#7#1", phase: "launched", instanceId: INSTANCE },
    runnerId: 77,
    ...overrides,
  };
}

describe("planInterruption", () => {
  it("does nothing for an instance that is not ours", () => {
    // Act
    const plan = planInterruption(facts({ ours: false, runningJob: "job#8#1" }), INSTANCE);

    // Assert
    expect(plan).toEqual({ markInterrupted: undefined, deregister: false, relaunchIfIdle: undefined });
  });

  it("deregisters an idle runner and relaunches the job it was launched for, if that job still waits", () => {
    // Act
    const plan = planInterruption(facts(), INSTANCE);

    // Assert
    expect(plan).toEqual({ markInterrupted: undefined, deregister: true, relaunchIfIdle: "job#7#1" });
  });

  it("marks the job a busy runner runs, and relaunches nothing", () => {
    // Act
    const plan = planInterruption(facts({ runningJob: "job#8#1" }), INSTANCE);

    // Assert: the delete is still tried; GitHub refuses it (422) while the job runs.
    expect(plan).toEqual({ markInterrupted: "job#8#1", deregister: true, relaunchIfIdle: undefined });
  });

  it.each([
    { name: "it runs elsewhere", launchedFor: { key: "job#7#1", phase: "running" as const, instanceId: INSTANCE } },
    { name: "it completed", launchedFor: { key: "job#7#1", phase: "completed" as const, instanceId: INSTANCE } },
    { name: "it was relaunched onto another instance", launchedFor: { key: "job#7#1", phase: "launched" as const, instanceId: OTHER } },
    { name: "it is a warm-pool runner's synthetic job (the reconciler tops the pool up)", launchedFor: { key: "warm#7", phase: "launched" as const, instanceId: INSTANCE, warm: true } },
    { name: "no job was launched for the instance", launchedFor: undefined },
  ])("deregisters an idle runner without a relaunch when its job does not wait: $name", ({ launchedFor }) => {
    // Act
    const plan = planInterruption(facts({ launchedFor }), INSTANCE);

    // Assert
    expect(plan).toEqual({ markInterrupted: undefined, deregister: true, relaunchIfIdle: undefined });
  });

  it("cannot deregister a runner whose registration id is unknown", () => {
    // Act
    const plan = planInterruption(facts({ runnerId: undefined, runningJob: "job#8#1" }), INSTANCE);

    // Assert
    expect(plan).toEqual({ markInterrupted: "job#8#1", deregister: false, relaunchIfIdle: undefined });
  });
});

describe("noteRunnerInterrupted", () => {
  const idle = planInterruption(facts(), INSTANCE);

  it("notes a runner GitHub refused to deregister as busy while the ledger knew no job on it", () => {
    // Act / Assert
    expect(noteRunnerInterrupted(idle, "busy")).toBe(true);
  });

  it("notes nothing when the ledger already marked the running job, or the runner is gone or unknown", () => {
    // Arrange: a runner GitHub no longer knows may have ended a job that failed on its own.
    const running = planInterruption(facts({ runningJob: "job#8#1" }), INSTANCE);

    // Act / Assert
    expect(noteRunnerInterrupted(running, "busy")).toBe(false);
    expect(["deleted", "not-found", "skipped"].map((answer) => noteRunnerInterrupted(idle, answer as "deleted"))).toEqual([false, false, false]);
  });
});
