import { MetricUnit, RunnerLaunchError, childLogger, metrics, runnerName } from "../shared/index.js";
import type { RunnerFleet } from "./adapters/ec2.js";
import type { RegisterRunner } from "./adapters/github.js";
import type { RunnerItem, WriteRunners } from "./adapters/runners-table.js";
import type { ScaleUpPools } from "./config.js";
import type { LaunchGroup } from "./plan.js";

const log = childLogger("scale-up");

/** How long a runner item lives before DynamoDB TTL removes it. */
export const RUNNER_ITEM_TTL_SECONDS = 24 * 60 * 60;

export interface LaunchDeps {
  readonly pools: ScaleUpPools;
  readonly fleet: RunnerFleet;
  readonly registerRunner: RegisterRunner;
  readonly writeRunners: WriteRunners;
  /** `arn:<partition>:ec2:<region>:<account>:instance/`, from the function's own ARN. */
  readonly instanceArnPrefix: string;
  readonly prefix: string;
  readonly now: () => Date;
}

/** Per record of the group: undefined when its runner is ready, otherwise why it failed. */
export type GroupOutcome = ReadonlyMap<string, RunnerLaunchError | undefined>;

/** `arn:aws:lambda:eu-west-1:123456789012:function:x` -> `arn:aws:ec2:eu-west-1:123456789012:instance/`. */
export function instanceArnPrefix(invokedFunctionArn: string): string {
  const [arn, partition, , region, account] = invokedFunctionArn.split(":");
  if (arn !== "arn" || !partition || !region || !account) {
    throw new RunnerLaunchError(`cannot derive the instance ARN from function ARN ${invokedFunctionArn}`);
  }
  return `arn:${partition}:ec2:${region}:${account}:instance/`;
}

/**
 * One group: one CreateFleet for all its records, one JIT config per instance, one batched table write.
 * A record succeeds when a runner is ready for it; records get runners in order, so when fewer are
 * ready than asked, the last records fail and are retried later. A record never gets two runners.
 */
export async function launchGroup(group: LaunchGroup, deps: LaunchDeps): Promise<GroupOutcome> {
  const poolConfig = deps.pools[group.pool];
  const failAll = (reason: string): GroupOutcome =>
    new Map(group.recordIds.map((recordId) => [recordId, new RunnerLaunchError(reason)]));
  if (poolConfig === undefined) return failAll(`unknown pool ${group.pool}`);

  let instanceIds: readonly string[];
  try {
    const launched = await deps.fleet.launch({
      pool: group.pool,
      poolConfig,
      owner: group.owner,
      installationId: group.installationId,
      count: group.recordIds.length,
    });
    instanceIds = launched.instanceIds;
    if (launched.usedOnDemandFallback) metrics.addMetric("SpotFallbacks", MetricUnit.Count, 1);
    if (launched.errors.length > 0) log.warn("fleet reported errors", { pool: group.pool, errors: launched.errors });
  } catch (error) {
    log.error("create fleet failed", { error, pool: group.pool, owner: group.owner });
    metrics.addMetric("LaunchFailures", MetricUnit.Count, group.recordIds.length);
    return failAll(`CreateFleet failed for pool ${group.pool}`);
  }
  const naming = deps.fleet.nameInstances(instanceIds);

  const createdAt = deps.now();
  const registrations = await Promise.allSettled(
    instanceIds.map(async (instanceId): Promise<RunnerItem> => {
      const jit = await deps.registerRunner({
        instanceId,
        pool: poolConfig,
        owner: group.owner,
        installationId: group.installationId,
      });
      return {
        pk: `${deps.instanceArnPrefix}${instanceId}`,
        instanceId,
        pool: group.pool,
        owner: group.owner,
        installationId: group.installationId,
        runnerName: runnerName(deps.prefix, instanceId),
        runnerId: jit.runnerId,
        jitConfig: jit.encodedJitConfig,
        createdAt: createdAt.toISOString(),
        expiresAt: Math.floor(createdAt.getTime() / 1000) + RUNNER_ITEM_TTL_SECONDS,
      };
    }),
  );
  const items: RunnerItem[] = [];
  const doomed: string[] = [];
  registrations.forEach((result, index) => {
    const instanceId = instanceIds[index] as string;
    if (result.status === "fulfilled") items.push(result.value);
    else {
      log.error("runner registration failed", { error: result.reason, instanceId, owner: group.owner });
      doomed.push(instanceId);
    }
  });

  const unwritten = new Set(items.length === 0 ? [] : await deps.writeRunners(items));
  const ready = items.filter((item) => !unwritten.has(item.pk));
  for (const item of items) {
    // Without its item the instance never gets a config; its registration stays offline and the
    // reconciler deletes it once the instance is gone.
    if (unwritten.has(item.pk)) doomed.push(item.instanceId);
  }
  if (doomed.length > 0) {
    try {
      await deps.fleet.terminate(doomed);
    } catch (error) {
      // The reconciler terminates them later as instances without a registration.
      log.error("terminating unusable instances failed", { error, instanceIds: doomed });
    }
  }
  await naming;

  metrics.addMetric("RunnersLaunched", MetricUnit.Count, ready.length);
  const missing = group.recordIds.length - ready.length;
  if (missing > 0) metrics.addMetric("LaunchFailures", MetricUnit.Count, missing);
  log.info("group launched", {
    pool: group.pool,
    owner: group.owner,
    requested: group.recordIds.length,
    launched: instanceIds.length,
    ready: ready.length,
    terminated: doomed.length,
  });
  const shortfall = `${ready.length} of ${group.recordIds.length} runners are ready (${instanceIds.length} instances launched)`;
  return new Map(
    group.recordIds.map((recordId, index) => [recordId, index < ready.length ? undefined : new RunnerLaunchError(shortfall)]),
  );
}
