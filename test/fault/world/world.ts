import { Ingress, floodArrivals } from "./ingress.js";
import type { Flood, IngressOptions } from "./ingress.js";
import { randomUUID } from "node:crypto";
import { GetCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, EventBridgeEvent, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { vi } from "vitest";
import { SCALE_UP_TIMEOUT_SECONDS } from "../../../contracts/scale-up.js";
import { inputDefault } from "../../../stacks/module/inputs.js";
import { apiGatewayEvent, lambdaContext } from "../../helpers/aws.js";
import { AwsFault, LoopbackAws } from "../../helpers/loopback-aws.js";
import { MemoryKms } from "../../helpers/memory-kms.js";
import { generateAppPrivateKey } from "../../helpers/openapi.js";
import { loadShippedBundle, unloadShippedBundle } from "../../helpers/shipped-zip.js";
import { rememberCompiledCode, withCodeCache } from "./code-cache.js";
import { WorldDynamoDb } from "./dynamodb.js";
import type { LedgerSideEffect } from "./dynamodb.js";
import type { NatBootNetwork } from "./boot-network.js";
import { Ec2Model, RUNNER_INSTANCE_PROFILE_ARN } from "./ec2.js";
import { Ec2Faults } from "./ec2-faults.js";
import type { Ec2FaultOptions } from "./ec2-faults.js";
import type { Ec2Instance } from "./ec2.js";
import { GitHubWorld, ORG } from "./github.js";
import type { GitHubJob } from "./github.js";
import { LimitWatch, counterDrift, replacements, wastedInstances } from "../oracle.js";
import { invocationOf, kill, remainingMs, runInvocation } from "./invocations.js";
import type { Invocation, InvocationResult } from "./invocations.js";
import { settleBatch } from "./esm.js";
import { mulberry32 } from "./random.js";
import { CallScheduler } from "./scheduler.js";
import type { InterleaveOptions } from "./scheduler.js";
import { ACCOUNT, REGION, SqsModel, sqsRecord } from "./sqs.js";
import type { FifoQueue, QueueMessage } from "./sqs.js";

/**
 * The simulated world the fault-injection suite runs the shipped handlers in: DynamoDB (dynalite),
 * SQS FIFO queues with an event source mapping driver, EC2, GitHub and its webhooks, one simulated
 * runner per instance, and a simulated clock. Scenarios script faults into it and run it until it is
 * quiet; then it reports figures and the four invariants (docs/reliability.md).
 */

export const PREFIX = "sr";
export const SIM_START = Date.parse("2026-03-02T09:00:00Z");
const MINUTE = 60_000;

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

type WebhookHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type ScaleUpHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type ScheduledHandler = (event: EventBridgeEvent<string, unknown>, context: Context) => Promise<unknown>;

/** A Lambda context whose remaining time is the running invocation's, on the world's clock. */
function invocationContext(functionName: string): Context {
  return { ...lambdaContext(functionName), getRemainingTimeInMillis: remainingMs };
}

const WEBHOOK_SECRET = "fault-world-webhook-secret";

export class World {
  readonly options: Required<Omit<WorldOptions, "env" | "pools" | "ingress" | "ec2" | "visibilityTimeoutSeconds" | "owners" | "interleave">> & { env: Readonly<Record<string, string>>; pools: Readonly<Record<string, PoolOptions>> };
  readonly aws = new LoopbackAws({ record: false });
  readonly ec2 = new Ec2Model(() => Date.now());
  sqs!: SqsModel;
  github!: GitHubWorld;
  dynamo!: WorldDynamoDb;
  readonly ssm = new Map<string, { type: string; value: string }>();
  /** The kit's key: scale-up seals each JIT configuration with it, a runner opens only its own. */
  readonly kms = new MemoryKms();
  readonly pools = new Map<string, { queue: FifoQueue; deadLetter: FifoQueue }>();
  readonly runners = new Map<string, RunnerSim>();
  readonly log: string[] = [];
  readonly startedAt = SIM_START;
  readonly stats = {
    webhooks: 0,
    webhookStatuses: new Map<number, number>(),
    /** Webhook answers by message ("queued", "duplicate: job is launched", ...). */
    webhookAnswers: new Map<string, number>(),
    spotOutcomes: [] as unknown[],
    scaleUpInvocations: 0,
    scaleUpErrors: 0,
    killed: new Map<string, number>(),
    timeouts: 0,
    reconcileRuns: 0,
    reconcileErrors: 0,
    reconcileSummaries: [] as unknown[],
    spotWarnings: 0,
    esmFailures: 0,
    esmSettlement: { invalidResponses: 0, heldBackInGroup: 0, staleDeletes: 0 },
    skippedDeletes: 0,
    busyTerminated: [] as Array<{ instanceId: string; jobId: number | undefined; by: string; at: number }>,
    maxInvocationSeconds: 0,
    /** Most instances pending or running at once, overall and per pool. */
    peakLive: 0,
    peakLivePerPool: new Map<string, number>(),
    /** Flood requests that passed the ingress model (the function would answer them 401). */
    junkReachedFunction: 0,
  };
  /** Logical jobs whose designed outcome is the dead-letter queue (e.g. older than the maximum age). */
  readonly expectDeadLetter = new Set<number>();
  private readonly roots: string[] = [];
  /** The web ACL and stage throttle model, when the options ask for one. */
  readonly ingress: Ingress | undefined;
  private readonly floods: { flood: Flood; next: number }[] = [];
  /** Real milliseconds spent per part of the loop. */
  readonly profile = new Map<string, number>();
  private webhooks: WebhookHandler[] = [];
  private scaleUp: ScaleUpHandler[] = [];
  private reconcileHandler!: ScheduledHandler;
  private spotHandler: ScheduledHandler | undefined;
  private loadSpotHandler: (() => ScheduledHandler) | undefined;
  private nextReconcileAt = 0;
  private readonly events: Array<{ at: number; run: () => void | Promise<void> }> = [];
  private readonly conditions: Array<{ when: () => boolean; run: () => void | Promise<void> }> = [];
  private crash: { point: CrashPoint; remaining: number } | undefined;
  /** Lambda refuses this many scale-up invocations (throttled / runtime error): the batch comes back later. */
  esmFailuresLeft = 0;
  /** API Gateway's own answer instead of the function's (5xx: the integration failed), or undefined. */
  webhookUnavailable: (delivery: { readonly action: string; readonly jobId: number }) => number | undefined = () => undefined;
  private readonly realRandom = Math.random;
  private awsEndpoint = "";
  private hangNextLaunches = 0;
  private readonly visibilityTimeoutSeconds: number | undefined;
  /** The bootstraps' network through one NAT address (world/boot-network.ts); unset, boots make no call. */
  bootNetwork: NatBootNetwork | undefined = undefined;
  noWatchdogFor: (instance: Ec2Instance) => boolean = () => false;
  /** The fifth invariant's observer, set up with the handlers' limits. */
  limitWatch = new LimitWatch({ total: 0, perOwner: 0, perPool: {} });

  private readonly owners: readonly string[] | undefined;
  /** The call scheduler, when the options interleave invocations. */
  readonly scheduler: CallScheduler | undefined;
  /** Scale-up environments running an invocation (interleaved worlds). */
  private readonly busyScaleUp = new Set<number>();
  private reconcileLive = false;
  private pollRound = 0;
  /** Messages a scale-up environment received while an invocation of another still held them. */
  receivedWhileHeld = 0;
  private readonly heldBy = new Map<string, string>();

  constructor(options: WorldOptions = {}) {
    this.owners = options.owners;
    this.options = {
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
    this.ingress = options.ingress === undefined ? undefined : new Ingress(options.ingress);
    this.ec2.faults = new Ec2Faults({ seed: this.options.seed, ...options.ec2 });
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds;
    this.scheduler = options.interleave === undefined ? undefined : new CallScheduler(options.interleave);
  }

  // ------------------------------------------------------------------ set-up

  async start(): Promise<void> {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(SIM_START);
    Math.random = mulberry32(this.options.seed);
    this.awsEndpoint = await this.aws.start();
    const { db, endpoint: dynamoEndpoint } = await WorldDynamoDb.start({ jobs: `${PREFIX}-jobs`, runners: `${PREFIX}-runners` });
    this.dynamo = db;
    this.sqs = new SqsModel(this.awsEndpoint, () => Date.now());
    this.sqs.serve(this.aws);
    this.ec2.serve(this.aws);
    for (const pool of Object.keys(this.options.pools)) this.pools.set(pool, this.sqs.createPool(pool, PREFIX, { visibilityTimeoutSeconds: this.visibilityTimeoutSeconds }));
    const appIds = Array.from({ length: this.options.apps }, (_, i) => ({ appId: 1001 + i, installationId: 52_103_487 + i }));
    this.github = new GitHubWorld({ webhookSecret: WEBHOOK_SECRET, apps: appIds, listingLagMs: this.options.listingLagMs, lostRunnerFailMs: 2 * MINUTE, owners: this.owners }, () => Date.now());
    const gitHubUrl = await this.github.start();

    const privateKey = appPrivateKey();
    this.ssm.set(`/${PREFIX}/github-app/webhook-secret`, { type: "SecureString", value: WEBHOOK_SECRET });
    for (const app of appIds) this.ssm.set(`/${PREFIX}/github-app/${app.appId}/private-key`, { type: "SecureString", value: privateKey });
    this.ssm.set(`/${PREFIX}/draining`, { type: "String", value: "false" });
    this.aws.on("TrentService.Encrypt", this.kms.encryptOperation);
    this.aws.on("AmazonSSM.GetParameter", (input) => {
      const parameter = this.ssm.get(String(input.Name));
      if (parameter === undefined) throw new AwsFault("ParameterNotFound", 400);
      return { Parameter: { Name: input.Name, Type: parameter.type, Value: parameter.value, Version: 1, ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${String(input.Name)}`, DataType: "text" } };
    });

    // Crash injection and killed invocations, at every server.
    const refuse = (invocation: Invocation | undefined): string | undefined => (invocation?.killed === undefined ? undefined : `invocation ${invocation.id} is dead (${invocation.killed})`);
    this.dynamo.refuse = refuse;
    this.github.refuse = refuse;
    this.aws.intercept((_call, request) => {
      const reason = refuse(invocationOf(request.headers));
      if (reason !== undefined) throw new AwsFault("InternalFailure", 500, reason);
    });
    const sideEffect = (what: CrashPoint, invocation: Invocation | undefined): void => {
      if (this.crash === undefined || this.crash.point !== what || this.crash.remaining <= 0 || invocation === undefined) return;
      this.crash.remaining -= 1;
      kill(invocation, `crash after ${what}`);
      this.note(`crash injected after ${what} in ${invocation.id}`);
    };
    this.dynamo.onSideEffect = sideEffect;
    this.github.onSideEffect = (what, invocation) => sideEffect(what, invocation);
    this.ec2.onSideEffect = (what, invocation) => {
      // The live set grows only here: the limits are checked at once, not just at the next tick.
      this.limitWatch.observe(this.ourLive(), Date.now());
      sideEffect(what, invocation);
    };
    this.ec2.onTerminate = (instance, by) => this.instanceEnded(instance, by, true);

    const pools = Object.fromEntries(
      Object.entries(this.options.pools).map(([key, pool]) => {
        const queues = this.pools.get(key) as { queue: FifoQueue; deadLetter: FifoQueue };
        return [
          key,
          {
            labels: pool.labels,
            maxRunners: pool.maxRunners,
            instanceTypes: pool.instanceTypes ?? ["m7i.large", "m6i.large"],
            subnetIds: pool.subnetIds ?? ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
            launchTemplateName: `${PREFIX}-${key}`,
            spot: pool.spot ?? true,
            onDemandFallback: pool.onDemandFallback ?? true,
            runnerGroupId: 1,
            queueUrl: queues.queue.url,
            queueArn: queues.queue.arn,
            deadLetterQueueUrl: queues.deadLetter.url,
            ...(pool.warm === undefined ? {} : { warmSize: pool.warm.size, warmOwner: pool.warm.owner, warmSchedule: pool.warm.schedule }),
          },
        ];
      }),
    );
    const [primary, ...additional] = appIds;
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL: this.awsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      POWERTOOLS_METRICS_DISABLED: "true",
      PREFIX,
      RUNNER_SCOPE: "org",
      GITHUB_APP_ID: String(primary?.appId),
      GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME: `/${PREFIX}/github-app/${primary?.appId}/private-key`,
      GITHUB_API_URL: gitHubUrl,
      ADDITIONAL_GITHUB_APPS: JSON.stringify(additional.map((app) => ({ appId: app.appId, privateKeyParameter: `/${PREFIX}/github-app/${app.appId}/private-key` }))),
      RUNNERS_TABLE: `${PREFIX}-runners`,
      JOBS_TABLE: `${PREFIX}-jobs`,
      JIT_KMS_KEY_ARN: this.kms.keyArn,
      DRAINING_PARAMETER: `/${PREFIX}/draining`,
      WEBHOOK_SECRET_SSM_PARAMETER_NAME: `/${PREFIX}/github-app/webhook-secret`,
      WEBHOOK_MAX_BODY_BYTES: "262144",
      ALLOWED_OWNERS: "[]",
      ALLOWED_REPOSITORIES: "[]",
      WEBHOOK_MAX_JOB_AGE_SECONDS: "3600",
      POOLS: JSON.stringify(pools),
      MAX_RUNNERS_TOTAL: "1000",
      MAX_RUNNERS_PER_OWNER: "1000",
      JOB_MAX_AGE_SECONDS: "21600",
      JOB_WAIT_MAX_SECONDS: "900",
      GITHUB_MIN_REMAINING_REQUESTS: "200",
      GITHUB_WRITES_PER_MINUTE: String(inputDefault("github_writes_per_minute")),
      GITHUB_WRITE_BURST: String(inputDefault("github_write_burst")),
      RUNNER_BOOT_TIMEOUT_SECONDS: "600",
      RUNNER_INSTANCE_PROFILE_ARNS: JSON.stringify([RUNNER_INSTANCE_PROFILE_ARN]),
      RUNNER_IDLE_TIMEOUT_SECONDS: "1800",
      BUSY_CONFIRM_SECONDS: "90",
      RELAUNCH_GRACE_SECONDS: "300",
      RERUN_INTERRUPTED_JOBS: "true",
      // Off unless a scenario turns it on (the webhook-healer scenarios), so the other figures stay the world's own.
      HEALER_MAX_GITHUB_CALLS: "0",
      ...this.options.env,
    };
    this.limitWatch = new LimitWatch({
      total: Number(env.MAX_RUNNERS_TOTAL),
      perOwner: Number(env.MAX_RUNNERS_PER_OWNER),
      perPool: Object.fromEntries(Object.entries(this.options.pools).map(([key, pool]) => [key, pool.maxRunners])),
    });
    const load = <H>(name: string): H => {
      const { handler, root } = withCodeCache(() => loadShippedBundle<H>(name, env, { skipSourceMaps: true }));
      this.roots.push(root);
      return handler;
    };
    this.webhooks = Array.from({ length: this.options.webhookEnvironments }, () => load<WebhookHandler>("webhook"));
    this.scaleUp = Array.from({ length: this.options.scaleUpEnvironments }, () => load<ScaleUpHandler>("scale-up"));
    this.reconcileHandler = load<ScheduledHandler>("reconcile");
    this.loadSpotHandler = () => load<ScheduledHandler>("spot-interruption");
    this.nextReconcileAt = SIM_START + 5 * MINUTE;
    if (this.scheduler !== undefined) {
      this.scheduler.gate(this.aws.httpServer, "aws");
      if (this.dynamo.httpServer !== undefined) this.scheduler.gate(this.dynamo.httpServer, "dynamodb");
      if (this.github.httpServer !== undefined) this.scheduler.gate(this.github.httpServer, "github");
    }
  }

  async stop(): Promise<void> {
    await Promise.all([this.aws.stop(), this.github.stop(), this.dynamo.stop()]);
    rememberCompiledCode();
    for (const root of this.roots) unloadShippedBundle(root);
    Math.random = this.realRandom;
    vi.useRealTimers();
  }

  // ------------------------------------------------------------------ scenario API

  get now(): number {
    return Date.now();
  }

  env(name: string): number {
    const value = this.options.env[name];
    const defaults: Record<string, number> = { RUNNER_BOOT_TIMEOUT_SECONDS: 600, RUNNER_IDLE_TIMEOUT_SECONDS: 1800, JOB_MAX_AGE_SECONDS: 21600 };
    return value === undefined ? (defaults[name] ?? 0) : Number(value);
  }

  note(line: string): void {
    this.log.push(`${new Date(Date.now()).toISOString().slice(11, 19)} ${line}`);
  }

  /** Runs `run` when the simulation reaches `offsetMs` after the start. */
  at(offsetMs: number, run: () => void | Promise<void>): void {
    this.events.push({ at: SIM_START + offsetMs, run });
    this.events.sort((a, b) => a.at - b.at);
  }

  /** Runs `run` once, on the first tick where `when` holds. */
  once(when: () => boolean, run: () => void | Promise<void>): void {
    this.conditions.push({ when, run });
  }

  queueJobs(count: number, options: { repository?: (i: number) => string; labels?: readonly string[]; durationMs?: number } = {}): GitHubJob[] {
    const pool = Object.values(this.options.pools)[0] as PoolOptions;
    return Array.from({ length: count }, (_, i) =>
      this.github.queueJob({
        repository: options.repository?.(i) ?? `${ORG}/app-${(i % 5) + 1}`,
        labels: options.labels ?? ["self-hosted", ...pool.labels],
        durationMs: options.durationMs ?? this.options.jobDurationMs,
      }),
    );
  }

  crashAfter(point: CrashPoint, times = 1): void {
    this.crash = { point, remaining: times };
  }

  setDraining(on: boolean): void {
    this.ssm.set(`/${PREFIX}/draining`, { type: "String", value: String(on) });
    this.note(`draining ${on ? "on" : "off"}`);
  }

  /** The next `count` instances launched never run their bootstrap. */
  hangNext(count: number): void {
    this.hangNextLaunches = count;
  }

  /** The two-minute warning, then the reclaim. */
  async spotInterrupt(instanceId: string): Promise<void> {
    this.stats.spotWarnings += 1;
    const sim = this.runners.get(instanceId);
    if (sim !== undefined) {
      sim.interrupted = true;
      sim.interruptedAt = Date.now();
    }
    const event = {
      version: "0",
      id: randomUUID(),
      "detail-type": "EC2 Spot Instance Interruption Warning",
      source: "aws.ec2",
      account: ACCOUNT,
      time: new Date(Date.now()).toISOString(),
      region: REGION,
      resources: [`arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`],
      detail: { "instance-id": instanceId, "instance-action": "terminate" },
    };
    if (this.spotHandler === undefined) {
      this.spotHandler = (this.loadSpotHandler as () => ScheduledHandler)();
    }
    const handler = this.spotHandler;
    const result = await runInvocation("spot-interruption", 30_000, () => handler(event, lambdaContext(`${PREFIX}-spot-interruption`)));
    this.stats.spotOutcomes.push(result.value ?? { error: String(result.error) });
    this.note(`spot warning ${instanceId}: ${JSON.stringify(result.value ?? String(result.error))}`);
    this.at(Date.now() + 2 * MINUTE - SIM_START, () => {
      const instance = this.ec2.instances.get(instanceId);
      if (instance === undefined || instance.state === "terminated" || instance.state === "shutting-down") return;
      this.instanceEnded(instance, "spot-reclaim", false);
      this.ec2.shutDown(instanceId, "spot-reclaim");
    });
  }

  runnerSims(): RunnerSim[] {
    return [...this.runners.values()];
  }

  // ------------------------------------------------------------------ the loop

  /** Steps the world until the script is done and everything has settled, then two more reconcile runs. */
  async run(): Promise<ScenarioReport> {
    const deadline = SIM_START + this.options.maxSimMs;
    let quietSince: number | undefined;
    const realStart = performance.now();
    const cpuStart = process.cpuUsage();
    let nextProgress = SIM_START;
    while (Date.now() < deadline) {
      await this.step();
      if (process.env.FAULT_PROGRESS && Date.now() >= nextProgress) {
        nextProgress += 5 * MINUTE;
        const done = [...this.github.jobs.values()].filter((j) => j.status === "completed").length;
        const depth = [...this.pools.values()].reduce((n, p) => n + p.queue.messages.length, 0);
        const cpu = process.cpuUsage(cpuStart);
        console.log(`sim +${Math.round((Date.now() - SIM_START) / 60_000)} min, real ${Math.round(performance.now() - realStart)} ms, cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms, done ${done}/${this.github.jobs.size}, live ${this.ec2.live().length}, queued ${depth}, invocations ${this.stats.scaleUpInvocations}, dynamodb ${this.dynamo.calls.total}, ${JSON.stringify(Object.fromEntries([...this.profile].map(([k, v]) => [k, Math.round(v)])))}`);
      }
      if (this.quiet()) {
        quietSince ??= this.stats.reconcileRuns;
        // Two reconcile runs after everything settled: what they leave are orphans.
        if (this.stats.reconcileRuns - quietSince >= 2) break;
      } else {
        quietSince = undefined;
      }
    }
    return this.report(Date.now() >= deadline);
  }

  private quiet(): boolean {
    if (this.events.length > 0 || this.github.deliveries.length > 0 || this.busyScaleUp.size > 0) return false;
    for (const { queue } of this.pools.values()) if (queue.messages.length > 0) return false;
    for (const job of this.github.jobs.values()) {
      if (this.expectDeadLetter.has(job.logicalId)) continue;
      if (job.status !== "completed") return false;
      if (job.conclusion === "failure" && job.rerunAs === undefined && this.wasInterrupted(job)) return false;
    }
    // Runners still doing something; hung instances wait for the reconciler and count as orphans.
    if (!this.runnerSims().every((sim) => sim.phase === "gone" || sim.hung)) return false;
    // Runner items and registrations vouch for their instance during the boot timeout (docs/contracts.md).
    const newest = Math.max(0, ...[...this.ec2.instances.values()].map((i) => i.launchTime));
    return Date.now() - newest > this.env("RUNNER_BOOT_TIMEOUT_SECONDS") * 1000;
  }

  private wasInterrupted(job: GitHubJob): boolean {
    return this.runnerSims().some((sim) => sim.interrupted && sim.jobId === job.id);
  }

  async step(): Promise<void> {
    const tickEnd = Date.now() + this.options.tickMs;
    while (this.events.length > 0 && (this.events[0] as { at: number }).at <= Date.now()) await (this.events.shift() as { run: () => void | Promise<void> }).run();
    for (const condition of [...this.conditions]) {
      if (condition.when()) {
        this.conditions.splice(this.conditions.indexOf(condition), 1);
        await condition.run();
      }
    }
    const timed = async (what: string, work: () => Promise<void>): Promise<void> => {
      const started = performance.now();
      await work();
      this.profile.set(what, (this.profile.get(what) ?? 0) + performance.now() - started);
    };
    await this.dynamo.faults.replicate(Date.now());
    await timed("webhooks", () => this.deliverWebhooks());
    this.ec2.advance();
    await timed("runners", () => this.stepRunners());
    if (this.scheduler !== undefined) {
      await timed("interleaved", () => this.interleave(this.scheduler as CallScheduler, tickEnd));
    } else {
      await timed("scale-up", () => this.pollQueues());
      this.trackPeaks();
      if (Date.now() >= this.nextReconcileAt) {
        await timed("reconcile", () => this.runReconcile());
        this.nextReconcileAt += 5 * MINUTE;
      }
    }
    const wake = Math.max(tickEnd, this.nextWake());
    if (Date.now() < wake) vi.setSystemTime(wake);
  }

  /**
   * When nothing moves (no runner working, no instance changing state, no message visible), the next
   * tick is the next thing that happens: a scripted event, a webhook, a message becoming visible, the
   * reconciler's schedule. Long waits (a redelivery two hours later) then cost no idle ticks.
   */
  private nextWake(): number {
    if (this.conditions.length > 0 || (this.scheduler?.liveCount ?? 0) > 0) return 0;
    if (this.runnerSims().some((sim) => sim.phase !== "gone" && !sim.hung)) return 0;
    for (const instance of this.ec2.instances.values()) if (instance.state === "pending" || instance.state === "shutting-down") return 0;
    const times = [this.nextReconcileAt, ...this.events.map((e) => e.at), ...this.github.deliveries.map((d) => d.at)];
    for (const { queue } of this.pools.values()) for (const message of queue.messages) times.push(message.visibleAt);
    return Math.min(...times);
  }

  /** Our instances pending or running. */
  ourLive(): Ec2Instance[] {
    return this.ec2.live().filter((i) => i.tags.get("self-runners:prefix") === PREFIX);
  }

  private trackPeaks(): void {
    const live = this.ourLive();
    this.limitWatch.observe(live, Date.now());
    this.stats.peakLive = Math.max(this.stats.peakLive, live.length);
    const perPool = new Map<string, number>();
    for (const instance of live) {
      const pool = instance.tags.get("self-runners:pool") ?? "";
      perPool.set(pool, (perPool.get(pool) ?? 0) + 1);
    }
    for (const [pool, n] of perPool) this.stats.peakLivePerPool.set(pool, Math.max(this.stats.peakLivePerPool.get(pool) ?? 0, n));
  }

  /** Junk requests from `flood.addresses` during the flood's window (needs the `ingress` option). */
  flood(flood: Flood): void {
    if (this.ingress === undefined) throw new Error("a flood needs the ingress option");
    this.floods.push({ flood, next: 0 });
  }

  /** Flood requests that arrived by now go through the ingress model; none reaches the function. */
  private admitFloods(): void {
    const ingress = this.ingress;
    if (ingress === undefined) return;
    for (const entry of this.floods) {
      for (const { at, sourceIp } of floodArrivals(entry.flood, this.startedAt, entry.next, Date.now())) {
        entry.next += 1;
        const verdict = ingress.admit(at, sourceIp, entry.flood.signed ? `sha256=${"0".repeat(64)}` : undefined);
        // A junk request the ingress lets through is answered 401 by the function; it costs a token, not a job.
        if (verdict === "passed") this.stats.junkReachedFunction += 1;
      }
    }
  }

  private async deliverWebhooks(): Promise<void> {
    this.admitFloods();
    const due = this.github.dueDeliveries();
    const environments = this.webhooks.length;
    if (environments === 1) {
      for (const delivery of due) await this.deliverWebhook(delivery, this.webhooks[0] as WebhookHandler);
      return;
    }
    // Deliveries of the same instant overlap, up to one per environment (as Lambda scales out).
    const instants = [...new Set(due.map((delivery) => delivery.at))];
    for (const at of instants) {
      const together = due.filter((delivery) => delivery.at === at);
      for (let start = 0; start < together.length; start += environments) {
        await Promise.all(together.slice(start, start + environments).map((delivery, i) => this.deliverWebhook(delivery, this.webhooks[i] as WebhookHandler)));
      }
    }
  }

  private async deliverWebhook(delivery: ReturnType<GitHubWorld["dueDeliveries"]>[number], handler: WebhookHandler): Promise<void> {
    this.stats.webhooks += 1;
    const verdict = this.ingress?.admit(Date.now(), `github-hook-${delivery.hook}`, this.github.signature(delivery.body));
    if (verdict !== undefined && verdict !== "passed") {
      // 403 from WAF or 429 from the stage: GitHub records a failed delivery and does not redeliver it.
      const status = verdict === "throttled" ? 429 : 403;
      this.github.deliveryLog.record(delivery, status);
      this.stats.webhookStatuses.set(status, (this.stats.webhookStatuses.get(status) ?? 0) + 1);
      this.note(`webhook ${delivery.action} job ${delivery.jobId} refused at the ingress: ${verdict}`);
      return;
    }
    const unavailable = this.webhookUnavailable(delivery);
    if (unavailable !== undefined) {
      this.github.deliveryLog.record(delivery, unavailable);
      this.stats.webhookStatuses.set(unavailable, (this.stats.webhookStatuses.get(unavailable) ?? 0) + 1);
      this.note(`webhook ${delivery.action} job ${delivery.jobId} answered ${unavailable} by the API (function unavailable)`);
      return;
    }
    const event = apiGatewayEvent({
      body: delivery.body,
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
        "X-GitHub-Event": "workflow_job",
        "X-GitHub-Delivery": delivery.deliveryId,
        "X-GitHub-Hook-ID": String(4_000_000 + delivery.hook),
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-Hub-Signature-256": this.github.signature(delivery.body),
      },
    });
    const result = await runInvocation("webhook", 10_000, () => handler(event, lambdaContext(`${PREFIX}-webhook`)));
    const status = result.value?.statusCode ?? 599;
    this.github.deliveryLog.record(delivery, status);
    this.stats.webhookStatuses.set(status, (this.stats.webhookStatuses.get(status) ?? 0) + 1);
    const message = (() => {
      try {
        return String((JSON.parse(result.value?.body ?? "{}") as { message?: unknown }).message);
      } catch {
        return "unreadable";
      }
    })();
    this.stats.webhookAnswers.set(message, (this.stats.webhookAnswers.get(message) ?? 0) + 1);
    if (status >= 500) this.note(`webhook ${delivery.action} job ${delivery.jobId} answered ${status}: ${result.value?.body ?? String(result.error)}`);
  }

  // ------------------------------------------------------------------ runners

  private async stepRunners(): Promise<void> {
    const now = Date.now();
    for (const instance of this.ec2.instances.values()) {
      if (instance.tags.get("self-runners:prefix") !== PREFIX || this.runners.has(instance.instanceId)) continue;
      const hung = this.hangNextLaunches > 0;
      if (hung) this.hangNextLaunches -= 1;
      this.runners.set(instance.instanceId, {
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
        noWatchdog: this.noWatchdogFor(instance),
      });
    }
    const bootTimeoutMs = this.env("RUNNER_BOOT_TIMEOUT_SECONDS") * 1000;
    const idleMs = this.env("RUNNER_IDLE_TIMEOUT_SECONDS") * 1000;
    for (const sim of this.runners.values()) {
      if (sim.phase === "gone" || sim.hung) continue;
      const { instance } = sim;
      if (instance.state === "shutting-down" || instance.state === "terminated") {
        sim.phase = "gone";
        sim.goneAt ??= now;
        continue;
      }
      if (instance.state !== "running") continue;
      if (sim.phase === "booting") {
        if (sim.bootAt === Number.POSITIVE_INFINITY) sim.bootAt = instance.stateSince + this.options.bootDelayMs;
        if (now < sim.bootAt) continue;
        if (this.bootNetwork !== undefined && !this.bootNetwork.boot(instance.instanceId, now)) {
          this.selfShutdown(sim, "bootstrap failed: GitHub refused its anonymous call");
          continue;
        }
        sim.phase = "polling";
        sim.watchdogAt = sim.noWatchdog ? Number.POSITIVE_INFINITY : now + idleMs;
        sim.pollUntil = now + bootTimeoutMs;
      }
      if (sim.phase !== "busy" && now >= sim.watchdogAt) {
        this.selfShutdown(sim, "watchdog: no job started");
        continue;
      }
      if (sim.phase === "polling" && now >= sim.nextPollAt) {
        const pk = `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instance.instanceId}`;
        const item = (await this.dynamo.local.documentClient.send(new GetCommand({ TableName: `${PREFIX}-runners`, Key: { pk }, ConsistentRead: true }))).Item;
        if (typeof item?.jitConfig === "string") {
          await this.dynamo.local.documentClient.send(new UpdateCommand({ TableName: `${PREFIX}-runners`, Key: { pk }, UpdateExpression: "REMOVE jitConfig" }));
          // What the bootstrap's `aws kms decrypt` does, under this instance's own ARN.
          const sealed = Buffer.from(item.jitConfig.replace(/^kms:/, ""), "base64");
          const config = JSON.parse(this.kms.decrypt(sealed, { "instance-arn": pk }).toString("utf8")) as { runnerId: number };
          sim.runnerId = config.runnerId;
          sim.jobKey = typeof item.jobKey === "string" ? item.jobKey : undefined;
          sim.configured = true;
          sim.configuredAt = now;
          sim.phase = "starting";
          sim.readyAt = now + this.options.runnerStartMs;
        } else if (now >= sim.pollUntil) {
          this.selfShutdown(sim, "no runner configuration within the boot timeout");
          continue;
        } else {
          sim.nextPollAt = now + 3_000;
        }
      }
      if (sim.phase === "starting" && now >= sim.readyAt) {
        if (!this.github.connect(sim.runnerId as number)) {
          this.selfShutdown(sim, "registration gone before the runner connected");
          continue;
        }
        sim.phase = "idle";
      }
      if (sim.phase === "idle") {
        const registration = this.github.registrations.get(sim.runnerId as number);
        if (registration === undefined || registration.deleted) {
          this.selfShutdown(sim, "registration deleted while idle");
          continue;
        }
        const job = this.github.assign(sim.runnerId as number);
        if (job !== undefined) {
          sim.phase = "busy";
          sim.jobId = job.id;
          sim.ranJob = true;
          sim.takenAt = now;
          sim.jobEndsAt = now + job.durationMs;
        }
      }
      if (sim.phase === "busy" && now >= sim.jobEndsAt) {
        this.github.finishJob(sim.jobId as number, "success");
        this.selfShutdown(sim, "job done");
      }
    }
  }

  private selfShutdown(sim: RunnerSim, why: string): void {
    if (sim.runnerId !== undefined && sim.phase !== "busy") this.github.disconnect(sim.runnerId);
    sim.phase = "gone";
    sim.goneAt ??= Date.now();
    this.ec2.shutDown(sim.instance.instanceId, `self: ${why}`);
  }

  /** An instance ends from outside (API terminate or spot reclaim): its runner dies with it. */
  private instanceEnded(instance: Ec2Instance, by: string, byApi: boolean): void {
    const sim = this.runners.get(instance.instanceId);
    if (sim === undefined || sim.phase === "gone") return;
    if (sim.phase === "busy") {
      if (byApi) this.stats.busyTerminated.push({ instanceId: instance.instanceId, jobId: sim.jobId, by, at: Date.now() });
      const jobId = this.github.runnerLost(sim.runnerId as number);
      if (jobId !== undefined) this.at(Date.now() + this.github.lostRunnerFailMs - SIM_START, () => this.github.finishJob(jobId, "failure"));
      this.note(`instance ${instance.instanceId} ended by ${by} while running job ${String(jobId)}`);
    } else if (sim.runnerId !== undefined) {
      this.github.disconnect(sim.runnerId);
    }
    sim.phase = "gone";
    sim.goneAt ??= Date.now();
  }

  // ------------------------------------------------------------------ SQS -> scale-up

  private async pollQueues(): Promise<void> {
    const environments = this.scaleUp.length;
    for (let round = 0; round < 50; round += 1) {
      const batches: Array<{ queue: FifoQueue; messages: QueueMessage[]; env: number }> = [];
      const queues = [...this.pools.values()].map((p) => p.queue);
      for (let env = 0; env < environments; env += 1) {
        for (let q = 0; q < queues.length; q += 1) {
          const queue = queues[(env + round + q) % queues.length] as FifoQueue;
          const messages = queue.receive(10, Date.now());
          if (messages.length > 0) {
            batches.push({ queue, messages, env });
            break;
          }
        }
      }
      if (batches.length === 0) return;
      const results = await Promise.all(batches.map((batch) => this.invokeScaleUp(batch.env, batch.queue, batch.messages)));
      const longest = Math.max(...results.map((r) => r.elapsedMs), 0);
      this.stats.maxInvocationSeconds = Math.max(this.stats.maxInvocationSeconds, longest / 1000);
      // The environments were busy that long: the world moves on by the longest invocation.
      vi.setSystemTime(Date.now() + Math.max(longest, 500));
    }
  }

  /**
   * One tick of an interleaved world: free environments receive batches, the reconciler starts on
   * its schedule (one at a time), and the scheduler lets calls through up to the tick's end; after
   * each call free environments receive again (a message whose visibility ran out mid-invocation).
   */
  private async interleave(scheduler: CallScheduler, tickEnd: number): Promise<void> {
    this.startScaleUps();
    if (Date.now() >= this.nextReconcileAt) {
      this.nextReconcileAt += 5 * MINUTE;
      if (!this.reconcileLive) {
        this.reconcileLive = true;
        void this.runReconcile().finally(() => (this.reconcileLive = false));
      }
    }
    this.trackPeaks();
    await scheduler.runUntil(tickEnd, async () => {
      this.startScaleUps();
      this.trackPeaks();
    });
  }

  private startScaleUps(): void {
    const queues = [...this.pools.values()].map((p) => p.queue);
    this.pollRound += 1;
    for (let env = 0; env < this.scaleUp.length; env += 1) {
      if (this.busyScaleUp.has(env)) continue;
      for (let q = 0; q < queues.length; q += 1) {
        const queue = queues[(env + this.pollRound + q) % queues.length] as FifoQueue;
        const messages = queue.receive(10, Date.now());
        if (messages.length === 0) continue;
        this.busyScaleUp.add(env);
        void this.invokeScaleUp(env, queue, messages).finally(() => this.busyScaleUp.delete(env));
        break;
      }
    }
  }

  private async invokeScaleUp(env: number, queue: FifoQueue, messages: QueueMessage[]): Promise<{ elapsedMs: number }> {
    this.stats.scaleUpInvocations += 1;
    if (this.esmFailuresLeft > 0) {
      // Lambda could not run the function (throttled, runtime error): the batch returns after its visibility timeout.
      this.esmFailuresLeft -= 1;
      this.stats.esmFailures += 1;
      return { elapsedMs: 0 };
    }
    const event: SQSEvent = { Records: messages.map((message) => sqsRecord(queue, message)) };
    const handler = this.scaleUp[env] as ScaleUpHandler;
    // The receipt handles of this receive: another environment receiving a message again changes it.
    const handles = new Map(messages.map((message) => [message.messageId, message.receiptHandle as string]));
    const scheduler = this.scheduler;
    const result: InvocationResult<SQSBatchResponse> = await runInvocation("scale-up", SCALE_UP_TIMEOUT_SECONDS * 1000, () => handler(event, invocationContext(`${PREFIX}-scale-up`)), (invocation) => {
      for (const message of messages) {
        const holder = this.heldBy.get(message.messageId);
        if (holder !== undefined) this.receivedWhileHeld += 1;
        this.heldBy.set(message.messageId, invocation.id);
      }
      scheduler?.begin(invocation);
    });
    try {
      return this.settleScaleUp(queue, messages, handles, result);
    } finally {
      for (const message of messages) if (this.heldBy.get(message.messageId) === result.invocation.id) this.heldBy.delete(message.messageId);
      scheduler?.end(result.invocation);
    }
  }

  private settleScaleUp(queue: FifoQueue, messages: QueueMessage[], handles: ReadonlyMap<string, string>, result: InvocationResult<SQSBatchResponse>): InvocationResult<SQSBatchResponse> {
    if (result.invocation.killed !== undefined) {
      const reason = result.invocation.killed;
      this.stats.killed.set(reason, (this.stats.killed.get(reason) ?? 0) + 1);
      if (reason.startsWith("timeout")) this.stats.timeouts += 1;
      this.note(`scale-up ${result.invocation.id} died: ${reason}`);
      return result;
    }
    if (result.error !== undefined) {
      this.stats.scaleUpErrors += 1;
      this.note(`scale-up ${result.invocation.id} failed: ${String(result.error)}`);
      return result;
    }
    if (this.crash?.point === "before-delete" && this.crash.remaining > 0 && (result.value?.batchItemFailures.length ?? 0) < messages.length) {
      this.crash.remaining -= 1;
      this.stats.skippedDeletes += 1;
      this.note(`crash injected before the SQS delete of ${result.invocation.id}`);
      return result;
    }
    // The event source mapping's rules (world/esm.ts): invalid answers, FIFO groups, late deletes. A
    // message received again meanwhile is in flight elsewhere: this receipt handle is stale.
    const asReceived = messages.map((message) => (message.receiptHandle === handles.get(message.messageId) ? message : { ...message, visibleAt: Number.NEGATIVE_INFINITY }));
    const settled = settleBatch(asReceived, result.value, result.invocation.startedAt + result.elapsedMs);
    this.stats.esmSettlement.invalidResponses += settled.invalidResponse ? 1 : 0;
    this.stats.esmSettlement.heldBackInGroup += settled.heldBackInGroup;
    this.stats.esmSettlement.staleDeletes += settled.staleDeletes;
    for (const message of settled.deleted) queue.delete(handles.get(message.messageId) as string);
    return result;
  }

  // ------------------------------------------------------------------ reconcile

  async runReconcile(): Promise<void> {
    const event = {
      version: "0",
      id: randomUUID(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: ACCOUNT,
      time: new Date(Date.now()).toISOString(),
      region: REGION,
      resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/${PREFIX}-reconcile`],
      detail: {},
    };
    const scheduler = this.scheduler;
    const result = await runInvocation("reconcile", 300_000, () => this.reconcileHandler(event, lambdaContext(`${PREFIX}-reconcile`)), (invocation) => scheduler?.begin(invocation));
    scheduler?.end(result.invocation);
    // Counted when it ends: the world is quiet after two whole runs.
    this.stats.reconcileRuns += 1;
    if (result.error !== undefined || result.invocation.killed !== undefined) {
      this.stats.reconcileErrors += 1;
      this.note(`reconcile failed: ${String(result.error ?? result.invocation.killed)}`);
    } else {
      this.stats.reconcileSummaries.push(result.value);
    }
  }

  // ------------------------------------------------------------------ the report

  private async report(timedOut: boolean): Promise<ScenarioReport> {
    const logical = [...this.github.jobs.values()].filter((job) => job.logicalId === job.id);
    const finalAttempt = (job: GitHubJob): GitHubJob => {
      let current = job;
      while (current.rerunAs !== undefined) current = this.github.jobs.get(current.rerunAs) as GitHubJob;
      return current;
    };
    const ledger = await this.scanTable(`${PREFIX}-jobs`);
    const deadLettered = [...this.pools.values()].flatMap(({ deadLetter }) => deadLetter.messages);
    const lost: Array<{ jobId: number; status: string; conclusion: string | null; why: string; ledger?: unknown }> = [];
    for (const job of logical) {
      const last = finalAttempt(job);
      // Cancelled at GitHub (the scenario's script): nothing left to run.
      if (last.status === "completed" && (last.conclusion === "success" || last.conclusion === "cancelled")) continue;
      if (this.expectDeadLetter.has(job.id)) {
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
    const judged = replacements(this.runnerSims());
    const duplicates = judged.filter((r) => r.because === undefined).map((r) => r.instanceId);
    const ours = [...this.ec2.instances.values()].filter((i) => i.tags.get("self-runners:prefix") === PREFIX);
    const wasted = wastedInstances(ours, this.runners);

    // Orphans after the last two reconcile runs: instances, registrations, runner items and counters
    // that do not match the instances that live.
    const live = this.ourLive();
    const registrations = [...this.github.registrations.values()].filter((r) => !r.deleted);
    const liveIds = new Set(live.map((i) => i.instanceId));
    const registeredInstances = new Set(registrations.map((r) => r.name.slice(`${PREFIX}-`.length)));
    const orphanInstances = live.filter((i) => !registeredInstances.has(i.instanceId)).map((i) => i.instanceId);
    const orphanRegistrations = registrations.filter((r) => !liveIds.has(r.name.slice(`${PREFIX}-`.length))).map((r) => r.name);
    const runnerItems = await this.scanTable(`${PREFIX}-runners`);
    const orphanItems = runnerItems.filter((item) => !liveIds.has(String(item.instanceId))).map((item) => String(item.instanceId));
    const counters = ledger.filter((item) => String(item.pk).startsWith("limit#"));
    const drift = counterDrift(new Map(counters.map((item) => [String(item.pk), Number(item.inUse ?? 0)])), live);
    const driftUnits = drift.reduce((n, d) => n + Math.abs(d.inUse - d.live), 0);
    const openJobs = ledger.filter((item) => String(item.pk).startsWith("job#") && ["received", "launching", "launched", "running"].includes(String(item.phase)));

    const redeliveries = [...this.pools.values()].reduce((n, p) => n + p.queue.redeliveries, 0);
    const figures: Figures = {
      jobs: logical.length,
      runnersLaunched: [...this.ec2.instances.values()].filter((i) => i.tags.get("self-runners:prefix") === PREFIX).length,
      createFleetCalls: this.ec2.createFleetCalls,
      gitHubCalls: this.github.stats.calls,
      redeliveries,
      simulatedMs: Date.now() - SIM_START,
      timeToRunnerSeconds: [...this.github.jobs.values()].flatMap((job) => (job.startedAt === undefined ? [] : [(job.startedAt - job.createdAt) / 1000])),
      timeToLastRunnerSeconds: lastRunnerSeconds(this.github),
      gitHub403s: this.github.stats.rateLimitAnswers,
      jobsLost: lost.length,
      duplicateRunners: duplicates.length,
      busyRunnersTerminated: this.stats.busyTerminated.length,
      orphans: orphanInstances.length + orphanRegistrations.length + orphanItems.length + driftUnits,
      aboveLimit: this.limitWatch.worstExcess,
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
        limitBreaches: this.limitWatch.breaches,
        busyTerminated: this.stats.busyTerminated,
        orphanInstances,
        orphanRegistrations,
        orphanItems,
        counterDrift: drift,
        counters: Object.fromEntries(counters.map((item) => [item.pk, item.inUse])),
        openLedgerJobs: openJobs.map((item) => `${String(item.pk)}:${String(item.phase)}`),
        deadLettered: deadLettered.map((m) => ({ body: m.body, reason: m.attributes.Reason?.StringValue ?? m.attributes.Redriven?.StringValue })),
        webhooks: this.stats.webhooks,
        webhookStatuses: Object.fromEntries(this.stats.webhookStatuses),
        webhookAnswers: Object.fromEntries(this.stats.webhookAnswers),
        ingress: this.ingress?.counts,
        junkReachedFunction: this.stats.junkReachedFunction,
        spotOutcomes: this.stats.spotOutcomes,
        scaleUpInvocations: this.stats.scaleUpInvocations,
        scaleUpErrors: this.stats.scaleUpErrors,
        killed: Object.fromEntries(this.stats.killed),
        timeouts: this.stats.timeouts,
        maxInvocationSeconds: this.stats.maxInvocationSeconds,
        peakLive: this.stats.peakLive,
        peakLivePerPool: Object.fromEntries(this.stats.peakLivePerPool),
        spotWarnings: this.stats.spotWarnings,
        onDemandInstances: [...this.ec2.instances.values()].filter((i) => i.lifecycle === "on-demand").length,
        reconcileRuns: this.stats.reconcileRuns,
        reconcileErrors: this.stats.reconcileErrors,
        esmFailures: this.stats.esmFailures,
        esmSettlement: this.stats.esmSettlement,
        schedule: this.scheduler?.stats,
        receivedWhileHeld: this.receivedWhileHeld,
        skippedDeletes: this.stats.skippedDeletes,
        sqs: [...this.pools.values()].map(({ queue }) => ({ sends: queue.sends, deduplicated: queue.deduplicated, receives: queue.receives, redeliveries: queue.redeliveries })),
        visibilityFailures: this.sqs.visibilityFailures,
        gitHub: { ...this.github.stats, byRoute: Object.fromEntries(this.github.stats.byRoute) },
        createFleetThrottled: this.ec2.createFleetThrottled,
        dynamoDbCalls: this.dynamo.calls,
        awsErrors: this.aws.errors.map(String),
        reconcileTotals: sumSummaries(this.stats.reconcileSummaries),
        realMs: Object.fromEntries([...this.profile].map(([k, v]) => [k, Math.round(v)])),
        log: this.log,
      },
    };
  }

  async scanTable(table: string): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamo.local.documentClient.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }
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

let cachedKey: string | undefined;
function appPrivateKey(): string {
  cachedKey ??= generateAppPrivateKey();
  return cachedKey;
}
