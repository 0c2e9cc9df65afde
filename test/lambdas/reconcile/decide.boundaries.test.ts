import { describe, expect, it } from "vitest";
import { decide, ownersToQuery, recordAgeMs } from "../../../lambdas/reconcile/decide.js";
import type { DecideInput, InstanceView, RecordView, RegistrationView } from "../../../lambdas/reconcile/decide.js";
import { BOOT_TIMEOUT_SECONDS, DECIDE_RUNNERS_NOW as NOW, IDLE_TIMEOUT_SECONDS, RUNNER_PREFIX as PREFIX, decideInput as input } from "../../helpers/decide-runners.js";

// The reconciler's busy/terminate decisions at the exact edge of each timeout: one millisecond on each
// side. Written for the mutants Stryker left alive in decide.ts (docs/reliability.md, "Mutation
// testing"): `>` against `>=` at a timeout decides whether a runner is stopped one round early.

const BOOT_MS = BOOT_TIMEOUT_SECONDS * 1000;
const IDLE_MS = IDLE_TIMEOUT_SECONDS * 1000;
const I1 = "i-0123456789abcdef0";

function msAgo(ms: number): Date {
  return new Date(NOW.getTime() - ms);
}

function instance(ageMs: number, overrides: Partial<InstanceView> = {}): InstanceView {
  return { instanceId: I1, state: "running", launchTime: msAgo(ageMs), pool: "linux", owner: "octo-org", installationId: 42, ...overrides };
}

function registration(overrides: Partial<RegistrationView> = {}): RegistrationView {
  return { id: 77, name: `${PREFIX}-${I1}`, status: "online", busy: false, ...overrides };
}

function record(ageMs: number): RecordView {
  return { pk: `arn:aws:ec2:eu-west-1:123456789012:instance/${I1}`, instanceId: I1, owner: "octo-org", installationId: 42, createdAt: msAgo(ageMs) };
}

describe("decide at the boot timeout", () => {
  it("keeps an unregistered instance exactly at the boot timeout and terminates it one millisecond later", () => {
    expect(decide(input({ instances: [instance(BOOT_MS)] })).keep).toEqual([{ instanceId: I1, reason: "booting" }]);
    expect(decide(input({ instances: [instance(BOOT_MS)] })).terminate).toEqual([]);
    expect(decide(input({ instances: [instance(BOOT_MS + 1)] })).terminate).toEqual([{ instanceId: I1, reason: "no-registration" }]);
  });

  it("keeps an offline registration exactly at the boot timeout as booting and stops it one millisecond later", () => {
    const registrations = new Map([["octo-org", [registration({ status: "offline" })]]]);
    const atTimeout = decide(input({ instances: [instance(BOOT_MS)], registrations }));
    expect(atTimeout.keep).toEqual([{ instanceId: I1, reason: "booting" }]);
    expect(atTimeout.deregisterThenTerminate).toEqual([]);
    const after = decide(input({ instances: [instance(BOOT_MS + 1)], registrations }));
    expect(after.deregisterThenTerminate).toEqual([{ owner: "octo-org", installationId: 42, runnerId: 77, instanceId: I1, reason: "never-online" }]);
  });
});

describe("decide at the idle timeout", () => {
  it("keeps an idle online runner exactly at boot + idle and stops it one millisecond later", () => {
    const registrations = new Map([["octo-org", [registration()]]]);
    const atTimeout = decide(input({ instances: [instance(BOOT_MS + IDLE_MS)], registrations }));
    expect(atTimeout.keep).toEqual([{ instanceId: I1, reason: "working" }]);
    expect(atTimeout.deregisterThenTerminate).toEqual([]);
    const after = decide(input({ instances: [instance(BOOT_MS + IDLE_MS + 1)], registrations }));
    expect(after.deregisterThenTerminate).toEqual([{ owner: "octo-org", installationId: 42, runnerId: 77, instanceId: I1, reason: "idle" }]);
  });
});

describe("decide at the end of the busy confirmation window", () => {
  const WINDOW_MS = 90_000;
  const windowInput = (seenMsAgo: number): DecideInput =>
    input({
      instances: [instance(BOOT_MS + IDLE_MS + 60_000)],
      registrations: new Map([["octo-org", [registration()]]]),
      busyConfirmSeconds: WINDOW_MS / 1000,
      idleSeen: new Map([[I1, msAgo(seenMsAgo)]]),
    });

  it("stops a runner seen idle exactly one window ago, and keeps confirming one millisecond before", () => {
    expect(decide(windowInput(WINDOW_MS)).deregisterThenTerminate.map((stop) => stop.reason)).toEqual(["idle"]);
    const before = decide(windowInput(WINDOW_MS - 1));
    expect(before.deregisterThenTerminate).toEqual([]);
    expect(before.keep).toEqual([{ instanceId: I1, reason: "confirming" }]);
  });
});

describe("records at the boot timeout", () => {
  it("lets a record exactly as old as the boot timeout vouch for its registration and keeps it", () => {
    const decision = decide(input({ registrations: new Map([["octo-org", [registration()]]]), records: [record(BOOT_MS)] }));
    expect(decision.deleteRegistrations).toEqual([]);
    expect(decision.deleteRecords).toEqual([]);
  });

  it("deletes a record one millisecond past the boot timeout, and the registration it no longer vouches for", () => {
    const decision = decide(input({ registrations: new Map([["octo-org", [registration()]]]), records: [record(BOOT_MS + 1)] }));
    expect(decision.deleteRegistrations).toEqual([{ owner: "octo-org", installationId: 42, runnerId: 77, runnerName: `${PREFIX}-${I1}` }]);
    expect(decision.deleteRecords).toEqual([{ pk: record(0).pk, instanceId: I1 }]);
  });

  it("counts a createdAt exactly the boot timeout ahead as clock skew, one millisecond further as forged", () => {
    expect(recordAgeMs({ createdAt: msAgo(-BOOT_MS) }, NOW.getTime(), BOOT_MS)).toBe(-BOOT_MS);
    expect(recordAgeMs({ createdAt: msAgo(-BOOT_MS - 1) }, NOW.getTime(), BOOT_MS)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("owners and installations", () => {
  it("asks through the first installation an owner's instances name, whatever later instances or records say", () => {
    const instances = [instance(0, { installationId: 1 }), instance(0, { instanceId: "i-2", installationId: 2 })];
    const records = [{ ...record(0), installationId: 3 }];
    expect([...ownersToQuery(instances, records)]).toEqual([["octo-org", 1]]);
  });

  it("leaves registrations of an owner it has no installation for alone", () => {
    const decision = decide(input({ registrations: new Map([["other-org", [registration()]]]) }));
    expect(decision.deleteRegistrations).toEqual([]);
  });
});
