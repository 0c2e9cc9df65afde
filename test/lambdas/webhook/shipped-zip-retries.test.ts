import http from "node:http";
import type { AddressInfo } from "node:net";
import { sign } from "@octokit/webhooks-methods";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiGatewayEvent, lambdaContext } from "../../helpers/aws.js";
import { workflowJobFixture } from "../../helpers/openapi.js";
import { AwsFault, answerSendMessage } from "../../helpers/loopback-aws.js";
import { loadShippedBundle, unloadShippedBundle } from "../../helpers/shipped-zip.js";
import { JOBS_TABLE, startWebhookDoubles } from "../../helpers/webhook-doubles.js";
import type { WebhookDoubles } from "../../helpers/webhook-doubles.js";

// The shipped webhook's signed DynamoDB and SQS calls (adapters/aws-json.ts) under throttling and 5xx:
// retried as the SDK clients retry them, and a queued delivery is never answered 2xx unless its
// SendMessage went through. DynamoDB is dynalite behind a proxy that refuses the calls a test scripts
// with DynamoDB's own answers (the fault world's, test/fault/world/dynamodb-faults.ts).

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const SECRET = "retries-test-webhook-secret";
const labels = workflowJobFixture("queued").workflow_job.labels as string[];
const ANSWERS = {
  "provisioned-throughput": { status: 400, type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException" },
  throttling: { status: 400, type: "com.amazon.coral.availability#ThrottlingException" },
  "server-error": { status: 500, type: "com.amazonaws.dynamodb.v20120810#InternalServerError" },
} as const;

let doubles: WebhookDoubles;
let proxy: http.Server;
let root: string;
let handler: Handler;
/** The refusals the proxy answers next, one per DynamoDB call, in order. */
const refusals: Array<keyof typeof ANSWERS> = [];
const dynamoDbCalls: string[] = [];
let nextJob = 880_000;

beforeAll(async () => {
  doubles = await startWebhookDoubles({ secret: SECRET, pools: { linux: labels } });
  const target = new URL(doubles.dynamodb.endpoint);
  proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      dynamoDbCalls.push(String(req.headers["x-amz-target"]).split(".")[1] ?? "");
      const refusal = refusals.shift();
      if (refusal !== undefined) {
        res.writeHead(ANSWERS[refusal].status, { "content-type": "application/x-amz-json-1.0" });
        res.end(JSON.stringify({ __type: ANSWERS[refusal].type, message: refusal }));
        return;
      }
      const forward = http.request({ host: target.hostname, port: target.port, method: "POST", path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      });
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const bundle = loadShippedBundle<Handler>("webhook", { ...doubles.env, AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
  handler = bundle.handler;
  root = bundle.root;
});

afterEach(() => {
  doubles.reset();
  refusals.length = 0;
  dynamoDbCalls.length = 0;
  doubles.aws.on("AmazonSQS.SendMessage", answerSendMessage());
});

afterAll(async () => {
  unloadShippedBundle(root);
  await new Promise((resolve) => proxy.close(resolve));
  await doubles.stop();
});

/** A signed `queued` delivery of a new job. */
async function queuedDelivery(deliveryId = `retries-${nextJob}`): Promise<{ event: APIGatewayProxyEvent; jobId: number }> {
  const jobId = (nextJob += 1);
  const body = JSON.stringify(workflowJobFixture("queued", { jobId }));
  return { jobId, event: apiGatewayEvent({ body, headers: { "X-Hub-Signature-256": await sign(SECRET, body), "X-GitHub-Event": "workflow_job", "X-GitHub-Delivery": deliveryId } }) };
}

const jobItem = async (jobId: number) => (await doubles.dynamodb.items(JOBS_TABLE)).find((item) => item.pk === `job#${jobId}#1`);

describe("the shipped webhook under DynamoDB and SQS throttling and 5xx", () => {
  it("retries a throttled, then a 5xx ledger write, and queues the job once with its lease recorded", async () => {
    // Arrange
    const { event, jobId } = await queuedDelivery();
    refusals.push("provisioned-throughput", "server-error");

    // Act
    const answer = await handler(event, lambdaContext("sr-webhook"));

    // Assert
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ message: "queued", jobId });
    expect(dynamoDbCalls).toEqual(["UpdateItem", "UpdateItem", "UpdateItem"]);
    expect(doubles.sent()).toHaveLength(1);
    expect(await jobItem(jobId)).toMatchObject({ phase: "received", queueLeaseOwner: event.headers["X-GitHub-Delivery"] });
  }, 30_000);

  it("retries a throttled SendMessage and answers 2xx only after the send went through", async () => {
    // Arrange
    const { event, jobId } = await queuedDelivery();
    let sends = 0;
    const answer = answerSendMessage();
    doubles.aws.on("AmazonSQS.SendMessage", (input, request) => {
      sends += 1;
      if (sends === 1) throw new AwsFault("com.amazonaws.sqs#ThrottlingException", 400);
      if (sends === 2) throw new AwsFault("com.amazonaws.sqs#InternalError", 500);
      return answer(input, request);
    });

    // Act
    const result = await handler(event, lambdaContext("sr-webhook"));

    // Assert
    expect(result.statusCode).toBe(200);
    expect(sends).toBe(3);
    expect(doubles.sent().map((message) => JSON.parse(message.MessageBody).jobId)).toEqual([jobId, jobId, jobId]);
  }, 30_000);

  it("answers 500 when every SendMessage attempt fails, gives the lease back, and a redelivery queues the job", async () => {
    // Arrange
    const { event, jobId } = await queuedDelivery();
    doubles.aws.on("AmazonSQS.SendMessage", () => {
      throw new AwsFault("com.amazonaws.sqs#InternalError", 500);
    });

    // Act
    const failed = await handler(event, lambdaContext("sr-webhook"));
    const attempts = doubles.sent().length;
    doubles.aws.on("AmazonSQS.SendMessage", answerSendMessage());
    const redelivered = await handler(event, lambdaContext("sr-webhook"));

    // Assert
    expect(failed.statusCode).toBe(500);
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(redelivered.statusCode).toBe(200);
    expect(JSON.parse(redelivered.body)).toMatchObject({ message: "queued", jobId });
    expect(doubles.sent()).toHaveLength(attempts + 1);
  }, 60_000);

  it("does not retry a failed condition: a second delivery of a queued job costs one write and no send", async () => {
    // Arrange
    const { event, jobId } = await queuedDelivery();
    await handler(event, lambdaContext("sr-webhook"));
    doubles.reset();
    dynamoDbCalls.length = 0;
    const second = { ...event, headers: { ...event.headers, "X-GitHub-Delivery": `retries-other-${jobId}` } };

    // Act
    const answer = await handler(second, lambdaContext("sr-webhook"));

    // Assert
    expect(JSON.parse(answer.body)).toMatchObject({ message: "duplicate: job is received" });
    // The refused conditional write, then the write that notes the delivery id and reads the job.
    expect(dynamoDbCalls).toEqual(["UpdateItem", "UpdateItem"]);
    expect(doubles.sent()).toHaveLength(0);
  });
});
