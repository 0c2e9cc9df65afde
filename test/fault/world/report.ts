import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { LoopbackAws } from "../../helpers/loopback-aws.js";
import { LimitWatch, counterDrift, replacements, wastedInstances } from "../oracle.js";
import type { WorldDynamoDb } from "./dynamodb.js";
import type { Ec2Instance, Ec2Model } from "./ec2.js";
import type { GitHubJob, GitHubWorld } from "./github.js";
import type { Ingress } from "./ingress.js";
import { PREFIX, SIM_START } from "./options.js";
import type { Figures, RunnerSim, ScenarioReport } from "./options.js";
import { firedDeadlines } from "./deadlines.js";
import type { CallScheduler } from "./scheduler.js";
import type { FifoQueue, SqsModel } from "./sqs.js";
import type { WorldStats } from "./stats.js";

/**
 * The report of a run: the figures of the reliability table and the five invariants, all from world
 * truth (test/fault/oracle.ts), and the details worth a look when one fails.
 */

/** What the report reads of the world. */
export interface ReportWorld {
  readonly github: GitHubWorld;
  readonly ec2: Ec2Model;
  readonly dynamo: WorldDynamoDb;
  readonly sqs: SqsModel;
  readonly aws: LoopbackAws;
  readonly pools: ReadonlyMap<string, { readonly queue: FifoQueue; readonly deadLetter: FifoQueue }>;
  readonly runners: ReadonlyMap<string, RunnerSim>;
  readonly stats: WorldStats;
  readonly limitWatch: LimitWatch;
  readonly expectDeadLetter: ReadonlySet<number>;
  readonly ingress: Ingress | undefined;
  readonly scheduler: CallScheduler | undefined;
  readonly controlPlane: { readonly receivedWhileHeld: number };
  readonly profile: ReadonlyMap<string, number>;
  readonly log: readonly string[];
  runnerSims(): RunnerSim[];
  ourLive(): Ec2Instance[];
}

export async function buildReport(w: ReportWorld, timedOut: boolean): Promise<ScenarioReport> {
  const logical = [...w.github.jobs.values()].filter((job) => job.logicalId === job.id);
  const finalAttempt = (job: GitHubJob): GitHubJob => {
    let current = job;
    while (current.rerunAs !== undefined) current = w.github.jobs.get(current.rerunAs) as GitHubJob;
    return current;
  };
  const ledger = await scanTable(w.dynamo, `${PREFIX}-jobs`);
  const deadLettered = [...w.pools.values()].flatMap(({ deadLetter }) => deadLetter.messages);
  const lost: Array<{ jobId: number; status: string; conclusion: string | null; why: string; ledger?: unknown }> = [];
  for (const job of logical) {
    const last = finalAttempt(job);
    // Cancelled at GitHub (the scenario's script): nothing left to run.
    if (last.status === "completed" && (last.conclusion === "success" || last.conclusion === "cancelled")) continue;
    if (w.expectDeadLetter.has(job.id)) {
      const message = deadLettered.find((m) => (JSON.parse(m.body) as { jobId?: number }).jobId === last.id);
      const record = ledger.find((item) => item.pk === `job#${last.id}#${last.runAttempt}`);
      const reason = message?.attributes.Reason?.StringValue;
      if (reason !== undefined && reason !== "" && record?.phase === "failed" && typeof record.failureReason === "string") continue;
      lost.push({ jobId: last.id, status: last.status, conclusion: last.conclusion, why: `expected in the DLQ with a reason: message ${reason ?? "missing"}, ledger ${String(record?.phase)}` });
      continue;
    }
    const record = ledger.find((item) => item.pk === `job#${last.id}#${last.runAttempt}`);
    lost.push({ jobId: last.id, status: last.status, conclusion: last.conclusion, why: "did not complete", ledger: record === undefined ? undefined : { ...record, events: (record.events as Array<{ at: string; what: string; detail?: string }> | undefined)?.map((e) => `${e.at.slice(11, 19)} ${e.what} ${e.detail ?? ""}`) } });
  }

  // Duplicate runners, from the world's history: a runner launched for a job that had one still able to take it.
  const judged = replacements(w.runnerSims());
  const duplicates = judged.filter((r) => r.because === undefined).map((r) => r.instanceId);
  const ours = [...w.ec2.instances.values()].filter((i) => i.tags.get("self-runners:prefix") === PREFIX);
  const wasted = wastedInstances(ours, w.runners);

  // Orphans after the last two reconcile runs: instances, registrations, runner items and counters
  // that do not match the instances that live.
  const live = w.ourLive();
  const registrations = [...w.github.registrations.values()].filter((r) => !r.deleted);
  const liveIds = new Set(live.map((i) => i.instanceId));
  const registeredInstances = new Set(registrations.map((r) => r.name.slice(`${PREFIX}-`.length)));
  const orphanInstances = live.filter((i) => !registeredInstances.has(i.instanceId)).map((i) => i.instanceId);
  const orphanRegistrations = registrations.filter((r) => !liveIds.has(r.name.slice(`${PREFIX}-`.length))).map((r) => r.name);
  const runnerItems = await scanTable(w.dynamo, `${PREFIX}-runners`);
  const orphanItems = runnerItems.filter((item) => !liveIds.has(String(item.instanceId))).map((item) => String(item.instanceId));
  const counters = ledger.filter((item) => String(item.pk).startsWith("limit#"));
  const drift = counterDrift(new Map(counters.map((item) => [String(item.pk), Number(item.inUse ?? 0)])), live);
  const driftUnits = drift.reduce((n, d) => n + Math.abs(d.inUse - d.live), 0);
  const openJobs = ledger.filter((item) => String(item.pk).startsWith("job#") && ["received", "launching", "launched", "running"].includes(String(item.phase)));

  const redeliveries = [...w.pools.values()].reduce((n, p) => n + p.queue.redeliveries, 0);
  const figures: Figures = {
    jobs: logical.length,
    runnersLaunched: [...w.ec2.instances.values()].filter((i) => i.tags.get("self-runners:prefix") === PREFIX).length,
    createFleetCalls: w.ec2.createFleetCalls,
    gitHubCalls: w.github.stats.calls,
    redeliveries,
    simulatedMs: Date.now() - SIM_START,
    timeToRunnerSeconds: [...w.github.jobs.values()].flatMap((job) => (job.startedAt === undefined ? [] : [(job.startedAt - job.createdAt) / 1000])),
    timeToLastRunnerSeconds: lastRunnerSeconds(w.github),
    gitHub403s: w.github.stats.rateLimitAnswers,
    jobsLost: lost.length,
    duplicateRunners: duplicates.length,
    busyRunnersTerminated: w.stats.busyTerminated.length,
    orphans: orphanInstances.length + orphanRegistrations.length + orphanItems.length + driftUnits,
    aboveLimit: w.limitWatch.worstExcess,
    wastedInstances: wasted.length,
  };
  return {
    figures,
    details: {
      reachedTimeLimit: timedOut,
      lost,
      wastedInstances: wasted,
      duplicateRunners: duplicates,
      replacements: judged,
      limitBreaches: w.limitWatch.breaches,
      busyTerminated: w.stats.busyTerminated,
      orphanInstances,
      orphanRegistrations,
      orphanItems,
      counterDrift: drift,
      counters: Object.fromEntries(counters.map((item) => [item.pk, item.inUse])),
      openLedgerJobs: openJobs.map((item) => `${String(item.pk)}:${String(item.phase)}`),
      deadLettered: deadLettered.map((m) => ({ body: m.body, reason: m.attributes.Reason?.StringValue ?? m.attributes.Redriven?.StringValue })),
      webhooks: w.stats.webhooks,
      webhookStatuses: Object.fromEntries(w.stats.webhookStatuses),
      webhookAnswers: Object.fromEntries(w.stats.webhookAnswers),
      ingress: w.ingress?.counts,
      junkReachedFunction: w.stats.junkReachedFunction,
      spotOutcomes: w.stats.spotOutcomes,
      scaleUpInvocations: w.stats.scaleUpInvocations,
      scaleUpErrors: w.stats.scaleUpErrors,
      killed: Object.fromEntries(w.stats.killed),
      timeouts: w.stats.timeouts,
      maxInvocationSeconds: w.stats.maxInvocationSeconds,
      peakLive: w.stats.peakLive,
      peakLivePerPool: Object.fromEntries(w.stats.peakLivePerPool),
      spotWarnings: w.stats.spotWarnings,
      onDemandInstances: [...w.ec2.instances.values()].filter((i) => i.lifecycle === "on-demand").length,
      reconcileRuns: w.stats.reconcileRuns,
      reconcileErrors: w.stats.reconcileErrors,
      esmFailures: w.stats.esmFailures,
      esmSettlement: w.stats.esmSettlement,
      schedule: w.scheduler?.stats,
      clientDeadlines: Object.fromEntries(firedDeadlines),
      receivedWhileHeld: w.controlPlane.receivedWhileHeld,
      skippedDeletes: w.stats.skippedDeletes,
      sqs: [...w.pools.values()].map(({ queue }) => ({ sends: queue.sends, deduplicated: queue.deduplicated, receives: queue.receives, redeliveries: queue.redeliveries })),
      visibilityFailures: w.sqs.visibilityFailures,
      gitHub: { ...w.github.stats, byRoute: Object.fromEntries(w.github.stats.byRoute) },
      createFleetThrottled: w.ec2.createFleetThrottled,
      dynamoDbCalls: w.dynamo.calls,
      awsErrors: w.aws.errors.map(String),
      reconcileTotals: sumSummaries(w.stats.reconcileSummaries),
      realMs: Object.fromEntries([...w.profile].map(([k, v]) => [k, Math.round(v)])),
      log: w.log,
    },
  };
}

/** Every item of `table`, read past the world's faults. */
export async function scanTable(dynamo: WorldDynamoDb, table: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.local.documentClient.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

function lastRunnerSeconds(github: GitHubWorld): number | undefined {
  const last = github.stats.lastJitConfigAt;
  if (last === undefined || github.jobs.size === 0) return undefined;
  return (last - Math.min(...[...github.jobs.values()].map((job) => job.createdAt))) / 1000;
}

function sumSummaries(summaries: readonly unknown[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const summary of summaries) {
    for (const [key, value] of Object.entries((summary ?? {}) as Record<string, unknown>)) {
      if (typeof value === "number") totals[key] = (totals[key] ?? 0) + value;
    }
  }
  return totals;
}
