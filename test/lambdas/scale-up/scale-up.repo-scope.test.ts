import { CreateFleetCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbLedger } from "../../../lambdas/libs/ledger/dynamodb-store.js";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import { jobMessage, lambdaContext, sqsEvent, sqsRecord } from "../../helpers/aws.js";
import { gitHubFake, installationToken, jitConfigResponse, replyFromRequest } from "../../helpers/github.js";
import { scaleUpEnvFixture } from "../../helpers/scale-up-env.js";
import { scaleUpHandlerOnDoubles } from "../../helpers/scale-up-handler.js";

// Repository scope against a GitHub Enterprise Server API root; the handler is on its doubles
// (helpers/scale-up-handler.ts) with this test's environment.

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
const { db, handler, ec2, setUp, tearDown } = await scaleUpHandlerOnDoubles(ENV);

describe("scale-up handler in repo scope on GHES", () => {
  beforeAll(setUp);
  afterAll(tearDown);

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
