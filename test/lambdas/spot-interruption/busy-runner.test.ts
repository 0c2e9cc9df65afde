import { beforeEach, describe, expect, it } from "vitest";
import { memoryLimitCounters } from "../../../lambdas/libs/ledger/memory-counters.js";
import { MemoryLedgerTable, memoryLedger } from "../../../lambdas/libs/ledger/memory-store.js";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import type { Ledger, LimitCounters } from "../../../lambdas/libs/ledger/port.js";
import type { DeleteRunnerResult } from "../../../lambdas/shared/index.js";
import { handleInterruption } from "../../../lambdas/spot-interruption/spot-interruption.js";
import type { SpotInterruptionDeps } from "../../../lambdas/spot-interruption/spot-interruption.js";
import { ledgerJobBook } from "../../../lambdas/webhook/adapters/ledger.js";
import type { JobProgress } from "../../../lambdas/webhook/route.js";
import { jobFacts, seedLaunchedJob } from "../../helpers/ledger.js";
import { quietPowertools } from "../../helpers/powertools.js";

quietPowertools();

// Issue 15: a spot warning reaches a runner that has just taken a job whose `in_progress` is late.
// GitHub refuses to deregister it (busy); the job, once a webhook names its runner, counts as
// interrupted exactly as in the mid-job case, so the reconciler re-runs it if it fails.

const PREFIX = "sr";
const OWNER = "octo-org";
const EARLIER = new Date("2024-06-11T11:50:00Z");
const NOW = new Date("2024-06-11T12:00:00Z");
const LATE = new Date("2024-06-11T12:03:00Z");
const INSTANCE = "i-0aaaaaaaaaaaaaaa1";
const RUNNER = `${PREFIX}-${INSTANCE}`;

let ledger: Ledger;
let counters: LimitCounters;

function deps(deleteAnswer: DeleteRunnerResult, sent: string[] = []): SpotInterruptionDeps {
  return {
    prefix: PREFIX,
    describe: async () => ({ prefix: PREFIX, owner: OWNER, installationId: 52103487 }),
    runnerIdOf: async () => 77,
    deregister: async () => deleteAnswer,
    ledger,
    counters,
    requeue: async (_pool, body) => {
      sent.push(body);
    },
    now: () => NOW,
  };
}

/** A webhook `in_progress` or `completed` for job 7 naming the warned runner. */
function progress(action: "in_progress" | "completed", conclusion?: string): JobProgress {
  const facts = jobFacts(7);
  return {
    action,
    pool: "linux",
    jobId: 7,
    runId: facts.runId as number,
    runAttempt: 1,
    repository: facts.repository as string,
    owner: OWNER,
    installationId: 52103487,
    labels: facts.labels as string[],
    runnerName: RUNNER,
    conclusion,
    timeToRunnerSeconds: undefined,
  };
}

const rerunnable = async (): Promise<string[]> =>
  (await ledger.snapshot()).jobs.filter((job) => job.phase === "failed" && job.interrupted === true && job.rerunRequested !== true).map((job) => job.pk);

beforeEach(async () => {
  const table = new MemoryLedgerTable();
  ledger = memoryLedger(table);
  counters = memoryLimitCounters(table);
  await seedLaunchedJob(ledger, counters, { facts: jobFacts(7), instanceId: INSTANCE, prefix: PREFIX, scopeOwner: OWNER, at: EARLIER });
});

describe("spot warning on a runner that just took its job", () => {
  it("relaunches nothing and notes the runner interrupted when GitHub says it is busy", async () => {
    // Arrange
    const sent: string[] = [];

    // Act
    const outcome = await handleInterruption(INSTANCE, deps("busy", sent));

    // Assert
    expect(outcome).toMatchObject({ interruptedJob: undefined, deregistered: "busy", relaunched: undefined });
    expect(sent).toEqual([]);
    expect(await ledger.runnerInterruptedAt(RUNNER)).toEqual(NOW);
    expect(await ledger.get(jobKey(jobFacts(7)))).toMatchObject({ phase: "launched", slotHeld: true });
  });

  it("marks the job interrupted when its late in_progress arrives, and the reconciler's scan then re-runs it once it fails", async () => {
    // Arrange
    await handleInterruption(INSTANCE, deps("busy"));
    const book = ledgerJobBook(ledger, counters, PREFIX);

    // Act
    await book.progressed(progress("in_progress"), "d-start", LATE);
    const whileRunning = await rerunnable();
    await book.progressed(progress("completed", "failure"), "d-done", LATE);

    // Assert: nothing to re-run while the job runs; once failed it is what the reconciler re-runs.
    expect(whileRunning).toEqual([]);
    expect(await ledger.get(jobKey(jobFacts(7)))).toMatchObject({ phase: "failed", interrupted: true });
    expect(await rerunnable()).toEqual([jobKey(jobFacts(7))]);
  });

  it("marks the job interrupted from its failed completed when that comes before the late in_progress", async () => {
    // Arrange
    await handleInterruption(INSTANCE, deps("busy"));
    const book = ledgerJobBook(ledger, counters, PREFIX);

    // Act
    await book.progressed(progress("completed", "failure"), "d-done", LATE);
    await book.progressed(progress("in_progress"), "d-start", LATE);

    // Assert
    expect(await rerunnable()).toEqual([jobKey(jobFacts(7))]);
  });

  it("never offers a job that succeeded on the warned runner for a re-run", async () => {
    // Arrange
    await handleInterruption(INSTANCE, deps("busy"));
    const book = ledgerJobBook(ledger, counters, PREFIX);

    // Act
    await book.progressed(progress("completed", "success"), "d-done", LATE);

    // Assert
    expect(await rerunnable()).toEqual([]);
    expect((await ledger.get(jobKey(jobFacts(7))))?.phase).toBe("completed");
  });

  it("marks the job itself when its in_progress lands between the handler's first read and its note", async () => {
    // Arrange: the pointer appears after the handler's first look (its deregistration call is the gap).
    const racing = deps("busy");
    const outcome = await handleInterruption(INSTANCE, {
      ...racing,
      deregister: async () => {
        await ledger.start(jobFacts(7), RUNNER, NOW);
        return "busy";
      },
    });

    // Assert
    expect(outcome.interruptedJob).toBe(jobKey(jobFacts(7)));
    expect(await ledger.get(jobKey(jobFacts(7)))).toMatchObject({ phase: "running", interrupted: true });
  });

  it("notes nothing when the runner was idle and deregistered", async () => {
    // Act
    await handleInterruption(INSTANCE, deps("deleted"));

    // Assert
    expect(await ledger.runnerInterruptedAt(RUNNER)).toBeUndefined();
  });
});
