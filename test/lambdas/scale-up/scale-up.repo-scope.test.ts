import { clearCaches } from "@aws-lambda-powertools/parameters";
import { CreateFleetCommand, CreateTagsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Repository scope against a GitHub Enterprise Server API root; DynamoDB is dynalite (see
// scale-up.lambda.test.ts); the handler comes from its factory with this test's environment.

import { dynamoDbLedger } from "../../../lambdas/libs/ledger/dynamodb-store.js";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import { createHandler, defaultDeps } from "../../../lambdas/scale-up/scale-up.lambda.js";
import { jobMessage, lambdaContext, scriptInstantFleet, sqsEvent, sqsRecord } from "../../helpers/aws.js";
import { generateAppPrivateKey, gitHubFake, installationToken, jitConfigResponse, replyFromRequest } from "../../helpers/github.js";
import { startDynalite } from "../../helpers/dynalite.js";
import { quietPowertools } from "../../helpers/powertools.js";
import { scaleUpEnvFixture } from "../../helpers/scale-up-env.js";

const db = await startDynalite();
/** The function's environment as the stack renders it, handed to the factory (never to process.env). */
const ENV = scaleUpEnvFixture({
  env: {
    RUNNER_SCOPE: "repo",
    GITHUB_APP_ID: "42",
    GITHUB_API_URL: "https://ghes.example.com/api/v3",
    // One runner per repository: the per-owner limit counts repositories in repo scope.
    MAX_RUNNERS_PER_OWNER: "2",
  },
  pools: { linux: { maxRunners: 10 } },
});
quietPowertools();
const handler = createHandler(() => defaultDeps(ENV, { ec2: new EC2Client({ region: "eu-west-1" }), sqs: new SQSClient({ region: "eu-west-1" }), dynamoDb: db.client }));

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const sqs = mockClient(SQSClient);

describe("scale-up handler in repo scope on GHES", () => {
  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect((host: string) => host.startsWith("127.0.0.1:"));
    await db.createTable("sr-jobs");
    await db.createTable("sr-runners");
    clearCaches();
    ssm.on(GetParameterCommand, { Name: "/sr/github-app-key" }).resolves({ Parameter: { Name: "/sr/github-app-key", Type: "SecureString", Value: generateAppPrivateKey() } });
    ssm.on(GetParameterCommand, { Name: "/sr/draining" }).resolves({ Parameter: { Name: "/sr/draining", Type: "String", Value: "false" } });
    sqs.onAnyCommand().resolves({});
    ec2.on(CreateTagsCommand).resolves({});
    scriptInstantFleet(ec2);
  });

  afterAll(async () => {
    nock.cleanAll();
    nock.enableNetConnect();
    ec2.restore();
    ssm.restore();
    sqs.restore();
    await db.close();
  });

  it("groups by repository, registers through the repository endpoint in the default group and counts limits per repository", async () => {
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
    const now = new Date().toISOString();
    const messages = [
      jobMessage({ repository: "octo-org/app", receivedAt: now }),
      jobMessage({ repository: "octo-org/lib", receivedAt: now }),
      jobMessage({ repository: "octo-org/app", receivedAt: now }),
      jobMessage({ repository: "octo-org/app", receivedAt: now }),
    ];

    // Act
    const result = await handler(sqsEvent(messages.map((message) => sqsRecord(message))), lambdaContext("sr-scale-up"));

    // Assert: octo-org/app may hold 2 runners, so its third job waits.
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: `msg-${messages[3]!.jobId}` }]);
    const owners = ec2
      .commandCalls(CreateFleetCommand)
      .map((call) => [call.args[0].input.TagSpecifications?.[0]?.Tags?.find((tag) => tag.Key === "self-runners:owner")?.Value, call.args[0].input.TargetCapacitySpecification?.TotalTargetCapacity]);
    expect(owners.sort()).toEqual([
      ["octo-org/app", 2],
      ["octo-org/lib", 1],
    ]);
    const jits = github.requests.filter((request) => request.path.endsWith("/generate-jitconfig"));
    expect(jits.map((request) => request.path).sort()).toEqual([
      "/api/v3/repos/octo-org/app/actions/runners/generate-jitconfig",
      "/api/v3/repos/octo-org/app/actions/runners/generate-jitconfig",
      "/api/v3/repos/octo-org/lib/actions/runners/generate-jitconfig",
    ]);
    expect(jits.every((request) => (request.body as { runner_group_id: number }).runner_group_id === 1)).toBe(true);
    const ledger = dynamoDbLedger(db.documentClient, "sr-jobs");
    expect(await ledger.get(jobKey(messages[0]!))).toMatchObject({ phase: "launched", scopeOwner: "octo-org/app" });
    expect(await ledger.get(jobKey(messages[1]!))).toMatchObject({ phase: "launched", scopeOwner: "octo-org/lib" });
    const counters = Object.fromEntries((await db.items("sr-jobs")).filter((item) => item.pk.startsWith("limit#")).map((item) => [item.pk, item.inUse]));
    expect(counters).toEqual({ "limit#global": 3, "limit#pool#linux": 3, "limit#owner#octo-org/app": 2, "limit#owner#octo-org/lib": 1 });
  });
});
