import { describe, expect, it } from "vitest";
import type { Ledger } from "../../../lambdas/libs/ledger/port.js";
import type { JobFacts } from "../../../lambdas/libs/ledger/types.js";
import type { Claimed } from "../../../lambdas/scale-up/claims.js";
import { confirmStillQueued, decideStillQueued } from "../../../lambdas/scale-up/still-queued.js";
import type { WorkflowJobLookup } from "../../../lambdas/scale-up/still-queued.js";
import { GitHubRequestError } from "../../../lambdas/shared/index.js";
import type { WorkflowJobState } from "../../../lambdas/shared/index.js";
import { jobMessage } from "../../helpers/aws.js";
import { metricPoints, quietPowertools, takeEmittedMetrics } from "../../helpers/powertools.js";

// Edges of the still-queued check that Stryker's survivors pointed at (docs/reliability.md, "Mutation testing").

quietPowertools();

const NOW = new Date("2026-11-23T10:00:00.000Z");
const OLD = new Date(NOW.getTime() - 600_000).toISOString();

function claimed(jobId: number, receivedAt = OLD): Claimed {
  return { recordId: `r${jobId}`, job: jobMessage({ jobId, receivedAt, pool: "linux" }), key: `k${jobId}`, token: `t${jobId}`, owner: "org" };
}

/** A ledger that records the settlements asked of it; `failing` makes them all throw. */
function settlingLedger(failing = false): { ledger: Ledger; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const settle = (what: string) => async (facts: JobFacts, ...rest: unknown[]) => {
    if (failing) throw new Error("ledger unavailable");
    calls.push([what, facts.jobId, ...rest.slice(0, -1)]);
    return true;
  };
  return { ledger: { start: settle("start"), finish: settle("finish"), expire: settle("expire") } as unknown as Ledger, calls };
}

function lookupBy(answers: Record<number, WorkflowJobState | Error>): WorkflowJobLookup {
  return async (job) => {
    const answer = answers[job.jobId] ?? { status: "queued", conclusion: null, runnerName: null };
    if (answer instanceof Error) throw answer;
    return answer;
  };
}

async function confirm(jobs: Claimed[], ledger: Ledger, lookup: WorkflowJobLookup, givenBack: unknown[] = []) {
  return confirmStillQueued(jobs, {
    deps: { ledger, lookupWorkflowJob: lookup },
    now: NOW,
    graceSeconds: 60,
    factsOf: (job) => ({ jobId: job.jobId }) as JobFacts,
    giveBack: async (job, reason) => {
      givenBack.push([job.recordId, reason]);
    },
  });
}

describe("decideStillQueued: GitHub's nulls", () => {
  it("starts an in_progress job without a runner name as undefined, and finishes a completed one without a conclusion as failed", () => {
    expect(decideStillQueued({ state: { status: "in_progress", conclusion: null, runnerName: null } })).toEqual({ action: "start", runnerName: undefined });
    expect(decideStillQueued({ state: { status: "completed", conclusion: null, runnerName: null } })).toEqual({ action: "finish", phase: "failed", conclusion: undefined });
  });
});

describe("confirmStillQueued", () => {
  it("settles each job with the ledger call its GitHub state names, and launches the rest", async () => {
    const { ledger, calls } = settlingLedger();
    const jobs = [claimed(1), claimed(2), claimed(3), claimed(4), claimed(5, NOW.toISOString())];
    takeEmittedMetrics();
    const result = await confirm(jobs, ledger, lookupBy({
      1: { status: "in_progress", conclusion: null, runnerName: "other" },
      2: { status: "completed", conclusion: "success", runnerName: null },
      3: new GitHubRequestError("get job 3", 404),
    }));
    expect(result.launch.map((j) => j.recordId)).toEqual(["r4", "r5"]);
    expect(result.settled.map((j) => j.recordId)).toEqual(["r1", "r2", "r3"]);
    expect(calls).toEqual([
      ["start", 1, "other"],
      ["finish", 2, "completed", "success"],
      ["expire", 3, "no longer queued: GitHub does not know the job (404)"],
    ]);
    // One point per settled job, by the job's pool (Powertools batches the three into one record).
    expect(metricPoints("JobsNoLongerQueued").map((p) => [p.value, p.dimensions])).toEqual([[[1, 1, 1], expect.objectContaining({ Pool: "linux" })]]);
  });

  it("launches a young message and a warm-pool slot without asking GitHub, whatever GitHub would answer", async () => {
    // Arrange: GitHub would call both finished; a lookup that counts its calls.
    const { ledger, calls } = settlingLedger();
    let lookups = 0;
    const finished = lookupBy({ 1: { status: "completed", conclusion: "success", runnerName: null }, 2: { status: "completed", conclusion: "success", runnerName: null } });
    const young = claimed(1, NOW.toISOString());
    const warm = { ...claimed(2), job: { ...claimed(2).job, kind: "warm" as const } };

    // Act
    const result = await confirm([young, warm], ledger, async (job, owner) => ((lookups += 1), finished(job, owner)));

    // Assert
    expect(result.launch.map((j) => j.recordId)).toEqual(["r1", "r2"]);
    expect(lookups).toBe(0);
    expect(calls).toEqual([]);
  });

  it("launches a job whose lookup failed with another status, or not at GitHub at all", async () => {
    // Only GitHub's own 404 means gone: an error of another kind that carries a 404 status (a proxy's,
    // an unwrapped client's) is a failed lookup, and the job launches.
    const { ledger, calls } = settlingLedger();
    const foreign404 = Object.assign(new Error("Not Found"), { status: 404 });
    const result = await confirm([claimed(1), claimed(2), claimed(3)], ledger, lookupBy({ 1: new GitHubRequestError("get job 1", 502), 2: new Error("socket hang up"), 3: foreign404 }));
    expect(result.launch.map((j) => j.recordId)).toEqual(["r1", "r2", "r3"]);
    expect(calls).toEqual([]);
  });

  it("gives a job back to wait, neither launched nor settled, when its settlement cannot be written", async () => {
    const { ledger } = settlingLedger(true);
    const givenBack: unknown[] = [];
    takeEmittedMetrics();
    const result = await confirm([claimed(1)], ledger, lookupBy({ 1: { status: "in_progress", conclusion: null, runnerName: null } }), givenBack);
    expect(result).toEqual({ launch: [], settled: [] });
    expect(givenBack).toEqual([["r1", "ledger unavailable"]]);
    expect(metricPoints("JobsNoLongerQueued")).toEqual([]);
  });
});
