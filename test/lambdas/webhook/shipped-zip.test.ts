import { createHash } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { lambdaContext } from "../../helpers/aws.js";
import { startDynalite } from "../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../helpers/dynalite.js";
import { workflowJobFixture } from "../../helpers/openapi.js";
import { loadShippedHandler } from "../../helpers/shipped-zip.js";
import { AwsFault, LoopbackAws } from "../../helpers/loopback-aws.js";

// Drives dist/lambdas/webhook.zip (with dist/layers/shared.zip) as deployed: signed API Gateway proxy
// events in, real AWS SDK requests out: SQS and SSM to a loopback endpoint, DynamoDB (job ledger and
// Powertools idempotency, one table) to dynalite.

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const SECRET = "zip-test-webhook-secret";
// The SQS client sends to the queue URL's host, so the queue lives on the loopback endpoint too.
let QUEUE_URL = "";
// The fixture's queued delivery, created now: fresh for the webhook's replay bound.
// Pretty-printed, as GitHub sends it: a compact re-serialisation differs from these bytes.
const payload = JSON.stringify(workflowJobFixture("queued"), null, 2);
const job = JSON.parse(payload) as { workflow_job: { id: number; run_attempt: number; labels: string[] } };

// A whole Lambda context: Powertools idempotency reads the remaining time from it.
const context: Context = lambdaContext("sr-webhook");

interface SentMessage {
  QueueUrl: string;
  MessageBody: string;
  MessageGroupId: string;
  MessageDeduplicationId: string;
  MessageAttributes: Record<string, { StringValue: string }>;
}

let handler: Handler;
let db: LocalDynamoDb;
let deliveries = 0;

function event(body: string, headers: Record<string, string>, isBase64Encoded = false): APIGatewayProxyEvent {
  return { body, headers, isBase64Encoded, httpMethod: "POST", path: "/webhook" } as unknown as APIGatewayProxyEvent;
}

/** A signed delivery; each gets a new X-GitHub-Delivery unless one is given (a redelivery). */
async function signedEvent(body: string, githubEvent = "workflow_job", deliveryId = `delivery-${(deliveries += 1)}`): Promise<APIGatewayProxyEvent> {
  return event(body, { "X-Hub-Signature-256": await sign(SECRET, body), "X-GitHub-Event": githubEvent, "X-GitHub-Delivery": deliveryId });
}

const ledgerItem = async (pk: string) => (await db.items("sr-jobs")).find((item) => item.pk === pk);

const aws = new LoopbackAws()
  .on("AmazonSSM.GetParameter", (input) => ({ Parameter: { Name: input.Name, Type: "SecureString", Value: SECRET, Version: 1 } }))
  .on("AmazonSQS.SendMessage", (input) => ({
    MessageId: `m-${aws.calls.length}`,
    // The SDK checks the MD5 of the body it sent against the answer.
    MD5OfMessageBody: createHash("md5").update(String(input.MessageBody)).digest("hex"),
    SequenceNumber: "1",
  }));
const sent = () => aws.inputsOf("AmazonSQS.SendMessage") as unknown as SentMessage[];
const ssmReads = () => aws.inputsOf("AmazonSSM.GetParameter").length;

beforeAll(async () => {
  db = await startDynalite();
  await db.createTable("sr-jobs");
  const endpoint = await aws.start();
  QUEUE_URL = `${endpoint}/123456789012/sr-linux.fifo`;
  handler = loadShippedHandler<Handler>("webhook", {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    JOBS_TABLE: "sr-jobs",
    PREFIX: "sr",
    WEBHOOK_SECRET_SSM_PARAMETER_NAME: "/sr/github-app/webhook-secret",
    POOLS: JSON.stringify({ linux: { labels: job.workflow_job.labels, queueUrl: QUEUE_URL } }),
    WEBHOOK_MAX_BODY_BYTES: "65536",
    ALLOWED_OWNERS: "[]",
    ALLOWED_REPOSITORIES: "[]",
    WEBHOOK_MAX_JOB_AGE_SECONDS: "3600",
  });
});

afterEach(async () => {
  aws.calls.length = 0;
  await db.clear("sr-jobs");
});

afterAll(async () => {
  await Promise.all([aws.stop(), db.close()]);
});

describe("the shipped webhook zip", () => {
  it("queues a signed workflow_job once, with the job's deduplication id and the delivery id", async () => {
    const result = await handler(await signedEvent(payload), context);

    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ message: "queued", pool: "linux", jobId: job.workflow_job.id });
    expect(sent()).toHaveLength(1);
    expect(sent()[0].QueueUrl).toBe(QUEUE_URL);
    expect(sent()[0].MessageDeduplicationId).toBe(`${job.workflow_job.id}-${job.workflow_job.run_attempt}`);
    expect(sent()[0].MessageGroupId).toBe(String(job.workflow_job.id));
    expect(sent()[0].MessageAttributes.DeliveryId.StringValue).toMatch(/^delivery-\d+$/);
    expect(JSON.parse(sent()[0].MessageBody)).toMatchObject({ version: 1, pool: "linux", jobId: job.workflow_job.id });
  });

  it("reads the secret from SSM once and caches it across invocations", async () => {
    // The first test already read it; the cache keeps later invocations off SSM.
    await handler(await signedEvent(payload), context);
    await handler(await signedEvent(JSON.stringify(workflowJobFixture("queued", { jobId: 4242 }))), context);
    expect(ssmReads()).toBe(0);
    expect(sent()).toHaveLength(2);
  });

  it("accepts a base64-encoded body", async () => {
    const signed = await signedEvent(payload);
    const result = await handler({ ...signed, body: Buffer.from(payload).toString("base64"), isBase64Encoded: true }, context);
    expect(result.statusCode).toBe(200);
    expect(sent()).toHaveLength(1);
  });

  it("fails when the signature is forged: 401, nothing queued", async () => {
    const forged = event(payload, { "X-Hub-Signature-256": await sign("not-the-secret", payload), "X-GitHub-Event": "workflow_job" });
    const result = await handler(forged, context);
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body)).toEqual({ message: "invalid signature" });
    expect(sent()).toHaveLength(0);
  });

  it("fails when the body was changed after signing: 401, nothing queued", async () => {
    const signed = await signedEvent(payload);
    const result = await handler({ ...signed, body: payload.replace('"queued"', '"completed"') }, context);
    expect(result.statusCode).toBe(401);
    expect(sent()).toHaveLength(0);
  });

  // The signature covers the bytes sent, not the JSON they parse to (the fixture is pretty-printed).
  it.each([
    ["re-serialised compactly", (original: string) => JSON.stringify(JSON.parse(original))],
    ["with its keys reordered", (original: string) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(original) as object).reverse()), null, 2)],
  ])("fails when a body %s carries the original bytes' signature, or the reverse: 401 twice, nothing queued", async (_name, reformat) => {
    const reformatted = reformat(payload);
    expect(reformatted).not.toBe(payload);
    expect(JSON.parse(reformatted)).toEqual(JSON.parse(payload));

    const signedOriginal = await signedEvent(payload);
    const resentReformatted = await handler({ ...signedOriginal, body: reformatted }, context);
    const signedReformatted = await signedEvent(reformatted);
    const resentOriginal = await handler({ ...signedReformatted, body: payload }, context);

    expect([resentReformatted.statusCode, resentOriginal.statusCode]).toEqual([401, 401]);
    expect(JSON.parse(resentOriginal.body)).toEqual({ message: "invalid signature" });
    expect(sent()).toHaveLength(0);
    expect((await db.items("sr-jobs")).filter((item) => item.pk.startsWith("job#"))).toEqual([]);
  });

  it("fails when the signature is missing: 401, nothing queued", async () => {
    const result = await handler(event(payload, { "X-GitHub-Event": "workflow_job" }), context);
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body)).toEqual({ message: "missing signature" });
    expect(sent()).toHaveLength(0);
  });

  it("fails when the signed body is not JSON: 400, nothing queued", async () => {
    const result = await handler(await signedEvent("{not json"), context);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toEqual({ message: "invalid JSON body" });
    expect(sent()).toHaveLength(0);
  });

  it("fails when the body is over the limit: 413, nothing queued", async () => {
    const big = JSON.stringify({ padding: "x".repeat(70_000) });
    const result = await handler(await signedEvent(big), context);
    expect(result.statusCode).toBe(413);
    expect(JSON.parse(result.body)).toEqual({ message: "payload too large" });
    expect(sent()).toHaveLength(0);
  });

  it("answers ping with pong and queues nothing", async () => {
    const result = await handler(await signedEvent(JSON.stringify({ zen: "Keep it logically awesome." }), "ping"), context);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ message: "pong" });
    expect(sent()).toHaveLength(0);
  });

  it("ignores events it does not handle: 202 with the reason, nothing queued", async () => {
    const result = await handler(await signedEvent(JSON.stringify({ action: "opened" }), "issues"), context);
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ message: "ignored: event issues is not handled" });
    expect(sent()).toHaveLength(0);
  });

  it("ignores workflow_job actions it does not track: 202, nothing queued", async () => {
    const waiting = JSON.stringify(workflowJobFixture("waiting"));
    const result = await handler(await signedEvent(waiting), context);
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ message: "ignored: action waiting is not handled" });
    expect(sent()).toHaveLength(0);
    expect(await db.items("sr-jobs")).toEqual([]);
  });

  it("ignores jobs no pool matches: 202, nothing queued", async () => {
    const parsed = JSON.parse(payload);
    parsed.workflow_job.labels = ["ubuntu-latest"];
    const result = await handler(await signedEvent(JSON.stringify(parsed)), context);
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ message: "ignored: no pool matches labels [ubuntu-latest]" });
    expect(sent()).toHaveLength(0);
  });

  it("records the queued job and its delivery in the job's own item, nothing beside it", async () => {
    await handler(await signedEvent(payload, "workflow_job", "delivery-ledger"), context);

    expect(await ledgerItem(`job#${job.workflow_job.id}#1`)).toMatchObject({ phase: "received", pool: "linux", deliveryIds: new Set(["delivery-ledger"]), queueLeaseOwner: "delivery-ledger" });
    const records = (await db.items("sr-jobs")).filter((item) => !item.pk.startsWith("job#"));
    expect(records).toHaveLength(0);
  });

  it("answers a redelivery of the same delivery with the first answer and queues nothing more", async () => {
    const first = await handler(await signedEvent(payload, "workflow_job", "delivery-redelivered"), context);
    const again = await handler(await signedEvent(payload, "workflow_job", "delivery-redelivered"), context);

    expect(JSON.parse(again.body)).toEqual(JSON.parse(first.body));
    expect(again.statusCode).toBe(first.statusCode);
    expect(sent()).toHaveLength(1);
  });

  it("answers a new delivery of a job already queued as a duplicate", async () => {
    await handler(await signedEvent(payload), context);
    const second = await handler(await signedEvent(payload), context);

    expect(second.statusCode).toBe(200);
    expect(JSON.parse(second.body)).toEqual({ message: "duplicate: job is received", pool: "linux", jobId: job.workflow_job.id });
    expect(sent()).toHaveLength(1);
  });

  it("records in_progress and completed, and frees the slots of the job whose runner completed", async () => {
    // Arrange: job 1111 launched sr-i-0aaaaaaaaaaaaaaa1 and holds one slot of each counter.
    const launchedFor = "job#1111#1";
    await db.documentClient.send(new PutCommand({ TableName: "sr-jobs", Item: { pk: launchedFor, phase: "launched", jobId: 1111, runAttempt: 1, pool: "linux", scopeOwner: "octo-org", instanceId: "i-0aaaaaaaaaaaaaaa1", slotHeld: true } }));
    await db.documentClient.send(new PutCommand({ TableName: "sr-jobs", Item: { pk: "instance#i-0aaaaaaaaaaaaaaa1", job: launchedFor } }));
    for (const pk of ["limit#global", "limit#pool#linux", "limit#owner#octo-org"]) await db.documentClient.send(new PutCommand({ TableName: "sr-jobs", Item: { pk, inUse: 1 } }));

    // Act
    const started = await handler(await signedEvent(JSON.stringify(workflowJobFixture("in_progress", { runnerName: "sr-i-0aaaaaaaaaaaaaaa1" }))), context);
    const completed = await handler(await signedEvent(JSON.stringify(workflowJobFixture("completed", { runnerName: "sr-i-0aaaaaaaaaaaaaaa1" }))), context);

    // Assert
    expect(JSON.parse(started.body)).toEqual({ message: "recorded: running", jobId: job.workflow_job.id });
    expect(JSON.parse(completed.body)).toEqual({ message: "recorded: completed", jobId: job.workflow_job.id });
    expect(await ledgerItem(`job#${job.workflow_job.id}#1`)).toMatchObject({ phase: "completed", ranOn: "sr-i-0aaaaaaaaaaaaaaa1", conclusion: "success" });
    expect(await ledgerItem(launchedFor)).toMatchObject({ slotHeld: false });
    for (const pk of ["limit#global", "limit#pool#linux", "limit#owner#octo-org"]) expect(await ledgerItem(pk)).toMatchObject({ inUse: 0 });
    expect(sent()).toHaveLength(0);
  });

  it("queues the job anyway when the ledger table is unavailable", async () => {
    await db.deleteTable("sr-jobs");
    try {
      const result = await handler(await signedEvent(payload), context);

      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body)).toMatchObject({ message: "queued" });
      expect(sent()).toHaveLength(1);
    } finally {
      await db.createTable("sr-jobs");
    }
  });
  it("queues a job sent with GitHub's form content type", async () => {
    const parsed = JSON.parse(payload);
    parsed.workflow_job.id = 7003;
    const form = new URLSearchParams({ payload: JSON.stringify(parsed) }).toString();
    const signed = await signedEvent(form);
    const result = await handler({ ...signed, headers: { ...signed.headers, "Content-Type": "application/x-www-form-urlencoded" } }, context);
    expect(JSON.parse(result.body)).toEqual({ message: "queued", pool: "linux", jobId: 7003 });
    expect(sent()).toHaveLength(1);
  });

  it("fails when SQS refuses the message: 500 internal error", async () => {
    aws.on("AmazonSQS.SendMessage", () => {
      throw new AwsFault("AWS.SimpleQueueService.NonExistentQueue");
    });
    try {
      const parsed = JSON.parse(payload);
      parsed.workflow_job.id = 7004;
      const result = await handler(await signedEvent(JSON.stringify(parsed)), context);
      expect(result.statusCode).toBe(500);
      expect(JSON.parse(result.body)).toEqual({ message: "internal error" });
      expect(sent()).toHaveLength(1);
    } finally {
      aws.on("AmazonSQS.SendMessage", (input) => ({
        MessageId: `m-${aws.calls.length}`,
        MD5OfMessageBody: createHash("md5").update(String(input.MessageBody)).digest("hex"),
        SequenceNumber: "1",
      }));
    }
  });
});
