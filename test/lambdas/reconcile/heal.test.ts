import { describe, expect, it } from "vitest";
import { MemoryLedgerTable, memoryLedger } from "../../../lambdas/libs/ledger/memory-store.js";
import { memoryLimitCounters } from "../../../lambdas/libs/ledger/memory-counters.js";
import { memoryHealerState } from "../../../lambdas/libs/ledger/healer-state.js";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import { heal } from "../../../lambdas/reconcile/heal.js";
import type { HealDeps } from "../../../lambdas/reconcile/heal.js";
import type { DeliveryLog, QueuedJobsSource } from "../../../lambdas/reconcile/adapters/deliveries.js";
import type { DeliveryAttempt, ListedJob } from "../../../lambdas/reconcile/heal-plan.js";
import { ledgerJobBook } from "../../../lambdas/webhook/adapters/ledger.js";
import { enqueueOnce } from "../../../lambdas/webhook/webhook.js";
import type { JobMessage } from "../../../lambdas/shared/index.js";
import { quietPowertools } from "../../helpers/powertools.js";

quietPowertools();

const NOW = new Date("2026-03-02T12:00:00Z");
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
const POOLS = { linux: { labels: ["linux", "x64"], queueUrl: "https://sqs.example/linux.fifo" } };

function attempt(id: number, guid: string, minutes: number, statusCode: number, extra: Partial<DeliveryAttempt> = {}): DeliveryAttempt {
  return { id, guid, deliveredAt: minutesAgo(minutes), redelivery: false, statusCode, event: "workflow_job", action: "queued", ...extra };
}

/** GitHub's delivery log, newest first, served in pages of `perPage` with opaque cursors; records every call. */
class ScriptedDeliveryLog implements DeliveryLog {
  readonly calls: string[] = [];
  readonly refuse = new Set<number>();
  constructor(
    public attempts: DeliveryAttempt[],
    readonly perPage = 100,
  ) {}
  async page(cursor: string | undefined) {
    this.calls.push(`GET /app/hook/deliveries${cursor === undefined ? "" : `?cursor=${cursor}`}`);
    const sorted = [...this.attempts].sort((a, b) => b.id - a.id);
    const start = cursor === undefined ? 0 : sorted.findIndex((a) => a.id < Number(cursor.slice(3)));
    const page = sorted.slice(start, start + this.perPage);
    const next = sorted[start + this.perPage];
    return next === undefined ? { attempts: page } : { attempts: page, nextCursor: `v1_${page[page.length - 1]?.id}` };
  }
  async redeliver(deliveryId: number) {
    this.calls.push(`POST /app/hook/deliveries/${deliveryId}/attempts`);
    if (this.refuse.has(deliveryId)) throw new Error("422 Validation Failed");
  }
}

/** GitHub's runs and jobs per repository; records every call. */
class ScriptedJobs implements QueuedJobsSource {
  readonly calls: string[] = [];
  constructor(readonly runsByRepo: Record<string, { runId: number; status: "queued" | "in_progress"; jobs: ListedJob[] }[]>) {}
  async runs(repository: string, _installationId: number, status: "queued" | "in_progress") {
    this.calls.push(`GET /repos/${repository}/actions/runs?status=${status}`);
    return (this.runsByRepo[repository] ?? []).filter((run) => run.status === status).map((run) => run.runId);
  }
  async jobs(repository: string, _installationId: number, runId: number) {
    this.calls.push(`GET /repos/${repository}/actions/runs/${runId}/jobs`);
    return (this.runsByRepo[repository] ?? []).find((run) => run.runId === runId)?.jobs ?? [];
  }
}

function world(options: { attempts?: DeliveryAttempt[]; perPage?: number; runs?: ScriptedJobs["runsByRepo"]; maxCalls?: number; table?: MemoryLedgerTable } = {}) {
  const table = options.table ?? new MemoryLedgerTable();
  const ledger = memoryLedger(table);
  const sent: JobMessage[] = [];
  const deliveries = new ScriptedDeliveryLog(options.attempts ?? [], options.perPage);
  const jobs = new ScriptedJobs(options.runs ?? {});
  let now = NOW;
  const path = { jobs: ledgerJobBook(ledger, memoryLimitCounters(table), "sr"), enqueue: async (_url: string, job: JobMessage) => void sent.push(job), pools: POOLS, now: () => now };
  const deps: HealDeps = {
    maxCalls: options.maxCalls ?? 30,
    state: memoryHealerState(table),
    deliveries,
    queuedJobs: jobs,
    pools: POOLS,
    enqueue: async (pool, job) => ((await enqueueOnce(pool, job, path)).body.message === "queued" ? "queued" : "duplicate"),
    now: () => now,
  };
  return { table, ledger, sent, deliveries, jobs, deps, advance: (minutes: number) => (now = new Date(now.getTime() + minutes * 60_000)) };
}

describe("webhook healer: failed deliveries", () => {
  it("redelivers each failed workflow_job delivery once, queued first, and leaves delivered, redelivered and other events alone", async () => {
    // Arrange: 5xx queued, 429 completed, a failure already redelivered with success, a ping failure, a success.
    const w = world({
      attempts: [
        attempt(11, "g-completed", 20, 429, { action: "completed" }),
        attempt(12, "g-queued", 10, 502),
        attempt(13, "g-retried", 9, 500),
        attempt(14, "g-retried", 8, 200, { redelivery: true }),
        attempt(15, "g-ping", 7, 500, { event: "ping", action: null }),
        attempt(16, "g-ok", 6, 200),
      ],
    });

    // Act
    const summary = await heal(w.deps);

    // Assert
    expect(w.deliveries.calls).toEqual(["GET /app/hook/deliveries", "POST /app/hook/deliveries/12/attempts", "POST /app/hook/deliveries/11/attempts"]);
    expect(summary).toMatchObject({ redelivered: 2, errors: 0 });
  });

  it("never redelivers the same delivery twice, across runs or between two concurrent runs", async () => {
    // Arrange
    const w = world({ attempts: [attempt(21, "g-a", 10, 503)] });

    // Act: two rounds at once, then a later one that reads the same failure again.
    await Promise.all([heal(w.deps), heal(w.deps)]);
    w.advance(5);
    await heal(w.deps);

    // Assert
    expect(w.deliveries.calls.filter((call) => call.startsWith("POST"))).toEqual(["POST /app/hook/deliveries/21/attempts"]);
  });

  it("reads the log only down to its mark on the next run", async () => {
    // Arrange: one page per delivery.
    const w = world({ attempts: [attempt(30, "g-oldest", 50, 200), attempt(31, "g-old", 40, 200), attempt(32, "g-new", 20, 200)], perPage: 1 });
    await heal(w.deps);
    w.deliveries.calls.length = 0;
    w.advance(10);
    w.deliveries.attempts.push(attempt(33, "g-newer", 5, 500));

    // Act
    await heal(w.deps);

    // Assert: the new page, the newest of the last run (inside the mark's overlap), then the first page
    // older than the mark, where the scan stops; never the oldest.
    expect(w.deliveries.calls).toEqual([
      "GET /app/hook/deliveries",
      "GET /app/hook/deliveries?cursor=v1_33",
      "GET /app/hook/deliveries?cursor=v1_32",
      "POST /app/hook/deliveries/33/attempts",
    ]);
  });

  it("resumes a scan its budget cut short from the stored cursor, and loses no failure in between", async () => {
    // Arrange: 8 pages of one delivery, the oldest failed; 4 calls per run leave 1 page per run (the rest is kept for a redelivery).
    const attempts = Array.from({ length: 8 }, (_, i) => attempt(41 + i, `g-${i}`, 50 - i, i === 0 ? 500 : 200));
    const w = world({ attempts, perPage: 1, maxCalls: 4 });

    // Act
    for (let run = 0; run < 8; run += 1) {
      await heal(w.deps);
      w.advance(1);
    }

    // Assert
    expect(w.deliveries.calls.filter((call) => call.startsWith("POST"))).toEqual(["POST /app/hook/deliveries/41/attempts"]);
    expect(w.deliveries.calls.filter((call) => call.startsWith("GET")).length).toBeLessThanOrEqual(8 * 2);
  });

  it("redelivers a redelivery that failed too, at most 3 times per event", async () => {
    // Arrange: the webhook stays down; each redelivery GitHub makes fails as well.
    const w = world({ attempts: [attempt(91, "g-down", 30, 502)] });
    let nextId = 92;

    // Act
    for (let run = 0; run < 5; run += 1) {
      await heal(w.deps);
      const asked = w.deliveries.calls.filter((call) => call.startsWith("POST")).length;
      while (w.deliveries.attempts.filter((a) => a.redelivery).length < asked) w.deliveries.attempts.push(attempt(nextId++, "g-down", 25 - run, 502, { redelivery: true }));
      w.advance(5);
    }

    // Assert: the original, then each failed redelivery once; none after the third.
    expect(w.deliveries.calls.filter((call) => call.startsWith("POST"))).toEqual(["POST /app/hook/deliveries/91/attempts", "POST /app/hook/deliveries/92/attempts", "POST /app/hook/deliveries/93/attempts"]);
  });

  it("keeps the claim of a redelivery GitHub refused and counts the error", async () => {
    // Arrange
    const w = world({ attempts: [attempt(51, "g-refused", 10, 500)] });
    w.deliveries.refuse.add(51);

    // Act
    const first = await heal(w.deps);
    const second = await heal(w.deps);

    // Assert
    expect(first).toMatchObject({ redelivered: 0, errors: 1 });
    expect(second).toMatchObject({ redelivered: 0, errors: 0 });
    expect(w.deliveries.calls.filter((call) => call.startsWith("POST"))).toHaveLength(1);
  });

  it("leaves deliveries beyond GitHub's redelivery horizon alone", async () => {
    // Arrange: a failure 71.5 hours old (inside 3 days, but within the hour's margin of the horizon).
    const w = world({ attempts: [attempt(61, "g-stale", 71.5 * 60, 500)] });
    await w.deps.state.saveCursor({ mark: minutesAgo(4 * 24 * 60) }, NOW);

    // Act
    await heal(w.deps);

    // Assert
    expect(w.deliveries.calls).toEqual(["GET /app/hook/deliveries"]);
  });
});

describe("webhook healer: jobs GitHub still reports queued", () => {
  const queuedJob = (id: number, minutes: number, labels = ["linux", "x64"]): ListedJob => ({ id, runId: 900, runAttempt: 1, status: "queued", labels, createdAt: minutesAgo(minutes) });

  it("queues a queued job the ledger never saw, through the webhook's path, once", async () => {
    // Arrange: octo-org/app had a job recently; run 900 has a lost job, a fresh one, an unmatched one and a running one.
    const w = world({
      runs: {
        "octo-org/app": [
          { runId: 900, status: "in_progress", jobs: [queuedJob(1001, 10), queuedJob(1002, 1), queuedJob(1003, 10, ["windows"]), { ...queuedJob(1004, 10), status: "in_progress" }] },
        ],
      },
    });
    await w.ledger.receive({ jobId: 1000, runAttempt: 1, runId: 899, repository: "octo-org/app", org: "octo-org", pool: "linux", installationId: 7, labels: ["linux"] }, "d-1000", new Date(minutesAgo(60)));

    // Act
    const first = await heal(w.deps);
    const second = await heal(w.deps);

    // Assert
    expect(w.sent.map((job) => [job.jobId, job.pool, job.repository, job.installationId, job.owner])).toEqual([[1001, "linux", "octo-org/app", 7, "octo-org"]]);
    expect(first.recovered).toBe(1);
    expect(second.recovered).toBe(0);
    expect((await w.ledger.get(jobKey({ jobId: 1001, runAttempt: 1 })))?.queuedAt).toBeDefined();
    expect(w.jobs.calls.slice(0, 3)).toEqual(["GET /repos/octo-org/app/actions/runs?status=queued", "GET /repos/octo-org/app/actions/runs?status=in_progress", "GET /repos/octo-org/app/actions/runs/900/jobs"]);
  });

  it("queues nothing for a job the ledger already knows", async () => {
    // Arrange
    const w = world({ runs: { "octo-org/app": [{ runId: 900, status: "queued", jobs: [queuedJob(1001, 10)] }] } });
    await w.ledger.receiveToQueue({ jobId: 1001, runAttempt: 1, runId: 900, repository: "octo-org/app", org: "octo-org", pool: "linux", installationId: 7, labels: ["linux", "x64"] }, "d-1001", 30_000, new Date(minutesAgo(10)));

    // Act
    const summary = await heal(w.deps);

    // Assert
    expect(w.sent).toEqual([]);
    expect(summary.recovered).toBe(0);
  });

  it("stops at its call budget, both passes together", async () => {
    // Arrange: ten repositories seen, each with a queued run.
    const table = new MemoryLedgerTable();
    const ledger = memoryLedger(table);
    const runs: ScriptedJobs["runsByRepo"] = {};
    for (let i = 0; i < 10; i += 1) {
      runs[`octo-org/r${i}`] = [{ runId: 900 + i, status: "queued", jobs: [] }];
      await ledger.receive({ jobId: 2000 + i, runAttempt: 1, runId: 800 + i, repository: `octo-org/r${i}`, org: "octo-org", pool: "linux", installationId: 7, labels: ["linux"] }, `d-${i}`, new Date(minutesAgo(30 + i)));
    }
    const w = world({ runs, table, maxCalls: 7, attempts: [attempt(71, "g-ok", 5, 200)] });

    // Act
    const summary = await heal(w.deps);

    // Assert
    expect(w.deliveries.calls.length + w.jobs.calls.length).toBe(7);
    expect(summary.calls).toBe(7);
  });

  it("makes no call when the budget is 0", async () => {
    const w = world({ attempts: [attempt(81, "g-x", 5, 500)], maxCalls: 0 });
    expect(await heal(w.deps)).toEqual({ calls: 0, redelivered: 0, recovered: 0, errors: 0 });
    expect(w.deliveries.calls).toEqual([]);
  });
});
