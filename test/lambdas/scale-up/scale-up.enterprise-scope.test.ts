import { clearCaches } from "@aws-lambda-powertools/parameters";
import { CreateFleetCommand, CreateTagsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Enterprise scope (GitHub Enterprise Cloud): jobs of two organizations get runners registered at
// enterprise level with the enterprise token, never an App installation token. DynamoDB is dynalite
// (see scale-up.lambda.test.ts); the handler comes from its factory with this test's environment.

import { dynamoDbLedger } from "../../../lambdas/libs/ledger/dynamodb-store.js";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import { createHandler, defaultDeps } from "../../../lambdas/scale-up/scale-up.lambda.js";
import { jobMessage, lambdaContext, scriptInstantFleet, sqsEvent, sqsRecord } from "../../helpers/aws.js";
import { generateAppPrivateKey, gitHubFake, jitConfigResponse, replyFromRequest } from "../../helpers/github.js";
import { startDynalite } from "../../helpers/dynalite.js";
import { quietPowertools } from "../../helpers/powertools.js";
import { scaleUpEnvFixture } from "../../helpers/scale-up-env.js";

const db = await startDynalite();
/** The function's environment as the stack renders it, handed to the factory (never to process.env). */
const ENV = scaleUpEnvFixture({
  env: {
    RUNNER_SCOPE: "enterprise",
    ENTERPRISE_SLUG: "octo-enterprise",
    ENTERPRISE_TOKEN_SSM_PARAMETER_NAME: "/sr/enterprise-token",
    GITHUB_APP_ID: "42",
    // The per-owner limit counts the whole enterprise in enterprise scope.
    MAX_RUNNERS_PER_OWNER: "3",
  },
  pools: { linux: { maxRunners: 10 } },
});
quietPowertools();
const handler = createHandler(() => defaultDeps(ENV, { ec2: new EC2Client({ region: "eu-west-1" }), sqs: new SQSClient({ region: "eu-west-1" }), dynamoDb: db.client }));

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const sqs = mockClient(SQSClient);

const TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";

describe("scale-up handler in enterprise scope", () => {
  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect((host: string) => host.startsWith("127.0.0.1:"));
    await db.createTable("sr-jobs");
    await db.createTable("sr-runners");
    clearCaches();
    ssm.on(GetParameterCommand, { Name: "/sr/github-app-key" }).resolves({ Parameter: { Name: "/sr/github-app-key", Type: "SecureString", Value: generateAppPrivateKey() } });
    ssm.on(GetParameterCommand, { Name: "/sr/enterprise-token" }).resolves({ Parameter: { Name: "/sr/enterprise-token", Type: "SecureString", Value: TOKEN } });
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

  it("registers every organization's jobs at enterprise level in the pool's group, with the enterprise token, and counts limits per enterprise", async () => {
    // Arrange
    const github = gitHubFake();
    let runnerId = 0;
    github.scope
      .matchHeader("authorization", `token ${TOKEN}`)
      .post("/enterprises/octo-enterprise/actions/runners/generate-jitconfig")
      .times(3)
      .reply(
        replyFromRequest((request) => {
          const body = request.body as { name: string };
          runnerId += 1;
          return [201, jitConfigResponse({ id: runnerId, name: body.name }, "/enterprises/{enterprise}/actions/runners/generate-jitconfig")];
        }),
      );
    const now = new Date().toISOString();
    const messages = [
      jobMessage({ repository: "octo-org/app", receivedAt: now }),
      jobMessage({ repository: "other-org/lib", owner: "other-org", installationId: 61204598, receivedAt: now }),
      jobMessage({ repository: "octo-org/app", receivedAt: now }),
      jobMessage({ repository: "other-org/lib", owner: "other-org", installationId: 61204598, receivedAt: now }),
    ];

    // Act
    const result = await handler(sqsEvent(messages.map((message) => sqsRecord(message))), lambdaContext("sr-scale-up"));

    // Assert: the enterprise may hold 3 runners, so the fourth job waits.
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: `msg-${messages[3]!.jobId}` }]);
    const owners = ec2.commandCalls(CreateFleetCommand).map((call) => call.args[0].input.TagSpecifications?.[0]?.Tags?.find((tag) => tag.Key === "self-runners:owner")?.Value);
    expect(new Set(owners)).toEqual(new Set(["octo-enterprise"]));
    const jits = github.requests.filter((request) => request.path.endsWith("/generate-jitconfig"));
    expect(jits).toHaveLength(3);
    expect(jits.every((request) => request.path === "/enterprises/octo-enterprise/actions/runners/generate-jitconfig")).toBe(true);
    expect(jits.every((request) => (request.body as { runner_group_id: number }).runner_group_id === 3)).toBe(true);
    // No installation token was minted: the enterprise endpoints take the enterprise token only.
    expect(github.requests.filter((request) => request.path.startsWith("/app/"))).toEqual([]);
    const ledger = dynamoDbLedger(db.documentClient, "sr-jobs");
    expect(await ledger.get(jobKey(messages[0]!))).toMatchObject({ phase: "launched", scopeOwner: "octo-enterprise" });
    expect(await ledger.get(jobKey(messages[1]!))).toMatchObject({ phase: "launched", scopeOwner: "octo-enterprise" });
    const counters = Object.fromEntries((await db.items("sr-jobs")).filter((item) => item.pk.startsWith("limit#")).map((item) => [item.pk, item.inUse]));
    expect(counters).toEqual({ "limit#global": 3, "limit#pool#linux": 3, "limit#owner#octo-enterprise": 3 });
  });
});
