import { clearCaches } from "@aws-lambda-powertools/parameters";
import { DescribeInstanceStatusCommand, DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import type { Instance } from "@aws-sdk/client-ec2";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Enterprise scope: the reconciler lists the enterprise's runners once and deletes registrations
// through /enterprises/{enterprise}/actions/runners/{runner_id} with the enterprise token. Set-up as in
// reconcile.lambda.test.ts: dynalite for the tables, aws-sdk-client-mock for EC2/SQS/SSM, GitHub is
// nock with answers checked against GitHub's description (GHEC operations: test/helpers/openapi.ts).

import { createHandler, defaultDeps } from "../../../lambdas/reconcile/reconcile.lambda.js";
import { clearOctokitCache } from "../../../lambdas/shared/index.js";
import { lambdaContext, scheduledEvent } from "../../helpers/aws.js";
import { restoreDoubles } from "../../helpers/restore-doubles.js";
import { generateAppPrivateKey, gitHubFake, runnersPage } from "../../helpers/github.js";
import { putRunnerItem } from "../../helpers/ledger.js";
import { startDynalite } from "../../helpers/dynalite.js";
import { quietPowertools } from "../../helpers/powertools.js";
import { RECONCILE_ENV } from "../../../contracts/index.js";
import { sampleEnv } from "../../helpers/contracts.js";

const RUNNER_PROFILE = "arn:aws:iam::123456789012:instance-profile/sr-runner";
const TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
const RUNNERS = "/enterprises/octo-enterprise/actions/runners";
const INSTANCE_ARN = "arn:aws:ec2:eu-west-1:123456789012:instance/";
const db = await startDynalite();
const ENV = sampleEnv(RECONCILE_ENV, {
  RUNNER_SCOPE: "enterprise",
  ENTERPRISE_SLUG: "octo-enterprise",
  ENTERPRISE_TOKEN_SSM_PARAMETER_NAME: "/sr/enterprise-token",
  RUNNER_INSTANCE_PROFILE_ARNS: JSON.stringify([RUNNER_PROFILE]),
  HEALER_MAX_GITHUB_CALLS: "0",
  POOLS: JSON.stringify({ linux: { queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo", labels: ["linux"], warmSize: 0, warmOwner: "", warmSchedule: "" } }),
});
quietPowertools();
const handler = createHandler(() => defaultDeps(ENV, { ec2: new EC2Client({ region: "eu-west-1" }), sqs: new SQSClient({ region: "eu-west-1" }), dynamoDb: db.client }));
const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const sqs = mockClient(SQSClient);

const event = scheduledEvent("sr-reconcile");

function instance(instanceId: string, ageMinutes: number, installationId: number): Instance {
  return {
    InstanceId: instanceId,
    IamInstanceProfile: { Arn: RUNNER_PROFILE, Id: "AIPAEXAMPLE" },
    State: { Name: "running" },
    LaunchTime: new Date(Date.now() - ageMinutes * 60_000),
    Tags: [
      { Key: "self-runners:prefix", Value: "sr" },
      { Key: "self-runners:pool", Value: "linux" },
      { Key: "self-runners:owner", Value: "octo-enterprise" },
      { Key: "self-runners:installation-id", Value: String(installationId) },
      { Key: "Name", Value: `sr-${instanceId}` },
    ],
  };
}

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect((host: string) => host.startsWith("127.0.0.1:"));
  await Promise.all([db.createTable("sr-jobs"), db.createTable("sr-runners")]);
  clearCaches();
  clearOctokitCache();
  ssm.on(GetParameterCommand, { Name: "/sr/github-app-key" }).resolves({ Parameter: { Name: "/sr/github-app-key", Type: "SecureString", Value: generateAppPrivateKey() } });
  ssm.on(GetParameterCommand, { Name: "/sr/enterprise-token" }).resolves({ Parameter: { Name: "/sr/enterprise-token", Type: "SecureString", Value: TOKEN } });
  ssm.on(GetParameterCommand, { Name: "/sr/draining" }).resolves({ Parameter: { Name: "/sr/draining", Type: "String", Value: "false" } });
  ec2.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });
  ec2.on(TerminateInstancesCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: "m-1", SequenceNumber: "1" });
});

afterAll(() => restoreDoubles(db, ec2, ssm, sqs));

describe("reconcile handler in enterprise scope", () => {
  it("lists the enterprise's runners once for instances of two organizations and deletes a registration without instance through the enterprise endpoint", async () => {
    // Arrange: I0 (an octo-org job) has no registration past the boot timeout; I1 (an other-org job)
    // is registered and booting; registration 9 has no instance.
    const [i0, i1, gone] = ["i-0aaaaaaaaaaaaaaa0", "i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa3"];
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance(i0, 15, 52103487), instance(i1, 3, 61204598)] }] });
    await putRunnerItem(db.documentClient, "sr-runners", { instanceArnPrefix: INSTANCE_ARN, owner: "octo-enterprise", installationId: 61204598, prefix: "sr", instanceId: i1, runnerId: 4, createdAt: new Date() });
    const github = gitHubFake();
    github.scope
      .matchHeader("authorization", `token ${TOKEN}`)
      .get(RUNNERS)
      .query({ per_page: "100", page: "1" })
      .reply(
        200,
        runnersPage(
          [
            { id: 4, name: `sr-${i1}`, status: "online" },
            { id: 9, name: `sr-${gone}`, status: "offline" },
          ],
          2,
          "/enterprises/{enterprise}/actions/runners",
        ),
      );
    github.scope.matchHeader("authorization", `token ${TOKEN}`).delete(`${RUNNERS}/9`).reply(204);

    // Act
    const summary = await handler(event, lambdaContext("sr-reconcile"));

    // Assert
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).toEqual([`GET ${RUNNERS}?per_page=100&page=1`, `DELETE ${RUNNERS}/9`]);
    expect(ec2.commandCalls(TerminateInstancesCommand).flatMap((call) => call.args[0].input.InstanceIds ?? [])).toEqual([i0]);
    expect(summary).toMatchObject({ terminated: 1, registrationsDeleted: 1, errors: 0 });
  });
});
