import { describe, expect, it } from "vitest";
import { launchesInProgress, runningOn } from "../../../lambdas/reconcile/ledger-views.js";
import { JOBS_START as START, jobsRecord as record, snapshotOf } from "../../helpers/reconcile-jobs.js";

// What the reconciler reads from a ledger snapshot (jobOwners: decide.job-owners.test.ts; warm counts
// and job views: through reconcileJobs in job-actions.test.ts).

describe("runningOn", () => {
  it("names the runners of running jobs only, and only those the ledger knows", () => {
    const snapshot = snapshotOf([record("job#1", { phase: "running", ranOn: "sr-a" }), record("job#2", { phase: "running" }), record("job#3", { phase: "completed", ranOn: "sr-b" })]);
    expect(runningOn(snapshot)).toEqual(new Set(["sr-a"]));
  });
});

describe("launchesInProgress", () => {
  const now = new Date(START);
  const launchedAgo = (seconds: number) => new Date(START - seconds * 1000).toISOString();

  it("counts an instance launched up to the boot timeout ago, not one a millisecond older or without a launch time", () => {
    // Arrange
    const jobs = [
      record("job#1", { phase: "launched", instanceId: "i-at-timeout", launchedAt: launchedAgo(600) }),
      record("job#2", { phase: "launched", instanceId: "i-older", launchedAt: new Date(START - 600_001).toISOString() }),
      record("job#3", { phase: "launched", instanceId: "i-no-time" }),
      record("job#4", { phase: "launched", launchedAt: launchedAgo(1) }),
    ];

    // Act and assert
    expect(launchesInProgress(snapshotOf(jobs), now, 600).instanceIds).toEqual(new Set(["i-at-timeout"]));
  });

  it("names the owners of launches whose claim is still live, not of an ended claim, another phase or no owner", () => {
    // Arrange
    const jobs = [
      record("job#1", { phase: "launching", claimExpiresAt: START + 1, scopeOwner: "live" }),
      record("job#2", { phase: "launching", claimExpiresAt: START, scopeOwner: "ended-now" }),
      record("job#3", { phase: "launching", scopeOwner: "no-claim" }),
      record("job#4", { phase: "launched", claimExpiresAt: START + 60_000, scopeOwner: "launched" }),
      record("job#5", { phase: "launching", claimExpiresAt: START + 60_000 }),
    ];

    // Act and assert
    expect(launchesInProgress(snapshotOf(jobs), now, 600).owners).toEqual(new Set(["live"]));
  });
});
