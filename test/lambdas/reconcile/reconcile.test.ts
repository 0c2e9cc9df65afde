import { beforeEach, describe, expect, it } from "vitest";
import { memoryLimitCounters } from "../../../lambdas/libs/ledger/memory-counters.js";
import { MemoryLedgerTable, memoryLedger } from "../../../lambdas/libs/ledger/memory-store.js";
import { limitKeys } from "../../../lambdas/libs/ledger/phases.js";
import type { InstanceView, RecordView, RegistrationView } from "../../../lambdas/reconcile/decide.js";
import { reconcile } from "../../../lambdas/reconcile/reconcile.js";
import type { ReconcileDeps } from "../../../lambdas/reconcile/reconcile.js";
import type { JobMessage, WorkflowJobState } from "../../../lambdas/shared/index.js";
import { jobFacts, seedLaunchedJob } from "../../helpers/ledger.js";
import { captureLogLines, metricPoints, quietPowertools, takeEmittedMetrics } from "../../helpers/powertools.js";

// reconcile called directly with memory ports: the memory ledger and counters (their contract is the
// DynamoDB store's), EC2, GitHub, the runners table and the queues as small in-memory models, and a
// fake clock. No dynalite, nock or SDK doubles: reconcile.lambda.test.ts keeps the wiring, paging and
// GitHub's request sequence.

quietPowertools();

const START = Date.parse("2026-11-23T10:00:00.000Z");
const OWNER = "octo-org";
const INSTALLATION = 52103487;
const I = ["i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "i-0aaaaaaaaaaaaaaa3"] as const;

/** The world the reconciler looks at, in memory, and what it did to it. */
interface World {
  readonly deps: ReconcileDeps;
  readonly table: MemoryLedgerTable;
  readonly instances: Map<string, InstanceView>;
  readonly registrations: RegistrationView[];
  readonly records: RecordView[];
  /** GitHub's state of single jobs, by job id. */
  readonly githubJobs: Map<number, WorkflowJobState>;
  readonly terminated: string[];
  readonly deleted: number[];
  readonly sent: Array<{ pool: string; message: JobMessage; deduplicationId: string }>;
  advance(seconds: number): void;
  now(): Date;
}

function world(): World {
  const table = new MemoryLedgerTable();
  let clock = START;
  const w = {
    table,
    instances: new Map<string, InstanceView>(),
    registrations: [] as RegistrationView[],
    records: [] as RecordView[],
    githubJobs: new Map<number, WorkflowJobState>(),
    terminated: [] as string[],
    deleted: [] as number[],
    sent: [] as World["sent"],
    advance: (seconds: number) => {
      clock += seconds * 1000;
    },
    now: () => new Date(clock),
  };
  const deps: ReconcileDeps = {
    prefix: "sr",
    bootTimeoutSeconds: 600,
    idleTimeoutSeconds: 1800,
    inventory: {
      list: async () => [...w.instances.values()],
      terminate: async (ids) => {
        for (const id of ids) {
          w.terminated.push(id);
          w.instances.delete(id);
        }
      },
    },
    directory: {
      list: async () => [...w.registrations],
      remove: async (_owner, _installation, runnerId) => {
        const index = w.registrations.findIndex((r) => r.id === runnerId);
        if (index >= 0 && w.registrations[index]!.busy) return "busy";
        if (index >= 0) w.registrations.splice(index, 1);
        w.deleted.push(runnerId);
        return index >= 0 ? "deleted" : "not-found";
      },
    },
    records: {
      scan: async () => [...w.records],
      remove: async (pk) => {
        const index = w.records.findIndex((r) => r.pk === pk);
        if (index >= 0) w.records.splice(index, 1);
      },
    },
    now: w.now,
    ledger: memoryLedger(table),
    counters: memoryLimitCounters(table),
    jobs: {
      get: async (_installation, _repository, jobId) => w.githubJobs.get(jobId) ?? { status: "queued", conclusion: null, runnerName: null },
      rerun: async () => undefined,
    },
    requeue: async (pool, body, _groupId, deduplicationId) => {
      w.sent.push({ pool, message: JSON.parse(body) as JobMessage, deduplicationId });
    },
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
  return { ...w, deps };
}

function instance(w: World, instanceId: string, ageSeconds: number): void {
  w.instances.set(instanceId, { instanceId, state: "running", launchTime: new Date(w.now().getTime() - ageSeconds * 1000), pool: "linux", owner: OWNER, installationId: INSTALLATION });
}

const inUse = (w: World, key: string) => Number(w.table.items.get(key)?.inUse ?? 0);

let w: World;

beforeEach(() => {
  w = world();
});

describe("reconcile with memory ports: runners", () => {
  it("keeps an idle runner at its first sighting, then deregisters and terminates it after the confirmation window", async () => {
    // Arrange
    instance(w, I[0], 45 * 60);
    w.registrations.push({ id: 7, name: `sr-${I[0]}`, status: "online", busy: false });

    // Act
    const first = await reconcile(w.deps);
    w.advance(91);
    const second = await reconcile(w.deps);

    // Assert
    expect(first).toMatchObject({ confirming: 1, terminated: 0, errors: 0 });
    expect(second).toMatchObject({ confirming: 0, terminated: 1, registrationsDeleted: 1, errors: 0 });
    expect(w.deleted).toEqual([7]);
    expect(w.terminated).toEqual([I[0]]);
  });

  it("never touches a busy runner", async () => {
    // Arrange
    instance(w, I[0], 5 * 60 * 60);
    w.registrations.push({ id: 7, name: `sr-${I[0]}`, status: "online", busy: true });

    // Act
    const summary = await reconcile(w.deps);
    w.advance(600);
    await reconcile(w.deps);

    // Assert
    expect(summary).toMatchObject({ busyKept: 1, terminated: 0 });
    expect([w.deleted, w.terminated]).toEqual([[], []]);
  });

  it("terminates an instance that never registered past the boot timeout, and leaves a booting one alone", async () => {
    // Arrange
    instance(w, I[0], 15 * 60);
    instance(w, I[1], 3 * 60);

    // Act
    const summary = await reconcile(w.deps);

    // Assert
    expect(w.terminated).toEqual([I[0]]);
    expect(summary).toMatchObject({ terminated: 1, errors: 0 });
  });
});

describe("reconcile with memory ports: a runner registered while the reconciler reads", () => {
  // Found by the interleaved fault world (test/fault/scenarios-interleaved.ts): scale-up registered a
  // runner after this run scanned the table and the ledger, and before it listed the registrations;
  // the instance was not listed yet (EC2's listing lags), so nothing vouched for the registration and
  // it was deleted: the runner booted to find it gone and its job waited for a relaunch.
  it("reads the table and the ledger again before deleting a registration, and keeps one whose runner item or launch appeared meanwhile", async () => {
    // Arrange: the first table scan is empty; the runner item is written while the registrations are listed.
    instance(w, I[0], 60);
    w.records.push({ pk: `arn:aws:ec2:eu-west-1:1:instance/${I[0]}`, instanceId: I[0], owner: OWNER, installationId: INSTALLATION, createdAt: w.now() });
    const list = w.deps.directory.list;
    const scan = w.deps.records.scan;
    let scans = 0;
    const deps: ReconcileDeps = {
      ...w.deps,
      records: { ...w.deps.records, scan: async () => ((scans += 1) === 1 ? [] : scan()) },
      directory: {
        ...w.deps.directory,
        list: async (owner, installation) => {
          w.registrations.push({ id: 9, name: `sr-${I[2]}`, status: "offline", busy: false });
          w.records.push({ pk: `arn:aws:ec2:eu-west-1:1:instance/${I[2]}`, instanceId: I[2], owner: OWNER, installationId: INSTALLATION, createdAt: w.now() });
          return list(owner, installation);
        },
      },
    };

    // Act
    const summary = await reconcile(deps);

    // Assert
    expect(w.deleted).toEqual([]);
    expect(summary).toMatchObject({ registrationsDeleted: 0, errors: 0 });
    expect(scans).toBe(2);
  });

  it("still deletes a registration nothing vouches for after the second read", async () => {
    // Arrange
    instance(w, I[0], 60);
    w.records.push({ pk: `arn:aws:ec2:eu-west-1:1:instance/${I[0]}`, instanceId: I[0], owner: OWNER, installationId: INSTALLATION, createdAt: w.now() });
    w.registrations.push({ id: 9, name: `sr-${I[2]}`, status: "offline", busy: false });

    // Act
    const summary = await reconcile(w.deps);

    // Assert
    expect(w.deleted).toEqual([9]);
    expect(summary).toMatchObject({ registrationsDeleted: 1, errors: 0 });
  });
});

describe("reconcile with memory ports: jobs", () => {
  it("relaunches a launched job whose instance is gone when GitHub still has it queued, freeing its slots", async () => {
    // Arrange
    const launchedAt = new Date(START - 10 * 60_000);
    const key = await seedLaunchedJob(w.deps.ledger, w.deps.counters, { facts: jobFacts(501), instanceId: I[2], prefix: "sr", scopeOwner: OWNER, at: launchedAt });

    // Act
    const summary = await reconcile(w.deps);

    // Assert
    expect(summary).toMatchObject({ relaunched: 1, slotsReleased: 1, errors: 0 });
    expect(w.sent.map((s) => [s.pool, s.message.jobId, s.deduplicationId])).toEqual([["linux", 501, "501-1-r1"]]);
    expect(w.table.items.get(key)).toMatchObject({ phase: "received", relaunches: 1, slotHeld: false });
    const keys = limitKeys("linux", OWNER);
    expect([inUse(w, keys.global), inUse(w, keys.pool), inUse(w, keys.owner)]).toEqual([0, 0, 0]);
  });

  it("records instead of relaunching a job GitHub reports completed", async () => {
    // Arrange
    const key = await seedLaunchedJob(w.deps.ledger, w.deps.counters, { facts: jobFacts(501), instanceId: I[2], prefix: "sr", scopeOwner: OWNER, at: new Date(START - 10 * 60_000) });
    w.githubJobs.set(501, { status: "completed", conclusion: "success", runnerName: "sr-i-0bbbbbbbbbbbbbbb9" });

    // Act
    const summary = await reconcile(w.deps);

    // Assert
    expect(summary).toMatchObject({ relaunched: 0, errors: 0 });
    expect(w.sent).toEqual([]);
    expect(w.table.items.get(key)).toMatchObject({ phase: "completed", conclusion: "success" });
  });

  it("marks a job interrupted when GitHub names, as its runner, one the spot handler noted busy; the next round re-runs it", async () => {
    // Arrange: no webhook named the job's runner (issue 15); its instance is gone, the job failed.
    const key = await seedLaunchedJob(w.deps.ledger, w.deps.counters, { facts: jobFacts(501), instanceId: I[2], prefix: "sr", scopeOwner: OWNER, at: new Date(START - 10 * 60_000) });
    await w.deps.ledger.markRunnerInterrupted(`sr-${I[2]}`, new Date(START - 8 * 60_000));
    w.githubJobs.set(501, { status: "completed", conclusion: "failure", runnerName: `sr-${I[2]}` });

    // Act
    await reconcile(w.deps);
    const next = await reconcile(w.deps);

    // Assert
    expect(next).toMatchObject({ rerun: 1, relaunched: 0, errors: 0 });
    expect(w.table.items.get(key)).toMatchObject({ phase: "failed", interrupted: true, rerunRequested: true });
  });

  it("queues a received job whose queueing delivery crashed (lease ran out, never queued), once", async () => {
    // Arrange: the webhook took the queueing lease 31 minutes ago and died before SendMessage.
    const receivedAt = new Date(START - 31 * 60_000);
    expect((await w.deps.ledger.receiveToQueue(jobFacts(502), "delivery-502", 30_000, receivedAt)).leased).toBe(true);

    // Act
    const first = await reconcile(w.deps);
    const second = await reconcile(w.deps);

    // Assert
    expect(first).toMatchObject({ requeued: 1, errors: 0 });
    expect(second).toMatchObject({ requeued: 0, errors: 0 });
    expect(w.sent.map((s) => s.message.jobId)).toEqual([502]);
  });

  it("repairs a drifted counter from the jobs that hold slots", async () => {
    // Arrange
    w.table.items.set("limit#pool#gpu", { pk: "limit#pool#gpu", inUse: 3 });

    // Act
    const summary = await reconcile(w.deps);

    // Assert
    expect(summary).toMatchObject({ countersRepaired: 1, errors: 0 });
    expect(inUse(w, "limit#pool#gpu")).toBe(0);
  });
});

describe("reconcile metrics and correlation", () => {
  beforeEach(() => {
    takeEmittedMetrics();
  });

  it("publishes the fleet gauges of every known pool each run, zeros included", async () => {
    // Act
    await reconcile(w.deps);

    // Assert
    const points = metricPoints();
    expect(points.filter((point) => point.name === "OldestWaitingJobAge")).toEqual([expect.objectContaining({ value: 0, dimensions: expect.objectContaining({ Pool: "linux" }) })]);
    expect(points.filter((point) => point.name === "Runners").map((point) => [point.dimensions.State, point.value])).toEqual([
      ["booting", 0],
      ["idle", 0],
      ["busy", 0],
      ["offline", 0],
    ]);
    expect(points.filter((point) => point.name === "ReconcileErrors")).toEqual([expect.objectContaining({ value: 0, dimensionSets: [["service"]] })]);
  });

  it("logs a kept runner with its instance's correlation keys, read from the instance tags", async () => {
    // Arrange
    const lines = captureLogLines();
    w.instances.set(I[0], {
      instanceId: I[0],
      state: "running",
      launchTime: new Date(w.now().getTime() - 45 * 60_000),
      pool: "linux",
      owner: OWNER,
      installationId: INSTALLATION,
      job: { jobId: "4242", deliveryId: "d-4242", repository: "octo-org/example-workflow" },
    });
    w.registrations.push({ id: 7, name: `sr-${I[0]}`, status: "online", busy: false });
    await reconcile(w.deps);
    w.advance(91);
    // GitHub says busy when the deletion is tried: the runner took a job meanwhile.
    w.registrations[0] = { ...w.registrations[0]!, busy: true };
    w.deps.directory.list = async () => [{ ...w.registrations[0]!, busy: false }];

    // Act
    await reconcile(w.deps);

    // Assert
    expect(lines().find((line) => line.message === "runner became busy, kept")).toMatchObject({
      instanceId: I[0],
      runnerName: `sr-${I[0]}`,
      pool: "linux",
      owner: OWNER,
      jobId: "4242",
      deliveryId: "d-4242",
      repository: "octo-org/example-workflow",
    });
    expect(lines().find((line) => line.message === "reconcile finished")).not.toHaveProperty("jobId");
  });
});
