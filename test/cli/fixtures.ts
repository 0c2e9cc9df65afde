import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { JobFacts } from "../../lambdas/libs/ledger/types.js";
import { jobKey } from "../../lambdas/libs/ledger/phases.js";
import type { JobMessage } from "../../lambdas/shared/job-message.js";
import { RUNNER_TAGS } from "../../contracts/tags.js";
import type { CliWorld } from "./cli-world.js";

/** Facts of a job of `octo-org/app` in `pool`. */
export function facts(jobId: number, pool: string): JobFacts {
  return { jobId, runAttempt: 1, runId: 9000 + jobId, repository: "octo-org/app", org: "octo-org", pool, installationId: 52103487, labels: ["self-hosted", "linux"] };
}

/** The queue message the webhook sends for `facts`. */
export function messageOf(job: JobFacts, receivedAt: Date): JobMessage {
  return {
    version: 1,
    deliveryId: `delivery-${job.jobId}`,
    pool: job.pool as string,
    jobId: job.jobId,
    runId: job.runId as number,
    runAttempt: job.runAttempt,
    repository: job.repository as string,
    owner: "octo-org",
    installationId: job.installationId as number,
    labels: [...(job.labels ?? [])],
    receivedAt: receivedAt.toISOString(),
  };
}

const minutesAgo = (world: CliWorld, minutes: number) => new Date(world.clock - minutes * 60_000);
const LEASE_MS = 120_000;

/** A job received `minutes` ago and left in `received`. */
export async function received(world: CliWorld, job: JobFacts, minutes: number): Promise<void> {
  await world.ledger.receive(job, `delivery-${job.jobId}`, minutesAgo(world, minutes));
}

/** A job whose claim scale-up gave back at a limit (`received`, waiting over limits). */
export async function heldAtLimit(world: CliWorld, job: JobFacts, minutes: number): Promise<void> {
  await received(world, job, minutes);
  const at = minutesAgo(world, minutes - 1);
  await world.ledger.claim({ ...job, scopeOwner: "octo-org" }, `t-${job.jobId}`, LEASE_MS, at);
  await world.ledger.release(jobKey(job), `t-${job.jobId}`, `limit of pool ${job.pool} reached`, at);
}

/** A job claimed by scale-up right now (`launching`). */
export async function launching(world: CliWorld, job: JobFacts, minutes: number): Promise<void> {
  await received(world, job, minutes);
  await world.ledger.claim({ ...job, scopeOwner: "octo-org" }, `t-${job.jobId}`, LEASE_MS, world.now);
}

/** A job with a runner launched on `instanceId` (`launched`). */
export async function launched(world: CliWorld, job: JobFacts, minutes: number, instanceId: string, runnerName: string): Promise<void> {
  await launching(world, job, minutes);
  await world.ledger.recordInstance(jobKey(job), `t-${job.jobId}`, instanceId, runnerName, world.now);
  await world.ledger.markLaunched(jobKey(job), `t-${job.jobId}`, world.now);
}

/** A job some runner took (`running`). */
export async function running(world: CliWorld, job: JobFacts, minutes: number, instanceId: string, runnerName: string): Promise<void> {
  await launched(world, job, minutes, instanceId, runnerName);
  await world.ledger.start(job, runnerName, world.now);
}

/** An instance of the kit in `pool`, in `state`. */
export function instance(world: CliWorld, pool: string, state: "pending" | "running" | "stopped"): string {
  const tags = new Map([
    [RUNNER_TAGS.prefix, world.prefix],
    [RUNNER_TAGS.pool, pool],
  ]);
  const launchedInstance = world.ec2.launch("m7i.large", "subnet-a", "spot", tags, undefined);
  launchedInstance.state = state;
  return launchedInstance.instanceId;
}

/** A budget observation as scale-up saves it. */
export async function budget(world: CliWorld, appId: number, remaining: number, resetInSeconds: number): Promise<void> {
  const resetAt = Math.floor(world.clock / 1000) + resetInSeconds;
  await world.db.documentClient.send(
    new PutCommand({
      TableName: `${world.prefix}-jobs`,
      Item: { pk: `budget#${appId}`, appId, installationId: 52103487, remaining, limit: 5000, resetAt, observedAt: new Date(world.clock - 60_000).toISOString() },
    }),
  );
}
