import http from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { sign } from "@octokit/webhooks-methods";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_AWS_REQUEST_TIMEOUT_MS, WEBHOOK_FUNCTION_TIMEOUT_SECONDS } from "../../../contracts/webhook.js";
import { apiGatewayEvent, lambdaContext } from "../../helpers/aws.js";
import { workflowJobFixture } from "../../helpers/openapi.js";
import { loadShippedBundle, unloadShippedBundle } from "../../helpers/shipped-zip.js";
import { JOBS_TABLE, startWebhookDoubles } from "../../helpers/webhook-doubles.js";
import type { WebhookDoubles } from "../../helpers/webhook-doubles.js";

// The shipped webhook against AWS endpoints that accept a connection and never answer (issue 14):
// each attempt ends after WEBHOOK_AWS_REQUEST_TIMEOUT_MS, the delivery is answered inside the
// function's timeout with a 5xx that GitHub's redelivery (or the healer) can retry, the ledger is left
// so that the retry queues the job, and nothing is queued twice. Every call goes through a gate that
// hangs the operations a test names and forwards the rest to the doubles (SSM and SQS on LoopbackAws,
// DynamoDB on dynalite).

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const SECRET = "timeout-test-webhook-secret";
const labels = workflowJobFixture("queued").workflow_job.labels as string[];

let doubles: WebhookDoubles;
let gate: http.Server;
let root: string;
let handler: Handler;
/** Operations (X-Amz-Target) the gate accepts and never answers. */
const hung = new Set<string>();
/** Every request the gate received, hung or forwarded: its target and body. */
const seen: { target: string; body: string }[] = [];
let nextJob = 990_000;

beforeAll(async () => {
  doubles = await startWebhookDoubles({ secret: SECRET, pools: { linux: labels } });
  gate = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"]);
      seen.push({ target, body: Buffer.concat(chunks).toString() });
      if (hung.has(target)) return; // Accepted, read, never answered.
      const to = new URL(target.startsWith("DynamoDB_") ? doubles.dynamodb.endpoint : doubles.env.AWS_ENDPOINT_URL_SQS!);
      const forward = http.request({ host: to.hostname, port: to.port, method: "POST", path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      });
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => gate.listen(0, "127.0.0.1", resolve));
  const at = `http://127.0.0.1:${(gate.address() as AddressInfo).port}`;
  const bundle = loadShippedBundle<Handler>("webhook", { ...doubles.env, AWS_ENDPOINT_URL_SSM: at, AWS_ENDPOINT_URL_SQS: at, AWS_ENDPOINT_URL_DYNAMODB: at });
  handler = bundle.handler;
  root = bundle.root;
});

afterAll(async () => {
  unloadShippedBundle(root);
  gate.closeAllConnections();
  await new Promise((resolve) => gate.close(resolve));
  await doubles.stop();
});

async function queuedDelivery(): Promise<{ event: APIGatewayProxyEvent; jobId: number }> {
  const jobId = (nextJob += 1);
  const body = JSON.stringify(workflowJobFixture("queued", { jobId }));
  return { jobId, event: apiGatewayEvent({ body, headers: { "X-Hub-Signature-256": await sign(SECRET, body), "X-GitHub-Event": "workflow_job", "X-GitHub-Delivery": `timeout-${jobId}` } }) };
}

/** Invokes the handler; resolves to its answer and the wall time it took. */
async function timed(event: APIGatewayProxyEvent): Promise<{ answer: APIGatewayProxyResult; ms: number }> {
  const started = performance.now();
  const answer = await handler(event, lambdaContext("sr-webhook"));
  return { answer, ms: performance.now() - started };
}

const jobItem = async (jobId: number) => (await doubles.dynamodb.items(JOBS_TABLE)).find((item) => item.pk === `job#${jobId}#1`);
const attemptsOf = (target: string) => seen.filter((request) => request.target === target);
const FUNCTION_TIMEOUT_MS = WEBHOOK_FUNCTION_TIMEOUT_SECONDS * 1000;

describe("the shipped webhook when an AWS endpoint accepts and never answers", () => {
  it("the request timeout is sized so that one call with every attempt hung still ends with time left to answer", async () => {
    // The clients' own retry settings, which the signed calls borrow (adapters/aws-json.ts).
    const settings = await Promise.all(
      [new DynamoDBClient({ region: "eu-west-1" }), new SQSClient({ region: "eu-west-1" })].map(async (client) => {
        const strategy = (await client.config.retryStrategy()) as unknown as { maxAttemptsProvider: () => Promise<number>; baseDelay: number };
        const attempts = await strategy.maxAttemptsProvider();
        // Full-jitter exponential back-off: each delay is at most base × 2^retry.
        const backOff = Array.from({ length: attempts - 1 }, (_, retry) => strategy.baseDelay * 2 ** retry).reduce((a, b) => a + b, 0);
        return attempts * WEBHOOK_AWS_REQUEST_TIMEOUT_MS + backOff;
      }),
    );
    // The ledger write hung (then queued anyway), or the send hung (then 500): a second left to answer.
    expect(Math.max(...settings)).toBeLessThan(FUNCTION_TIMEOUT_MS - 1_000);
    // Longer than any call of the fault world's interleaved schedules (20 ms to 1.5 s).
    expect(WEBHOOK_AWS_REQUEST_TIMEOUT_MS).toBeGreaterThan(1_500);
  });

  it("a hung SSM read on a cold start: 500 inside the function timeout, nothing written, nothing queued", async () => {
    // Arrange
    const { event, jobId } = await queuedDelivery();
    hung.add("AmazonSSM.GetParameter");

    // Act
    const { answer, ms } = await timed(event).finally(() => hung.clear());

    // Assert
    expect(answer.statusCode).toBe(500);
    expect(ms).toBeGreaterThanOrEqual(WEBHOOK_AWS_REQUEST_TIMEOUT_MS);
    expect(ms).toBeLessThan(FUNCTION_TIMEOUT_MS);
    expect(attemptsOf("AmazonSSM.GetParameter").length).toBeGreaterThanOrEqual(1);
    expect(await jobItem(jobId)).toBeUndefined();
    expect(doubles.sent()).toHaveLength(0);
  }, 30_000);

  it("a hung SendMessage: 500 inside the function timeout, the lease given back, and GitHub's redelivery queues the job once", async () => {
    // Arrange
    const { event, jobId } = await queuedDelivery();
    hung.add("AmazonSQS.SendMessage");

    // Act
    const failed = await timed(event).finally(() => hung.clear());
    const afterFailure = await jobItem(jobId);
    const redelivered = await timed(event);

    // Assert
    expect(failed.answer.statusCode).toBe(500);
    expect(failed.ms).toBeLessThan(FUNCTION_TIMEOUT_MS);
    // Retryable: the job is received and no delivery holds the right to queue it.
    expect(afterFailure).toMatchObject({ phase: "received" });
    expect(afterFailure).not.toHaveProperty("queueLeaseOwner");
    expect(redelivered.answer.statusCode).toBe(200);
    expect(JSON.parse(redelivered.answer.body)).toMatchObject({ message: "queued", jobId });
    expect(doubles.sent().filter((message) => JSON.parse(message.MessageBody).jobId === jobId)).toHaveLength(1);
    // The hung attempts may have reached SQS: they and the redelivery's send carry the job's
    // deduplication id, so SQS keeps one message (within 5 minutes; scale-up's claim after that).
    const sends = attemptsOf("AmazonSQS.SendMessage").map((request) => JSON.parse(request.body) as { MessageDeduplicationId: string });
    expect(sends.length).toBeGreaterThanOrEqual(3);
    expect(new Set(sends.map((send) => send.MessageDeduplicationId))).toEqual(new Set([`${jobId}-1`]));
  }, 30_000);

  it("a hung ledger write: answered inside the function timeout, the job queued once, as in a ledger outage", async () => {
    // Arrange
    const { event, jobId } = await queuedDelivery();
    seen.length = 0;
    hung.add("DynamoDB_20120810.UpdateItem");

    // Act
    const { answer, ms } = await timed(event).finally(() => hung.clear());

    // Assert
    expect(ms).toBeLessThan(FUNCTION_TIMEOUT_MS);
    expect(attemptsOf("DynamoDB_20120810.UpdateItem").length).toBeGreaterThanOrEqual(2);
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ message: "queued", jobId });
    expect(doubles.sent().filter((message) => JSON.parse(message.MessageBody).jobId === jobId)).toHaveLength(1);
  }, 30_000);
});
