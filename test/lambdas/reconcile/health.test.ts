import { afterEach, describe, expect, it, vi } from "vitest";
import { METRICS, METRIC_DIMENSIONS } from "../../../contracts/metrics.js";
import { memoryLimitCounters } from "../../../lambdas/libs/ledger/memory-counters.js";
import { MemoryLedgerTable, memoryLedger } from "../../../lambdas/libs/ledger/memory-store.js";
import type { InstanceView, RegistrationView } from "../../../lambdas/reconcile/decide.js";
import { decideImpaired, isImpaired, type ImpairedInput, type InstanceStatusView } from "../../../lambdas/reconcile/health.js";
import { reconcile, type ReconcileDeps } from "../../../lambdas/reconcile/reconcile.js";
import { metricPoints, quietPowertools, takeEmittedMetrics } from "../../helpers/powertools.js";

quietPowertools();

const NOW = new Date("2026-11-23T10:00:00.000Z");
const OWNER = "octo-org";
const INSTALLATION = 52103487;

function instance(instanceId: string, overrides: Partial<InstanceView> = {}): InstanceView {
  return { instanceId, state: "running", launchTime: new Date(NOW.getTime() - 5 * 60_000), pool: "linux", owner: OWNER, installationId: INSTALLATION, ...overrides };
}

function status(instanceId: string, instanceStatus: string, systemStatus = "ok"): InstanceStatusView {
  return { instanceId, instanceStatus, systemStatus };
}

function registration(instanceId: string, id: number, busy = false, status = "offline"): RegistrationView {
  return { id, name: `sr-${instanceId}`, status, busy };
}

function input(overrides: Partial<ImpairedInput>): ImpairedInput {
  return { instances: [], statuses: [], registrations: new Map([[OWNER, []]]), prefix: "sr", runningOn: new Set(), handled: new Set(), ...overrides };
}

describe("isImpaired", () => {
  it("is true when the instance check or the system check is impaired, and only then", () => {
    expect(isImpaired(status("i-1", "impaired"))).toBe(true);
    expect(isImpaired(status("i-1", "ok", "impaired"))).toBe(true);
    for (const value of ["ok", "initializing", "insufficient-data", "not-applicable"]) expect(isImpaired(status("i-1", value, value))).toBe(false);
  });
});

describe("decideImpaired", () => {
  it("terminates an impaired instance that has no registration, with its pool", () => {
    const decision = decideImpaired(input({ instances: [instance("i-1"), instance("i-2")], statuses: [status("i-1", "impaired"), status("i-2", "ok")] }));
    expect(decision).toEqual({ terminate: [{ instanceId: "i-1", pool: "linux" }], deregisterThenTerminate: [], kept: [] });
  });

  it("deregisters an impaired offline runner before terminating it (GitHub refuses if it is on a job)", () => {
    const decision = decideImpaired(
      input({ instances: [instance("i-1", { pool: "gpu" })], statuses: [status("i-1", "ok", "impaired")], registrations: new Map([[OWNER, [registration("i-1", 7)]]]) }),
    );
    expect(decision.deregisterThenTerminate).toEqual([{ owner: OWNER, installationId: INSTALLATION, runnerId: 7, instanceId: "i-1", pool: "gpu" }]);
    expect(decision.terminate).toEqual([]);
  });

  it("never touches a busy runner: GitHub says busy, or the ledger has it on a job", () => {
    const decision = decideImpaired(
      input({
        instances: [instance("i-1"), instance("i-2")],
        statuses: [status("i-1", "impaired"), status("i-2", "impaired")],
        registrations: new Map([[OWNER, [registration("i-1", 7, true), registration("i-2", 8)]]]),
        runningOn: new Set(["sr-i-2"]),
      }),
    );
    expect(decision).toEqual({ terminate: [], deregisterThenTerminate: [], kept: ["i-1", "i-2"] });
  });

  it("leaves an impaired runner alone while GitHub shows it online: its idleness cannot be confirmed in one round", () => {
    const decision = decideImpaired(
      input({ instances: [instance("i-1")], statuses: [status("i-1", "impaired")], registrations: new Map([[OWNER, [registration("i-1", 7, false, "online")]]]) }),
    );
    expect(decision).toEqual({ terminate: [], deregisterThenTerminate: [], kept: ["i-1"] });
  });

  it("leaves alone what it cannot vouch for: no owner tags, or registrations that could not be listed", () => {
    const decision = decideImpaired(
      input({
        instances: [instance("i-1", { owner: undefined }), instance("i-2", { owner: "other-org" })],
        statuses: [status("i-1", "impaired"), status("i-2", "impaired")],
      }),
    );
    expect(decision).toEqual({ terminate: [], deregisterThenTerminate: [], kept: ["i-1", "i-2"] });
  });

  it("leaves alone an instance whose tags name an owner but no installation, registered or not: nothing to deregister it through", () => {
    const decision = decideImpaired(
      input({
        instances: [instance("i-1", { installationId: undefined }), instance("i-2", { installationId: undefined })],
        statuses: [status("i-1", "impaired"), status("i-2", "impaired")],
        registrations: new Map([[OWNER, [registration("i-1", 7)]]]),
      }),
    );
    expect(decision).toEqual({ terminate: [], deregisterThenTerminate: [], kept: ["i-1", "i-2"] });
  });

  it("skips instances the round already stops and statuses of instances it does not know", () => {
    const decision = decideImpaired(input({ instances: [instance("i-1")], statuses: [status("i-1", "impaired"), status("i-9", "impaired")], handled: new Set(["i-1"]) }));
    expect(decision).toEqual({ terminate: [], deregisterThenTerminate: [], kept: [] });
  });
});

describe("reconcile with EC2 status checks", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** A reconcile round over memory ports: two young running instances, an offline registration on each (the first busy when asked). */
  function deps(statuses: InstanceStatusView[] | undefined, busy: boolean) {
    const table = new MemoryLedgerTable();
    const instances = new Map([instance("i-0aaaaaaaaaaaaaaa1"), instance("i-0aaaaaaaaaaaaaaa2")].map((i) => [i.instanceId, i]));
    const registrations = [registration("i-0aaaaaaaaaaaaaaa1", 1, busy), registration("i-0aaaaaaaaaaaaaaa2", 2)];
    const terminated: string[] = [];
    const asked: string[][] = [];
    const d: ReconcileDeps = {
      prefix: "sr",
      bootTimeoutSeconds: 600,
      idleTimeoutSeconds: 1800,
      inventory: {
        list: async () => [...instances.values()],
        terminate: async (ids) => {
          terminated.push(...ids);
        },
        ...(statuses === undefined
          ? {}
          : {
              statuses: async (ids: readonly string[]) => {
                asked.push([...ids]);
                return statuses;
              },
            }),
      },
      directory: {
        list: async () => [...registrations],
        remove: async (_owner, _installation, runnerId) => (registrations.find((r) => r.id === runnerId)?.busy ? "busy" : "deleted"),
      },
      records: { scan: async () => [], remove: async () => undefined },
      now: () => NOW,
      ledger: memoryLedger(table),
      counters: memoryLimitCounters(table),
      jobs: { get: async () => ({ status: "queued", conclusion: null, runnerName: null }), rerun: async () => undefined },
      requeue: async () => undefined,
      isDraining: async () => false,
      busyConfirmSeconds: 90,
      relaunchGraceSeconds: 300,
      requeueAfterSeconds: 1800,
      rerunInterrupted: true,
      maxJobChecks: 20,
      warmPools: { linux: undefined },
      scope: "org",
      installationFor: async () => INSTALLATION,
    };
    return { deps: d, terminated, asked };
  }

  /** What the round publishes under the impaired-runner metric, per pool. */
  function impairedPoints(): Array<{ dimensions: Record<string, unknown>; value: unknown }> {
    return metricPoints(METRICS.impairedRunnersTerminated.name).map(({ dimensions, value }) => ({ dimensions, value }));
  }

  it("terminates the impaired idle runner, asks only about the kit's running instances, and counts it per pool", async () => {
    takeEmittedMetrics();
    const { deps: d, terminated, asked } = deps([status("i-0aaaaaaaaaaaaaaa1", "impaired"), status("i-0aaaaaaaaaaaaaaa2", "ok")], false);
    const summary = await reconcile(d);
    expect(asked).toEqual([["i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2"]]);
    expect(terminated).toEqual(["i-0aaaaaaaaaaaaaaa1"]);
    expect(summary).toMatchObject({ impairedTerminated: 1, errors: 0 });
    expect(impairedPoints()).toEqual([{ dimensions: { service: "service_undefined", [METRIC_DIMENSIONS.pool]: "linux" }, value: 1 }]);
  });

  it("keeps an impaired runner that turned busy before it could be deregistered, and counts nothing", async () => {
    takeEmittedMetrics();
    const { deps: d, terminated } = deps([status("i-0aaaaaaaaaaaaaaa1", "impaired")], true);
    const summary = await reconcile(d);
    expect(terminated).toEqual([]);
    expect(summary).toMatchObject({ impairedTerminated: 0, errors: 0 });
    expect(impairedPoints()).toEqual([]);
  });

  it("counts a failed status read as an error and goes on with the round", async () => {
    const { deps: d, terminated } = deps([], false);
    const failing: ReconcileDeps = { ...d, inventory: { ...d.inventory, statuses: async () => Promise.reject(new Error("RequestLimitExceeded")) } };
    const summary = await reconcile(failing);
    expect(summary).toMatchObject({ impairedTerminated: 0, errors: 1 });
    expect(terminated).toEqual([]);
  });

  it("checks nothing when the inventory cannot read statuses", async () => {
    const { deps: d, terminated } = deps(undefined, false);
    expect(await reconcile(d)).toMatchObject({ impairedTerminated: 0, errors: 0 });
    expect(terminated).toEqual([]);
  });
});
