// AWS and GitHub calls of one reconcile round at 1,000 and 10,000 instances (issue 14, item 5).
// A steady fleet: every instance running for 10 minutes, registered with GitHub and busy, with its
// runner item and its running job in the tables, so the round only reads and decides (no action).
// The shipped handler runs through its factory: DynamoDB on dynalite (the scans page by 1 MB as
// DynamoDB does), EC2 and SSM as aws-sdk-client-mock doubles that page as the APIs document
// (DescribeInstances MaxResults, DescribeInstanceStatus 100 ids), GitHub as a fetch double listing
// runners 100 a page. Two rounds per size: the first cold (key read, token mint), the second warm;
// the figures are the warm round's, the steady cost every 5 minutes.
// Run: npx tsx bench/reconcile-calls.ts [instances...], or from bench/run.ts.
import { pathToFileURL } from "node:url";
import { clearCaches } from "@aws-lambda-powertools/parameters";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeInstanceStatusCommand, DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { Instance } from "@aws-sdk/client-ec2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { RECONCILE_ENV } from "../contracts/index.js";
import { gitHubRunnerDirectory } from "../lambdas/reconcile/adapters/github.js";
import { reconcileConfigFromEnv } from "../lambdas/reconcile/config.js";
import { createHandler, defaultDeps } from "../lambdas/reconcile/reconcile.lambda.js";
import { RUNNER_TAGS, clearOctokitCache, installationClientProvider } from "../lambdas/shared/index.js";
import { lambdaContext } from "../test/helpers/aws.js";
import { sampleEnv } from "../test/helpers/contracts.js";
import { TEST_CREDENTIALS, startDynalite } from "../test/helpers/dynalite.js";
import { generateAppPrivateKey, installationToken } from "../test/helpers/openapi.js";
import { quietPowertools } from "../test/helpers/powertools.js";
import { countCommands } from "./calls-per-runner.js";
import type { BenchGroup, Figure } from "./figures.js";

const PROFILE = "arn:aws:iam::123456789012:instance-profile/sr-runner";
const INSTALLATION = 52103487;
const ARN_PREFIX = "arn:aws:ec2:eu-west-1:123456789012:instance/";
/** GitHub lists at most 100 runners a page; DescribeInstanceStatus takes at most 100 ids a call. */
const PER_PAGE = 100;

/**
 * Targets per warm round, from the APIs' page limits: GitHub, one runners page per 100 runners (the
 * floor: GitHub's largest page) and nothing else; AWS, at most one call per 50 instances (the floor
 * is DescribeInstanceStatus, one call per 100 ids, plus DescribeInstances by 1,000 and the two tables'
 * 1 MB scan pages: together about one per 70 at these sizes).
 */
export const RECONCILE_TARGETS = { gitHub: (instances: number) => Math.ceil(instances / PER_PAGE), aws: (instances: number) => Math.ceil(instances / 50) };

export interface ReconcileCallsFigure {
  readonly instances: number;
  readonly aws: number;
  readonly gitHub: number;
  readonly coldAws: number;
  readonly coldGitHub: number;
  readonly byOperation: Record<string, number>;
}

const instanceId = (i: number): string => `i-${(0x1000000000000 + i).toString(16).padStart(17, "0")}`;

function instance(i: number, launchTime: Date): Instance {
  return {
    InstanceId: instanceId(i),
    IamInstanceProfile: { Arn: PROFILE, Id: "AIPAEXAMPLE" },
    State: { Name: "running" },
    LaunchTime: launchTime,
    Tags: [
      { Key: RUNNER_TAGS.prefix, Value: "sr" },
      { Key: RUNNER_TAGS.pool, Value: "linux" },
      { Key: RUNNER_TAGS.owner, Value: "octo-org" },
      { Key: RUNNER_TAGS.installationId, Value: String(INSTALLATION) },
      { Key: RUNNER_TAGS.jobId, Value: String(100_000 + i) },
      { Key: "Name", Value: `sr-${instanceId(i)}` },
    ],
  };
}

/** GitHub on fetch: installation tokens and the org's runners, 100 a page, all busy; counted. */
function gitHubDouble(instances: number, calls: Map<string, number>): typeof globalThis.fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname.replace(/\/installations\/\d+\//, "/installations/{id}/")}`;
    calls.set(route, (calls.get(route) ?? 0) + 1);
    const headers = { "content-type": "application/json", "x-ratelimit-limit": "15000", "x-ratelimit-remaining": "14000", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600) };
    if (url.pathname.endsWith("/access_tokens")) return new Response(JSON.stringify(installationToken()), { status: 201, headers });
    const page = Number(url.searchParams.get("page") ?? "1");
    const runners = Array.from({ length: Math.max(0, Math.min(PER_PAGE, instances - (page - 1) * PER_PAGE)) }, (_, k) => {
      const i = (page - 1) * PER_PAGE + k;
      return { id: i + 1, name: `sr-${instanceId(i)}`, os: "linux", status: "online", busy: true, labels: [{ id: 1, name: "self-hosted", type: "read-only" }] };
    });
    return new Response(JSON.stringify({ total_count: instances, runners }), { status: 200, headers });
  };
}

/** Runs two rounds per fleet size over seeded tables; resolves to the warm round's calls. */
export async function reconcileCalls(sizes: readonly number[] = [1_000, 10_000]): Promise<ReconcileCallsFigure[]> {
  quietPowertools();
  const db = await startDynalite();
  const ec2 = mockClient(EC2Client);
  const ssm = mockClient(SSMClient);
  const figures: ReconcileCallsFigure[] = [];
  try {
    await db.createTable("sr-jobs");
    await db.createTable("sr-runners");
    const appKey = generateAppPrivateKey();
    for (const size of sizes) {
      await Promise.all([db.clear("sr-jobs"), db.clear("sr-runners")]);
      const launched = new Date(Date.now() - 10 * 60_000);
      const fleet = Array.from({ length: size }, (_, i) => instance(i, launched));
      // Seeding is not measured: 25 items a BatchWriteItem, both tables.
      for (let start = 0; start < size; start += 25) {
        const ids = Array.from({ length: Math.min(25, size - start) }, (_, k) => start + k);
        const runners = ids.map((i) => ({ PutRequest: { Item: { pk: `${ARN_PREFIX}${instanceId(i)}`, instanceId: instanceId(i), pool: "linux", owner: "octo-org", installationId: INSTALLATION, runnerName: `sr-${instanceId(i)}`, runnerId: i + 1, createdAt: launched.toISOString(), expiresAt: Math.floor(launched.getTime() / 1000) + 86_400 } } }));
        const jobs = ids.map((i) => ({ PutRequest: { Item: { pk: `job#${100_000 + i}#1`, phase: "running", kind: "job", jobId: 100_000 + i, runAttempt: 1, repository: "octo-org/app", org: "octo-org", scopeOwner: "octo-org", pool: "linux", installationId: INSTALLATION, instanceId: instanceId(i), runnerName: `sr-${instanceId(i)}`, ranOn: `sr-${instanceId(i)}`, slotHeld: true, launchedAt: launched.toISOString() } } }));
        await db.documentClient.send(new BatchWriteCommand({ RequestItems: { "sr-runners": runners, "sr-jobs": jobs } }));
      }
      ec2.reset();
      ssm.reset();
      ec2.on(DescribeInstancesCommand).callsFake((input: { MaxResults?: number; NextToken?: string }) => {
        const start = Number(input.NextToken ?? "0");
        const end = Math.min(fleet.length, start + (input.MaxResults ?? 1000));
        return { Reservations: [{ Instances: fleet.slice(start, end) }], ...(end < fleet.length ? { NextToken: String(end) } : {}) };
      });
      ec2.on(DescribeInstanceStatusCommand).callsFake((input: { InstanceIds?: string[] }) => ({
        InstanceStatuses: (input.InstanceIds ?? []).map((id) => ({ InstanceId: id, InstanceStatus: { Status: "ok" }, SystemStatus: { Status: "ok" } })),
      }));
      ssm.on(GetParameterCommand, { Name: "/sr/github-app-key" }).resolves({ Parameter: { Name: "/sr/github-app-key", Type: "SecureString", Value: appKey } });
      ssm.on(GetParameterCommand, { Name: "/sr/draining" }).resolves({ Parameter: { Name: "/sr/draining", Type: "String", Value: "false" } });

      const env = sampleEnv(RECONCILE_ENV, {
        RUNNER_INSTANCE_PROFILE_ARNS: JSON.stringify([PROFILE]),
        HEALER_MAX_GITHUB_CALLS: "0",
        POOLS: JSON.stringify({ linux: { queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo", labels: ["linux"], warmSize: 0, warmOwner: "", warmSchedule: "" } }),
      });
      const config = reconcileConfigFromEnv(env);
      const byOperation = new Map<string, number>();
      const gitHubCalls = new Map<string, number>();
      clearCaches();
      clearOctokitCache();
      const clients = {
        ec2: new EC2Client({ region: "eu-west-1", credentials: TEST_CREDENTIALS }),
        sqs: new SQSClient({ region: "eu-west-1", credentials: TEST_CREDENTIALS }),
        dynamoDb: countCommands(new DynamoDBClient({ endpoint: db.endpoint, region: "eu-west-1", credentials: TEST_CREDENTIALS, maxAttempts: 1 }), "DynamoDB", byOperation),
      };
      const handler = createHandler(() => ({ ...defaultDeps(env, clients), directory: gitHubRunnerDirectory(config.scope, installationClientProvider(config.app, gitHubDouble(size, gitHubCalls))) }));
      const round = async (): Promise<{ aws: number; gitHub: number; operations: Record<string, number> }> => {
        byOperation.clear();
        gitHubCalls.clear();
        ec2.resetHistory();
        ssm.resetHistory();
        const summary = await handler({} as never, lambdaContext("sr-reconcile"));
        if (summary.instances !== size || summary.terminated !== 0 || summary.errors !== 0) throw new Error(`reconcile round was not steady: ${JSON.stringify(summary)}`);
        for (const [service, stub] of [["EC2", ec2], ["SSM", ssm]] as const) {
          for (const call of stub.calls()) {
            const key = `${service}.${call.args[0].constructor.name.replace(/Command$/, "")}`;
            byOperation.set(key, (byOperation.get(key) ?? 0) + 1);
          }
        }
        const sum = (m: Map<string, number>) => [...m.values()].reduce((total, n) => total + n, 0);
        return { aws: sum(byOperation), gitHub: sum(gitHubCalls), operations: Object.fromEntries([...byOperation, ...[...gitHubCalls].map(([route, n]) => [`GitHub ${route}`, n] as const)].sort(([a], [b]) => a.localeCompare(b))) };
      };
      const cold = await round();
      const warm = await round();
      figures.push({ instances: size, aws: warm.aws, gitHub: warm.gitHub, coldAws: cold.aws, coldGitHub: cold.gitHub, byOperation: warm.operations });
    }
  } finally {
    ec2.restore();
    ssm.restore();
    await db.close();
  }
  return figures;
}

/** AWS and GitHub calls per warm reconcile round at 1,000 and 10,000 instances, beside their targets. */
export const reconcileCallsGroup: BenchGroup = {
  name: "reconcile calls per round",
  async run() {
    return (await reconcileCalls()).flatMap((f): Figure[] => {
      const note = `cold round ${f.coldAws} AWS, ${f.coldGitHub} GitHub; ${Object.entries(f.byOperation).map(([op, n]) => `${op} ${n}`).join(", ")}`;
      return [
        { id: `reconcile.instances-${f.instances}.aws-calls`, label: `reconcile AWS calls per round, ${f.instances.toLocaleString("en-US")} instances`, value: f.aws, unit: "calls", target: RECONCILE_TARGETS.aws(f.instances), note },
        { id: `reconcile.instances-${f.instances}.github-calls`, label: `reconcile GitHub calls per round, ${f.instances.toLocaleString("en-US")} instances`, value: f.gitHub, unit: "calls", target: RECONCILE_TARGETS.gitHub(f.instances) },
      ];
    });
  },
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  for (const f of await reconcileCalls(sizes.length > 0 ? sizes : undefined)) {
    console.log(`reconcile, ${f.instances} instances: AWS ${f.aws} (target ≤ ${RECONCILE_TARGETS.aws(f.instances)}), GitHub ${f.gitHub} (target ≤ ${RECONCILE_TARGETS.gitHub(f.instances)}); cold round AWS ${f.coldAws}, GitHub ${f.coldGitHub}`);
    console.log(`    ${Object.entries(f.byOperation).map(([op, n]) => `${op} ${n}`).join(", ")}`);
  }
}
