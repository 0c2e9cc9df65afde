import { vi } from "vitest";
import { POWERTOOLS_ENV } from "../../../contracts/common.js";
import { AwsFault, LoopbackAws } from "../../helpers/loopback-aws.js";
import { MemoryKms } from "../../helpers/memory-kms.js";
import { generateAppPrivateKey } from "../../helpers/openapi.js";
import { disableBundleAsyncHooks, loadShippedBundle, unloadShippedBundle } from "../../helpers/shipped-zip.js";
import { LimitWatch } from "../oracle.js";
import { Agenda } from "./agenda.js";
import type { NatBootNetwork } from "./boot-network.js";
import { rememberCompiledCode, withCodeCache } from "./code-cache.js";
import { ControlPlane } from "./control-plane.js";
import { WorldDynamoDb } from "./dynamodb.js";
import { Ec2Model } from "./ec2.js";
import type { Ec2Instance } from "./ec2.js";
import { Ec2Faults } from "./ec2-faults.js";
import { GitHubWorld, ORG } from "./github.js";
import type { GitHubJob } from "./github.js";
import { dropForeignEndpoints, handlerEnvironment } from "./handler-env.js";
import { Ingress } from "./ingress.js";
import type { Flood } from "./ingress.js";
import { MINUTE, PREFIX, SIM_START, resolveOptions } from "./options.js";
import type { CrashPoint, PoolOptions, ResolvedWorldOptions, RunnerSim, ScaleUpHandler, ScenarioReport, ScheduledHandler, WebhookHandler, WorldOptions } from "./options.js";
import { invocationAwareRandom, seedInvocations } from "./invocations.js";
import { resetDeadlines } from "./deadlines.js";
import { mulberry32, seedWorldIds } from "./random.js";
import { runWorld, stepWorld } from "./loop.js";
import { instanceEnded } from "./runner-fleet.js";
import { wireCrashes } from "./crashes.js";
import { CallScheduler } from "./scheduler.js";
import { answerOnWorldClock } from "./server-clock.js";
import { ACCOUNT, REGION, SqsModel } from "./sqs.js";
import type { FifoQueue } from "./sqs.js";
import { newWorldStats } from "./stats.js";
import type { Delivery } from "./webhook-delivery.js";

export { CRASH_POINTS, PREFIX, SIM_START } from "./options.js";
export type { CrashPoint, Figures, PoolOptions, RunnerSim, ScenarioReport, WorldOptions } from "./options.js";

/**
 * The simulated world the fault-injection suite runs the shipped handlers in: DynamoDB (dynalite),
 * SQS FIFO queues with an event source mapping driver, EC2, GitHub and its webhooks, one simulated
 * runner per instance, and a simulated clock. Scenarios script faults into it and run it until it is
 * quiet; then it reports figures and the five invariants (docs/reliability.md). Its parts: the
 * runners (runner-fleet.ts), webhook deliveries (webhook-delivery.ts), the other functions'
 * invocations (control-plane.ts), the handlers' environment (handler-env.ts) and the report (report.ts).
 */

const WEBHOOK_SECRET = "fault-world-webhook-secret";

export class World {
  readonly options: ResolvedWorldOptions;
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
  readonly stats = newWorldStats();
  /** Logical jobs whose designed outcome is the dead-letter queue (e.g. older than the maximum age). */
  readonly expectDeadLetter = new Set<number>();
  private readonly roots: string[] = [];
  /** The web ACL and stage throttle model, when the options ask for one. */
  readonly ingress: Ingress | undefined;
  /** Junk requests under way (flood()), for the ingress model. */
  readonly floods: { flood: Flood; next: number }[] = [];
  /** Real milliseconds spent per part of the loop. */
  readonly profile = new Map<string, number>();
  /** One webhook handler per execution environment. */
  webhookHandlers: WebhookHandler[] = [];
  /** Interleaved worlds: deliveries waiting for a free webhook environment, and the busy ones. */
  readonly webhookBacklog: Delivery[] = [];
  readonly busyWebhookEnvironments = new Set<number>();
  /** Scale-up, reconcile and spot-interruption invocations (set up by start()). */
  controlPlane!: ControlPlane;
  /** Scripted events (at(), once()). */
  readonly agenda = new Agenda();
  /** The crash crashAfter() injects, until it has happened `remaining` times. */
  crash: { point: CrashPoint; remaining: number } | undefined;
  /** Lambda refuses this many scale-up invocations (throttled / runtime error): the batch comes back later. */
  esmFailuresLeft = 0;
  /** API Gateway's own answer instead of the function's (5xx: the integration failed), or undefined. */
  webhookUnavailable: (delivery: { readonly action: string; readonly jobId: number }) => number | undefined = () => undefined;
  private readonly realRandom = Math.random;
  private awsEndpoint = "";
  /** The next launches that never run their bootstrap (hangNext()). */
  hangNextLaunches = 0;
  private readonly visibilityTimeoutSeconds: number | undefined;
  /** The bootstraps' network through one NAT address (world/boot-network.ts); unset, boots make no call. */
  bootNetwork: NatBootNetwork | undefined = undefined;
  noWatchdogFor: (instance: Ec2Instance) => boolean = () => false;
  /** The fifth invariant's observer, set up with the handlers' limits. */
  limitWatch = new LimitWatch({ total: 0, perOwner: 0, perPool: {} });

  private readonly owners: readonly string[] | undefined;
  /** The call scheduler, when the options interleave invocations. */
  readonly scheduler: CallScheduler | undefined;
  /**
   * Without a scheduler: invocations of one round still run at its instant, but their calls pass one
   * at a time in a fixed order (world/scheduler.ts lockstep), those of several environments and the
   * concurrent calls of one invocation alike (a batch's claims, its three mark-launched writes), so
   * which call reaches a server first (a racing write, the n-th call a fault counts, a crash after a
   * side effect) does not depend on the machine's load or how warm the process is.
   */
  readonly lockstep: CallScheduler | undefined;

  constructor(options: WorldOptions = {}) {
    this.owners = options.owners;
    this.options = resolveOptions(options);
    this.ingress = options.ingress === undefined ? undefined : new Ingress(options.ingress);
    this.ec2.faults = new Ec2Faults({ seed: this.options.seed, ...options.ec2 });
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds;
    this.scheduler = options.interleave === undefined ? undefined : new CallScheduler(options.interleave);
    this.lockstep = this.scheduler === undefined ? new CallScheduler({ seed: this.options.seed, lockstep: true }) : undefined;
  }


  // ------------------------------------------------------------------ set-up

  async start(): Promise<void> {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(SIM_START);
    resetDeadlines();
    // With invocations at once (scheduler, several environments) each draws from its own seeded
    // stream (invocations.ts); one at a time, they draw from the world's stream in a fixed order
    // already, the lockstep ordering their concurrent calls and so the draws that follow the answers.
    const overlapping = this.scheduler !== undefined || this.options.scaleUpEnvironments > 1 || this.options.webhookEnvironments > 1;
    seedInvocations(overlapping ? this.options.seed : undefined);
    seedWorldIds(this.options.seed);
    Math.random = invocationAwareRandom(mulberry32(this.options.seed));
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

    wireCrashes(this);
    this.ec2.onTerminate = (instance, by) => instanceEnded(this, instance, by, true);

    const env = handlerEnvironment({
      awsEndpoint: this.awsEndpoint,
      dynamoEndpoint,
      gitHubUrl,
      apps: appIds,
      kmsKeyArn: this.kms.keyArn,
      pools: this.options.pools,
      queues: this.pools,
      env: this.options.env,
    });
    dropForeignEndpoints(env);
    this.limitWatch = new LimitWatch({
      total: Number(env.MAX_RUNNERS_TOTAL),
      perOwner: Number(env.MAX_RUNNERS_PER_OWNER),
      perPool: Object.fromEntries(Object.entries(this.options.pools).map(([key, pool]) => [key, pool.maxRunners])),
    });
    const load = <H>(name: string): H => {
      const { handler, root } = withCodeCache(() => loadShippedBundle<H>(name, env, { skipSourceMaps: true }));
      this.roots.push(root);
      // With tracing off (the default) the X-Ray SDK's async hook tracks a namespace nothing enters;
      // with every environment in this one process, each hook would run on every promise of the world
      // (a quarter of the 1,000-job burst's CPU with five environments).
      if (env[POWERTOOLS_ENV.powertoolsTraceEnabled.name] !== "true") disableBundleAsyncHooks(root);
      return handler;
    };
    this.webhookHandlers = Array.from({ length: this.options.webhookEnvironments }, () => load<WebhookHandler>("webhook"));
    const scaleUp = Array.from({ length: this.options.scaleUpEnvironments }, () => load<ScaleUpHandler>("scale-up"));
    this.controlPlane = new ControlPlane(this, scaleUp, load<ScheduledHandler>("reconcile"), () => load<ScheduledHandler>("spot-interruption"));
    for (const server of [this.aws.httpServer, this.dynamo.httpServer, this.github.httpServer]) if (server !== undefined) answerOnWorldClock(server);
    const gate = this.scheduler ?? this.lockstep;
    if (gate !== undefined) {
      gate.gate(this.aws.httpServer, "aws");
      if (this.dynamo.httpServer !== undefined) gate.gate(this.dynamo.httpServer, "dynamodb");
      if (this.github.httpServer !== undefined) gate.gate(this.github.httpServer, "github");
    }
  }


  async stop(): Promise<void> {
    await Promise.all([this.aws.stop(), this.github.stop(), this.dynamo.stop()]);
    rememberCompiledCode();
    for (const root of this.roots) unloadShippedBundle(root);
    Math.random = this.realRandom;
    seedInvocations(undefined);
    seedWorldIds(undefined);
    resetDeadlines();
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
    this.agenda.add(SIM_START + offsetMs, run);
  }

  /** Runs `run` once, on the first tick where `when` holds. */
  once(when: () => boolean, run: () => void | Promise<void>): void {
    this.agenda.once(when, run);
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
    // Under the call scheduler the handler runs call by call in the loop: awaiting it here would stall it.
    if (this.scheduler === undefined) await this.controlPlane.spotWarning(instanceId);
    else void this.controlPlane.spotWarning(instanceId);
    this.at(Date.now() + 2 * MINUTE - SIM_START, () => {
      const instance = this.ec2.instances.get(instanceId);
      if (instance === undefined || instance.state === "terminated" || instance.state === "shutting-down") return;
      instanceEnded(this, instance, "spot-reclaim", false);
      this.ec2.shutDown(instanceId, "spot-reclaim");
    });
  }


  runnerSims(): RunnerSim[] {
    return [...this.runners.values()];
  }

  // ------------------------------------------------------------------ the loop

  /** Steps the world until the script is done and everything has settled, then two more reconcile runs. */
  run(): Promise<ScenarioReport> {
    return runWorld(this);
  }

  step(): Promise<void> {
    return stepWorld(this);
  }

  /** Our instances pending or running. */
  ourLive(): Ec2Instance[] {
    return this.ec2.live().filter((i) => i.tags.get("self-runners:prefix") === PREFIX);
  }

  /** Watches the limits and the peaks on the instances that live now. */
  trackPeaks(): void {
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

}

let cachedKey: string | undefined;
function appPrivateKey(): string {
  cachedKey ??= generateAppPrivateKey();
  return cachedKey;
}
