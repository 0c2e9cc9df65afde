import { clearCaches } from "@aws-lambda-powertools/parameters";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { sign } from "@octokit/webhooks-methods";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

// The handler's DynamoDB client (job ledger and Powertools idempotency, one table) talks to dynalite;
// SQS and SSM are aws-sdk-client-mock doubles. The handler comes from its factory, with this test's
// environment and clients.
import { dynamoDbLedger } from "../../../lambdas/libs/ledger/dynamodb-store.js";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import { getSecureString } from "../../../lambdas/shared/index.js";
import { createHandler, defaultDeps } from "../../../lambdas/webhook/webhook.lambda.js";
import { apiGatewayEvent, lambdaContext } from "../../helpers/aws.js";
import { workflowJobFixture } from "../../helpers/github.js";
import { workflowJobQueuedFixture } from "../../helpers/openapi.js";
import { startDynalite } from "../../helpers/dynalite.js";
import { quietPowertools } from "../../helpers/powertools.js";
import { WEBHOOK_ENV } from "../../../contracts/index.js";
import { sampleEnv } from "../../helpers/contracts.js";

const db = await startDynalite();
/** The function's environment as the stack renders it, handed to the factory (never to process.env). */
const ENV = sampleEnv(WEBHOOK_ENV, {
  WEBHOOK_SECRET_SSM_PARAMETER_NAME: "/self-runners/webhook-secret",
  JOBS_TABLE: "sr-jobs",
  PREFIX: "sr",
  POOLS: JSON.stringify({
    gpu: { labels: ["linux", "gpu"], queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-gpu.fifo" },
    linux: { labels: ["linux", "x64"], queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo" },
  }),
});
quietPowertools();
const handler = createHandler(() => defaultDeps(ENV, { sqs: new SQSClient({ region: "eu-west-1" }), dynamoDb: db.client,
  // The Powertools SSM reader of the other functions, so aws-sdk-client-mock's SSMClient double answers; the
  // webhook's own signed GetParameter is exercised through the shipped zip (shipped-zip*.test.ts).
  readSecret: (name, fresh) => getSecureString(name, { forceFetch: fresh }),
}));

const SECRET = "It's a Secret to Everybody";
const DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
const JOB_ID = 29679449632;
const KEY = jobKey({ jobId: JOB_ID, runAttempt: 1 });
const ssm = mockClient(SSMClient);
const sqs = mockClient(SQSClient);
const ledger = dynamoDbLedger(db.documentClient, "sr-jobs");

async function delivery(
  event: string,
  body: string,
  options: { secret?: string; headers?: Record<string, string>; base64?: boolean; omitSignature?: boolean; deliveryId?: string } = {},
) {
  const headers: Record<string, string> = {
    "X-GitHub-Event": event,
    "X-GitHub-Delivery": options.deliveryId ?? DELIVERY,
    "Content-Type": "application/json",
    ...(options.omitSignature ? {} : { "X-Hub-Signature-256": await sign(options.secret ?? SECRET, body) }),
    ...options.headers,
  };
  const encoded = options.base64 ? Buffer.from(body, "utf8").toString("base64") : body;
  return handler(apiGatewayEvent({ body: encoded, headers, isBase64Encoded: options.base64 ?? false }), lambdaContext("webhook"));
}

/** A workflow_job delivery with its own delivery id. */
function job(action: Parameters<typeof workflowJobFixture>[0], deliveryId: string, options: Parameters<typeof workflowJobFixture>[1] = {}) {
  return delivery("workflow_job", JSON.stringify(workflowJobFixture(action, options)), { deliveryId });
}

function answer(result: { statusCode: number; body: string; headers?: Record<string, unknown> }) {
  return { statusCode: result.statusCode, contentType: result.headers?.["content-type"], body: JSON.parse(result.body) };
}

const sent = () => sqs.commandCalls(SendMessageCommand);

/** Job `jobId` launched runner sr-<instanceId> and holds one slot of each counter (as scale-up leaves it). */
async function launched(jobId: number, instanceId: string, slots = 1): Promise<string> {
  const facts = { jobId, runAttempt: 1, pool: "linux", scopeOwner: "octo-org" };
  const now = new Date();
  await ledger.claim(facts, "scale-up", 120_000, now);
  await ledger.recordInstance(jobKey(facts), "scale-up", instanceId, `sr-${instanceId}`, now);
  await ledger.markLaunched(jobKey(facts), "scale-up", now);
  for (const pk of ["limit#global", "limit#pool#linux", "limit#owner#octo-org"]) {
    await db.documentClient.send(new PutCommand({ TableName: "sr-jobs", Item: { pk, inUse: slots } }));
  }
  return jobKey(facts);
}

async function counters(): Promise<Record<string, number>> {
  return Object.fromEntries((await db.items("sr-jobs")).filter((item) => item.pk.startsWith("limit#")).map((item) => [item.pk, item.inUse]));
}

beforeAll(async () => {
  await db.createTable("sr-jobs");
});

beforeEach(async () => {
  clearCaches();
  ssm.reset();
  sqs.reset();
  await db.clear("sr-jobs");
  ssm.on(GetParameterCommand, { Name: "/self-runners/webhook-secret", WithDecryption: true }).resolves({
    Parameter: { Name: "/self-runners/webhook-secret", Type: "SecureString", Value: SECRET },
  });
  sqs.on(SendMessageCommand).resolves({ MessageId: "5fea7756-0ea4-451a-a703-a558b933e274", SequenceNumber: "1" });
});

afterAll(async () => {
  ssm.restore();
  sqs.restore();
  await db.close();
});

describe("webhook handler", () => {
  it("answers ping with pong", async () => {
    // Act
    const result = await delivery("ping", JSON.stringify({ zen: "Design for failure.", hook_id: 1 }));

    // Assert
    expect(answer(result)).toEqual({ statusCode: 200, contentType: "application/json", body: { message: "pong" } });
    expect(sent()).toHaveLength(0);
  });

  it("enqueues a matched queued job exactly once with the contract's ids and records it in the ledger", async () => {
    // Arrange
    const body = JSON.stringify(workflowJobFixture("queued"));

    // Act
    const result = await delivery("workflow_job", body);

    // Assert
    expect(answer(result)).toEqual({ statusCode: 200, contentType: "application/json", body: { message: "queued", pool: "linux", jobId: JOB_ID } });
    const calls = sent();
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({
      QueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo",
      MessageGroupId: "29679449632",
      MessageDeduplicationId: "29679449632-1",
      MessageAttributes: { DeliveryId: { DataType: "String", StringValue: DELIVERY } },
    });
    expect(JSON.parse(input.MessageBody!)).toMatchObject({
      version: 1,
      deliveryId: DELIVERY,
      pool: "linux",
      jobId: JOB_ID,
      runId: 10358102281,
      runAttempt: 1,
      repository: "octo-org/example-workflow",
      owner: "octo-org",
      installationId: 52103487,
      labels: ["self-hosted", "linux", "x64"],
    });
    expect(await ledger.get(KEY)).toMatchObject({
      phase: "received",
      pool: "linux",
      repository: "octo-org/example-workflow",
      org: "octo-org",
      installationId: 52103487,
      deliveryIds: [DELIVERY],
      queuedAt: expect.any(String),
    });
  });

  it("reads headers case-insensitively and caches the secret across invocations", async () => {
    // Arrange
    const body = JSON.stringify(workflowJobFixture("queued"));
    const headers = { "x-github-event": "workflow_job", "x-github-delivery": DELIVERY, "x-hub-signature-256": await sign(SECRET, body) };
    const event = apiGatewayEvent({ body, headers });

    // Act
    const first = await handler(event, lambdaContext("webhook"));
    const second = await handler(event, lambdaContext("webhook"));

    // Assert
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
  });

  it("accepts a base64-encoded body", async () => {
    // Act
    const result = await delivery("workflow_job", JSON.stringify(workflowJobFixture("queued")), { base64: true });

    // Assert
    expect(answer(result).body).toEqual({ message: "queued", pool: "linux", jobId: JOB_ID });
    expect(sent()).toHaveLength(1);
  });

  it.each([
    { name: "an event other than workflow_job", event: "push", action: "queued", message: "ignored: event push is not handled" },
    { name: "the waiting action", event: "workflow_job", action: "waiting", message: "ignored: action waiting is not handled" },
    { name: "the requested action", event: "workflow_job", action: "requested", message: "ignored: action requested is not handled" },
  ])("answers 202 for $name and sends nothing", async ({ event, action, message }) => {
    // Arrange
    const payload = { ...workflowJobFixture("queued"), action };

    // Act
    const result = await delivery(event, JSON.stringify(payload));

    // Assert
    expect(answer(result)).toEqual({ statusCode: 202, contentType: "application/json", body: { message } });
    expect(sent()).toHaveLength(0);
    expect(await db.items("sr-jobs")).toEqual([]);
  });

  it("answers 202 when no pool matches the labels, for queued and for progress, and records nothing", async () => {
    // Arrange
    const queued = workflowJobFixture("queued");
    queued.workflow_job.labels = ["self-hosted", "macOS", "arm64"];
    const completed = workflowJobFixture("completed");
    completed.workflow_job.labels = ["ubuntu-latest"];

    // Act
    const results = [await delivery("workflow_job", JSON.stringify(queued)), await delivery("workflow_job", JSON.stringify(completed), { deliveryId: "d-2" })];

    // Assert
    expect(results.map(answer)).toEqual([
      { statusCode: 202, contentType: "application/json", body: { message: "ignored: no pool matches labels [self-hosted, macOS, arm64]" } },
      { statusCode: 202, contentType: "application/json", body: { message: "ignored: no pool matches labels [ubuntu-latest]" } },
    ]);
    expect(sent()).toHaveLength(0);
    expect(await db.items("sr-jobs")).toEqual([]);
  });

  it("fails when the signature was made with another secret: 401 and nothing sent", async () => {
    // Act
    const result = await delivery("workflow_job", JSON.stringify(workflowJobFixture("queued")), { secret: "forged" });

    // Assert
    expect(answer(result)).toEqual({ statusCode: 401, contentType: "application/json", body: { message: "invalid signature" } });
    expect(sent()).toHaveLength(0);
    expect(await db.items("sr-jobs")).toEqual([]);
  });

  it("fails when the body was changed after signing: 401 and nothing sent", async () => {
    // Arrange
    const body = JSON.stringify(workflowJobFixture("queued"));
    const signature = await sign(SECRET, body);
    const tampered = body.replace('"linux"', '"gpu"');

    // Act
    const result = await delivery("workflow_job", tampered, { headers: { "X-Hub-Signature-256": signature } });

    // Assert
    expect(answer(result).body).toEqual({ message: "invalid signature" });
    expect(result.statusCode).toBe(401);
    expect(sent()).toHaveLength(0);
  });

  // The signature covers the bytes GitHub sent, never the JSON they parse to: a check that re-serialises
  // the payload (or also tries its re-serialised form) would accept each of these.
  describe.each([
    ["re-serialised compactly", (original: string) => JSON.stringify(JSON.parse(original))],
    ["with its keys reordered", (original: string) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(original) as object).reverse()), null, 2)],
  ])("a body %s", (_name, reformat) => {
    const original = JSON.stringify(workflowJobQueuedFixture(), null, 2);

    it("fails when it carries the signature of the original bytes: 401 and nothing sent", async () => {
      // Arrange
      const reformatted = reformat(original);
      expect(reformatted).not.toBe(original);
      expect(JSON.parse(reformatted)).toEqual(JSON.parse(original));

      // Act
      const result = await delivery("workflow_job", reformatted, { headers: { "X-Hub-Signature-256": await sign(SECRET, original) } });

      // Assert
      expect(answer(result)).toEqual({ statusCode: 401, contentType: "application/json", body: { message: "invalid signature" } });
      expect(sent()).toHaveLength(0);
      expect(await db.items("sr-jobs")).toEqual([]);
    });

    it("fails when the original bytes carry the signature of the re-formatted JSON: 401 and nothing sent", async () => {
      // Act
      const result = await delivery("workflow_job", original, { headers: { "X-Hub-Signature-256": await sign(SECRET, reformat(original)) } });

      // Assert
      expect(answer(result)).toEqual({ statusCode: 401, contentType: "application/json", body: { message: "invalid signature" } });
      expect(sent()).toHaveLength(0);
      expect(await db.items("sr-jobs")).toEqual([]);
    });
  });

  it("fails when the signature header is missing: 401 and nothing sent", async () => {
    // Act
    const result = await delivery("workflow_job", JSON.stringify(workflowJobFixture("queued")), { omitSignature: true });

    // Assert
    expect(answer(result)).toEqual({ statusCode: 401, contentType: "application/json", body: { message: "missing signature" } });
    expect(sent()).toHaveLength(0);
  });

  it("fails when a validly signed body is not JSON: 400 and nothing sent", async () => {
    // Act
    const result = await delivery("workflow_job", "payload=%7B%22action%22%3A%22queued%22%7D");

    // Assert
    expect(answer(result)).toEqual({ statusCode: 400, contentType: "application/json", body: { message: "invalid JSON body" } });
    expect(sent()).toHaveLength(0);
  });

  it("fails when the body is larger than WEBHOOK_MAX_BODY_BYTES: 413, nothing read or sent", async () => {
    // Arrange
    const body = JSON.stringify({ ...workflowJobFixture("queued"), padding: "x".repeat(262_144) });

    // Act
    const result = await delivery("workflow_job", body, { base64: true });

    // Assert
    expect(answer(result)).toEqual({ statusCode: 413, contentType: "application/json", body: { message: "payload too large" } });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
    expect(sent()).toHaveLength(0);
  });

  it("fails when SQS refuses the message: 500 internal error, and the redelivery queues the job", async () => {
    // Arrange
    sqs.on(SendMessageCommand).rejectsOnce(new Error("AWS.SimpleQueueService.NonExistentQueue")).resolves({ MessageId: "m-2" });
    const body = JSON.stringify(workflowJobFixture("queued"));

    // Act
    const failed = await delivery("workflow_job", body);
    const redelivered = await delivery("workflow_job", body);

    // Assert
    expect(answer(failed)).toEqual({ statusCode: 500, contentType: "application/json", body: { message: "internal error" } });
    expect(answer(redelivered).body).toEqual({ message: "queued", pool: "linux", jobId: JOB_ID });
    expect(sent()).toHaveLength(2);
  });
});

describe("webhook handler: one message per job", () => {
  it("answers a redelivery of the same delivery with the first answer and sends nothing more", async () => {
    // Arrange
    const body = JSON.stringify(workflowJobFixture("queued"));

    // Act
    const first = await delivery("workflow_job", body);
    const again = await delivery("workflow_job", body);

    // Assert
    expect(answer(again)).toEqual(answer(first));
    expect(answer(first).body.message).toBe("queued");
    expect(sent()).toHaveLength(1);
  });

  it.each([
    { phase: "launching", advance: async () => ledger.claim({ jobId: JOB_ID, runAttempt: 1, pool: "linux", scopeOwner: "octo-org" }, "scale-up", 120_000, new Date()) },
    { phase: "launched", advance: async () => launched(JOB_ID, "i-0aaaaaaaaaaaaaaa1") },
  ])("answers a new delivery of a job scale-up took ($phase) as a duplicate", async ({ phase, advance }) => {
    // Arrange
    await job("queued", "d-1");
    await advance();

    // Act
    const result = await job("queued", "d-2");

    // Assert
    expect(answer(result)).toEqual({ statusCode: 200, contentType: "application/json", body: { message: `duplicate: job is ${phase}`, pool: "linux", jobId: JOB_ID } });
    expect(sent()).toHaveLength(1);
    expect((await ledger.get(KEY))?.deliveryIds).toEqual(["d-1", "d-2"]);
  });

  it("queues once for queued, waiting and queued again (new delivery ids)", async () => {
    // Act
    const results = [await job("queued", "d-1"), await job("waiting", "d-2"), await job("queued", "d-3")];

    // Assert
    expect(results.map((result) => [result.statusCode, JSON.parse(result.body).message])).toEqual([
      [200, "queued"],
      [202, "ignored: action waiting is not handled"],
      [200, "duplicate: job is received"],
    ]);
    expect(sent()).toHaveLength(1);
  });

  it("queues a re-run attempt of a job as a new job", async () => {
    // Act
    await job("queued", "d-1");
    const rerun = await job("queued", "d-2", { runAttempt: 2 });

    // Assert
    expect(answer(rerun).body.message).toBe("queued");
    expect(sent().map((call) => call.args[0].input.MessageDeduplicationId)).toEqual(["29679449632-1", "29679449632-2"]);
  });

  it("queues the job anyway when the ledger is down", async () => {
    // Arrange: the table (ledger and idempotency store) is gone.
    await db.deleteTable("sr-jobs");

    // Act
    const result = await job("queued", "d-1").finally(() => db.createTable("sr-jobs"));

    // Assert
    expect(answer(result).body).toEqual({ message: "queued", pool: "linux", jobId: JOB_ID });
    expect(sent()).toHaveLength(1);
  });
});

describe("webhook handler: job progress", () => {
  it("records in_progress with the runner that took the job", async () => {
    // Arrange
    await job("queued", "d-1");

    // Act
    const result = await job("in_progress", "d-2", { runnerName: "sr-i-0aaaaaaaaaaaaaaa1" });

    // Assert
    expect(answer(result)).toEqual({ statusCode: 200, contentType: "application/json", body: { message: "recorded: running", jobId: JOB_ID } });
    expect(await ledger.get(KEY)).toMatchObject({ phase: "running", ranOn: "sr-i-0aaaaaaaaaaaaaaa1" });
    expect(await ledger.jobOfRunner("sr-i-0aaaaaaaaaaaaaaa1")).toBe(KEY);
    expect(sent()).toHaveLength(1);
  });

  it.each([
    { conclusion: "success", phase: "completed" },
    { conclusion: "failure", phase: "failed" },
    { conclusion: "cancelled", phase: "cancelled" },
  ])("records completed with conclusion $conclusion as $phase, once", async ({ conclusion, phase }) => {
    // Arrange
    await job("queued", "d-1");
    await job("in_progress", "d-2");

    // Act
    const result = await job("completed", "d-3", { conclusion });
    const again = await job("completed", "d-4", { conclusion });

    // Assert
    expect(answer(result).body).toEqual({ message: `recorded: ${phase}`, jobId: JOB_ID });
    expect(answer(again).body).toEqual({ message: "recorded: unchanged", jobId: JOB_ID });
    expect(await ledger.get(KEY)).toMatchObject({ phase, conclusion });
  });

  it("frees, on completed, the slots of the job whose launch created the runner, exactly once", async () => {
    // Arrange: job A launched sr-i-...a1; that runner took job B (runners are not bound to jobs).
    const launchedFor = await launched(1111, "i-0aaaaaaaaaaaaaaa1", 2);
    await job("queued", "d-1");

    // Act
    await job("completed", "d-2", { runnerName: "sr-i-0aaaaaaaaaaaaaaa1" });
    await job("completed", "d-3", { runnerName: "sr-i-0aaaaaaaaaaaaaaa1" });

    // Assert
    expect(await counters()).toEqual({ "limit#global": 1, "limit#pool#linux": 1, "limit#owner#octo-org": 1 });
    expect(await ledger.get(launchedFor)).toMatchObject({ phase: "launched", slotHeld: false });
    expect((await ledger.get(KEY))?.phase).toBe("completed");
  });

  it("frees nothing for a runner that is not one of ours", async () => {
    // Arrange
    await launched(1111, "i-0aaaaaaaaaaaaaaa1", 2);

    // Act
    await job("completed", "d-1", { runnerName: "GitHub Actions 12" });
    await job("completed", "d-2", { runnerName: "other-i-0aaaaaaaaaaaaaaa1", jobId: 2222 });

    // Assert
    expect(await counters()).toEqual({ "limit#global": 2, "limit#pool#linux": 2, "limit#owner#octo-org": 2 });
  });

  it("answers a redelivered completed with the first answer", async () => {
    // Arrange
    await launched(1111, "i-0aaaaaaaaaaaaaaa1", 2);
    const body = JSON.stringify(workflowJobFixture("completed", { runnerName: "sr-i-0aaaaaaaaaaaaaaa1" }));

    // Act
    const first = await delivery("workflow_job", body, { deliveryId: "d-1" });
    const again = await delivery("workflow_job", body, { deliveryId: "d-1" });

    // Assert
    expect(answer(again)).toEqual(answer(first));
    expect(answer(first).body.message).toBe("recorded: completed");
    expect((await counters())["limit#global"]).toBe(1);
  });

  it("fails when the ledger is down for a progress event: 500, so GitHub shows the failed delivery", async () => {
    // Arrange
    await db.deleteTable("sr-jobs");

    // Act
    const result = await job("in_progress", "d-1").finally(() => db.createTable("sr-jobs"));

    // Assert
    expect(answer(result)).toEqual({ statusCode: 500, contentType: "application/json", body: { message: "internal error" } });
  });
});
