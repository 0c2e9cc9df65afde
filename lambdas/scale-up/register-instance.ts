import { setTimeout as sleep } from "node:timers/promises";
import { GitHubDeadlineError, GitHubRequestError, childLogger } from "../shared/index.js";
import type { RegisterRunner } from "./adapters/github.js";
import type { RunnerItem } from "./adapters/runners-table.js";
import type { Ledger } from "../libs/ledger/port.js";
import type { Claimed } from "./claims.js";
import type { ScaleUpPool } from "./config.js";
import type { SealJitConfig } from "./jit-seal.js";
import { jitCallDeadlineMs, jitCallFits } from "./time-budget.js";

const log = childLogger("scale-up");

/** How long a runner item lives before DynamoDB TTL removes it. */
export const RUNNER_ITEM_TTL_SECONDS = 24 * 60 * 60;

/** Where a group's instances stand once each has been registered, kept or given up. */
export interface RegistrationTally {
  /** Jobs to give back (their claims released, their slots returned). */
  readonly failed: Claimed[];
  /** Instances to terminate. */
  readonly doomed: string[];
  /** Launched jobs and the runner items to write for them. */
  readonly items: Array<{ item: RunnerItem; job: Claimed }>;
  /** Jobs whose instance stays with their claim for the next attempt to register. */
  readonly kept: Claimed[];
}

/** The part of scale-up's dependencies registering an instance uses. */
export interface RegistrationDeps {
  readonly ledger: Ledger;
  readonly registerRunner: RegisterRunner;
  readonly sealJitConfig: SealJitConfig;
  /** `arn:<partition>:ec2:<region>:<account>:instance/`, from the function's own ARN. */
  readonly instanceArnPrefix: string;
  readonly now: () => Date;
  /** Time left in this invocation (Lambda's `getRemainingTimeInMillis`); absent: unbounded. */
  readonly remainingMs?: () => number;
  /** Waits in the invocation (a JIT POST for its write turn); absent: a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The group an instance was launched for, and the App whose write turn its JIT POST uses. */
export interface RegistrationContext {
  readonly deps: RegistrationDeps;
  readonly now: Date;
  readonly pool: ScaleUpPool;
  readonly poolKey: string;
  readonly owner: string;
  readonly installationId: number;
  readonly appId: number;
}

/**
 * One instance of a launched group: waits for its write turn, asks GitHub for its JIT configuration
 * (or keeps the instance with the claim when no answer can arrive in time), seals it and marks the job
 * `launched`; adds the outcome to `tally`.
 */
export async function registerInstance(job: Claimed, instanceId: string, name: string, ctx: RegistrationContext, tally: RegistrationTally): Promise<void> {
  const { deps, now } = ctx;
  try {
    // The instance boots while its JIT POST waits for the write turn reserved for it.
    const untilTurn = job.writeAt === undefined ? 0 : job.writeAt - deps.now().getTime();
    if (untilTurn > 0) await (deps.sleep ?? sleep)(untilTurn);
    if (deps.remainingMs !== undefined && !jitCallFits(deps.remainingMs())) {
      // GitHub's answer could not arrive before Lambda ends the invocation, leaving an instance no job
      // names: the instance stays with the claim instead, for the takeover to register (time-budget.ts).
      if (!(await deps.ledger.recordInstance(job.key, job.token, instanceId, name, now))) throw new Error("claim lost");
      tally.kept.push(job);
      return;
    }
    if (job.recordInstanceFirst === true && !(await deps.ledger.recordInstance(job.key, job.token, instanceId, name, now))) throw new Error("claim lost");
    let jit;
    try {
      jit = await deps.registerRunner({
        instanceId,
        pool: ctx.pool,
        owner: ctx.owner,
        installationId: ctx.installationId,
        appId: ctx.appId,
        deadlineMs: jitCallDeadlineMs(job.earlierAttempts ?? 0, deps.remainingMs?.()),
        ...(job.instanceId === undefined ? {} : { replaceStale: true }),
      });
    } catch (error) {
      if (!keepsInstance(error, job)) throw error;
      // GitHub is slower than this attempt's deadline (or still lists the name an earlier one
      // registered late): the instance stays with the claim, and the next attempt's deadline is longer.
      log.warn("JIT call not answered in time: the instance waits for the next attempt", { error, instanceId });
      const recorded = job.instanceId !== undefined || job.recordInstanceFirst === true;
      if (!recorded && !(await deps.ledger.recordInstance(job.key, job.token, instanceId, name, now))) throw new Error("claim lost");
      tally.kept.push(job);
      return;
    }
    const pk = `${deps.instanceArnPrefix}${instanceId}`;
    // Sealed for this instance only, before the job is marked launched: a failure is a failed
    // registration (the instance is terminated, the claim released), never a plain-text item.
    const jitConfig = await deps.sealJitConfig(jit.encodedJitConfig, pk);
    // The job is launched before its configuration exists (one write records the instance too): a
    // crash before this write leaves an instance no job names, which never gets a configuration; a
    // crash after it leaves a launched job whose instance never comes online, which the reconciler
    // terminates and relaunches (docs/reliability.md).
    if (!(await deps.ledger.markLaunched(job.key, job.token, now, { instanceId, runnerName: name }))) throw new Error("claim lost");
    tally.items.push({
      job,
      item: {
        pk,
        instanceId,
        pool: ctx.poolKey,
        owner: ctx.owner,
        installationId: ctx.installationId,
        runnerName: name,
        runnerId: jit.runnerId,
        jitConfig,
        createdAt: now.toISOString(),
        jobKey: job.key,
        expiresAt: Math.floor(now.getTime() / 1000) + RUNNER_ITEM_TTL_SECONDS,
      },
    });
  } catch (error) {
    log.error("runner registration failed", { error, instanceId, owner: ctx.owner });
    tally.doomed.push(instanceId);
    tally.failed.push(job);
  }
}

/**
 * A failed JIT POST after which the instance is kept for the next attempt rather than terminated: our
 * deadline passed (GitHub may answer later, and register the name all the same), or a kept instance's
 * name is still registered (409: a late registration not listed yet when its stale one was looked up).
 */
function keepsInstance(error: unknown, job: Claimed): boolean {
  if (error instanceof GitHubDeadlineError) return true;
  return job.instanceId !== undefined && error instanceof GitHubRequestError && error.status === 409;
}
