import { describe, expect, it } from "vitest";
import { decide, isOwnRunner, ownersToQuery, recordAgeMs } from "../../../lambdas/reconcile/decide.js";
import type { DecideInput, InstanceView, RecordView, RegistrationView } from "../../../lambdas/reconcile/decide.js";
import { BOOT_TIMEOUT_SECONDS as BOOT, DECIDE_RUNNERS_NOW as NOW, RUNNER_PREFIX as PREFIX, decideInput as input } from "../../helpers/decide-runners.js";

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
    { name: "a launch the ledger recorded vouches before the runner item is written", reg: registration(I2, 8), records: [record(I1, 1)], launching: { instanceIds: new Set([I2]), owners: new Set<string>() } },
    { name: "a live claim of the owner vouches before the launch names the instance", reg: registration(I2, 8), records: [record(I1, 1)], launching: { instanceIds: new Set<string>(), owners: new Set(["octo-org"]) } },
  ])("keeps: $name", ({ reg, records, launching }) => {
    // Act
    const decision = decide(input({ registrations: new Map([["octo-org", [reg]]]), records, launching }));

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

  it("cleans up a record with a createdAt far in the future (no expiresAt) and lets it vouch for nothing", () => {
    // Arrange: a year ahead; its registration is offline and has no instance.
    const records = [record(I2, -60 * 24 * 365)];

    // Act
    const decision = decide(input({ registrations: new Map([["octo-org", [registration(I2, 7, { status: "offline" })]]]), records }));

    // Assert
    expect(decision.deleteRecords).toEqual([{ pk: records[0]!.pk, instanceId: I2 }]);
    expect(decision.deleteRegistrations.map((r) => r.runnerId)).toEqual([7]);
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

describe("decide: busy confirmation window", () => {
  const WINDOW = 90;
  const NAME = `${PREFIX}-${I1}`;

  function secondsAgo(seconds: number): Date {
    return new Date(NOW.getTime() - seconds * 1000);
  }

  /** One idle-looking runner past boot+idle, with the window on. */
  function windowInput(overrides: Partial<DecideInput> = {}): DecideInput {
    return input({
      instances: [instance(I1, 45)],
      registrations: new Map([["octo-org", [registration(I1, 77)]]]),
      busyConfirmSeconds: WINDOW,
      ...overrides,
    });
  }

  it("keeps a runner seen idle for the first time and remembers the sighting", () => {
    // Act
    const decision = decide(windowInput());

    // Assert
    expect(decision.keep).toEqual([{ instanceId: I1, reason: "confirming" }]);
    expect(decision.markIdle).toEqual([I1]);
    expect(decision.clearIdle).toEqual([]);
    expect(decision.deregisterThenTerminate).toEqual([]);
    expect(decision.terminate).toEqual([]);
  });

  it("keeps confirming within the window without marking the sighting again", () => {
    // Act
    const decision = decide(windowInput({ idleSeen: new Map([[I1, secondsAgo(WINDOW - 1)]]) }));

    // Assert
    expect(decision.keep).toEqual([{ instanceId: I1, reason: "confirming" }]);
    expect(decision.markIdle).toEqual([]);
    expect(decision.deregisterThenTerminate).toEqual([]);
  });

  it.each([
    { name: "idle online runner", status: "online", age: 45, reason: "idle" },
    { name: "runner that never came online", status: "offline", age: 11, reason: "never-online" },
  ])("deregisters then terminates once the window has passed: $name", ({ status, age, reason }) => {
    // Act
    const decision = decide(
      windowInput({
        instances: [instance(I1, age)],
        registrations: new Map([["octo-org", [registration(I1, 77, { status })]]]),
        idleSeen: new Map([[I1, secondsAgo(WINDOW)]]),
      }),
    );

    // Assert
    expect(decision.deregisterThenTerminate).toEqual([{ owner: "octo-org", installationId: 42, runnerId: 77, instanceId: I1, reason }]);
    expect(decision.keep).toEqual([]);
    expect(decision.markIdle).toEqual([]);
    expect(decision.terminate).toEqual([]);
  });

  it("confirms a never-online runner through the window as well", () => {
    // Act
    const decision = decide(windowInput({ instances: [instance(I1, 11)], registrations: new Map([["octo-org", [registration(I1, 77, { status: "offline" })]]]) }));

    // Assert
    expect(decision.keep).toEqual([{ instanceId: I1, reason: "confirming" }]);
    expect(decision.markIdle).toEqual([I1]);
    expect(decision.deregisterThenTerminate).toEqual([]);
  });

  it.each([
    { name: "busy at GitHub", registrations: [registration(I1, 77, { busy: true })], runningOn: new Set<string>() },
    { name: "idle at GitHub but running a job per the ledger", registrations: [registration(I1, 77)], runningOn: new Set([NAME]) },
    { name: "busy at GitHub and per the ledger", registrations: [registration(I1, 77, { busy: true })], runningOn: new Set([NAME]) },
  ])("never stops a runner $name and forgets its idle sighting", ({ registrations, runningOn }) => {
    // Act: the sighting is old enough that an idle runner would be stopped.
    const decision = decide(
      windowInput({ registrations: new Map([["octo-org", registrations]]), runningOn, idleSeen: new Map([[I1, secondsAgo(10 * WINDOW)]]) }),
    );

    // Assert
    expect(decision.keep).toEqual([{ instanceId: I1, reason: "busy" }]);
    expect(decision.clearIdle).toEqual([I1]);
    expect(decision.deregisterThenTerminate).toEqual([]);
    expect(decision.terminate).toEqual([]);
    expect(decision.markIdle).toEqual([]);
  });

  it("keeps a runner whose job started 60 seconds ago while GitHub's busy flag still says idle", () => {
    // Arrange: round 1 sees the runner idle (the flag lags); the job starts; round 2 comes 60 s later,
    // when the ledger has the in_progress webhook but GitHub's list still says idle.
    const round1 = decide(windowInput({ now: secondsAgo(60) }));
    const idleSeen = new Map(round1.markIdle.map((instanceId) => [instanceId, secondsAgo(60)] as const));

    // Act
    const round2 = decide(windowInput({ idleSeen, runningOn: new Set([NAME]) }));

    // Assert
    expect(round1.keep).toEqual([{ instanceId: I1, reason: "confirming" }]);
    expect(round2.keep).toEqual([{ instanceId: I1, reason: "busy" }]);
    expect(round2.clearIdle).toEqual([I1]);
    expect(round2.deregisterThenTerminate).toEqual([]);
  });

  it("lets a lagging busy flag catch up within the window: a later idle sighting starts over", () => {
    // Arrange: idle at round 1, busy at round 2 (sighting cleared), idle again at round 3.
    const round1 = decide(windowInput({ now: secondsAgo(2 * WINDOW) }));
    const round2 = decide(
      windowInput({
        now: secondsAgo(WINDOW),
        registrations: new Map([["octo-org", [registration(I1, 77, { busy: true })]]]),
        idleSeen: new Map([[I1, secondsAgo(2 * WINDOW)]]),
      }),
    );

    // Act: the sighting was cleared, so round 3 sees the runner idle for the first time again.
    const round3 = decide(windowInput());

    // Assert
    expect(round1.markIdle).toEqual([I1]);
    expect(round2.clearIdle).toEqual([I1]);
    expect(round3.keep).toEqual([{ instanceId: I1, reason: "confirming" }]);
    expect(round3.markIdle).toEqual([I1]);
    expect(round3.deregisterThenTerminate).toEqual([]);
  });

  it("forgets the sighting of a runner that is working again, and of an instance that is gone", () => {
    // Arrange: I1 is young enough to be working; I2 is no longer listed by EC2.
    const idleSeen = new Map([
      [I1, secondsAgo(10 * WINDOW)],
      [I2, secondsAgo(10 * WINDOW)],
    ]);

    // Act
    const decision = decide(windowInput({ instances: [instance(I1, 20)], idleSeen }));

    // Assert
    expect(decision.keep).toEqual([{ instanceId: I1, reason: "working" }]);
    expect([...decision.clearIdle].sort()).toEqual([I1, I2]);
    expect(decision.deregisterThenTerminate).toEqual([]);
  });

  it("stops a stopped runner at once: nothing can start on it", () => {
    // Act
    const decision = decide(windowInput({ instances: [instance(I1, 20, { state: "stopped" })] }));

    // Assert
    expect(decision.deregisterThenTerminate).toEqual([{ owner: "octo-org", installationId: 42, runnerId: 77, instanceId: I1, reason: "stopped" }]);
    expect(decision.markIdle).toEqual([]);
  });

  it("keeps the registration of a gone instance whose runner runs a job per the ledger", () => {
    // Arrange: the instance is not listed (yet, or EC2 lags) and GitHub still says idle.
    const registrations = new Map([["octo-org", [registration(I2, 5)]]]);

    // Act
    const decision = decide(windowInput({ instances: [], registrations, records: [record(I1, 60)], runningOn: new Set([`${PREFIX}-${I2}`]) }));

    // Assert
    expect(decision.deleteRegistrations).toEqual([]);
  });
});

describe("isOwnRunner", () => {
  const PROFILE = "arn:aws:iam::123456789012:instance-profile/sr-runner";

  const POOL_PROFILE = "arn:aws:iam::123456789012:instance-profile/sr-runner-pool-gpu";

  it("accepts only the runner instance profiles: copied tags with another profile, or none, are not ours", () => {
    expect(isOwnRunner(instance("i-1", 5, { instanceProfileArn: PROFILE }), [PROFILE])).toBe(true);
    expect(isOwnRunner(instance("i-2", 5, { instanceProfileArn: "arn:aws:iam::123456789012:instance-profile/sr-runner-copy" }), [PROFILE])).toBe(false);
    expect(isOwnRunner(instance("i-3", 5), [PROFILE])).toBe(false);
  });

  it("accepts a pool's own profile (extra_iam_policy_arns) as one of the kit's, and only when listed", () => {
    expect(isOwnRunner(instance("i-1", 5, { instanceProfileArn: POOL_PROFILE }), [PROFILE, POOL_PROFILE])).toBe(true);
    expect(isOwnRunner(instance("i-1", 5, { instanceProfileArn: POOL_PROFILE }), [PROFILE])).toBe(false);
  });
});

describe("recordAgeMs", () => {
  it("counts a createdAt beyond the boot timeout in the future as infinitely old, and small skew as young", () => {
    const bootMs = BOOT * 1000;
    expect(recordAgeMs({ createdAt: minutesAgo(-60 * 24 * 365) }, NOW.getTime(), bootMs)).toBe(Number.POSITIVE_INFINITY);
    expect(recordAgeMs({ createdAt: minutesAgo(-1) }, NOW.getTime(), bootMs)).toBe(-60_000);
    expect(recordAgeMs({ createdAt: minutesAgo(30) }, NOW.getTime(), bootMs)).toBe(30 * 60_000);
  });
});
