import { describe, expect, it } from "vitest";
import { decide, ownersToQuery } from "../../../lambdas/reconcile/decide.js";
import type { DecideInput } from "../../../lambdas/reconcile/decide.js";
import { jobOwners } from "../../../lambdas/reconcile/ledger-views.js";
import type { JobRecord, LedgerSnapshot } from "../../../lambdas/libs/ledger/types.js";

// A JIT POST whose answer never came back (GitHub slower than every deadline) may register a name whose
// instance is gone; when that owner has no live instance and no runner item left, only the ledger's jobs
// name the owner. Found by the fault world (every JIT POST 58 s): the last late registration stayed.

const NOW = new Date("2024-06-11T12:00:00Z");
const GONE = "i-0123456789abcdef0";
const stale = { id: 100, name: `sr-${GONE}`, status: "offline" as const, busy: false };

function input(overrides: Partial<DecideInput>): DecideInput {
  return {
    instances: [],
    registrations: new Map([["octo-org", [stale]]]),
    records: [],
    now: NOW,
    bootTimeoutSeconds: 600,
    idleTimeoutSeconds: 1800,
    prefix: "sr",
    ...overrides,
  };
}

describe("owners named only by the ledger's jobs", () => {
  it("are listed, with the job's installation, after the owners of instances and records", () => {
    // Act
    const owners = ownersToQuery([], [], [{ owner: "octo-org", installationId: 42 }, { owner: "octo-org", installationId: 42 }]);

    // Assert
    expect([...owners]).toEqual([["octo-org", 42]]);
  });

  it("get a registration whose instance is gone deleted when no instance or runner item names the owner", () => {
    // Act
    const decision = decide(input({ jobOwners: [{ owner: "octo-org", installationId: 42 }] }));

    // Assert
    expect(decision.deleteRegistrations).toEqual([{ owner: "octo-org", installationId: 42, runnerId: 100, runnerName: `sr-${GONE}` }]);
  });

  it("without a job naming the owner, its registrations are not acted on (no installation to call through)", () => {
    // Act
    const decision = decide(input({}));

    // Assert
    expect(decision.deleteRegistrations).toEqual([]);
  });

  it("still leave a registration alone while a claim of that owner is live (scale-up may be registering it)", () => {
    // Act
    const decision = decide(input({ jobOwners: [{ owner: "octo-org", installationId: 42 }], launching: { instanceIds: new Set(), owners: new Set(["octo-org"]) } }));

    // Assert
    expect(decision.deleteRegistrations).toEqual([]);
  });
});

describe("jobOwners (the ledger's side)", () => {
  const job = (phase: string, launched: boolean, scopeOwner = "octo-org", claimExpiresAt?: number) =>
    ({ pk: "job#1#1", phase, scopeOwner, installationId: 42, claimExpiresAt, events: launched ? [{ at: NOW.toISOString(), what: "instance-launched", detail: GONE }] : [] }) as unknown as JobRecord;
  const snapshot = (jobs: JobRecord[]): LedgerSnapshot => ({ jobs, idleSeen: new Map(), counters: new Map() });

  it("names the owners of released or failed jobs that launched an instance, and no other", () => {
    // Arrange: a released and an expired job that launched; one waiting that never launched; one launched (its instance is listed through EC2).
    const jobs = [job("received", true, "org-a"), job("failed", true, "org-b"), job("received", false, "org-c"), job("launched", true, "org-d"), job("completed", true, "org-e")];

    // Act
    const owners = jobOwners(snapshot(jobs), NOW);

    // Assert
    expect(owners).toEqual([
      { owner: "org-a", installationId: 42 },
      { owner: "org-b", installationId: 42 },
    ]);
  });

  it("names the owner of a launching job whose claim expired (its message dead-lettered: no takeover comes), not one whose claim is live", () => {
    // Arrange: the slow-GitHub job left launching with its kept instance; one claimed now; one expired that never launched.
    const jobs = [
      job("launching", true, "org-expired", NOW.getTime() - 1),
      job("launching", true, "org-at-expiry", NOW.getTime()),
      job("launching", true, "org-live", NOW.getTime() + 1),
      job("launching", false, "org-no-instance", NOW.getTime() - 60_000),
    ];

    // Act
    const owners = jobOwners(snapshot(jobs), NOW);

    // Assert
    expect(owners).toEqual([
      { owner: "org-expired", installationId: 42 },
      { owner: "org-at-expiry", installationId: 42 },
    ]);
  });
});
