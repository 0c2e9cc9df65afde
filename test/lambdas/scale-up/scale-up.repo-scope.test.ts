import { clearCaches } from "@aws-lambda-powertools/parameters";
import { CreateFleetCommand, CreateTagsCommand, DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// Repository scope against a GitHub Enterprise Server API root.
vi.hoisted(() => {
  process.env.AWS_REGION = "eu-west-1";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.PREFIX = "sr";
  process.env.RUNNER_SCOPE = "repo";
  process.env.GITHUB_APP_ID = "42";
  process.env.GITHUB_APP_KEY_PARAMETER = "/sr/github-app-key";
  process.env.GITHUB_API_URL = "https://ghes.example.com/api/v3";
  process.env.RUNNERS_TABLE = "sr-runners";
  process.env.POOLS = JSON.stringify({
    linux: {
      labels: ["linux"],
      maxRunners: 10,
      instanceTypes: ["m7i.large"],
      subnetIds: ["subnet-a"],
      launchTemplateName: "sr-linux",
      spot: false,
      onDemandFallback: false,
      runnerGroupId: 3,
    },
  });
});

import { handler } from "../../../lambdas/scale-up/scale-up.lambda.js";
import { jobMessage, lambdaContext, scriptInstantFleet, sqsEvent, sqsRecord } from "../../helpers/aws.js";
import { generateAppPrivateKey, gitHubFake, installationToken, jitConfigResponse, replyFromRequest } from "../../helpers/github.js";

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const ddb = mockClient(DynamoDBDocumentClient);

describe("scale-up handler in repo scope on GHES", () => {
  beforeAll(() => {
    nock.disableNetConnect();
    clearCaches();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: "/sr/github-app-key", Type: "SecureString", Value: generateAppPrivateKey() } });
    ddb.on(BatchWriteCommand).resolves({});
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(CreateTagsCommand).resolves({});
    scriptInstantFleet(ec2);
  });

  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    ec2.restore();
    ssm.restore();
    ddb.restore();
  });

  it("groups by repository and registers through the repository endpoint in the default group", async () => {
    // Arrange
    const github = gitHubFake("https://ghes.example.com/api/v3");
    github.scope.post("/app/installations/52103487/access_tokens").reply(201, installationToken());
    let runnerId = 0;
    github.scope
      .post(/^\/api\/v3\/repos\/octo-org\/(app|lib)\/actions\/runners\/generate-jitconfig$/)
      .times(3)
      .reply(
        replyFromRequest((request) => {
          const body = request.body as { name: string };
          runnerId += 1;
          return [201, jitConfigResponse({ id: runnerId, name: body.name }, "/repos/{owner}/{repo}/actions/runners/generate-jitconfig")];
        }),
      );
    const messages = [
      jobMessage({ repository: "octo-org/app" }),
      jobMessage({ repository: "octo-org/lib" }),
      jobMessage({ repository: "octo-org/app" }),
    ];

    // Act
    const result = await handler(sqsEvent(messages.map((message) => sqsRecord(message))), lambdaContext("sr-scale-up"));

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(github.scope.isDone()).toBe(true);
    const owners = ec2
      .commandCalls(CreateFleetCommand)
      .map((call) => call.args[0].input.TagSpecifications?.[0]?.Tags?.find((tag) => tag.Key === "self-runners:owner")?.Value);
    expect(owners).toEqual(["octo-org/app", "octo-org/lib"]);
    const jits = github.requests.filter((request) => request.path.endsWith("/generate-jitconfig"));
    expect(jits.map((request) => request.path).sort()).toEqual([
      "/api/v3/repos/octo-org/app/actions/runners/generate-jitconfig",
      "/api/v3/repos/octo-org/app/actions/runners/generate-jitconfig",
      "/api/v3/repos/octo-org/lib/actions/runners/generate-jitconfig",
    ]);
    expect(jits.every((request) => (request.body as { runner_group_id: number }).runner_group_id === 1)).toBe(true);
  });
});
