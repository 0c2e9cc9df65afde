import { METRICS, childLogger, emitMetric, jobCorrelation, runnerName, withCorrelation } from "../shared/index.js";
import { limitKeys, limitReleaseReason } from "../libs/ledger/phases.js";
import type { LimitCounters } from "../libs/ledger/port.js";
import type { RunnerFleet } from "./adapters/ec2.js";
import type { WriteRunners } from "./adapters/runners-table.js";
import type { Claimed } from "./claims.js";
import type { ScaleUpConfig, ScaleUpPool } from "./config.js";
import { firstFleetRequest, nextFleetRequest } from "./fleet-plan.js";
import type { CapacityType, FleetError, FleetRequest } from "./fleet-plan.js";
import { splitGroup } from "./plan.js";
import type { DeferralKind, LaunchGroup } from "./plan.js";
import { registerInstance } from "./register-instance.js";
import type { RegistrationDeps, RegistrationTally } from "./register-instance.js";

const log = childLogger("scale-up");

/** The part of scale-up's dependencies a group launch uses. */
export interface LaunchDeps extends RegistrationDeps {
  readonly config: ScaleUpConfig;
  readonly counters: LimitCounters;
  readonly fleet: RunnerFleet;
  readonly writeRunners: WriteRunners;
  /** The clock read when CreateFleet has answered (dispatch latency). */
  readonly now: () => Date;
}

export interface GroupContext {
  readonly deps: LaunchDeps;
  readonly now: Date;
  readonly claimOf: ReadonlyMap<string, Claimed>;
  readonly appOf: ReadonlyMap<string, number>;
  readonly giveBack: (job: Claimed, kind: DeferralKind, reason: string) => Promise<void>;
  /** Defers a job whose instance stays with its claim (recorded on the job) until the lease ends. */
  readonly keep: (job: Claimed, reason: string) => void;
  /**
   * Confirms old messages' jobs still queued at GitHub (still-queued.ts), asked only for jobs granted
   * slots so that limit-deferred messages cost no GitHub call; the jobs not returned hold no slot.
   */
  readonly confirmStillQueued: (jobs: readonly Claimed[]) => Promise<readonly Claimed[]>;
}

/** Reserves limit slots for a group, launches what was granted, gives the rest back. Resolves to runners launched. */
export async function launchGroupWithLimits(group: LaunchGroup, ctx: GroupContext): Promise<number> {
  const { deps } = ctx;
  const pool = deps.config.pools[group.pool] as ScaleUpPool;
  const keys = limitKeys(group.pool, group.owner);
  // Jobs with a kept instance hold their slots already: only the others reserve, and they go first.
  // Kept instances first (launchGroup pairs the first records with them), then their replacements.
  const holding = (recordId: string, kept: boolean): boolean => {
    const claim = ctx.claimOf.get(recordId);
    return kept ? claim?.instanceId !== undefined : claim?.instanceId === undefined && claim?.holdsSlots === true;
  };
  const reused = [...group.recordIds.filter((recordId) => holding(recordId, true)), ...group.recordIds.filter((recordId) => holding(recordId, false))];
  const fresh = { ...group, recordIds: group.recordIds.filter((recordId) => !reused.includes(recordId)), jobs: group.jobs.filter((_, index) => !reused.includes(group.recordIds[index] as string)) };
  const wanted = fresh.recordIds.length;
  let global = 0;
  let inPool = 0;
  let granted = 0;
  if (wanted > 0) try {
    global = await deps.counters.reserve(keys.global, wanted, deps.config.limits.maxRunnersTotal);
    inPool = global === 0 ? 0 : await deps.counters.reserve(keys.pool, global, pool.maxRunners);
    granted = inPool === 0 ? 0 : await deps.counters.reserve(keys.owner, inPool, deps.config.limits.maxRunnersPerOwner);
  } catch (error) {
    log.error("reserving limit slots failed", { error, pool: group.pool });
  }
  await Promise.all([deps.counters.release(keys.global, global - granted), deps.counters.release(keys.pool, inPool - granted)]).catch((error: unknown) =>
    log.warn("returning unused slots failed", { error }),
  );
  const { launch: freshLaunch, wait } = splitGroup(fresh, granted);
  const launch = {
    ...group,
    recordIds: [...reused, ...freshLaunch.recordIds],
    jobs: [...reused.map((recordId) => (ctx.claimOf.get(recordId) as Claimed).job), ...freshLaunch.jobs],
  };
  if (wait.length > 0) {
    const which = global < wanted ? "all pools" : inPool < global ? `pool ${group.pool}` : `owner ${group.owner}`;
    log.info("limit reached", { pool: group.pool, owner: group.owner, wanted, granted, limit: which });
    for (const recordId of wait) await ctx.giveBack(ctx.claimOf.get(recordId) as Claimed, "limit", limitReleaseReason(which));
  }
  if (launch.recordIds.length === 0) return 0;
  const stillQueued = await ctx.confirmStillQueued(launch.recordIds.map((recordId) => ctx.claimOf.get(recordId) as Claimed));
  // Slots of jobs no longer queued go back, a reused job's included (its instance is left to the reconciler).
  const unused = launch.recordIds.length - stillQueued.length;
  if (unused > 0) {
    await Promise.all([deps.counters.release(keys.global, unused), deps.counters.release(keys.pool, unused), deps.counters.release(keys.owner, unused)]).catch((error: unknown) =>
      log.warn("returning the slots of jobs no longer queued failed", { error }),
    );
  }
  if (stillQueued.length === 0) return 0;
  return launchGroup({ ...launch, recordIds: stillQueued.map((job) => job.recordId), jobs: stillQueued.map((job) => job.job) }, pool, keys, ctx);
}

/** CreateFleet with fallback, then per instance: JIT config, `launched` with the instance; then the runner items. */
async function launchGroup(group: LaunchGroup, pool: ScaleUpPool, keys: ReturnType<typeof limitKeys>, ctx: GroupContext): Promise<number> {
  const { deps, now } = ctx;
  const count = group.recordIds.length;
  // Kept instances come first (launchGroupWithLimits orders them so): CreateFleet asks for the rest.
  const instanceIds: string[] = group.recordIds.flatMap((recordId) => ctx.claimOf.get(recordId)?.instanceId ?? []);
  const reusedCount = instanceIds.length;
  /** The market each instance was actually launched in, by index of instanceIds (kept ones: not known here). */
  const markets: Array<CapacityType | undefined> = instanceIds.map(() => undefined);
  const errors: FleetError[] = [];
  let request: FleetRequest | undefined = count > reusedCount ? firstFleetRequest(pool, count - reusedCount) : undefined;
  for (let requests = 0; request !== undefined; ) {
    try {
      const jobs = group.recordIds.slice(instanceIds.length, instanceIds.length + request.count).flatMap((recordId) => ctx.claimOf.get(recordId)?.job ?? []);
      const result = await deps.fleet.launch({ pool: group.pool, poolConfig: pool, owner: group.owner, installationId: group.installationId, fleet: request, jobs });
      instanceIds.push(...result.instanceIds);
      markets.push(...result.instanceIds.map(() => request?.capacityType ?? "on-demand"));
      errors.push(...result.errors);
      requests += 1;
      const next = nextFleetRequest(pool, request, result.errors, count - instanceIds.length, requests, deps.config.maxFleetRequests);
      if (next !== undefined) {
        log.info("fleet fallback", { pool: group.pool, from: request.capacityType, to: next.capacityType, pairs: next.overrides.length, shortfall: next.count, errors: result.errors });
        emitMetric(next.capacityType !== request.capacityType ? METRICS.spotFallbacks : METRICS.fleetRetries, 1, { Pool: group.pool });
      }
      request = next;
    } catch (error) {
      // Throttled or refused after the SDK's own retries: the records wait on the queue instead.
      log.error("create fleet failed", { error, pool: group.pool, owner: group.owner });
      emitMetric(METRICS.fleetFailures, 1, { Pool: group.pool });
      request = undefined;
    }
  }
  const fleetAnswered = deps.now();
  if (errors.length > 0) log.warn("fleet reported errors", { pool: group.pool, errors });

  const tally: RegistrationTally = { failed: [], doomed: [], items: [], kept: [] };
  const { failed, doomed, items, kept } = tally;
  await Promise.all(
    group.recordIds.map(async (recordId, index) => {
      const job = ctx.claimOf.get(recordId) as Claimed;
      const instanceId = instanceIds[index];
      if (instanceId === undefined) {
        failed.push(job);
        return;
      }
      const name = runnerName(deps.config.prefix, instanceId);
      if (job.job.kind !== "warm") {
        const latency = (fleetAnswered.getTime() - Date.parse(job.job.receivedAt)) / 1000;
        if (Number.isFinite(latency)) emitMetric(METRICS.dispatchLatency, Math.max(0, latency), { Pool: group.pool });
      }
      const appId = ctx.appOf.get(recordId) ?? deps.config.app.appId;
      await withCorrelation({ ...jobCorrelation(job.job), instanceId, runnerName: name }, () =>
        registerInstance(job, instanceId, name, { deps, now, pool, poolKey: group.pool, owner: group.owner, installationId: group.installationId, appId }, tally),
      );
    }),
  );
  const unwritten = new Set(items.length === 0 ? [] : await deps.writeRunners(items.map(({ item }) => item)));
  let ready = 0;
  let unconfigured = 0;
  const readyByMarket = new Map<CapacityType, number>();
  for (const { item, job } of items) {
    if (unwritten.has(item.pk)) {
      // Without its item the instance never gets a configuration: it is terminated now, its offline
      // registration is deleted by the reconciler, and the job (launched, holding its slot) is relaunched
      // by the reconciler once the instance is gone, as after a crash at this point.
      doomed.push(item.instanceId);
      // Back to `received` (as a relaunch: the instance is not the job's any more), so the message waits
      // and the slots are returned as for any failed launch. If even that write fails, the job stays
      // launched and the reconciler relaunches it once the instance is gone.
      const undone = await deps.ledger.relaunch(job.key, item.instanceId, "runner item not written", now).catch((error: unknown) => {
        log.error("undoing the launch failed; the reconciler relaunches the job", { error, jobId: job.job.jobId });
        return undefined;
      });
      if (undone === undefined) unconfigured += 1;
      else failed.push(job);
      continue;
    }
    ready += 1;
    const market = markets[instanceIds.indexOf(item.instanceId)];
    if (market !== undefined) readyByMarket.set(market, (readyByMarket.get(market) ?? 0) + 1);
    if (job.job.kind !== "warm") emitMetric(METRICS.jobsDispatched, 1, { Pool: group.pool });
  }
  for (const [market, launched] of readyByMarket) emitMetric(METRICS.runnersLaunched, launched, { Pool: group.pool, Market: market });
  if (doomed.length > 0) {
    await deps.fleet.terminate(doomed).catch((error: unknown) => log.error("terminating unusable instances failed", { error, instanceIds: doomed }));
  }
  if (failed.length > 0) {
    emitMetric(METRICS.launchFailures, failed.length, { Pool: group.pool });
    // Claims first, then slots: a crash in between leaves slots held (the recount repairs that)
    // rather than a takeover releasing them a second time.
    const reason = `${ready} of ${count} runners are ready (${instanceIds.length} instances launched)`;
    for (const job of failed) await ctx.giveBack(job, "launch-failed", reason);
    await Promise.all([deps.counters.release(keys.global, failed.length), deps.counters.release(keys.pool, failed.length), deps.counters.release(keys.owner, failed.length)]).catch(
      (error: unknown) => log.warn("returning slots failed", { error }),
    );
  }
  if (kept.length > 0) {
    log.warn("out of time for JIT calls: instances kept with their claims", { pool: group.pool, owner: group.owner, kept: kept.length });
    for (const job of kept) ctx.keep(job, "no time left for the JIT call; the instance waits for the next attempt");
  }
  if (unconfigured > 0) emitMetric(METRICS.launchFailures, unconfigured, { Pool: group.pool });
  log.info("group launched", { pool: group.pool, owner: group.owner, requested: count, launched: instanceIds.length, ready, terminated: doomed.length });
  return ready;
}
