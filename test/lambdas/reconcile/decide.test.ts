import { describe, expect, it } from "vitest";
import { decide, ownersToQuery } from "../../../lambdas/reconcile/decide.js";
import type { DecideInput, InstanceView, RecordView, RegistrationView } from "../../../lambdas/reconcile/decide.js";

const PREFIX = "sr";
const NOW = new Date("2024-06-11T12:00:00Z");
const BOOT = 600;
const IDLE = 1800;

function minutesAgo(minutes: number): Date {
  return new Date(NOW.getTime() - minutes * 60_000);
}

function instance(instanceId: string, ageMinutes: number, overrides: Partial<InstanceView> = {}): InstanceView {
  return {
    instanceId,
    state: "running",
    launchTime: minutesAgo(ageMinutes),
    pool: "linux",
    owner: "octo-org",
    installationId: 42,
    ...overrides,
  };
}

function registration(instanceId: string, id: number, overrides: Partial<RegistrationView> = {}): RegistrationView {
  return { id, name: `${PREFIX}-${instanceId}`, status: "online", busy: false, ...overrides };
}

function record(instanceId: string, ageMinutes: number): RecordView {
  return {
    pk: `arn:aws:ec2:eu-west-1:123456789012:instance/${instanceId}`,
    instanceId,
    owner: "octo-org",
    installationId: 42,
    createdAt: minutesAgo(ageMinutes),
  };
}

function input(overrides: Partial<DecideInput>): DecideInput {
  return {
    instances: [],
    registrations: new Map([["octo-org", []]]),
    records: [],
    now: NOW,
    bootTimeoutSeconds: BOOT,
    idleTimeoutSeconds: IDLE,
    prefix: PREFIX,
    ...overrides,
  };
}

const I1 = "i-0123456789abcdef0";
const I2 = "i-0123456789abcdef1";

describe("decide: instances", () => {
  it.each([
    {
      name: "busy runner, very old and in a stopped state, is never touched",
      instance: instance(I1, 600, { state: "stopped" }),
      registrations: [registration(I1, 1, { busy: true, status: "offline" })],
      keep: "busy",
    },
    {
      name: "busy runner far past boot+idle is never touched",
      instance: instance(I1, 24 * 60),
      registrations: [registration(I1, 1, { busy: true })],
      keep: "busy",
    },
    {
      name: "registration lag: no registration within the boot timeout",
      instance: instance(I1, 9),
      registrations: [],
      keep: "booting",
    },
    {
      name: "online idle runner within boot+idle",
      instance: instance(I1, 39),
      registrations: [registration(I1, 1)],
      keep: "working",
    },
    {
      name: "offline registration within the boot timeout",
      instance: instance(I1, 5),
      registrations: [registration(I1, 1, { status: "offline" })],
      keep: "booting",
    },
  ])("keeps: $name", ({ instance: subject, registrations, keep }) => {
    // Act
    const decision = decide(input({ instances: [subject], registrations: new Map([["octo-org", registrations]]) }));

    // Assert
    expect(decision.keep).toEqual([{ instanceId: subject.instanceId, reason: keep }]);
    expect(decision.terminate).toEqual([]);
    expect(decision.deregisterThenTerminate).toEqual([]);
    expect(decision.deleteRegistrations).toEqual([]);
  });

  it("terminates an instance with no registration past the boot timeout", () => {
    // Act
    const decision = decide(input({ instances: [instance(I1, 11)] }));

    // Assert
    expect(decision.terminate).toEqual([{ instanceId: I1, reason: "no-registration" }]);
  });

  it("terminates a stopped instance without a registration at once", () => {
    // Act
    const decision = decide(input({ instances: [instance(I1, 2, { state: "stopped" })] }));

    // Assert
    expect(decision.terminate).toEqual([{ instanceId: I1, reason: "stopped" }]);
  });

  it.each([
    { name: "idle online runner past boot+idle", age: 41, status: "online", reason: "idle" },
    { name: "runner that never came online past the boot timeout", age: 11, status: "offline", reason: "never-online" },
  ])("deregisters then terminates: $name", ({ age, status, reason }) => {
    // Arrange
    const registrations = new Map([["octo-org", [registration(I1, 77, { status })]]]);

    // Act
    const decision = decide(input({ instances: [instance(I1, age)], registrations }));

    // Assert
    expect(decision.deregisterThenTerminate).toEqual([
      { owner: "octo-org", installationId: 42, runnerId: 77, instanceId: I1, reason },
    ]);
    expect(decision.terminate).toEqual([]);
  });

  it("leaves an owner alone when its registrations could not be listed", () => {
    // Act
    const decision = decide(input({ instances: [instance(I1, 600)], registrations: new Map() }));

    // Assert
    expect(decision.keep).toEqual([{ instanceId: I1, reason: "registrations-unavailable" }]);
    expect(decision.terminate).toEqual([]);
  });

  it("leaves an instance without owner tags alone", () => {
    // Act
    const decision = decide(input({ instances: [instance(I1, 600, { owner: undefined })] }));

    // Assert
    expect(decision.keep).toEqual([{ instanceId: I1, reason: "owner-unknown" }]);
  });
});

describe("decide: registrations", () => {
  it("deletes our idle registration whose instance is gone", () => {
    // Arrange
    const registrations = new Map([["octo-org", [registration(I2, 5, { status: "offline" })]]]);

    // Act
    const decision = decide(input({ registrations, records: [record(I1, 1)] }));

    // Assert
    expect(decision.deleteRegistrations).toEqual([
      { owner: "octo-org", installationId: 42, runnerId: 5, runnerName: `${PREFIX}-${I2}` },
    ]);
  });

  it.each([
    { name: "busy registration without instance", reg: registration(I2, 5, { busy: true }), records: [record(I1, 1)] },
    { name: "someone else's runner", reg: { id: 6, name: "build-box-1", status: "online", busy: false }, records: [record(I1, 1)] },
    { name: "a kit whose prefix extends ours", reg: { id: 7, name: `${PREFIX}-x-${I2}`, status: "offline", busy: false }, records: [record(I1, 1)] },
    { name: "a fresh record vouches for an instance DescribeInstances does not show yet", reg: registration(I2, 8), records: [record(I2, 1)] },
  ])("keeps: $name", ({ reg, records }) => {
    // Act
    const decision = decide(input({ registrations: new Map([["octo-org", [reg]]]), records }));

    // Assert
    expect(decision.deleteRegistrations).toEqual([]);
  });
});

describe("decide: records", () => {
  it("deletes records whose instance is gone past the boot timeout, keeps the others", () => {
    // Arrange
    const records = [record(I1, 30), record(I2, 30), record("i-0123456789abcdef2", 3)];

    // Act
    const decision = decide(input({ instances: [instance(I1, 30)], registrations: new Map([["octo-org", [registration(I1, 1)]]]), records }));

    // Assert
    expect(decision.deleteRecords).toEqual([{ pk: record(I2, 30).pk, instanceId: I2 }]);
  });
});

describe("ownersToQuery", () => {
  it("unions owners from instance tags and records, with their installation", () => {
    // Arrange
    const instances = [instance(I1, 1, { owner: "org-a", installationId: 1 }), instance(I2, 1, { owner: undefined })];
    const records = [{ ...record(I1, 1), owner: "org-b", installationId: 2 }, { ...record(I2, 1), owner: "org-a", installationId: 1 }];

    // Act
    const owners = ownersToQuery(instances, records);

    // Assert
    expect([...owners]).toEqual([
      ["org-a", 1],
      ["org-b", 2],
    ]);
  });
});
