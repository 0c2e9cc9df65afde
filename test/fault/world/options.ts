import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, EventBridgeEvent, SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { LedgerSideEffect } from "./dynamodb.js";
import type { Ec2FaultOptions } from "./ec2-faults.js";
import type { Ec2Instance } from "./ec2.js";
import type { IngressOptions } from "./ingress.js";
import type { InterleaveOptions } from "./scheduler.js";

/** The fault world's constants, options and the shapes of what it reports (world.ts runs it). */

export const PREFIX = "sr";
export const SIM_START = Date.parse("2026-03-02T09:00:00Z");
export const MINUTE = 60_000;

export type CrashPoint = LedgerSideEffect | "create-fleet" | "jit-config" | "before-delete";
// Scale-up's order (docs/reliability.md): the job is marked launched, with its instance, before its runner item.
export const CRASH_POINTS: readonly CrashPoint[] = ["claim", "create-fleet", "jit-config", "mark-launched", "runner-item", "before-delete"];

export interface PoolOptions {
  readonly labels: readonly string[];
  readonly maxRunners: number;
  readonly instanceTypes?: readonly string[];
  readonly subnetIds?: readonly string[];
  readonly spot?: boolean;
  readonly onDemandFallback?: boolean;
  /** A warm pool: `size` ready runners registered to `owner` while `schedule` (UTC windows, "" always) is open. */
  readonly warm?: { readonly size: number; readonly owner: string; readonly schedule: string };
}

export interface WorldOptions {
  readonly pools?: Readonly<Record<string, PoolOptions>>;
  /** Extra handler environment (limits, timeouts); strings as in Terraform. */
  readonly env?: Readonly<Record<string, string>>;
  /** Scale-up execution environments working at once (1 for crash scenarios: one invocation at a time). */
  readonly scaleUpEnvironments?: number;
  /**
   * Webhook execution environments. With more than one, deliveries due at the same instant (two
   * webhooks configured) are handled at once, one per environment: their invocations overlap.
   */
  readonly webhookEnvironments?: number;
  /** GitHub Apps (the first receives webhooks; more are round-robin for JIT configs). */
  readonly apps?: number;
  /** Organizations the Apps are installed on (default: octo-org alone). */
  readonly owners?: readonly string[];
  /** How far GitHub's listed runner `busy`/`status` lag the truth. */
  readonly listingLagMs?: number;
  readonly jobDurationMs?: number;
  /** From `running` until the bootstrap script starts. */
  readonly bootDelayMs?: number;
  /** From reading the configuration until the runner is online. */
  readonly runnerStartMs?: number;
  readonly tickMs?: number;
  readonly maxSimMs?: number;
  readonly seed?: number;
  /**
   * Model the web ACL and the stage throttle in front of the webhook (world/ingress.ts); without it
   * every delivery reaches the function.
   */
  readonly ingress?: IngressOptions;
  /** The job queues' visibility timeout (the module's is well above the function timeout). */
  readonly visibilityTimeoutSeconds?: number;
  /** EC2's listing delay, quotas and prices (world/ec2-faults.ts); a listing delay of up to 10 s unless set. */
  readonly ec2?: Ec2FaultOptions;
  /**
   * Scale-up and reconcile invocations interleave call by call in a seeded schedule, with the clock
   * running during them (world/scheduler.ts); without it each runs at the instant it started.
   */
  readonly interleave?: InterleaveOptions;
}

export interface RunnerSim {
  readonly instance: Ec2Instance;
  phase: "booting" | "polling" | "starting" | "idle" | "busy" | "gone";
  bootAt: number;
  watchdogAt: number;
  pollUntil: number;
  nextPollAt: number;
  readyAt: number;
  runnerId: number | undefined;
  jobKey: string | undefined;
  jobId: number | undefined;
  jobEndsAt: number;
  /** Read its JIT configuration (came up as a runner). */
  configured: boolean;
  ranJob: boolean;
  interrupted: boolean;
  /** The bootstrap never runs (a broken AMI): only the reconciler can end it. */
  hung: boolean;
  /** The watchdog `shutdown` could not be scheduled. */
  noWatchdog: boolean;
  /** World history for the oracle (test/fault/oracle.ts): when it read its configuration, took a job, was warned, ended. */
  configuredAt: number | undefined;
  takenAt: number | undefined;
  interruptedAt: number | undefined;
  goneAt: number | undefined;
}

export interface Figures {
  readonly jobs: number;
  readonly runnersLaunched: number;
  readonly createFleetCalls: number;
  readonly gitHubCalls: number;
  readonly redeliveries: number;
  readonly simulatedMs: number;
  /** Seconds from each job attempt's creation in the simulated GitHub to a runner taking it (attempts never taken left out). */
  readonly timeToRunnerSeconds: readonly number[];
  /** From the first job's creation to the last JIT config GitHub generated (undefined: none). */
  readonly timeToLastRunnerSeconds: number | undefined;
  /** Rate-limit refusals GitHub answered (403, or 429): primary, secondary (enforced or scripted). */
  readonly gitHub403s: number;
  readonly jobsLost: number;
  readonly duplicateRunners: number;
  readonly busyRunnersTerminated: number;
  readonly orphans: number;
  /** The most live instances above a limit (global, pool, owner) at any instant (test/fault/oracle.ts). */
  readonly aboveLimit: number;
  /** Instances launched that never read a runner configuration. */
  readonly wastedInstances: number;
}

export interface ScenarioReport {
  readonly figures: Figures;
  /** Everything else worth a look when an invariant fails. */
  readonly details: Record<string, unknown>;
}

/** The options with their defaults applied. */
export type ResolvedWorldOptions = Required<Omit<WorldOptions, "env" | "pools" | "ingress" | "ec2" | "visibilityTimeoutSeconds" | "owners" | "interleave">> & {
  env: Readonly<Record<string, string>>;
  pools: Readonly<Record<string, PoolOptions>>;
};

export type WebhookHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
export type ScaleUpHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
export type ScheduledHandler = (event: EventBridgeEvent<string, unknown>, context: Context) => Promise<unknown>;

/** The options with the world's defaults. */
export function resolveOptions(options: WorldOptions): ResolvedWorldOptions {
  return {
    pools: options.pools ?? { linux: { labels: ["linux", "x64"], maxRunners: 50 } },
    env: options.env ?? {},
    scaleUpEnvironments: options.scaleUpEnvironments ?? 1,
    webhookEnvironments: options.webhookEnvironments ?? 1,
    apps: options.apps ?? 1,
    listingLagMs: options.listingLagMs ?? 5_000,
    jobDurationMs: options.jobDurationMs ?? 4 * MINUTE,
    bootDelayMs: options.bootDelayMs ?? 20_000,
    runnerStartMs: options.runnerStartMs ?? 15_000,
    tickMs: options.tickMs ?? 5_000,
    maxSimMs: options.maxSimMs ?? 10 * 60 * MINUTE,
    seed: options.seed ?? 1,
  };
}
