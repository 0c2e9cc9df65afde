import { admissionRefusal } from "../shared/index.js";
import type { AdmissionPolicy, AdmissionRefusalReason, JobMessage, RunnerScope } from "../shared/index.js";

/**
 * Scale-up's pure decisions: which records can be served at all, how long a waiting record sleeps,
 * how GitHub budget and limit grants turn into launches, and which App registers each runner. No SDK,
 * no clock, no randomness of its own: everything comes in as data (docs/reliability.md).
 */

/** One SQS record after parsing: either a job or the reason it could not be read. */
export type ParsedRecord =
  | { readonly recordId: string; readonly receiveCount: number; readonly job: JobMessage }
  | { readonly recordId: string; readonly receiveCount: number; readonly invalid: string };

export interface PlanMiss {
  readonly recordId: string;
  readonly reason: string;
}

/**
 * Why a record waits; each kind has its own back-off (see {@link deferralSeconds}). `out-of-time`: the
 * invocation had no time left for a JIT call; the instance stays with the claim until its lease ends.
 */
export type DeferralKind = "draining" | "limit" | "budget" | "in-flight" | "launch-failed" | "write-rate" | "out-of-time";

export interface Deferral extends PlanMiss {
  readonly kind: DeferralKind;
}

export interface TriageInput {
  readonly records: readonly ParsedRecord[];
  /** `allowPublicRepositories` absent: false. */
  readonly pools: Readonly<Record<string, { readonly allowPublicRepositories?: boolean }>>;
  readonly draining: boolean;
  readonly now: Date;
  readonly maxJobAgeSeconds: number;
  /** Checked again here: a message the webhook did not write (or written before a policy change) never launches. */
  readonly admission: AdmissionPolicy;
}

export interface Triage {
  /** Jobs to try to launch now, in batch order. */
  readonly candidates: ReadonlyArray<{ readonly recordId: string; readonly job: JobMessage }>;
  /** Unreadable or for an unknown pool: retrying cannot help; they go to the DLQ with the reason. */
  readonly rejected: readonly PlanMiss[];
  /** Waited longer than the maximum age: reported, marked failed and moved to the DLQ. */
  readonly expired: ReadonlyArray<PlanMiss & { readonly job: JobMessage }>;
  /** Jobs the admission rules refuse (owner, repository, visibility): marked failed and moved to the DLQ, never launched. */
  readonly refused: ReadonlyArray<PlanMiss & { readonly job: JobMessage; readonly kind: AdmissionRefusalReason }>;
  /** Wait and come back (draining). */
  readonly deferred: readonly Deferral[];
}

/** Sorts a batch before anything is launched. Expiry wins over draining, so a long drain still reports old jobs. */
export function triage(input: TriageInput): Triage {
  const candidates: Array<Triage["candidates"][number]> = [];
  const rejected: PlanMiss[] = [];
  const expired: Array<Triage["expired"][number]> = [];
  const deferred: Deferral[] = [];
  const refused: Array<Triage["refused"][number]> = [];
  for (const record of input.records) {
    if ("invalid" in record) {
      rejected.push({ recordId: record.recordId, reason: record.invalid });
      continue;
    }
    const { job } = record;
    if (!(job.pool in input.pools)) {
      rejected.push({ recordId: record.recordId, reason: `unknown pool ${job.pool}` });
      continue;
    }
    // Warm runners are asked for by the reconciler for a configured owner, not by a job.
    const refusal =
      job.kind === "warm"
        ? undefined
        : admissionRefusal(input.admission, { allowPublicRepositories: input.pools[job.pool]?.allowPublicRepositories ?? false }, { owner: job.owner, repository: job.repository, visibility: job.visibility });
    if (refusal !== undefined) {
      refused.push({ recordId: record.recordId, job, kind: refusal.reason, reason: refusal.message });
      continue;
    }
    const ageSeconds = (input.now.getTime() - Date.parse(job.receivedAt)) / 1000;
    if (ageSeconds > input.maxJobAgeSeconds) {
      expired.push({ recordId: record.recordId, job, reason: `job waited ${Math.round(ageSeconds)} s, more than the maximum of ${input.maxJobAgeSeconds} s` });
      continue;
    }
    if (input.draining) {
      deferred.push({ recordId: record.recordId, kind: "draining", reason: "draining: launches are paused" });
      continue;
    }
    candidates.push({ recordId: record.recordId, job });
  }
  return { candidates, rejected, expired, refused, deferred };
}


export interface BackoffSettings {
  /** First wait, in seconds. */
  readonly baseSeconds: number;
  /** Longest wait, in seconds (SQS allows up to 12 hours; keep it well under the maximum job age). */
  readonly maxSeconds: number;
}

/**
 * Visibility timeout for a record that waits: exponential in the number of receives, with jitter in
 * [half, full] of the step so that a burst deferred together does not come back together. A budget
 * wait lasts at least until the GitHub budget resets; an in-flight wait is short (another invocation
 * is launching the job right now and will settle it).
 */
export function deferralSeconds(
  kind: DeferralKind,
  receiveCount: number,
  settings: BackoffSettings,
  random: number,
  budgetResetInSeconds = 0,
): number {
  // The write governor knows when the job's token is due: no back-off, no jitter beyond its place in line.
  // Out of time: the claim's lease is known, and the takeover that reuses the instance can only come after it.
  if (kind === "write-rate" || kind === "out-of-time") return Math.min(settings.maxSeconds, Math.max(1, Math.ceil(budgetResetInSeconds)));
  const attempt = Math.max(1, receiveCount);
  const step = kind === "in-flight" ? settings.baseSeconds : Math.min(settings.maxSeconds, settings.baseSeconds * 2 ** (attempt - 1));
  const jittered = Math.ceil(step / 2 + (step / 2) * Math.min(1, Math.max(0, random)));
  const floor = kind === "budget" ? Math.min(settings.maxSeconds, Math.max(0, Math.ceil(budgetResetInSeconds))) : 0;
  return Math.min(settings.maxSeconds, Math.max(jittered, floor));
}

/**
 * The registration target of a job: the organization, the repository or the enterprise, depending on
 * RUNNER_SCOPE. In enterprise scope every job shares the enterprise (one runner namespace, so the
 * reconciler lists it once and per-owner limits count the whole enterprise).
 */
export function ownerOf(job: Pick<JobMessage, "owner" | "repository">, scope: RunnerScope, enterpriseSlug?: string): string {
  if (scope === "enterprise") {
    if (enterpriseSlug === undefined) throw new Error("enterprise scope needs the enterprise slug");
    return enterpriseSlug;
  }
  return scope === "org" ? job.owner : job.repository;
}

/** Jobs launched together: one CreateFleet, one limit reservation, one GitHub owner. */
export interface LaunchGroup {
  readonly pool: string;
  /** Organization login (org scope), `owner/repo` (repo scope) or enterprise slug (enterprise scope). */
  readonly owner: string;
  /** The primary App's installation, from the webhook. */
  readonly installationId: number;
  readonly recordIds: readonly string[];
  readonly jobs: readonly JobMessage[];
}

/** Groups jobs by pool, owner and installation, keeping batch order inside each group. */
export function groupLaunches(
  jobs: ReadonlyArray<{ readonly recordId: string; readonly job: JobMessage }>,
  scope: RunnerScope,
  enterpriseSlug?: string,
): LaunchGroup[] {
  const groups = new Map<string, { pool: string; owner: string; installationId: number; recordIds: string[]; jobs: JobMessage[] }>();
  for (const { recordId, job } of jobs) {
    const owner = ownerOf(job, scope, enterpriseSlug);
    const key = JSON.stringify([job.pool, owner, job.installationId]);
    let group = groups.get(key);
    if (group === undefined) {
      group = { pool: job.pool, owner, installationId: job.installationId, recordIds: [], jobs: [] };
      groups.set(key, group);
    }
    group.recordIds.push(recordId);
    group.jobs.push(job);
  }
  return [...groups.values()];
}

/** The limits a runner counts against; a pool's `maxRunners` is the third. */
export interface Limits {
  /** All pools together. */
  readonly maxRunnersTotal: number;
  /** One organization (org scope) or repository (repo scope) across pools. */
  readonly maxRunnersPerOwner: number;
}

/** Splits a group into the first `granted` records (launched) and the rest (deferred). */
export function splitGroup(group: LaunchGroup, granted: number): { readonly launch: LaunchGroup; readonly wait: readonly string[] } {
  const n = Math.max(0, Math.min(granted, group.recordIds.length));
  return {
    launch: { ...group, recordIds: group.recordIds.slice(0, n), jobs: group.jobs.slice(0, n) },
    wait: group.recordIds.slice(n),
  };
}

/** What is known of one App installation's remaining REST budget. */
export interface AppBudget {
  readonly appId: number;
  /** Unknown (never observed) budgets are treated as full. */
  readonly remaining: number | undefined;
  /** Epoch seconds. */
  readonly resetAt: number | undefined;
}

/**
 * Assigns an App to each of `wanted` runners, round robin from `cursor`, spending only budget above
 * `minRemaining` on each App (a JIT config costs one request). Runners beyond the budget are not
 * assigned: they wait until the soonest reset instead of failing at GitHub.
 */
export function assignApps(
  budgets: readonly AppBudget[],
  wanted: number,
  minRemaining: number,
  cursor: number,
): { readonly appIds: readonly number[]; readonly resetInSeconds: (now: Date) => number } {
  const spendable = budgets.map((b) => (b.remaining === undefined ? Number.POSITIVE_INFINITY : Math.max(0, b.remaining - minRemaining)));
  const appIds: number[] = [];
  for (let i = 0; appIds.length < wanted && budgets.length > 0; i += 1) {
    if (spendable.every((s) => s <= 0)) break;
    const index = (cursor + i) % budgets.length;
    if ((spendable[index] ?? 0) <= 0) continue;
    spendable[index] = (spendable[index] ?? 0) - 1;
    appIds.push((budgets[index] as AppBudget).appId);
  }
  const resets = budgets.flatMap((b) => (b.resetAt === undefined ? [] : [b.resetAt]));
  return {
    appIds,
    resetInSeconds: (now) => (resets.length === 0 ? 0 : Math.max(0, Math.min(...resets) - now.getTime() / 1000)),
  };
}
