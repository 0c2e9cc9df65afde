/**
 * The functions of {@link SelfRunners} on the job path: webhook, scale-up, reconcile, the runner binaries
 * syncer and spot interruption, with the grants between them and the queues. A function, not a construct:
 * the functions are created in the SelfRunners scope, so their construct ids (the emitted module's
 * resource addresses) stay what they were.
 */
import type { Construct } from "constructs";
import { Fn, Op, Token } from "./cdktf.js";
import type { AwsContext } from "./aws-context.js";
import type { DrainingSwitch } from "./draining-switch.js";
import type { EncryptionKey } from "./encryption-key.js";
import type { HandlerFunctionProps } from "./functions/handler-function.js";
import { ReconcileFunction } from "./functions/reconcile-function.js";
import { RunnerBinariesSyncerFunction } from "./functions/runner-binaries-syncer-function.js";
import { ScaleUpFunction } from "./functions/scale-up-function.js";
import { SpotInterruptionFunction } from "./functions/spot-interruption-function.js";
import { WebhookFunction } from "./functions/webhook-function.js";
import type { GitHubAppSecrets } from "./github-app-secrets.js";
import type { JobLedger } from "./job-ledger.js";
import type { ResolvedSelfRunnersProps } from "./module/props.js";
import type { PoolMap } from "./pools.js";
import type { GitHubAppAccess } from "./private/github-app-access.js";
import { grantJitSeal } from "./private/jit-seal-access.js";
import type { RunnerBinaries } from "./runner-binaries.js";
import type { RunnerFleet } from "./runner-fleet.js";
import type { RunnerImages } from "./runner-images.js";
import type { RunnerQueues } from "./runner-queue.js";
import type { RunnersTable } from "./runners-table.js";

/** What the functions need from the rest of the kit. */
export interface SelfRunnersFunctionsOptions {
  readonly resolved: ResolvedSelfRunnersProps;
  readonly pools: PoolMap;
  /** What every function shares: zips, layer, VPC, key, tracing, tags. */
  readonly handler: HandlerFunctionProps;
  readonly app: GitHubAppAccess;
  readonly context: AwsContext;
  readonly encryption: EncryptionKey;
  readonly secrets: GitHubAppSecrets;
  readonly queues: RunnerQueues;
  readonly ledger: JobLedger;
  readonly table: RunnersTable;
  readonly fleet: RunnerFleet;
  readonly drainingSwitch: DrainingSwitch;
  readonly images: RunnerImages;
  readonly runnerBinaries: RunnerBinaries;
}

export interface SelfRunnersFunctions {
  readonly webhook: WebhookFunction;
  readonly scaleUp: ScaleUpFunction;
  readonly reconcile: ReconcileFunction;
  readonly runnerBinariesSyncer: RunnerBinariesSyncerFunction;
  readonly spotInterruption: SpotInterruptionFunction;
}

export function createSelfRunnersFunctions(scope: Construct, o: SelfRunnersFunctionsOptions): SelfRunnersFunctions {
  const { resolved, pools, handler, app, context, encryption, secrets, queues, ledger, table, fleet, drainingSwitch, images, runnerBinaries } = o;
  const { runnerScope, runnerBootTimeoutSeconds: bootTimeoutSeconds, runnerIdleTimeoutMinutes: idleTimeoutMinutes } = resolved;
  const state = { pools, queues, ledger, encryption };
  const runners = { ...state, app, runnerScope, table };

  // JSON lists for ALLOWED_OWNERS / ALLOWED_REPOSITORIES: literal for CDKTF users, jsonencode() in the module.
  const jsonList = (value: string[]): string => (Token.isUnresolved(value) ? Fn.jsonencode(value) : JSON.stringify(value));
  const admission = { allowedOwners: jsonList(resolved.allowedOwners), allowedRepositories: jsonList(resolved.allowedRepositories) };
  const webhook = new WebhookFunction(scope, "webhook", {
    ...handler,
    ...state,
    secrets,
    webhookMaxBodyBytes: Token.asString(resolved.webhookMaxBodyBytes),
    ...admission,
    webhookMaxJobAgeSeconds: Token.asString(resolved.webhookMaxJobAgeSeconds),
    reservedConcurrency: resolved.webhookReservedConcurrency,
  });
  const scaleUp = new ScaleUpFunction(scope, "scale-up", {
    ...handler,
    ...runners,
    fleet,
    drainingSwitch,
    maxRunnersTotal: Token.asString(resolved.maxRunnersTotal),
    maxRunnersPerOwner: Token.asString(resolved.maxRunnersPerOwner),
    jobMaxAgeSeconds: Token.asString(resolved.jobMaxAgeSeconds),
    jobWaitMaxSeconds: Token.asString(resolved.jobWaitMaxSeconds),
    githubMinRemainingRequests: Token.asString(resolved.githubMinRemainingRequests),
    githubWritesPerMinute: Token.asString(resolved.githubWritesPerMinute),
    githubWriteBurst: Token.asString(resolved.githubWriteBurst),
    runnerBootTimeoutSeconds: Token.asString(bootTimeoutSeconds),
    ...admission,
    reservedConcurrency: resolved.scaleUpReservedConcurrency,
  });
  grantJitSeal(encryption, scaleUp.role, context.arn("ec2", "instance/*"));
  // A pool on a baked image launches from snapshots encrypted with the kit key.
  encryption.grantEbs("scale-up", scaleUp.role, images.enabled);
  const reconcile = new ReconcileFunction(scope, "reconcile", {
    ...handler,
    ...runners,
    fleet,
    drainingSwitch,
    runnerBootTimeoutSeconds: Token.asString(bootTimeoutSeconds),
    runnerIdleTimeoutSeconds: Token.asString(Token.isUnresolved(idleTimeoutMinutes) ? Op.mul(idleTimeoutMinutes, 60) : idleTimeoutMinutes * 60),
    busyConfirmSeconds: Token.asString(resolved.busyConfirmSeconds),
    relaunchGraceSeconds: Token.asString(resolved.relaunchGraceSeconds),
    healerMaxGithubCalls: Token.asString(resolved.webhookHealerMaxGitHubCalls),
    rerunApp: {
      appId: resolved.rerunGitHubAppId,
      privateKeyParameterName: resolved.rerunGitHubAppPrivateKeySsmParameterName,
      privateKeyParameterArn: secrets.parameterArn(resolved.rerunGitHubAppPrivateKeySsmParameterName),
    },
    rerunInterruptedJobs: Token.isUnresolved(resolved.rerunInterruptedJobs) ? Fn.tostring(resolved.rerunInterruptedJobs as unknown as string) : String(resolved.rerunInterruptedJobs),
    reservedConcurrency: resolved.reconcileReservedConcurrency,
    scheduleExpression: resolved.reconcileScheduleExpression,
  });
  const runnerBinariesSyncer = new RunnerBinariesSyncerFunction(scope, "runner-binaries-syncer", {
    ...handler,
    pools,
    app,
    binaries: runnerBinaries,
    encryption,
    runnerVersion: resolved.runnerVersion,
    scheduleExpression: resolved.runnerBinariesSyncSchedule,
  });
  const spotInterruption = new SpotInterruptionFunction(scope, "spot-interruption", { ...handler, ...runners });
  queues.restrictTo(
    [webhook, scaleUp, reconcile, spotInterruption].map((fn) => fn.attribute(fn.role, "arn")),
    context,
    resolved.prefix,
  );
  return { webhook, scaleUp, reconcile, runnerBinariesSyncer, spotInterruption };
}
