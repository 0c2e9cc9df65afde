import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { lambdaContext } from "../../helpers/aws.js";
import { AwsFault, answerSendMessage } from "../../helpers/loopback-aws.js";
import { REPO_ROOT } from "../../helpers/paths.js";
import { loadShippedHandler } from "../../helpers/shipped-zip.js";
import { JOBS_TABLE, startWebhookDoubles } from "../../helpers/webhook-doubles.js";
import type { WebhookDoubles } from "../../helpers/webhook-doubles.js";

// Drives dist/lambdas/webhook.zip (with dist/layers/shared.zip) as deployed: signed API Gateway proxy
// events in, real AWS SDK requests out to loopback doubles (test/helpers/webhook-doubles.ts). Every
// request has its own X-GitHub-Delivery (the handler answers a repeated one from its idempotency
// record), and tests that depend on the job ledger use their own job id.

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const SECRET = "zip-test-webhook-secret";
const payload = readFileSync(join(REPO_ROOT, "test", "fixtures", "github", "workflow_job.queued.json"), "utf8");
const job = JSON.parse(payload) as { workflow_job: { id: number; run_attempt: number; labels: string[] } };

// A complete context: Powertools idempotency needs getRemainingTimeInMillis.
const context = lambdaContext("sr-webhook");

let handler: Handler;
let doubles: WebhookDoubles;
const sent = () => doubles.sent();

function event(body: string, headers: Record<string, string>, isBase64Encoded = false): APIGatewayProxyEvent {
  return { body, headers, isBase64Encoded, httpMethod: "POST", path: "/webhook" } as unknown as APIGatewayProxyEvent;
}

let deliveries = 0;

async function signedEvent(body: string, githubEvent = "workflow_job", deliveryId = `delivery-${(deliveries += 1)}`): Promise<APIGatewayProxyEvent> {
  return event(body, { "X-Hub-Signature-256": await sign(SECRET, body), "X-GitHub-Event": githubEvent, "X-GitHub-Delivery": deliveryId });
}

/** The fixture as JSON text, for job `jobId`, with `change` applied. */
function jobPayload(jobId: number, change: (payload: Record<string, any>) => void = () => undefined): string {
  const parsed = JSON.parse(payload) as Record<string, any>;
  parsed.workflow_job.id = jobId;
  change(parsed);
  return JSON.stringify(parsed);
}

beforeAll(async () => {
  doubles = await startWebhookDoubles({ secret: SECRET, pools: { linux: job.workflow_job.labels }, maxBodyBytes: 65536 });
  handler = loadShippedHandler<Handler>("webhook", doubles.env);
});

afterEach(() => {
  doubles.reset();
});

afterAll(async () => {
  await doubles.stop();
});

describe("the shipped webhook zip", () => {
  it("queues a signed workflow_job once, with the job's deduplication id and the delivery id", async () => {
    const signed = await signedEvent(payload);
    const result = await handler(signed, context);

    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ message: "queued", pool: "linux", jobId: job.workflow_job.id });
    expect(sent()).toHaveLength(1);
    expect(sent()[0].QueueUrl).toBe(doubles.queueUrls.linux);
    expect(sent()[0].MessageDeduplicationId).toBe(`${job.workflow_job.id}-${job.workflow_job.run_attempt}`);
    expect(sent()[0].MessageGroupId).toBe(String(job.workflow_job.id));
    expect(sent()[0].MessageAttributes.DeliveryId.StringValue).toBe(signed.headers["X-GitHub-Delivery"]);
    expect(JSON.parse(sent()[0].MessageBody)).toMatchObject({ version: 1, pool: "linux", jobId: job.workflow_job.id });
  });

  it("reads the secret from SSM once and caches it across invocations", async () => {
    // The first test already read it; the cache keeps later invocations off SSM.
    await handler(await signedEvent(payload), context);
    await handler(await signedEvent(payload), context);
    expect(doubles.secretReads()).toBe(0);
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
    const waiting = jobPayload(job.workflow_job.id, (p) => (p.action = "waiting"));
    const result = await handler(await signedEvent(waiting), context);
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ message: "ignored: action waiting is not handled" });
    expect(sent()).toHaveLength(0);
  });

  it("records a completed job in the ledger table and queues nothing", async () => {
    const completed = jobPayload(7001, (p) => Object.assign(p, { action: "completed" }, { workflow_job: { ...p.workflow_job, conclusion: "success" } }));
    const result = await handler(await signedEvent(completed), context);
    expect(result.statusCode).toBe(200);
    expect(sent()).toHaveLength(0);
    const item = await doubles.dynamodb.documentClient.send(new GetCommand({ TableName: JOBS_TABLE, Key: { pk: "job#7001#1" }, ConsistentRead: true }));
    expect(item.Item).toMatchObject({ phase: "completed", jobId: 7001 });
  });

  it("answers a repeated delivery id with the first answer and queues nothing more", async () => {
    const body = jobPayload(7002);
    const first = await handler(await signedEvent(body, "workflow_job", "delivery-repeated"), context);
    const again = await handler(await signedEvent(body, "workflow_job", "delivery-repeated"), context);
    expect(first.statusCode).toBe(200);
    expect(JSON.parse(again.body)).toEqual(JSON.parse(first.body));
    expect(sent()).toHaveLength(1);
  });

  it("queues a job sent with GitHub's form content type", async () => {
    const form = new URLSearchParams({ payload: jobPayload(7003) }).toString();
    const signed = await signedEvent(form);
    const result = await handler({ ...signed, headers: { ...signed.headers, "Content-Type": "application/x-www-form-urlencoded" } }, context);
    expect(JSON.parse(result.body)).toEqual({ message: "queued", pool: "linux", jobId: 7003 });
    expect(sent()).toHaveLength(1);
  });

  it("ignores jobs no pool matches: 202, nothing queued", async () => {
    const parsed = JSON.parse(payload);
    parsed.workflow_job.labels = ["ubuntu-latest"];
    const result = await handler(await signedEvent(JSON.stringify(parsed)), context);
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ message: "ignored: no pool matches labels [ubuntu-latest]" });
    expect(sent()).toHaveLength(0);
  });

  it("fails when SQS refuses the message: 500 internal error", async () => {
    doubles.aws.on("AmazonSQS.SendMessage", () => {
      throw new AwsFault("AWS.SimpleQueueService.NonExistentQueue");
    });
    try {
      const result = await handler(await signedEvent(jobPayload(7004)), context);
      expect(result.statusCode).toBe(500);
      expect(JSON.parse(result.body)).toEqual({ message: "internal error" });
      expect(sent()).toHaveLength(1);
    } finally {
      doubles.aws.on("AmazonSQS.SendMessage", answerSendMessage());
    }
  });
});
