import { clearCaches } from "@aws-lambda-powertools/parameters";
import { DescribeInstanceStatusCommand, DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import type { Instance } from "@aws-sdk/client-ec2";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

// The handler's DynamoDB client talks to dynalite (ledger and runners table: the reconciler's
// guarantees are condition expressions, which only a server evaluates); EC2, SQS and SSM are
// aws-sdk-client-mock doubles; GitHub is nock with answers checked against GitHub's OpenAPI description.
// The handler comes from its factory, with this test's environment and clients.

import { dynamoDbLimitCounters } from "../../../lambdas/libs/ledger/dynamodb-counters.js";
import { dynamoDbLedger } from "../../../lambdas/libs/ledger/dynamodb-store.js";
import { jobKey, limitKeys } from "../../../lambdas/libs/ledger/phases.js";
import { createHandler, defaultDeps } from "../../../lambdas/reconcile/reconcile.lambda.js";
import { clearOctokitCache } from "../../../lambdas/shared/index.js";
import type { JobMessage } from "../../../lambdas/shared/index.js";
import { lambdaContext, scheduledEvent } from "../../helpers/aws.js";
import { restoreDoubles } from "../../helpers/restore-doubles.js";
import type { FakeRunner, RecordedRequest } from "../../helpers/github.js";
import {
  appInstallation,
  assertMatchesOpenApi,
  generateAppPrivateKey,
  gitHubFake,
  installationToken,
  runnersPage,
  validationFailed,
} from "../../helpers/github.js";
import { counterValue, jobFacts, putRunnerItem, seedLaunchedJob } from "../../helpers/ledger.js";
import { startDynalite } from "../../helpers/dynalite.js";
import { metricPoints, quietPowertools, takeEmittedMetrics } from "../../helpers/powertools.js";
import { METRICS } from "../../../contracts/metrics.js";
import { RECONCILE_ENV } from "../../../contracts/index.js";
import { sampleEnv } from "../../helpers/contracts.js";

const RUNNER_PROFILE = "arn:aws:iam::123456789012:instance-profile/sr-runner";
/** The profile of a pool with `extra_iam_policy_arns` (stacks/runner-pool-roles.ts). */
const POOL_PROFILE = "arn:aws:iam::123456789012:instance-profile/sr-runner-pool-gpu";
const queue = (pool: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/sr-${pool}.fifo`;
const warm = { warmOwner: "octo-org", warmSchedule: "Mon-Fri 07:00-19:00" };
const db = await startDynalite();
/** The function's environment as the stack renders it, handed to the factory (never to process.env). */
const ENV = sampleEnv(RECONCILE_ENV, {
  RUNNER_INSTANCE_PROFILE_ARNS: JSON.stringify([RUNNER_PROFILE, POOL_PROFILE]),
  // The webhook healer has its own tests (heal.test.ts); these rounds make only the reconciler's calls.
  HEALER_MAX_GITHUB_CALLS: "0",
  // As the module renders pools: warm fields always present, zero/empty when unused.
  POOLS: JSON.stringify({
    arm: { queueUrl: queue("arm"), labels: ["arm"], warmSize: 1, ...warm },
    gpu: { queueUrl: queue("gpu"), labels: ["gpu"], warmSize: 2, ...warm },
    linux: { queueUrl: queue("linux"), labels: ["linux"], warmSize: 0, warmOwner: "", warmSchedule: "" },
  }),
});
quietPowertools();
const handler = createHandler(() => defaultDeps(ENV, { ec2: new EC2Client({ region: "eu-west-1" }), sqs: new SQSClient({ region: "eu-west-1" }), dynamoDb: db.client }));

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const sqs = mockClient(SQSClient);
const ledger = dynamoDbLedger(db.documentClient, "sr-jobs");
const counters = dynamoDbLimitCounters(db.documentClient, "sr-jobs");
const APP_KEY = generateAppPrivateKey();
const INSTALLATION = 52103487;
const RUNNERS = "/orgs/octo-org/actions/runners";
const JOBS = "/repos/octo-org/octo-repo/actions/jobs";
const INSTANCE_ARN = "arn:aws:ec2:eu-west-1:123456789012:instance/";
const queueUrl = (pool: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/sr-${pool}.fifo`;
const LINUX = limitKeys("linux", "octo-org");

// 2024-06-15 is a Saturday: the warm pools' window is closed. Each test starts a week later than the
// one before, because Octokit's throttling (shared by every client in the process) schedules by the
// clock and a clock going backwards would stall it.
const FIRST_SATURDAY_NOON = Date.parse("2024-06-15T12:00:00Z");
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
let weeks = 0;

/** Tuesday noon of the test's week: the warm pools' window is open. */
function setTuesdayNoon(): void {
  vi.setSystemTime(FIRST_SATURDAY_NOON + weeks * WEEK_MS + 3 * 24 * 60 * 60 * 1000);
}

let draining = "false";

const event = scheduledEvent("sr-reconcile");

function minutesAgo(minutes: number): Date {
  return new Date(Date.now() - minutes * 60_000);
}

function instance(instanceId: string, ageMinutes: number, options: { state?: string; pool?: string; profileArn?: string } = {}): Instance {
  return {
    InstanceId: instanceId,
    IamInstanceProfile: { Arn: options.profileArn ?? RUNNER_PROFILE, Id: "AIPAEXAMPLE" },
    State: { Name: (options.state ?? "running") as never },
    LaunchTime: minutesAgo(ageMinutes),
    Tags: [
      { Key: "self-runners:prefix", Value: "sr" },
      { Key: "self-runners:pool", Value: options.pool ?? "linux" },
      { Key: "self-runners:owner", Value: "octo-org" },
      { Key: "self-runners:installation-id", Value: String(INSTALLATION) },
      { Key: "Name", Value: `sr-${instanceId}` },
    ],
  };
}

function ours(instanceId: string, id: number, overrides: Partial<FakeRunner> = {}): FakeRunner {
  return { id, name: `sr-${instanceId}`, status: "online", busy: false, ...overrides };
}

/** Runners of another kit: fill a page without being ours. */
function strangers(count: number): FakeRunner[] {
  return Array.from({ length: count }, (_, index) => ({ id: 10_000 + index, name: `build-box-${index}`, status: "online" as const }));
}

/** DescribeInstances answers these pages, in order, once each. */
function instancesOnce(...pages: Instance[][]): void {
  let stub = ec2.on(DescribeInstancesCommand);
  pages.forEach((page, index) => {
    stub = stub.resolvesOnce({
      Reservations: [{ Instances: page }],
      ...(index < pages.length - 1 ? { NextToken: `token-${index + 1}` } : {}),
    });
  });
}

/** DescribeInstances answers this one page on every run. */
function instancesAlways(...list: Instance[]): void {
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: list }] });
}

/** GitHub answering one installation token and `pages` of runners for octo-org, once. */
function gitHubWithRunners(...pages: FakeRunner[][]) {
  const github = gitHubFake();
  const total = pages.reduce((sum, page) => sum + page.length, 0);
  github.scope.post(`/app/installations/${INSTALLATION}/access_tokens`).reply(201, installationToken());
  pages.forEach((page, index) => {
    github.scope
      .get(RUNNERS)
      .query({ per_page: "100", page: String(index + 1) })
      .reply(200, runnersPage(page, total));
  });
  return github;
}

/** GET /repos/{owner}/{repo}/actions/jobs/{job_id}, as GitHub answers it. */
function workflowJob(jobId: number, status: "queued" | "in_progress" | "completed", options: { conclusion?: string; runnerName?: string } = {}): Record<string, unknown> {
  const assigned = status !== "queued";
  const body = {
    id: jobId,
    run_id: 9000 + jobId,
    run_url: `https://api.github.com/repos/octo-org/octo-repo/actions/runs/${9000 + jobId}`,
    run_attempt: 1,
    node_id: "CR_kwDOABCD1234",
    head_sha: "009b8a3a9ccbb128af87f9b1c0f4c62e8a304f6d",
    url: `https://api.github.com${JOBS}/${jobId}`,
    html_url: `https://github.com/octo-org/octo-repo/actions/runs/${9000 + jobId}/job/${jobId}`,
    status,
    conclusion: status === "completed" ? (options.conclusion ?? "success") : null,
    created_at: "2024-06-11T11:00:00Z",
    started_at: "2024-06-11T11:00:00Z",
    completed_at: status === "completed" ? "2024-06-11T11:30:00Z" : null,
    name: "build",
    steps: [],
    check_run_url: `https://api.github.com/repos/octo-org/octo-repo/check-runs/${jobId}`,
    labels: ["self-hosted", "linux"],
    runner_id: assigned ? 77 : null,
    runner_name: assigned ? (options.runnerName ?? "sr-i-0bbbbbbbbbbbbbbb9") : null,
    runner_group_id: assigned ? 1 : null,
    runner_group_name: assigned ? "Default" : null,
    workflow_name: "CI",
    head_branch: "main",
  };
  assertMatchesOpenApi("GET", `${JOBS}/{job_id}`, 200, body);
  return body;
}

/** GitHub answering one installation token and then `answers` in order. */
function gitHubForJobs(answers: Array<(scope: ReturnType<typeof gitHubFake>["scope"]) => void>) {
  const github = gitHubFake();
  github.scope.post(`/app/installations/${INSTALLATION}/access_tokens`).reply(201, installationToken());
  for (const answer of answers) answer(github.scope);
  return github;
}

const calls = (requests: readonly RecordedRequest[]) => requests.map((request) => `${request.method} ${request.path}`);

function terminated(): string[] {
  return ec2.commandCalls(TerminateInstancesCommand).flatMap((call) => call.args[0].input.InstanceIds ?? []);
}

function sent(): Array<{ queueUrl: string; groupId: string; deduplicationId: string; message: JobMessage }> {
  return sqs.commandCalls(SendMessageCommand).map((call) => {
    const input = call.args[0].input;
    return {
      queueUrl: String(input.QueueUrl),
      groupId: String(input.MessageGroupId),
      deduplicationId: String(input.MessageDeduplicationId),
      message: JSON.parse(String(input.MessageBody)) as JobMessage,
    };
  });
}

async function idleSightings(): Promise<string[]> {
  return (await db.items("sr-jobs")).filter((item) => String(item.pk).startsWith("idle#")).map((item) => String(item.pk).slice(5));
}

async function linuxCounters(): Promise<number[]> {
  return Promise.all([LINUX.global, LINUX.pool, LINUX.owner].map((key) => counterValue(db.documentClient, "sr-jobs", key)));
}

function reconcile() {
  return handler(event, lambdaContext("sr-reconcile"));
}

function advanceSeconds(seconds: number): void {
  vi.setSystemTime(new Date(Date.now() + seconds * 1000));
}

const I = ["i-0aaaaaaaaaaaaaaa0", "i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "i-0aaaaaaaaaaaaaaa3"] as const;

beforeAll(async () => {
  // GitHub only through nock; loopback stays open for dynalite.
  nock.disableNetConnect();
  nock.enableNetConnect((host: string) => host.startsWith("127.0.0.1:"));
  await Promise.all([db.createTable("sr-jobs"), db.createTable("sr-runners")]);
});

beforeEach(async () => {
  // Only the clock is fake: timers, sockets and dynalite run for real.
  vi.useFakeTimers({ toFake: ["Date"] });
  weeks += 1;
  vi.setSystemTime(FIRST_SATURDAY_NOON + weeks * WEEK_MS);
  clearCaches();
  clearOctokitCache();
  ec2.reset();
  ssm.reset();
  sqs.reset();
  await Promise.all([db.clear("sr-jobs"), db.clear("sr-runners")]);
  draining = "false";
  ssm.on(GetParameterCommand, { Name: "/sr/github-app-key" }).resolves({ Parameter: { Name: "/sr/github-app-key", Type: "SecureString", Value: APP_KEY } });
  ssm.on(GetParameterCommand, { Name: "/sr/draining" }).callsFake(() => ({ Parameter: { Name: "/sr/draining", Type: "String", Value: draining } }));
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  ec2.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });
  ec2.on(TerminateInstancesCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: "m-1", SequenceNumber: "1" });
});

afterEach(() => {
  nock.cleanAll();
  vi.useRealTimers();
});

afterAll(() => restoreDoubles(db, ec2, ssm, sqs));

describe("reconcile handler: runners", () => {
  it("reads the status checks of the kit's running instances by id, 100 per DescribeInstanceStatus call (health.ts)", async () => {
    // Arrange: 151 young instances, registered and idle; EC2 reports the last one's host impaired, and
    // its runner has gone offline.
    const young = Array.from({ length: 151 }, (_, index) => `i-0d${index.toString(16).padStart(15, "0")}`);
    const impaired = young.at(-1)!;
    instancesAlways(...young.map((id) => instance(id, 5)));
    const registrations = young.map((id, index) => ours(id, 100 + index, id === impaired ? { status: "offline" } : {}));
    const github = gitHubWithRunners(registrations.slice(0, 100), registrations.slice(100));
    ec2.on(DescribeInstanceStatusCommand).callsFake((input: { InstanceIds: string[] }) => ({
      InstanceStatuses: input.InstanceIds.map((id) => ({ InstanceId: id, InstanceStatus: { Status: "ok" }, SystemStatus: { Status: id === impaired ? "impaired" : "ok" } })),
    }));
    github.scope.delete(`${RUNNERS}/250`).reply(204);
    takeEmittedMetrics();

    // Act
    const summary = await reconcile();

    // Assert
    const asked = ec2.commandCalls(DescribeInstanceStatusCommand).map((call) => call.args[0].input.InstanceIds ?? []);
    expect(asked.map((ids) => ids.length)).toEqual([100, 51]);
    expect(asked.flat()).toEqual(young);
    expect(terminated()).toEqual([impaired]);
    expect(summary).toMatchObject({ impairedTerminated: 1, errors: 0 });
    expect(metricPoints(METRICS.impairedRunnersTerminated.name).map((point) => point.value)).toEqual([1]);
  });

  it("reads every page of instances and runners with one call per page, before deciding", async () => {
    // Arrange: 151 instances over two DescribeInstances pages, 201 runners over three list pages;
    // the busy registration of the second-page instance is on the last page of runners.
    const young = Array.from({ length: 149 }, (_, index) => `i-0c${index.toString(16).padStart(15, "0")}`);
    instancesOnce(
      [instance(I[0], 5), ...young.slice(0, 99).map((id) => instance(id, 5))],
      [...young.slice(99).map((id) => instance(id, 5)), instance(I[1], 300)],
    );
    const registrations = young.map((id, index) => ours(id, 100 + index));
    const github = gitHubWithRunners(
      [ours(I[0], 1, { status: "offline" }), ...registrations.slice(0, 99)],
      [...registrations.slice(99), ...strangers(50)],
      [ours(I[1], 2, { busy: true })],
    );

    // Act
    const summary = await reconcile();

    // Assert
    // The SDK paginator reuses one input object, so only the call count tells the pages apart.
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(2);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters).toEqual([
      { Name: "tag:self-runners:prefix", Values: ["sr"] },
      { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] },
    ]);
    // Pages only: no GitHub call per runner, whatever the number of runners.
    expect(calls(github.requests)).toEqual([
      `POST /app/installations/${INSTALLATION}/access_tokens`,
      `GET ${RUNNERS}?per_page=100&page=1`,
      `GET ${RUNNERS}?per_page=100&page=2`,
      `GET ${RUNNERS}?per_page=100&page=3`,
    ]);
    expect(summary).toMatchObject({ instances: 151, busyKept: 1, terminated: 0, registrationsDeleted: 0, errors: 0 });
    expect(terminated()).toEqual([]);
  });

  it("keeps an idle runner at its first sighting, then stops it on a run after the confirmation window", async () => {
    // Arrange
    instancesAlways(instance(I[0], 45));
    const first = gitHubWithRunners([ours(I[0], 7)]);

    // Act: first sighting.
    const firstSummary = await reconcile();

    // Assert
    expect(calls(first.requests).filter((call) => call.startsWith("DELETE"))).toEqual([]);
    expect(terminated()).toEqual([]);
    expect(firstSummary).toMatchObject({ confirming: 1, terminated: 0, errors: 0 });
    expect(await idleSightings()).toEqual([I[0]]);

    // Arrange: still idle 91 seconds later (window: 90).
    advanceSeconds(91);
    clearOctokitCache();
    const second = gitHubWithRunners([ours(I[0], 7)]);
    second.scope.delete(`${RUNNERS}/7`).reply(204);

    // Act
    const secondSummary = await reconcile();

    // Assert: deregistered first, then terminated.
    expect(calls(second.requests).slice(-1)).toEqual([`DELETE ${RUNNERS}/7`]);
    expect(terminated()).toEqual([I[0]]);
    expect(secondSummary).toMatchObject({ confirming: 0, terminated: 1, registrationsDeleted: 1, errors: 0 });
  });

  it("keeps an idle runner seen again within the window", async () => {
    // Arrange: seen idle 60 seconds ago.
    instancesAlways(instance(I[0], 45));
    await ledger.markIdleSeen(I[0], new Date(Date.now() - 60_000));
    const github = gitHubWithRunners([ours(I[0], 7)]);

    // Act
    const summary = await reconcile();

    // Assert
    expect(calls(github.requests).filter((call) => call.startsWith("DELETE"))).toEqual([]);
    expect(terminated()).toEqual([]);
    expect(summary).toMatchObject({ confirming: 1 });
  });

  it("never touches a busy runner, however old and however long ago it looked idle, and forgets the sighting", async () => {
    // Arrange
    instancesAlways(instance(I[0], 24 * 60));
    await ledger.markIdleSeen(I[0], minutesAgo(60));
    const github = gitHubWithRunners([ours(I[0], 7, { busy: true })]);

    // Act
    const summary = await reconcile();

    // Assert
    expect(github.requests.filter((request) => request.method === "DELETE")).toEqual([]);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    expect(summary).toMatchObject({ busyKept: 1, terminated: 0 });
    expect(await idleSightings()).toEqual([]);
  });

  it("keeps a runner GitHub still lists idle while the ledger has its job running (the busy flag lags)", async () => {
    // Arrange: the in_progress webhook arrived; GitHub's list has not caught up; an old idle sighting.
    instancesAlways(instance(I[0], 45));
    await ledger.markIdleSeen(I[0], minutesAgo(10));
    await ledger.start(jobFacts(501), `sr-${I[0]}`, minutesAgo(1));
    const github = gitHubWithRunners([ours(I[0], 7)]);

    // Act
    const summary = await reconcile();

    // Assert
    expect(github.requests.filter((request) => request.method === "DELETE")).toEqual([]);
    expect(terminated()).toEqual([]);
    expect(summary).toMatchObject({ busyKept: 1, errors: 0 });
    expect(await idleSightings()).toEqual([]);
  });

  it("fails when GitHub refuses the delete with 422 (runner picked a job): the instance is not terminated", async () => {
    // Arrange: confirmed idle (seen past the window), yet it takes a job before the delete.
    instancesAlways(instance(I[0], 45));
    await ledger.markIdleSeen(I[0], minutesAgo(5));
    const github = gitHubWithRunners([ours(I[0], 7)]);
    github.scope.delete(`${RUNNERS}/7`).reply(422, validationFailed('Bad request - Runner "sr-i" is still running a job"', `${RUNNERS}/7`));

    // Act
    const summary = await reconcile();

    // Assert
    expect(github.scope.isDone()).toBe(true);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    expect(summary).toMatchObject({ terminated: 0, busyOnDelete: 1 });
  });

  it("terminates orphans, deletes registrations without instances and stale records", async () => {
    // Arrange: I0 has no registration past the boot timeout; I1 is booting; I2's record is stale;
    // I3's registration has no instance.
    instancesAlways(instance(I[0], 15), instance(I[1], 3));
    const item = { instanceArnPrefix: INSTANCE_ARN, owner: "octo-org", installationId: INSTALLATION, prefix: "sr" };
    await putRunnerItem(db.documentClient, "sr-runners", { ...item, instanceId: I[2], runnerId: 3, createdAt: minutesAgo(60) });
    await putRunnerItem(db.documentClient, "sr-runners", { ...item, instanceId: I[1], runnerId: 4, createdAt: minutesAgo(1) });
    const github = gitHubWithRunners([ours(I[3], 9, { status: "offline" })]);
    github.scope.delete(`${RUNNERS}/9`).reply(204);

    // Act
    const summary = await reconcile();

    // Assert
    expect(terminated()).toEqual([I[0]]);
    expect(github.scope.isDone()).toBe(true);
    expect((await db.items("sr-runners")).map((row) => row.instanceId)).toEqual([I[1]]);
    expect(summary).toMatchObject({ terminated: 1, registrationsDeleted: 1, recordsDeleted: 1, errors: 0 });
  });

  it("never terminates an instance with copied tags but another instance profile (issue 18, finding 3)", async () => {
    // Arrange: I0 carries every runner tag, has no registration and is past the boot timeout, but runs
    // with someone else's profile; I1 is a real orphan.
    instancesAlways(instance(I[0], 60, { profileArn: "arn:aws:iam::123456789012:instance-profile/database" }), instance(I[1], 60));
    gitHubWithRunners([]);

    // Act
    const summary = await reconcile();

    // Assert
    expect(terminated()).toEqual([I[1]]);
    expect(summary).toMatchObject({ instances: 1, terminated: 1 });
  });

  it("treats an instance with a pool's own profile as a runner: an orphan with it is terminated", async () => {
    // Arrange: I0 runs with the gpu pool's profile, I1 with the shared one; neither registered, both past the boot timeout.
    instancesAlways(instance(I[0], 60, { profileArn: POOL_PROFILE }), instance(I[1], 60));
    gitHubWithRunners([]);

    // Act
    const summary = await reconcile();

    // Assert
    expect(terminated()).toEqual([I[0], I[1]]);
    expect(summary).toMatchObject({ instances: 2, terminated: 2 });
  });

  it("fails when the runners of an owner cannot be listed: its instances are left alone", async () => {
    // Arrange
    instancesAlways(instance(I[0], 120));
    const github = gitHubFake();
    github.scope.post(`/app/installations/${INSTALLATION}/access_tokens`).reply(201, installationToken());
    github.scope.get(RUNNERS).query(true).reply(403, { message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest" });

    // Act
    const summary = await reconcile();

    // Assert
    expect(github.requests.filter((request) => request.method === "DELETE")).toEqual([]);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    expect(await idleSightings()).toEqual([]);
    expect(summary).toMatchObject({ ownersUnavailable: 1, errors: 1, terminated: 0 });
  });
});

describe("reconcile handler: jobs", () => {
  /** A job launched `minutes` ago for an instance EC2 no longer lists. */
  async function launchedForGoneInstance(jobId: number, minutes: number): Promise<string> {
    return seedLaunchedJob(ledger, counters, { facts: jobFacts(jobId), instanceId: I[2], prefix: "sr", scopeOwner: "octo-org", at: minutesAgo(minutes) });
  }

  it("releases the slot of a job whose instance is gone and repairs a drifted counter", async () => {
    // Arrange: launched 200 s ago (past the listing lag, within the relaunch grace); a gpu counter
    // holds 3 units nothing accounts for.
    const key = await launchedForGoneInstance(501, 200 / 60);
    await db.documentClient.send(new PutCommand({ TableName: "sr-jobs", Item: { pk: "limit#pool#gpu", inUse: 3 } }));

    // Act
    const summary = await reconcile();

    // Assert
    expect(summary).toMatchObject({ slotsReleased: 1, countersRepaired: 1, relaunched: 0, errors: 0 });
    expect(await ledger.get(key)).toMatchObject({ phase: "launched", slotHeld: false });
    expect(await linuxCounters()).toEqual([0, 0, 0]);
    expect(await counterValue(db.documentClient, "sr-jobs", "limit#pool#gpu")).toBe(0);
    expect(sent()).toEqual([]);
  });

  it("relaunches a launched job whose instance is gone when GitHub still has it queued", async () => {
    // Arrange
    const key = await launchedForGoneInstance(501, 10);
    const github = gitHubForJobs([(scope) => scope.get(`${JOBS}/501`).reply(200, workflowJob(501, "queued"))]);

    // Act
    const summary = await reconcile();

    // Assert
    expect(calls(github.requests)).toEqual([`POST /app/installations/${INSTALLATION}/access_tokens`, `GET ${JOBS}/501`]);
    expect(sent()).toEqual([
      {
        queueUrl: queueUrl("linux"),
        groupId: "501",
        deduplicationId: "501-1-r1",
        message: {
          version: 1,
          deliveryId: "delivery-501",
          pool: "linux",
          jobId: 501,
          runId: 9501,
          runAttempt: 1,
          repository: "octo-org/octo-repo",
          owner: "octo-org",
          installationId: INSTALLATION,
          labels: ["self-hosted", "linux"],
          // A relaunch counts its age from now: GitHub just said the job still waits (requeue.ts).
          receivedAt: minutesAgo(0).toISOString(),
        },
      },
    ]);
    expect(await ledger.get(key)).toMatchObject({ phase: "received", relaunches: 1, slotHeld: false });
    expect(await linuxCounters()).toEqual([0, 0, 0]);
    expect(summary).toMatchObject({ relaunched: 1, slotsReleased: 1, errors: 0 });
  });

  it.each([
    { status: "in_progress" as const, phase: "running", fields: { ranOn: "sr-i-0bbbbbbbbbbbbbbb9" } },
    { status: "completed" as const, phase: "completed", fields: { conclusion: "success" } },
  ])("does not relaunch a job GitHub reports $status: the ledger records it instead", async ({ status, phase, fields }) => {
    // Arrange
    const key = await launchedForGoneInstance(501, 10);
    const github = gitHubForJobs([(scope) => scope.get(`${JOBS}/501`).reply(200, workflowJob(501, status))]);

    // Act
    const summary = await reconcile();

    // Assert
    expect(github.scope.isDone()).toBe(true);
    expect(sent()).toEqual([]);
    expect(await ledger.get(key)).toMatchObject({ phase, ...fields });
    expect(summary).toMatchObject({ relaunched: 0, errors: 0 });
  });

  it("queues a lost received job again once, and not again on the next run", async () => {
    // Arrange: the webhook recorded it 31 minutes ago; its message never reached scale-up.
    const receivedAt = minutesAgo(31);
    await ledger.receive(jobFacts(502), "delivery-502", receivedAt);
    const github = gitHubForJobs([(scope) => scope.get(`${JOBS}/502`).reply(200, workflowJob(502, "queued"))]);

    // Act
    const first = await reconcile();
    const second = await reconcile();

    // Assert
    expect(calls(github.requests)).toEqual([`POST /app/installations/${INSTALLATION}/access_tokens`, `GET ${JOBS}/502`]);
    expect(sent().map(({ queueUrl: url, groupId, deduplicationId, message }) => ({ url, groupId, deduplicationId, jobId: message.jobId }))).toEqual([
      { url: queueUrl("linux"), groupId: "502", deduplicationId: `502-1-q${receivedAt.getTime()}`, jobId: 502 },
    ]);
    const job = await ledger.get(jobKey(jobFacts(502)));
    expect(job?.phase).toBe("received");
    expect(job?.events?.map((item) => item.what)).toContain("requeued");
    expect(first).toMatchObject({ requeued: 1, errors: 0 });
    expect(second).toMatchObject({ requeued: 0, errors: 0 });
  });

  it("does not queue a lost job again while draining", async () => {
    // Arrange
    draining = "true";
    await ledger.receive(jobFacts(502), "delivery-502", minutesAgo(31));

    // Act
    const summary = await reconcile();

    // Assert
    expect(sent()).toEqual([]);
    expect(summary).toMatchObject({ requeued: 0, errors: 0 });
  });

  it("re-runs a job that failed on an interrupted spot runner exactly once", async () => {
    // Arrange: started, marked interrupted by the spot handler, then failed.
    const facts = jobFacts(503);
    await ledger.receive(facts, "delivery-503", minutesAgo(30));
    await ledger.start(facts, `sr-${I[3]}`, minutesAgo(20));
    await ledger.markInterrupted(jobKey(facts), minutesAgo(5));
    await ledger.finish(facts, "failed", "failure", minutesAgo(3));
    const github = gitHubForJobs([(scope) => scope.post(`${JOBS}/503/rerun`).reply(201, {})]);
    assertMatchesOpenApi("POST", `${JOBS}/{job_id}/rerun`, 201, {});

    // Act
    const first = await reconcile();
    const second = await reconcile();

    // Assert
    expect(calls(github.requests)).toEqual([`POST /app/installations/${INSTALLATION}/access_tokens`, `POST ${JOBS}/503/rerun`]);
    expect(await ledger.get(jobKey(facts))).toMatchObject({ phase: "failed", rerunRequested: true });
    expect(first).toMatchObject({ rerun: 1, errors: 0 });
    expect(second).toMatchObject({ rerun: 0, errors: 0 });
  });
});

describe("reconcile handler: warm pools", () => {
  /** The App's installation lookup on octo-org (as the App, with a JWT). */
  function gitHubInstallation() {
    const github = gitHubFake();
    github.scope.get("/orgs/octo-org/installation").reply(200, appInstallation({ id: INSTALLATION, appId: 123456, org: "octo-org" }));
    return github;
  }

  it("asks each pool for its shortfall inside the window, with warm messages of distinct ids", async () => {
    // Arrange: gpu wants 2 and has 1 idle runner; arm wants 1 and has none.
    setTuesdayNoon();
    instancesAlways(instance(I[0], 5, { pool: "gpu" }));
    const github = gitHubWithRunners([ours(I[0], 7)]);
    github.scope.get("/orgs/octo-org/installation").reply(200, appInstallation({ id: INSTALLATION, appId: 123456, org: "octo-org" }));

    // Act
    const summary = await reconcile();

    // Assert
    const messages = sent();
    expect(messages.map(({ queueUrl: url, message }) => [url, message.pool, message.kind])).toEqual([
      [queueUrl("arm"), "arm", "warm"],
      [queueUrl("gpu"), "gpu", "warm"],
    ]);
    for (const { message, groupId, deduplicationId } of messages) {
      expect(message).toMatchObject({ version: 1, kind: "warm", owner: "octo-org", repository: "octo-org/*", installationId: INSTALLATION, runAttempt: 1, labels: [] });
      expect(groupId).toBe(String(message.jobId));
      expect(deduplicationId).toBe(`warm-${message.pool}-${message.jobId}`);
    }
    // Warm jobs are keyed by id alone in the ledger: two pools must never share one.
    expect(new Set(messages.map(({ message }) => message.jobId)).size).toBe(2);
    // The installation is looked up once and cached.
    expect(calls(github.requests).filter((call) => call.endsWith("/installation"))).toEqual(["GET /orgs/octo-org/installation"]);
    expect(summary).toMatchObject({ warmRequested: 2, errors: 0 });
  });

  it("counts warm requests on their way (claimed, not launched) as pending", async () => {
    // Arrange: each pool has as many warm jobs claimed as it wants.
    setTuesdayNoon();
    for (const [pool, ids] of [["gpu", [1, 2]], ["arm", [3]]] as const) {
      for (const id of ids) {
        const claim = await ledger.claim({ ...jobFacts(id, { kind: "warm", pool }), scopeOwner: "octo-org" }, `token-${id}`, 120_000, new Date());
        expect(claim.claimed).toBe(true);
      }
    }
    const github = gitHubInstallation();

    // Act
    const summary = await reconcile();

    // Assert
    expect(sent()).toEqual([]);
    expect(github.requests).toEqual([]);
    expect(summary).toMatchObject({ warmRequested: 0, errors: 0 });
  });

  it("asks for nothing outside the window", async () => {
    // Arrange: Saturday.
    const github = gitHubInstallation();

    // Act
    const summary = await reconcile();

    // Assert
    expect(sent()).toEqual([]);
    expect(github.requests).toEqual([]);
    expect(summary).toMatchObject({ warmRequested: 0, errors: 0 });
  });

  it("asks for nothing while draining", async () => {
    // Arrange
    setTuesdayNoon();
    draining = "true";
    const github = gitHubInstallation();

    // Act
    const summary = await reconcile();

    // Assert
    expect(sent()).toEqual([]);
    expect(github.requests).toEqual([]);
    expect(summary).toMatchObject({ warmRequested: 0, errors: 0 });
  });
});
