import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { MemoryKms } from "../../helpers/memory-kms.js";
import type { NatBootNetwork } from "./boot-network.js";
import type { WorldDynamoDb } from "./dynamodb.js";
import type { Ec2Instance, Ec2Model } from "./ec2.js";
import type { GitHubWorld } from "./github.js";
import { PREFIX, SIM_START } from "./options.js";
import type { ResolvedWorldOptions, RunnerSim } from "./options.js";
import { ACCOUNT, REGION } from "./sqs.js";
import type { Timeline, WorldStats } from "./stats.js";

/**
 * One simulated runner per instance of ours: it boots, polls its runner item for the sealed JIT
 * configuration, opens it with the kit's key under its own instance ARN, connects, takes a job from
 * GitHub, runs it and shuts its instance down, as the bootstrap and the runner would.
 */

/** What the runners need of the world. */
export interface FleetWorld extends Timeline {
  readonly ec2: Ec2Model;
  readonly github: GitHubWorld;
  readonly dynamo: WorldDynamoDb;
  readonly kms: MemoryKms;
  readonly runners: Map<string, RunnerSim>;
  readonly options: ResolvedWorldOptions;
  readonly stats: WorldStats;
  /** The next launches that never run their bootstrap. */
  hangNextLaunches: number;
  readonly bootNetwork: NatBootNetwork | undefined;
  readonly noWatchdogFor: (instance: Ec2Instance) => boolean;
  env(name: string): number;
}

export async function stepRunners(w: FleetWorld): Promise<void> {
  const now = Date.now();
  for (const instance of w.ec2.instances.values()) {
    if (instance.tags.get("self-runners:prefix") !== PREFIX || w.runners.has(instance.instanceId)) continue;
    const hung = w.hangNextLaunches > 0;
    if (hung) w.hangNextLaunches -= 1;
    w.runners.set(instance.instanceId, {
      instance,
      phase: "booting",
      bootAt: Number.POSITIVE_INFINITY,
      watchdogAt: Number.POSITIVE_INFINITY,
      pollUntil: 0,
      nextPollAt: 0,
      readyAt: 0,
      runnerId: undefined,
      jobKey: undefined,
      jobId: undefined,
      jobEndsAt: 0,
      configured: false,
      ranJob: false,
      interrupted: false,
      configuredAt: undefined,
      takenAt: undefined,
      interruptedAt: undefined,
      goneAt: undefined,
      hung,
      noWatchdog: w.noWatchdogFor(instance),
    });
  }
  const bootTimeoutMs = w.env("RUNNER_BOOT_TIMEOUT_SECONDS") * 1000;
  const idleMs = w.env("RUNNER_IDLE_TIMEOUT_SECONDS") * 1000;
  for (const sim of w.runners.values()) {
    if (sim.phase === "gone" || sim.hung) continue;
    const { instance } = sim;
    if (instance.state === "shutting-down" || instance.state === "terminated") {
      sim.phase = "gone";
      sim.goneAt ??= now;
      continue;
    }
    if (instance.state !== "running") continue;
    if (sim.phase === "booting") {
      if (sim.bootAt === Number.POSITIVE_INFINITY) sim.bootAt = instance.stateSince + w.options.bootDelayMs;
      if (now < sim.bootAt) continue;
      if (w.bootNetwork !== undefined && !w.bootNetwork.boot(instance.instanceId, now)) {
        selfShutdown(w, sim, "bootstrap failed: GitHub refused its anonymous call");
        continue;
      }
      sim.phase = "polling";
      sim.watchdogAt = sim.noWatchdog ? Number.POSITIVE_INFINITY : now + idleMs;
      sim.pollUntil = now + bootTimeoutMs;
    }
    if (sim.phase !== "busy" && now >= sim.watchdogAt) {
      selfShutdown(w, sim, "watchdog: no job started");
      continue;
    }
    if (sim.phase === "polling" && now >= sim.nextPollAt) {
      const pk = `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instance.instanceId}`;
      const item = (await w.dynamo.local.documentClient.send(new GetCommand({ TableName: `${PREFIX}-runners`, Key: { pk }, ConsistentRead: true }))).Item;
      if (typeof item?.jitConfig === "string") {
        await w.dynamo.local.documentClient.send(new UpdateCommand({ TableName: `${PREFIX}-runners`, Key: { pk }, UpdateExpression: "REMOVE jitConfig" }));
        // What the bootstrap's `aws kms decrypt` does, under this instance's own ARN.
        const sealed = Buffer.from(item.jitConfig.replace(/^kms:/, ""), "base64");
        const config = JSON.parse(w.kms.decrypt(sealed, { "instance-arn": pk }).toString("utf8")) as { runnerId: number };
        sim.runnerId = config.runnerId;
        sim.jobKey = typeof item.jobKey === "string" ? item.jobKey : undefined;
        sim.configured = true;
        sim.configuredAt = now;
        sim.phase = "starting";
        sim.readyAt = now + w.options.runnerStartMs;
      } else if (now >= sim.pollUntil) {
        selfShutdown(w, sim, "no runner configuration within the boot timeout");
        continue;
      } else {
        sim.nextPollAt = now + 3_000;
      }
    }
    if (sim.phase === "starting" && now >= sim.readyAt) {
      if (!w.github.connect(sim.runnerId as number)) {
        selfShutdown(w, sim, "registration gone before the runner connected");
        continue;
      }
      sim.phase = "idle";
    }
    if (sim.phase === "idle") {
      const registration = w.github.registrations.get(sim.runnerId as number);
      if (registration === undefined || registration.deleted) {
        selfShutdown(w, sim, "registration deleted while idle");
        continue;
      }
      const job = w.github.assign(sim.runnerId as number);
      if (job !== undefined) {
        sim.phase = "busy";
        sim.jobId = job.id;
        sim.ranJob = true;
        sim.takenAt = now;
        sim.jobEndsAt = now + job.durationMs;
      }
    }
    if (sim.phase === "busy" && now >= sim.jobEndsAt) {
      w.github.finishJob(sim.jobId as number, "success");
      selfShutdown(w, sim, "job done");
    }
  }
}

export function selfShutdown(w: FleetWorld, sim: RunnerSim, why: string): void {
  if (sim.runnerId !== undefined && sim.phase !== "busy") w.github.disconnect(sim.runnerId);
  sim.phase = "gone";
  sim.goneAt ??= Date.now();
  w.ec2.shutDown(sim.instance.instanceId, `self: ${why}`);
}

/** An instance ends from outside (API terminate or spot reclaim): its runner dies with it. */
export function instanceEnded(w: FleetWorld, instance: Ec2Instance, by: string, byApi: boolean): void {
  const sim = w.runners.get(instance.instanceId);
  if (sim === undefined || sim.phase === "gone") return;
  if (sim.phase === "busy") {
    if (byApi) w.stats.busyTerminated.push({ instanceId: instance.instanceId, jobId: sim.jobId, by, at: Date.now() });
    const jobId = w.github.runnerLost(sim.runnerId as number);
    if (jobId !== undefined) w.at(Date.now() + w.github.lostRunnerFailMs - SIM_START, () => w.github.finishJob(jobId, "failure"));
    w.note(`instance ${instance.instanceId} ended by ${by} while running job ${String(jobId)}`);
  } else if (sim.runnerId !== undefined) {
    w.github.disconnect(sim.runnerId);
  }
  sim.phase = "gone";
  sim.goneAt ??= Date.now();
}
