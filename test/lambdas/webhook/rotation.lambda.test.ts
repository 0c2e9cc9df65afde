import { clearCaches } from "@aws-lambda-powertools/parameters";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { sign } from "@octokit/webhooks-methods";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

// The job ledger runs against a real DynamoDB-protocol server.

import { getSecureString } from "../../../lambdas/shared/index.js";
import { createHandler, defaultDeps } from "../../../lambdas/webhook/webhook.lambda.js";
import { apiGatewayEvent, lambdaContext } from "../../helpers/aws.js";
import { githubTime, workflowJobQueuedFixture } from "../../helpers/github.js";
import { startDynalite } from "../../helpers/dynalite.js";
import { quietPowertools } from "../../helpers/powertools.js";
import { WEBHOOK_ENV } from "../../../contracts/index.js";
import { sampleEnv } from "../../helpers/contracts.js";

const db = await startDynalite();
/** The function's environment as the stack renders it, handed to the factory (never to process.env). */
const ENV = sampleEnv(WEBHOOK_ENV, {
  WEBHOOK_SECRET_SSM_PARAMETER_NAME: "/sr/github-app/webhook-secret",
  WEBHOOK_PREVIOUS_SECRET_SSM_PARAMETER_NAME: "/sr/github-app/webhook-secret-previous",
  JOBS_TABLE: "sr-jobs",
  PREFIX: "sr",
  POOLS: JSON.stringify({
    linux: { labels: ["linux", "x64"], queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo" },
  }),
});
quietPowertools();
const handler = createHandler(() => defaultDeps(ENV, { sqs: new SQSClient({ region: "eu-west-1" }), dynamoDb: db.client,
  // The Powertools SSM reader of the other functions, so aws-sdk-client-mock's SSMClient double answers; the
  // webhook's own signed GetParameter is exercised through the shipped zip (shipped-zip*.test.ts).
  readSecret: (name, fresh) => getSecureString(name, { forceFetch: fresh }),
}));

// Webhook secret rotation through the real handler: SSM and SQS are doubles, time is faked (Date only)
// so the five-minute parameter cache and the re-read rate limit can be crossed without waiting.

const CURRENT = "/sr/github-app/webhook-secret";
const PREVIOUS = "/sr/github-app/webhook-secret-previous";
const OLD = "old-secret-0f3c";
const NEW = "new-secret-9a1d";
const ssm = mockClient(SSMClient);
const sqs = mockClient(SQSClient);
const stored: Record<string, string> = {};
let clock = Date.parse("2025-06-01T12:00:00Z");

/** Moves the clock past the parameter cache and the re-read interval, as a later delivery would see it. */
function laterDelivery(): void {
  clock += 10 * 60_000;
  vi.setSystemTime(clock);
}

let deliveries = 0;

/** A new delivery of a new job: only the secret decides the answer, not deduplication. */
async function deliver(secret: string) {
  deliveries += 1;
  const payload = workflowJobQueuedFixture();
  payload.workflow_job.id = 90_000 + deliveries;
  // Created now on the faked clock: fresh for the replay bound.
  payload.workflow_job.created_at = githubTime(new Date(clock));
  const body = JSON.stringify(payload);
  const headers = { "X-GitHub-Event": "workflow_job", "X-GitHub-Delivery": `d-${deliveries}`, "X-Hub-Signature-256": await sign(secret, body) };
  const result = await handler(apiGatewayEvent({ body, headers }), lambdaContext("webhook"));
  return { status: result.statusCode, message: (JSON.parse(result.body) as { message: string }).message };
}

const sent = () => sqs.commandCalls(SendMessageCommand).length;
const reads = (name: string) => ssm.commandCalls(GetParameterCommand).filter((call) => call.args[0].input.Name === name).length;

describe("webhook handler during a webhook secret rotation", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    laterDelivery();
    clearCaches();
    ssm.reset();
    sqs.reset();
    ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => {
      const value = stored[input.Name];
      if (value === undefined) throw Object.assign(new Error("ParameterNotFound"), { name: "ParameterNotFound" });
      return { Parameter: { Name: input.Name, Type: "SecureString", Value: value } };
    });
    sqs.on(SendMessageCommand).resolves({ MessageId: "5fea7756-0ea4-451a-a703-a558b933e274", SequenceNumber: "1" });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  beforeAll(async () => {
    await db.createTable("sr-jobs");
  });

  afterAll(async () => {
    ssm.restore();
    sqs.restore();
    await db.close();
  });

  it("accepts deliveries signed with the old and with the new secret while the previous parameter holds the old one", async () => {
    stored[CURRENT] = NEW;
    stored[PREVIOUS] = OLD;

    const results = [await deliver(OLD), await deliver(NEW)];

    expect(results).toEqual([
      { status: 200, message: "queued" },
      { status: 200, message: "queued" },
    ]);
    expect(sent()).toBe(2);
  });

  it("fails when the signature is forged during the window: 401 and nothing queued", async () => {
    stored[CURRENT] = NEW;
    stored[PREVIOUS] = OLD;

    expect(await deliver("forged")).toEqual({ status: 401, message: "invalid signature" });
    expect(sent()).toBe(0);
  });

  it("accepts the new secret at once after the operator rotates, though the cache holds the old one", async () => {
    // Arrange: a warm function has cached the old secret.
    stored[CURRENT] = OLD;
    stored[PREVIOUS] = "replace-me";
    expect(await deliver(OLD)).toEqual({ status: 200, message: "queued" });
    // The operator copies the old secret to the previous parameter and stores the new one.
    stored[PREVIOUS] = OLD;
    stored[CURRENT] = NEW;
    clock += 1_000;
    vi.setSystemTime(clock);

    // Act
    const result = await deliver(NEW);

    // Assert: one cached read, then one forced re-read of both parameters.
    expect(result).toEqual({ status: 200, message: "queued" });
    expect([reads(CURRENT), reads(PREVIOUS)]).toEqual([2, 2]);
    expect(sent()).toBe(2);
  });

  it("fails when the old secret is used after the previous parameter was cleared: 401 and nothing queued", async () => {
    stored[CURRENT] = NEW;
    stored[PREVIOUS] = "replace-me";

    expect(await deliver(OLD)).toEqual({ status: 401, message: "invalid signature" });
    expect(await deliver(NEW)).toEqual({ status: 200, message: "queued" });
    expect(sent()).toBe(1);
  });

  it("fails when the old secret is used after the previous secret's expiry: 401 and nothing queued", async () => {
    stored[CURRENT] = NEW;
    stored[PREVIOUS] = JSON.stringify({ secret: OLD, expiresAt: new Date(clock + 60_000).toISOString() });
    expect(await deliver(OLD)).toEqual({ status: 200, message: "queued" });

    clock += 61_000;
    vi.setSystemTime(clock);

    expect(await deliver(OLD)).toEqual({ status: 401, message: "invalid signature" });
    expect(sent()).toBe(1);
  });

  it("re-reads the parameters at most once per interval however many forged deliveries arrive", async () => {
    stored[CURRENT] = NEW;
    stored[PREVIOUS] = OLD;

    for (let i = 0; i < 5; i += 1) expect((await deliver(`forged-${i}`)).status).toBe(401);

    // One cached read plus one forced read per parameter, not one per delivery.
    expect([reads(CURRENT), reads(PREVIOUS)]).toEqual([2, 2]);
    expect(sent()).toBe(0);
  });

  it("accepts the current secret when the previous parameter does not exist", async () => {
    stored[CURRENT] = NEW;
    delete stored[PREVIOUS];

    expect(await deliver(NEW)).toEqual({ status: 200, message: "queued" });
    expect(await deliver(OLD)).toEqual({ status: 401, message: "invalid signature" });
    expect(sent()).toBe(1);
  });
});
