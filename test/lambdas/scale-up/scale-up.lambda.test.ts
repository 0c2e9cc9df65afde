import { clearCaches } from "@aws-lambda-powertools/parameters";
import {
  CreateFleetCommand,
  CreateTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import type { CreateFleetCommandInput } from "@aws-sdk/client-ec2";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.AWS_REGION = "eu-west-1";
  process.env.POWERTOOLS_LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.PREFIX = "sr";
  process.env.RUNNER_SCOPE = "org";
  process.env.GITHUB_APP_ID = "123456";
  process.env.GITHUB_APP_KEY_PARAMETER = "/sr/github-app-key";
  process.env.RUNNERS_TABLE = "sr-runners";
  process.env.POOLS = JSON.stringify({
    gpu: {
      labels: ["linux", "gpu"],
      maxRunners: 2,
      instanceTypes: ["g5.xlarge"],
      subnetIds: ["subnet-a"],
      launchTemplateName: "sr-gpu",
      spot: false,
      onDemandFallback: false,
      runnerGroupId: 9,
    },
    linux: {
      labels: ["linux", "x64"],
      maxRunners: 5,
      instanceTypes: ["m7i.large", "m6i.large"],
      subnetIds: ["subnet-a", "subnet-b"],
      launchTemplateName: "sr-linux",
      spot: true,
      onDemandFallback: true,
      runnerGroupId: 3,
    },
  });
});

import type { JobMessage } from "../../../lambdas/shared/index.js";
import { clearOctokitCache } from "../../../lambdas/shared/index.js";
import { handler } from "../../../lambdas/scale-up/scale-up.lambda.js";
import { jobMessage, lambdaContext, newInstanceIds, scriptInstantFleet, sqsEvent, sqsRecord } from "../../helpers/aws.js";
import { generateAppPrivateKey, gitHubFake, installationToken, jitConfigResponse, replyFromRequest, validationFailed } from "../../helpers/github.js";

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const ddb = mockClient(DynamoDBDocumentClient);
const APP_KEY = generateAppPrivateKey();
const ORG_JIT = "/orgs/octo-org/actions/runners/generate-jitconfig";

function fleetAnswers(spotAvailable?: number): void {
  scriptInstantFleet(ec2, spotAvailable);
}

function activeRunners(count: number): void {
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: count === 0 ? [] : [{ Instances: newInstanceIds(count).map((InstanceId) => ({ InstanceId })) }],
  });
}

/** Scripts the GitHub App flow: one token per installation, then one jitconfig per runner. */
function gitHub(options: { installations?: number[]; jitPath?: string; jitCount: number; failNames?: (name: string) => boolean }) {
  const fake = gitHubFake();
  for (const installationId of options.installations ?? [52103487]) {
    fake.scope.post(`/app/installations/${installationId}/access_tokens`).reply(201, installationToken(`ghs_token_${installationId}`));
  }
  let runnerId = 100;
  const jitTemplate = (options.jitPath ?? ORG_JIT).replace("octo-org/example-workflow", "{owner}/{repo}").replace("octo-org", "{org}");
  if (options.jitCount > 0) {
    fake.scope
      .post(options.jitPath ?? ORG_JIT)
      .times(options.jitCount)
      .reply(
        replyFromRequest((request) => {
          const body = request.body as { name: string; labels: string[] };
          if (options.failNames?.(body.name)) return [422, validationFailed("Validation Failed", jitTemplate, "POST")];
          runnerId += 1;
          return [201, jitConfigResponse({ id: runnerId, name: body.name, labels: body.labels }, jitTemplate)];
        }),
      );
  }
  return fake;
}

function invoke(messages: ReadonlyArray<JobMessage | string>) {
  return handler(sqsEvent(messages.map((message) => sqsRecord(message))), lambdaContext("sr-scale-up"));
}

function failures(result: { batchItemFailures: Array<{ itemIdentifier: string }> }): string[] {
  return result.batchItemFailures.map((failure) => failure.itemIdentifier).sort();
}

function fleetCalls(): CreateFleetCommandInput[] {
  return ec2.commandCalls(CreateFleetCommand).map((call) => call.args[0].input);
}

describe("scale-up handler", () => {
  beforeAll(() => {
    nock.disableNetConnect();
  });

  beforeEach(() => {
    clearCaches();
    clearOctokitCache();
    ec2.reset();
    ssm.reset();
    ddb.reset();
    ssm.on(GetParameterCommand, { Name: "/sr/github-app-key", WithDecryption: true }).resolves({
      Parameter: { Name: "/sr/github-app-key", Type: "SecureString", Value: APP_KEY },
    });
    ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: {} });
    ec2.on(CreateTagsCommand).resolves({});
    ec2.on(TerminateInstancesCommand).resolves({});
    activeRunners(0);
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

  it("launches one fleet per (pool, owner) group and registers one runner per message", async () => {
    // Arrange
    fleetAnswers();
    const github = gitHub({ jitCount: 3 });
    const messages = [jobMessage({ pool: "linux" }), jobMessage({ pool: "linux" }), jobMessage({ pool: "gpu" })];

    // Act
    const result = await invoke(messages);

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(github.scope.isDone()).toBe(true);
    const fleets = fleetCalls();
    expect(fleets).toHaveLength(2);
    const linux = fleets.find((input) => input.LaunchTemplateConfigs?.[0]?.LaunchTemplateSpecification?.LaunchTemplateName === "sr-linux")!;
    expect(linux).toMatchObject({
      Type: "instant",
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: { LaunchTemplateName: "sr-linux", Version: "$Default" },
          Overrides: [
            { InstanceType: "m7i.large", SubnetId: "subnet-a" },
            { InstanceType: "m7i.large", SubnetId: "subnet-b" },
            { InstanceType: "m6i.large", SubnetId: "subnet-a" },
            { InstanceType: "m6i.large", SubnetId: "subnet-b" },
          ],
        },
      ],
      TargetCapacitySpecification: { TotalTargetCapacity: 2, DefaultTargetCapacityType: "spot" },
      SpotOptions: { AllocationStrategy: "price-capacity-optimized" },
      OnDemandOptions: { AllocationStrategy: "lowest-price" },
      TagSpecifications: [
        {
          ResourceType: "instance",
          Tags: [
            { Key: "self-runners:prefix", Value: "sr" },
            { Key: "self-runners:pool", Value: "linux" },
            { Key: "self-runners:owner", Value: "octo-org" },
            { Key: "self-runners:installation-id", Value: "52103487" },
          ],
        },
      ],
    });
    const jitCalls = github.requests.filter((request) => request.path === ORG_JIT);
    expect(jitCalls).toHaveLength(3);
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      "POST /app/installations/52103487/access_tokens",
      `POST ${ORG_JIT}`,
      `POST ${ORG_JIT}`,
      `POST ${ORG_JIT}`,
    ]);
    const gpuJit = jitCalls.map((call) => call.body as Record<string, unknown>).find((body) => body.runner_group_id === 9);
    expect(gpuJit).toMatchObject({ labels: ["linux", "gpu", "self-hosted"], work_folder: "_work" });
    expect(String(gpuJit?.name)).toMatch(/^sr-i-[0-9a-f]{17}$/);
  });

  it("writes one table item per runner, keyed by the instance ARN, and names the instances", async () => {
    // Arrange
    fleetAnswers();
    gitHub({ jitCount: 2 });
    const before = Math.floor(Date.now() / 1000);

    // Act
    await invoke([jobMessage({ pool: "linux" }), jobMessage({ pool: "linux" })]);

    // Assert
    const writes = ddb.commandCalls(BatchWriteCommand);
    expect(writes).toHaveLength(1);
    const items = writes[0]!.args[0].input.RequestItems!["sr-runners"]!.map((request) => request.PutRequest!.Item!);
    expect(items).toHaveLength(2);
    for (const item of items) {
      expect(item).toMatchObject({
        pk: `arn:aws:ec2:eu-west-1:123456789012:instance/${item.instanceId}`,
        pool: "linux",
        owner: "octo-org",
        installationId: 52103487,
        runnerName: `sr-${item.instanceId}`,
        jitConfig: Buffer.from(`jit-config-of-sr-${item.instanceId}`).toString("base64"),
      });
      expect(typeof item.runnerId).toBe("number");
      expect(item.expiresAt - Math.floor(Date.parse(item.createdAt) / 1000)).toBe(86_400);
      expect(item.expiresAt).toBeGreaterThanOrEqual(before + 86_400);
    }
    const names = ec2.commandCalls(CreateTagsCommand).map((call) => call.args[0].input);
    expect(names.map((input) => input.Tags)).toEqual(items.map((item) => [{ Key: "Name", Value: item.runnerName }]));
  });

  it("fetches the installation token once across two invocations", async () => {
    // Arrange
    fleetAnswers();
    const github = gitHub({ jitCount: 2 });

    // Act
    const first = await invoke([jobMessage()]);
    const second = await invoke([jobMessage()]);

    // Assert
    expect([first.batchItemFailures, second.batchItemFailures]).toEqual([[], []]);
    expect(github.requests.filter((request) => request.path.endsWith("/access_tokens"))).toHaveLength(1);
    expect(github.scope.isDone()).toBe(true);
  });

  it("defers messages beyond maxRunners as batch failures", async () => {
    // Arrange
    activeRunners(4);
    fleetAnswers();
    gitHub({ jitCount: 1 });
    const messages = [jobMessage({ pool: "linux" }), jobMessage({ pool: "linux" }), jobMessage({ pool: "linux" })];

    // Act
    const result = await invoke(messages);

    // Assert
    expect(fleetCalls().map((input) => input.TargetCapacitySpecification?.TotalTargetCapacity)).toEqual([1]);
    expect(failures(result)).toEqual([`msg-${messages[1]!.jobId}`, `msg-${messages[2]!.jobId}`].sort());
    const filters = ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters;
    expect(filters).toEqual([
      { Name: "tag:self-runners:prefix", Values: ["sr"] },
      { Name: "tag:self-runners:pool", Values: ["linux"] },
      { Name: "instance-state-name", Values: ["pending", "running"] },
    ]);
  });

  it("counts active runners across DescribeInstances pages", async () => {
    // Arrange
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: newInstanceIds(3).map((InstanceId) => ({ InstanceId })) }], NextToken: "page-2" })
      .resolvesOnce({ Reservations: [{ Instances: newInstanceIds(2).map((InstanceId) => ({ InstanceId })) }] });
    fleetAnswers();

    // Act
    const result = await invoke([jobMessage({ pool: "linux" })]);

    // Assert
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(2);
    expect(fleetCalls()).toHaveLength(0);
    expect(result.batchItemFailures).toHaveLength(1);
  });

  it("falls back to on-demand for the remainder when spot comes up short", async () => {
    // Arrange
    fleetAnswers(1);
    const github = gitHub({ jitCount: 3 });

    // Act
    const result = await invoke([jobMessage(), jobMessage(), jobMessage()]);

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(fleetCalls().map((input) => input.TargetCapacitySpecification)).toEqual([
      { TotalTargetCapacity: 3, DefaultTargetCapacityType: "spot" },
      { TotalTargetCapacity: 2, DefaultTargetCapacityType: "on-demand" },
    ]);
    expect(github.scope.isDone()).toBe(true);
  });

  it("fails the messages EC2 found no instance for when there is no fallback", async () => {
    // Arrange
    ec2.on(CreateFleetCommand).resolves({
      Instances: [{ InstanceIds: newInstanceIds(1), Lifecycle: "on-demand" }],
      Errors: [{ ErrorCode: "InsufficientInstanceCapacity", ErrorMessage: "no g5.xlarge capacity", Lifecycle: "on-demand" }],
    });
    gitHub({ jitCount: 1 });

    // Act
    const result = await invoke([jobMessage({ pool: "gpu" }), jobMessage({ pool: "gpu" })]);

    // Assert
    expect(fleetCalls()).toHaveLength(1);
    expect(result.batchItemFailures).toHaveLength(1);
  });

  it("fails when a JIT registration fails: that instance is terminated and one message fails", async () => {
    // Arrange
    fleetAnswers();
    let refused = "";
    const github = gitHub({
      jitCount: 3,
      failNames: (name) => {
        if (refused === "" || refused === name) refused = name;
        return refused === name;
      },
    });

    // Act
    const result = await invoke([jobMessage(), jobMessage(), jobMessage()]);

    // Assert
    expect(github.scope.isDone()).toBe(true);
    expect(result.batchItemFailures).toHaveLength(1);
    const terminated = ec2.commandCalls(TerminateInstancesCommand).map((call) => call.args[0].input.InstanceIds);
    expect(terminated).toEqual([[refused.replace(/^sr-/, "")]]);
    const written = ddb.commandCalls(BatchWriteCommand)[0]!.args[0].input.RequestItems!["sr-runners"]!;
    expect(written).toHaveLength(2);
  });

  it("fails all messages of a group when CreateFleet itself fails, without calling GitHub", async () => {
    // Arrange
    ec2.on(CreateFleetCommand).rejects(Object.assign(new Error("The specified launch template does not exist"), { name: "InvalidLaunchTemplateName.NotFoundException" }));
    const github = gitHub({ jitCount: 0, installations: [] });
    const messages = [jobMessage(), jobMessage()];

    // Act
    const result = await invoke(messages);

    // Assert
    expect(failures(result)).toEqual(messages.map((message) => `msg-${message.jobId}`).sort());
    expect(github.requests).toEqual([]);
  });

  it("fails when a message is unreadable or names an unknown pool, without launching for it", async () => {
    // Arrange
    fleetAnswers();
    gitHub({ jitCount: 1 });
    const good = jobMessage();
    const unknownPool = jobMessage({ pool: "windows" });

    // Act
    const result = await handler(
      sqsEvent([sqsRecord("not json", "msg-garbage"), sqsRecord(unknownPool), sqsRecord(good)]),
      lambdaContext("sr-scale-up"),
    );

    // Assert
    expect(failures(result)).toEqual(["msg-garbage", `msg-${unknownPool.jobId}`].sort());
    expect(fleetCalls().map((input) => input.TargetCapacitySpecification?.TotalTargetCapacity)).toEqual([1]);
  });

  it("retries unprocessed table items and fails the runner whose item never lands", async () => {
    // Arrange
    fleetAnswers();
    gitHub({ jitCount: 2 });
    ddb.on(BatchWriteCommand).callsFake((input) => {
      const requests = input.RequestItems["sr-runners"];
      // DynamoDB keeps refusing the first item of every call.
      return { UnprocessedItems: { "sr-runners": requests.slice(0, 1) } };
    });

    // Act
    const result = await invoke([jobMessage(), jobMessage()]);

    // Assert
    const calls = ddb.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems!["sr-runners"]!.length);
    expect(calls).toEqual([2, 1, 1, 1]);
    expect(result.batchItemFailures).toHaveLength(1);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(1);
  });
});
