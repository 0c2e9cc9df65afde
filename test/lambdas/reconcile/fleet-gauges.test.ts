import { beforeEach, describe, expect, it } from "vitest";
import type { JobRecord } from "../../../lambdas/libs/ledger/types.js";
import { limitReleaseReason } from "../../../lambdas/libs/ledger/phases.js";
import type { InstanceView, RegistrationView } from "../../../lambdas/reconcile/decide.js";
import { emitFleetGauges, fleetGauges } from "../../../lambdas/reconcile/fleet-gauges.js";
import type { GaugeInput } from "../../../lambdas/reconcile/fleet-gauges.js";
import { metricPoints, quietPowertools, takeEmittedMetrics } from "../../helpers/powertools.js";

quietPowertools();

const NOW = new Date("2026-11-23T10:00:00.000Z");
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

const instance = (instanceId: string, overrides: Partial<InstanceView> = {}): InstanceView => ({
  instanceId,
  state: "running",
  launchTime: NOW,
  pool: "linux",
  owner: "octo-org",
  installationId: 1,
  ...overrides,
});
const registration = (instanceId: string, overrides: Partial<RegistrationView> = {}): RegistrationView => ({ id: 1, name: `sr-${instanceId}`, status: "online", busy: false, ...overrides });
const jobRecord = (jobId: number, overrides: Partial<JobRecord> = {}): JobRecord => ({ pk: `job#${jobId}#1`, phase: "received", jobId, runAttempt: 1, pool: "linux", ...overrides });

function input(overrides: Partial<GaugeInput> = {}): GaugeInput {
  return { pools: ["linux", "gpu"], jobs: [], instances: [], registrations: new Map(), runningOn: new Set(), prefix: "sr", now: NOW, ...overrides };
}

describe("fleetGauges", () => {
  it("gives every known pool zeros when nothing waits and nothing runs", () => {
    // Act
    const gauges = fleetGauges(input());

    // Assert
    expect(Object.fromEntries(gauges)).toEqual({
      linux: { oldestWaitingJobAge: 0, jobsWaitingOverLimits: 0, runners: { booting: 0, idle: 0, busy: 0, offline: 0 } },
      gpu: { oldestWaitingJobAge: 0, jobsWaitingOverLimits: 0, runners: { booting: 0, idle: 0, busy: 0, offline: 0 } },
    });
  });

  it("ages the oldest job without a runner, and counts the ones a limit holds back", () => {
    // Arrange
    const jobs = [
      jobRecord(1, { receivedAt: ago(300) }),
      jobRecord(2, { phase: "launching", receivedAt: ago(900) }),
      jobRecord(3, { phase: "running", receivedAt: ago(5000) }),
      jobRecord(4, { kind: "warm", receivedAt: ago(7000) }),
      jobRecord(5, { receivedAt: ago(60), events: [{ at: ago(30), what: "released", detail: limitReleaseReason("pool linux") }] }),
      jobRecord(6, { receivedAt: ago(60), events: [{ at: ago(30), what: "released", detail: "GitHub API budget is low" }] }),
    ];

    // Act
    const linux = fleetGauges(input({ jobs })).get("linux");

    // Assert
    expect(linux).toMatchObject({ oldestWaitingJobAge: 900, jobsWaitingOverLimits: 1 });
  });

  it("sorts instances into booting, idle, busy and offline from the registrations and the ledger", () => {
    // Arrange
    const instances = ["i-0a", "i-0b", "i-0c", "i-0d", "i-0e", "i-0f"].map((id) => instance(id));
    const registrations = new Map([["octo-org", [registration("i-0b"), registration("i-0c", { busy: true }), registration("i-0d", { status: "offline" }), registration("i-0e")]]]);

    // Act
    const linux = fleetGauges(input({ instances: [...instances, instance("i-10", { state: "stopped" })], registrations, runningOn: new Set(["sr-i-0e"]) })).get("linux");

    // Assert: i-0a and i-0f have no registration yet, i-0e is idle at GitHub but runs a job per the ledger.
    expect(linux?.runners).toEqual({ booting: 2, idle: 1, busy: 2, offline: 2 });
  });

  it("counts a limit release only for a job back in `received`, and ages only jobs with a readable receive time", () => {
    // Arrange: a launching job whose last event is still the limit release (claimed again, not launched),
    // and waiting jobs whose receive time is missing or unreadable.
    const released = [{ at: ago(30), what: "released", detail: limitReleaseReason("pool linux") }];
    const jobs = [
      jobRecord(1, { phase: "launching", receivedAt: ago(60), events: released }),
      jobRecord(2, {}),
      jobRecord(3, { receivedAt: "not a date" }),
    ];

    // Act
    const linux = fleetGauges(input({ jobs })).get("linux");

    // Assert
    expect(linux).toMatchObject({ oldestWaitingJobAge: 60, jobsWaitingOverLimits: 0 });
  });

  it("gives no series to jobs and instances without a pool", () => {
    // Act
    const gauges = fleetGauges(input({ jobs: [jobRecord(1, { pool: undefined, receivedAt: ago(60) })], instances: [instance("i-0a", { pool: undefined })] }));

    // Assert
    expect([...gauges.keys()]).toEqual(["linux", "gpu"]);
  });

  it("counts a stopping instance offline, even while GitHub still lists its runner online", () => {
    // Arrange
    const registrations = new Map([["octo-org", [registration("i-0a"), registration("i-0b")]]]);

    // Act
    const linux = fleetGauges(input({ instances: [instance("i-0a", { state: "stopping" }), instance("i-0b", { state: "stopping" }), instance("i-0c", { state: "stopping" })], registrations })).get("linux");

    // Assert
    expect(linux?.runners).toEqual({ booting: 0, idle: 0, busy: 0, offline: 3 });
  });

  it("tells an online registration (idle) from an offline one", () => {
    // Arrange
    const registrations = new Map([["octo-org", [registration("i-0a"), registration("i-0b"), registration("i-0c", { status: "offline" })]]]);

    // Act
    const linux = fleetGauges(input({ instances: ["i-0a", "i-0b", "i-0c"].map((id) => instance(id)), registrations })).get("linux");

    // Assert
    expect(linux?.runners).toEqual({ booting: 0, idle: 2, busy: 0, offline: 1 });
  });
});

describe("emitFleetGauges", () => {
  beforeEach(() => {
    takeEmittedMetrics();
  });

  it("publishes each pool's gauges and one Runners series per state, zeros included", () => {
    // Act
    emitFleetGauges(fleetGauges(input({ pools: ["linux"] })));

    // Assert
    const points = metricPoints();
    expect(points.filter((point) => point.name === "OldestWaitingJobAge")).toEqual([expect.objectContaining({ unit: "Seconds", value: 0, dimensions: expect.objectContaining({ Pool: "linux" }) })]);
    expect(points.filter((point) => point.name === "JobsWaitingOverLimits")).toEqual([expect.objectContaining({ unit: "Count", value: 0, dimensions: expect.objectContaining({ Pool: "linux" }) })]);
    const runners = points.filter((point) => point.name === "Runners");
    expect(runners.map((point) => point.dimensions.State)).toEqual(["booting", "idle", "busy", "offline"]);
    expect(runners[0]?.dimensionSets).toEqual([["service"], ["service", "Pool", "State"]]);
  });
});
