import { clearCaches } from "@aws-lambda-powertools/parameters";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { sign } from "@octokit/webhooks-methods";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.AWS_REGION = "eu-west-1";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.WEBHOOK_SECRET_PARAMETER = "/self-runners/webhook-secret";
  process.env.POOLS = JSON.stringify({
    gpu: { labels: ["linux", "gpu"], queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-gpu.fifo" },
    linux: { labels: ["linux", "x64"], queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo" },
  });
});

import { handler } from "../../../lambdas/webhook/webhook.lambda.js";
import { apiGatewayEvent, lambdaContext } from "../../helpers/aws.js";
import { workflowJobQueuedFixture } from "../../helpers/github.js";

const SECRET = "It's a Secret to Everybody";
const DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
const ssm = mockClient(SSMClient);
const sqs = mockClient(SQSClient);

async function delivery(
  event: string,
  body: string,
  options: { secret?: string; headers?: Record<string, string>; base64?: boolean; omitSignature?: boolean } = {},
) {
  const headers: Record<string, string> = {
    "X-GitHub-Event": event,
    "X-GitHub-Delivery": DELIVERY,
    "Content-Type": "application/json",
    ...(options.omitSignature ? {} : { "X-Hub-Signature-256": await sign(options.secret ?? SECRET, body) }),
    ...options.headers,
  };
  const encoded = options.base64 ? Buffer.from(body, "utf8").toString("base64") : body;
  return handler(apiGatewayEvent({ body: encoded, headers, isBase64Encoded: options.base64 ?? false }), lambdaContext("webhook"));
}

function answer(result: { statusCode: number; body: string; headers?: Record<string, unknown> }) {
  return { statusCode: result.statusCode, contentType: result.headers?.["content-type"], body: JSON.parse(result.body) };
}

describe("webhook handler", () => {
  beforeEach(() => {
    clearCaches();
    ssm.reset();
    sqs.reset();
    ssm.on(GetParameterCommand, { Name: "/self-runners/webhook-secret", WithDecryption: true }).resolves({
      Parameter: { Name: "/self-runners/webhook-secret", Type: "SecureString", Value: SECRET },
    });
    sqs.on(SendMessageCommand).resolves({ MessageId: "5fea7756-0ea4-451a-a703-a558b933e274", SequenceNumber: "1" });
  });

  afterAll(() => {
    ssm.restore();
    sqs.restore();
  });

  it("answers ping with pong", async () => {
    // Act
    const result = await delivery("ping", JSON.stringify({ zen: "Design for failure.", hook_id: 1 }));

    // Assert
    expect(answer(result)).toEqual({ statusCode: 200, contentType: "application/json", body: { message: "pong" } });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it("enqueues a matched queued job exactly once with the contract's ids", async () => {
    // Arrange
    const body = JSON.stringify(workflowJobQueuedFixture());

    // Act
    const result = await delivery("workflow_job", body);

    // Assert
    expect(answer(result)).toEqual({
      statusCode: 200,
      contentType: "application/json",
      body: { message: "queued", pool: "linux", jobId: 29679449632 },
    });
    const calls = sqs.commandCalls(SendMessageCommand);
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
      jobId: 29679449632,
      runId: 10358102281,
      runAttempt: 1,
      repository: "octo-org/example-workflow",
      owner: "octo-org",
      installationId: 52103487,
      labels: ["self-hosted", "linux", "x64"],
    });
  });

  it("reads headers case-insensitively and caches the secret across invocations", async () => {
    // Arrange
    const body = JSON.stringify(workflowJobQueuedFixture());
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
    const result = await delivery("workflow_job", JSON.stringify(workflowJobQueuedFixture()), { base64: true });

    // Assert
    expect(answer(result).body).toEqual({ message: "queued", pool: "linux", jobId: 29679449632 });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it.each([
    { name: "an event other than workflow_job", event: "push", action: "queued", message: "ignored: event push is not handled" },
    { name: "an action other than queued", event: "workflow_job", action: "completed", message: "ignored: action completed is not handled" },
  ])("answers 202 for $name and sends nothing", async ({ event, action, message }) => {
    // Arrange
    const payload = { ...workflowJobQueuedFixture(), action };

    // Act
    const result = await delivery(event, JSON.stringify(payload));

    // Assert
    expect(answer(result)).toEqual({ statusCode: 202, contentType: "application/json", body: { message } });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it("answers 202 when no pool matches the labels and sends nothing", async () => {
    // Arrange
    const payload = workflowJobQueuedFixture();
    payload.workflow_job.labels = ["self-hosted", "macOS", "arm64"];

    // Act
    const result = await delivery("workflow_job", JSON.stringify(payload));

    // Assert
    expect(answer(result)).toEqual({
      statusCode: 202,
      contentType: "application/json",
      body: { message: "ignored: no pool matches labels [self-hosted, macOS, arm64]" },
    });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it("fails when the signature was made with another secret: 401 and nothing sent", async () => {
    // Act
    const result = await delivery("workflow_job", JSON.stringify(workflowJobQueuedFixture()), { secret: "forged" });

    // Assert
    expect(answer(result)).toEqual({ statusCode: 401, contentType: "application/json", body: { message: "invalid signature" } });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it("fails when the body was changed after signing: 401 and nothing sent", async () => {
    // Arrange
    const body = JSON.stringify(workflowJobQueuedFixture());
    const signature = await sign(SECRET, body);
    const tampered = body.replace('"linux"', '"gpu"');

    // Act
    const result = await delivery("workflow_job", tampered, { headers: { "X-Hub-Signature-256": signature } });

    // Assert
    expect(answer(result).body).toEqual({ message: "invalid signature" });
    expect(result.statusCode).toBe(401);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it("fails when the signature header is missing: 401 and nothing sent", async () => {
    // Act
    const result = await delivery("workflow_job", JSON.stringify(workflowJobQueuedFixture()), { omitSignature: true });

    // Assert
    expect(answer(result)).toEqual({ statusCode: 401, contentType: "application/json", body: { message: "missing signature" } });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it("fails when a validly signed body is not JSON: 400 and nothing sent", async () => {
    // Act
    const result = await delivery("workflow_job", "payload=%7B%22action%22%3A%22queued%22%7D");

    // Assert
    expect(answer(result)).toEqual({ statusCode: 400, contentType: "application/json", body: { message: "invalid JSON body" } });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it("fails when the body is larger than MAX_BODY_BYTES: 413, nothing read or sent", async () => {
    // Arrange
    const body = JSON.stringify({ ...workflowJobQueuedFixture(), padding: "x".repeat(262_144) });

    // Act
    const result = await delivery("workflow_job", body, { base64: true });

    // Assert
    expect(answer(result)).toEqual({ statusCode: 413, contentType: "application/json", body: { message: "payload too large" } });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it("fails when SQS refuses the message: 500 internal error", async () => {
    // Arrange
    sqs.on(SendMessageCommand).rejects(new Error("AWS.SimpleQueueService.NonExistentQueue"));

    // Act
    const result = await delivery("workflow_job", JSON.stringify(workflowJobQueuedFixture()));

    // Assert
    expect(answer(result)).toEqual({ statusCode: 500, contentType: "application/json", body: { message: "internal error" } });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });
});
