import { CreateFleetCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbLedger } from "../../../lambdas/libs/ledger/dynamodb-store.js";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import { jobMessage, lambdaContext, sqsEvent, sqsRecord } from "../../helpers/aws.js";
import { gitHubFake, jitConfigResponse, replyFromRequest } from "../../helpers/github.js";
import { scaleUpEnvFixture } from "../../helpers/scale-up-env.js";
import { scaleUpHandlerOnDoubles } from "../../helpers/scale-up-handler.js";

// Enterprise scope (GitHub Enterprise Cloud): jobs of two organizations get runners registered at
// enterprise level with the enterprise token, never an App installation token. The handler is on
// its doubles (helpers/scale-up-handler.ts) with this test's environment.

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
const TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
const { db, handler, ec2, setUp, tearDown } = await scaleUpHandlerOnDoubles(ENV, { "/sr/enterprise-token": TOKEN });

describe("scale-up handler in enterprise scope", () => {
  beforeAll(setUp);
  afterAll(tearDown);

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
