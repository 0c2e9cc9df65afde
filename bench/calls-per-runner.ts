// AWS and GitHub calls per launched runner and per queued delivery, for bursts of jobs through the
// scale-up handler (its factory, the deployed adapters and SDK clients). DynamoDB is dynalite (the
// ledger's conditions need a server); EC2, SQS and SSM are aws-sdk-client-mock doubles; GitHub is a
// counting fetch that stands in for the global one while the bench runs, so every GitHub client the
// handler builds (registration, still-queued lookups) reaches it and none reaches the network. Every
// call the handler's clients send is counted by operation.
// Run alone: npx tsx bench/calls-per-runner.ts [burst ...]; bench/run.ts calls callsPerRunner().
import { pathToFileURL } from "node:url";
import { clearCaches } from "@aws-lambda-powertools/parameters";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateTagsCommand, EC2Client, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { ChangeMessageVisibilityBatchCommand, SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { createHandler, defaultDeps } from "../lambdas/scale-up/scale-up.lambda.js";
import { clearObservedBudgets, clearOctokitCache } from "../lambdas/shared/index.js";
import { jobMessage, lambdaContext, scriptInstantFleet, sqsEvent, sqsRecord } from "../test/helpers/aws.js";
import { TEST_CREDENTIALS, startDynalite } from "../test/helpers/dynalite.js";
import { generateAppPrivateKey } from "../test/helpers/openapi.js";
import { quietPowertools } from "../test/helpers/powertools.js";
import { scaleUpEnvFixture } from "../test/helpers/scale-up-env.js";
import { countingGitHub } from "./counting-github.js";
import { scopeTarget } from "./figures.js";
import type { BenchGroup, Figure } from "./figures.js";

/** Issue 14's targets. */
export const CALLS_PER_RUNNER_TARGETS = { aws: 3, gitHub: 1.02 } as const;

export interface CallsPerRunnerOptions {
  /** Jobs per burst. */
  readonly bursts?: readonly number[];
  /** Records per invocation (the event source mapping's batch size; 10 for FIFO queues). */
  readonly batchSize?: number;
  /** Scale-up execution environments sharing a burst (each starts cold: no token, no cached parameter). */
  readonly environments?: number;
}

export interface CallsPerRunnerFigure {
  readonly jobs: number;
  readonly runners: number;
  readonly invocations: number;
  readonly environments: number;
  readonly aws: number;
  readonly gitHub: number;
  readonly awsPerRunner: number;
  readonly gitHubPerRunner: number;
  readonly awsPerDelivery: number;
  readonly gitHubPerDelivery: number;
  /** `Service.Operation` -> calls. */
  readonly byOperation: Readonly<Record<string, number>>;
  readonly gitHubByRoute: Readonly<Record<string, number>>;
  /** The burst's wall time and the bench process's CPU time (user + system) while it ran, in ms. */
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Simulated seconds from the burst's arrival to the last invocation's start. */
  readonly simulatedSeconds: number;
}

function env(burst: number): Record<string, string> {
  return scaleUpEnvFixture({
    // Limits above the burst: every job launches, so the figures are per runner, not per deferral.
    env: { MAX_RUNNERS_TOTAL: String(burst), MAX_RUNNERS_PER_OWNER: String(burst), GITHUB_MIN_REMAINING_REQUESTS: "100" },
    pools: { linux: { maxRunners: burst, instanceTypes: ["m7i.large", "m6i.large"], subnetIds: ["subnet-a", "subnet-b"], spot: true, onDemandFallback: true, runnerGroupId: 1 } },
  });
}

/** Counts every command a client sends, as `Service.Operation`. */
export function countCommands<C extends { middlewareStack: DynamoDBClient["middlewareStack"] }>(client: C, service: string, byOperation: Map<string, number>): C {
  client.middlewareStack.add(
    (next, context) => (args) => {
      const key = `${service}.${String(context.commandName).replace(/Command$/, "")}`;
      byOperation.set(key, (byOperation.get(key) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "benchCallCounter" },
  );
  return client;
}

/**
 * Octokit's throttling plugin spaces writes one second apart with setTimeout (Bottleneck): a
 * 1,000-job burst would sleep for minutes. The bench counts calls, not time, so those waits end at once
 * while it runs (the pacing still orders the calls; no fake-timer library runs real I/O like dynalite).
 * Bottleneck asks for the rest of the second since the last write (999 ms and less), hence 100 ms.
 * The handler's clock is the bench's own (below), moved by the handler's waits for write turns.
 */
function timersFireAtOnce(): () => void {
  const real = globalThis.setTimeout;
  // Only waits of 100 ms or more (the pacing, back-offs): shorter timers of the SDK and sockets keep their meaning.
  globalThis.setTimeout = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => real(handler, (ms ?? 0) >= 100 ? 0 : ms, ...args)) as typeof setTimeout;
  return () => {
    globalThis.setTimeout = real;
  };
}

/** Runs each burst through fresh tables and cold environments; returns the figures. */
export async function callsPerRunner(options: CallsPerRunnerOptions = {}): Promise<CallsPerRunnerFigure[]> {
  const bursts = options.bursts ?? [1, 10, 100, 1_000];
  const batchSize = options.batchSize ?? 10;
  quietPowertools();
  const restoreTimers = timersFireAtOnce();
  const realFetch = globalThis.fetch;
  const db = await startDynalite();
  const ec2 = mockClient(EC2Client);
  const sqs = mockClient(SQSClient);
  const ssm = mockClient(SSMClient);
  const figures: CallsPerRunnerFigure[] = [];
  try {
    await db.createTable("sr-jobs");
    await db.createTable("sr-runners");
    const appKey = generateAppPrivateKey();
    for (const burst of bursts) {
      await Promise.all([db.clear("sr-jobs"), db.clear("sr-runners")]);
      for (const stub of [ec2, sqs, ssm]) stub.reset();
      scriptInstantFleet(ec2);
      ec2.on(CreateTagsCommand).resolves({});
      ec2.on(TerminateInstancesCommand).resolves({});
      sqs.on(SendMessageCommand).resolves({ MessageId: "dlq", SequenceNumber: "1" });
      ssm.on(GetParameterCommand, { Name: "/sr/github-app-key" }).resolves({ Parameter: { Name: "/sr/github-app-key", Type: "SecureString", Value: appKey } });
      ssm.on(GetParameterCommand, { Name: "/sr/draining" }).resolves({ Parameter: { Name: "/sr/draining", Type: "String", Value: "false" } });

      const byOperation = new Map<string, number>();
      const gitHubByRoute = new Map<string, number>();
      const environment = env(burst);
      const batches = Math.ceil(burst / batchSize);
      const environments = Math.max(1, Math.min(options.environments ?? 4, batches));
      const startedAt = performance.now();
      const cpuAtStart = process.cpuUsage();
      let invocations = 0;
      // The handler's clock: the burst arrives at once, so each environment starts its first pass at
      // `arrival` (they run side by side in Lambda) and its clock moves on only by its own waits (a JIT
      // POST waiting for a write turn a few seconds away); a record sent back comes again when its
      // visibility ends, as SQS would redeliver it, so every job launches and its waits are counted.
      // The handler, the governor (given the handler's `now`), the messages' age and GitHub's budget
      // answers all read this clock.
      const arrival = Date.now();
      let clock = arrival;
      globalThis.fetch = countingGitHub(gitHubByRoute, () => clock);
      const jobs = Array.from({ length: burst }, (_, i) => jobMessage({ receivedAt: new Date(arrival).toISOString(), labels: ["self-hosted", "linux", "x64"], repository: `octo-org/repo-${i % 20}` }));
      // The visibility each receipt handle was last given (the handler sets it per record, in batches).
      const visibility = new Map<string, number>();
      sqs.on(ChangeMessageVisibilityBatchCommand).callsFake((input: { Entries?: Array<{ ReceiptHandle?: string; VisibilityTimeout?: number }> }) => {
        for (const entry of input.Entries ?? []) if (entry.ReceiptHandle !== undefined && entry.VisibilityTimeout !== undefined) visibility.set(entry.ReceiptHandle, entry.VisibilityTimeout);
        return { Successful: [], Failed: [] };
      });
      type Record = ReturnType<typeof sqsRecord>;
      const waiting: Array<{ record: Record; visibleAt: number }> = [];
      let handler: ReturnType<typeof createHandler> | undefined;
      const deliver = async (records: Record[]): Promise<void> => {
        const response = await (handler as NonNullable<typeof handler>)(sqsEvent(records), lambdaContext("sr-scale-up"));
        invocations += 1;
        for (const failure of response.batchItemFailures) {
          const record = records.find((r) => r.messageId === failure.itemIdentifier) as Record;
          const receives = Number(record.attributes.ApproximateReceiveCount) + 1;
          const again = { ...record, receiptHandle: `${record.messageId}-${receives}`, attributes: { ...record.attributes, ApproximateReceiveCount: String(receives) } };
          waiting.push({ record: again, visibleAt: clock + (visibility.get(record.receiptHandle) ?? 30) * 1000 });
        }
      };
      // Environments run one after another (module caches are per process), each cold at its start.
      for (let e = 0; e < environments; e += 1) {
        clock = arrival;
        clearCaches();
        clearOctokitCache();
        clearObservedBudgets();
        const clients = {
          ec2: new EC2Client({ region: "eu-west-1", credentials: TEST_CREDENTIALS }),
          sqs: new SQSClient({ region: "eu-west-1", credentials: TEST_CREDENTIALS }),
          dynamoDb: countCommands(new DynamoDBClient({ endpoint: db.endpoint, region: "eu-west-1", credentials: TEST_CREDENTIALS, maxAttempts: 1 }), "DynamoDB", byOperation),
        };
        handler = createHandler(() => ({
          ...defaultDeps(environment, clients),
          now: () => new Date(clock),
          sleep: async (ms: number) => {
            clock += ms;
          },
        }));
        for (let b = e; b < batches; b += environments) {
          const records = jobs.slice(b * batchSize, (b + 1) * batchSize).map((job) => sqsRecord(job));
          const started = performance.now();
          await deliver(records);
          if (process.env.BENCH_TRACE) console.log(`invocation ${b}: ${Math.round(performance.now() - started)} ms`);
        }
      }
      // Redeliveries in the order they become visible, by the last environment on its own clock (warm
      // by then: the environments' module caches cannot be swapped back in one process).
      for (let guard = 0; waiting.length > 0 && guard < burst * 5; guard += 1) {
        waiting.sort((a, b) => a.visibleAt - b.visibleAt);
        const due = waiting.splice(0, batchSize);
        clock = Math.max(clock, ...due.map((w) => w.visibleAt));
        const started = performance.now();
        await deliver(due.map((w) => w.record));
        if (process.env.BENCH_TRACE) console.log(`redelivery ${guard} at +${Math.round((clock - arrival) / 1000)} s: ${Math.round(performance.now() - started)} ms, ${waiting.length} waiting`);
      }
      // The doubles replace `send`, so EC2, SQS and Powertools' own SSM client are counted from them.
      for (const [service, stub] of [["EC2", ec2], ["SQS", sqs], ["SSM", ssm]] as const) {
        for (const call of stub.calls()) {
          const key = `${service}.${call.args[0].constructor.name.replace(/Command$/, "")}`;
          byOperation.set(key, (byOperation.get(key) ?? 0) + 1);
        }
      }
      const runners = (await db.items("sr-runners")).length;
      // Limits are above the burst, so a job without a runner is a fault of the bench or the handler, not a figure.
      if (runners !== burst) throw new Error(`burst of ${burst}: ${runners} runners launched after ${invocations} invocations (${waiting.length} messages still waiting)`);
      const cpu = process.cpuUsage(cpuAtStart);
      const aws = [...byOperation.values()].reduce((sum, n) => sum + n, 0);
      const gitHub = [...gitHubByRoute.values()].reduce((sum, n) => sum + n, 0);
      figures.push({
        jobs: burst,
        runners,
        invocations,
        environments,
        aws,
        gitHub,
        awsPerRunner: aws / Math.max(1, runners),
        gitHubPerRunner: gitHub / Math.max(1, runners),
        awsPerDelivery: aws / burst,
        gitHubPerDelivery: gitHub / burst,
        byOperation: Object.fromEntries([...byOperation].sort(([a], [b]) => a.localeCompare(b))),
        gitHubByRoute: Object.fromEntries(gitHubByRoute),
        wallMs: performance.now() - startedAt,
        cpuMs: (cpu.user + cpu.system) / 1000,
        simulatedSeconds: (clock - arrival) / 1000,
      });
    }
  } finally {
    globalThis.fetch = realFetch;
    restoreTimers();
    ec2.restore();
    sqs.restore();
    ssm.restore();
    await db.close();
  }
  return figures;
}

/** One burst's figures, each with issue 14's target; `scopeTarget` keeps the targets of the 100-job burst only. */
export function callsPerRunnerFigures(f: CallsPerRunnerFigure): Figure[] {
  const note = `${f.runners} runners, ${f.invocations} invocations over ${f.environments} environments`;
  return [
    { id: `scale-up.burst-${f.jobs}.aws-per-runner`, label: `scale-up AWS calls per runner, burst of ${f.jobs}`, value: f.awsPerRunner, unit: "calls", target: CALLS_PER_RUNNER_TARGETS.aws, note },
    { id: `scale-up.burst-${f.jobs}.github-per-runner`, label: `scale-up GitHub calls per runner, burst of ${f.jobs}`, value: f.gitHubPerRunner, unit: "calls", target: CALLS_PER_RUNNER_TARGETS.gitHub, note },
    { id: `scale-up.burst-${f.jobs}.aws-per-delivery`, label: `scale-up AWS calls per queued delivery, burst of ${f.jobs}`, value: f.awsPerDelivery, unit: "calls" },
  ];
}

/** The figures for `npm run bench`: per burst, AWS and GitHub calls per launched runner and AWS calls per delivery. */
export const callsPerRunnerGroup: BenchGroup = {
  name: "scale-up calls per runner",
  async run() {
    return (await callsPerRunner()).flatMap(callsPerRunnerFigures);
  },
};

/** The figures as lines; a figure is marked against its target only where `npm run bench` marks it (scopeTarget). */
export function formatCallsPerRunner(figures: readonly CallsPerRunnerFigure[]): string[] {
  const mark = (figure: Figure | undefined): string => {
    if (figure === undefined) return "?";
    const target = scopeTarget(figure).target;
    return target === undefined ? figure.value.toFixed(2) : `${figure.value.toFixed(2)} ${figure.value <= target ? "≤" : ">"} ${target}`;
  };
  return figures.flatMap((f) => {
    const [aws, gitHub] = callsPerRunnerFigures(f);
    return [
      `scale-up burst of ${String(f.jobs).padStart(5)} (${f.runners} runners, ${f.invocations} invocations, ${f.environments} environments): ` +
        `AWS/runner ${mark(aws)}, GitHub/runner ${mark(gitHub)}, per queued delivery AWS ${f.awsPerDelivery.toFixed(2)}, GitHub ${f.gitHubPerDelivery.toFixed(2)}; ` +
        `${(f.wallMs / 1000).toFixed(1)} s wall, ${(f.cpuMs / 1000).toFixed(1)} s CPU, ${Math.round(f.simulatedSeconds)} s simulated`,
      `    ${Object.entries(f.byOperation).map(([op, n]) => `${op} ${n}`).join(", ")}; ${Object.entries(f.gitHubByRoute).map(([route, n]) => `${route} ${n}`).join(", ")}`,
    ];
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const bursts = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const figures = await callsPerRunner(bursts.length > 0 ? { bursts } : {});
  for (const line of formatCallsPerRunner(figures)) console.log(line);
}
