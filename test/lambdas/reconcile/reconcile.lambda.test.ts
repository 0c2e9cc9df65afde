import { clearCaches } from "@aws-lambda-powertools/parameters";
import { DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import type { Instance } from "@aws-sdk/client-ec2";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { DeleteCommand, DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { ScheduledEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.AWS_REGION = "eu-west-1";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.PREFIX = "sr";
  process.env.RUNNER_SCOPE = "org";
  process.env.GITHUB_APP_ID = "123456";
  process.env.GITHUB_APP_KEY_PARAMETER = "/sr/github-app-key";
  process.env.RUNNERS_TABLE = "sr-runners";
  process.env.BOOT_TIMEOUT_SECONDS = "600";
  process.env.IDLE_TIMEOUT_SECONDS = "1800";
});

import { handler } from "../../../lambdas/reconcile/reconcile.lambda.js";
import { clearOctokitCache } from "../../../lambdas/shared/index.js";
import { lambdaContext } from "../../helpers/aws.js";
import type { FakeRunner } from "../../helpers/github.js";
import { generateAppPrivateKey, gitHubFake, installationToken, runnersPage, validationFailed } from "../../helpers/github.js";

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const ddb = mockClient(DynamoDBDocumentClient);
const APP_KEY = generateAppPrivateKey();
const RUNNERS = "/orgs/octo-org/actions/runners";

const event: ScheduledEvent = {
  version: "0",
  id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: "2024-06-11T12:00:00Z",
  region: "eu-west-1",
  resources: ["arn:aws:events:eu-west-1:123456789012:rule/sr-reconcile"],
  detail: {},
};

function instance(instanceId: string, ageMinutes: number, state = "running"): Instance {
  return {
    InstanceId: instanceId,
    State: { Name: state as never },
    LaunchTime: new Date(Date.now() - ageMinutes * 60_000),
    Tags: [
      { Key: "self-runners:prefix", Value: "sr" },
      { Key: "self-runners:pool", Value: "linux" },
      { Key: "self-runners:owner", Value: "octo-org" },
      { Key: "self-runners:installation-id", Value: "52103487" },
      { Key: "Name", Value: `sr-${instanceId}` },
    ],
  };
}

function ours(instanceId: string, id: number, overrides: Partial<FakeRunner> = {}): FakeRunner {
  return { id, name: `sr-${instanceId}`, status: "online", busy: false, ...overrides };
}

/** 100 runners of another kit: fills a page without being ours. */
function strangers(count: number): FakeRunner[] {
  return Array.from({ length: count }, (_, index) => ({ id: 10_000 + index, name: `build-box-${index}`, status: "online" as const }));
}

function instancesOnce(...pages: Instance[][]): void {
  let stub = ec2.on(DescribeInstancesCommand);
  pages.forEach((page, index) => {
    stub = stub.resolvesOnce({
      Reservations: [{ Instances: page }],
      ...(index < pages.length - 1 ? { NextToken: `token-${index + 1}` } : {}),
    });
  });
}

/** GitHub answering the token request and `pages` of runners for octo-org. */
function gitHubWithRunners(...pages: FakeRunner[][]) {
  const github = gitHubFake();
  const total = pages.reduce((sum, page) => sum + page.length, 0);
  github.scope.post("/app/installations/52103487/access_tokens").reply(201, installationToken());
  pages.forEach((page, index) => {
    github.scope
      .get(RUNNERS)
      .query({ per_page: "100", page: String(index + 1) })
      .reply(200, runnersPage(page, total));
  });
  return github;
}

function terminated(): string[] {
  return ec2.commandCalls(TerminateInstancesCommand).flatMap((call) => call.args[0].input.InstanceIds ?? []);
}

function reconcile() {
  return handler(event, lambdaContext("sr-reconcile"));
}

const I = ["i-0aaaaaaaaaaaaaaa0", "i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "i-0aaaaaaaaaaaaaaa3"] as const;

describe("reconcile handler", () => {
  beforeAll(() => {
    nock.disableNetConnect();
  });

  beforeEach(() => {
    clearCaches();
    clearOctokitCache();
    ec2.reset();
    ssm.reset();
    ddb.reset();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: "/sr/github-app-key", Type: "SecureString", Value: APP_KEY } });
    ec2.on(TerminateInstancesCommand).resolves({});
    ddb.on(ScanCommand).resolves({ Items: [] });
    ddb.on(DeleteCommand).resolves({});
  });

  afterEach(() => {
    nock.cleanAll();
  });

  afterAll(() => {
    nock.enableNetConnect();
    ec2.restore();
    ssm.restore();
    ddb.restore();
  });

  it("reads every page of instances and runners before deciding", async () => {
    // Arrange: the busy registration of the second-page instance is on the second page of runners.
    instancesOnce([instance(I[0], 5)], [instance(I[1], 300)]);
    const github = gitHubWithRunners([ours(I[0], 1, { status: "offline" }), ...strangers(99)], [ours(I[1], 2, { busy: true })]);

    // Act
    const summary = await reconcile();

    // Assert
    // The SDK paginator reuses one input object, so only the call count tells the pages apart.
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(2);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters).toEqual([
      { Name: "tag:self-runners:prefix", Values: ["sr"] },
      { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] },
    ]);
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      "POST /app/installations/52103487/access_tokens",
      `GET ${RUNNERS}?per_page=100&page=1`,
      `GET ${RUNNERS}?per_page=100&page=2`,
    ]);
    expect(summary).toMatchObject({ instances: 2, busyKept: 1, terminated: 0, registrationsDeleted: 0 });
    expect(terminated()).toEqual([]);
  });

  it("never touches a busy runner, however old", async () => {
    // Arrange
    instancesOnce([instance(I[0], 24 * 60)]);
    const github = gitHubWithRunners([ours(I[0], 7, { busy: true })]);

    // Act
    await reconcile();

    // Assert
    expect(github.requests.filter((request) => request.method === "DELETE")).toEqual([]);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it("deregisters an idle runner past boot+idle, then terminates its instance", async () => {
    // Arrange
    instancesOnce([instance(I[0], 45)]);
    const github = gitHubWithRunners([ours(I[0], 7)]);
    github.scope.delete(`${RUNNERS}/7`).reply(204);

    // Act
    const summary = await reconcile();

    // Assert
    expect(github.requests.map((request) => `${request.method} ${request.path}`).slice(-1)).toEqual([`DELETE ${RUNNERS}/7`]);
    expect(terminated()).toEqual([I[0]]);
    expect(summary).toMatchObject({ terminated: 1, registrationsDeleted: 1 });
  });

  it("fails when GitHub refuses the delete with 422 (runner picked a job): the instance is not terminated", async () => {
    // Arrange
    instancesOnce([instance(I[0], 45)]);
    const github = gitHubWithRunners([ours(I[0], 7)]);
    github.scope.delete(`${RUNNERS}/7`).reply(422, validationFailed("Bad request - Runner \"sr-i\" is still running a job\"", `${RUNNERS}/7`));

    // Act
    const summary = await reconcile();

    // Assert
    expect(github.scope.isDone()).toBe(true);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    expect(summary).toMatchObject({ terminated: 0, busyOnDelete: 1 });
  });

  it("terminates orphans, deletes registrations without instances and stale records", async () => {
    // Arrange
    instancesOnce([instance(I[0], 15), instance(I[1], 3)]);
    ddb.on(ScanCommand).resolvesOnce({
      Items: [{ pk: `arn:aws:ec2:eu-west-1:123456789012:instance/${I[2]}`, instanceId: I[2], owner: "octo-org", installationId: 52103487, createdAt: new Date(Date.now() - 60 * 60_000).toISOString() }],
      LastEvaluatedKey: { pk: "page-2" },
    }).resolvesOnce({
      Items: [{ pk: `arn:aws:ec2:eu-west-1:123456789012:instance/${I[1]}`, instanceId: I[1], owner: "octo-org", installationId: 52103487, createdAt: new Date().toISOString() }],
    });
    const github = gitHubWithRunners([ours(I[3], 9, { status: "offline" })]);
    github.scope.delete(`${RUNNERS}/9`).reply(204);

    // Act
    const summary = await reconcile();

    // Assert
    expect(terminated()).toEqual([I[0]]);
    expect(github.scope.isDone()).toBe(true);
    expect(ddb.commandCalls(ScanCommand).map((call) => call.args[0].input.ExclusiveStartKey)).toEqual([undefined, { pk: "page-2" }]);
    expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: "sr-runners", Key: { pk: `arn:aws:ec2:eu-west-1:123456789012:instance/${I[2]}` } },
    ]);
    expect(summary).toMatchObject({ terminated: 1, registrationsDeleted: 1, recordsDeleted: 1, errors: 0 });
  });

  it("fails when the runners of an owner cannot be listed: its instances are left alone", async () => {
    // Arrange
    instancesOnce([instance(I[0], 120)]);
    const github = gitHubFake();
    github.scope.post("/app/installations/52103487/access_tokens").reply(201, installationToken());
    github.scope.get(RUNNERS).query(true).reply(403, { message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest" });

    // Act
    const summary = await reconcile();

    // Assert
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    expect(summary).toMatchObject({ ownersUnavailable: 1, errors: 1, terminated: 0 });
  });
});
