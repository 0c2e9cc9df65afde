import { createHash } from "node:crypto";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/transport";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { sigV4Signer } from "../../../lambdas/webhook/adapters/aws-http.js";
import { AwsServiceError, awsJsonClient } from "../../../lambdas/webhook/adapters/aws-json.js";
import type { ClientConfig } from "../../../lambdas/webhook/adapters/aws-json.js";
import { DYNAMODB_RETRYABLE_ERRORS, signedDocumentClient } from "../../../lambdas/webhook/adapters/dynamodb-document.js";
import { DELIVERY_ID_ATTRIBUTE } from "../../../lambdas/shared/core.js";
import { signedSqsJobQueue } from "../../../lambdas/webhook/adapters/sqs.js";
import { WEBHOOK_AWS_REQUEST_TIMEOUT_MS } from "../../../contracts/webhook.js";
import { jobMessage } from "../../helpers/aws.js";
import { TEST_CREDENTIALS } from "../../helpers/dynalite.js";
import { AwsFault, LoopbackAws, answerSendMessage } from "../../helpers/loopback-aws.js";

// The webhook's signed awsJson calls (adapters/aws-json.ts, aws-http.ts). The SDK is the oracle: the
// same loopback answers go to the SDK's own DynamoDB and SQS clients and to the signed calls, which
// must make as many attempts (throttling and 5xx retried, a failed condition not), throw errors of
// the same shape, and sign as the SDK's SignatureV4 does.

const aws = new LoopbackAws();
let endpoint: string;
const headers: Array<Record<string, string | string[] | undefined>> = [];

beforeAll(async () => {
  endpoint = await aws.start();
  aws.intercept((_call, request) => void headers.push(request.headers));
});
afterAll(() => aws.stop());
afterEach(() => {
  aws.calls.length = 0;
  headers.length = 0;
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

/**
 * The retry strategy's back-off waits end at once (they are the strategy's own, not what is tested);
 * the socket pool's request timeout (WEBHOOK_AWS_REQUEST_TIMEOUT_MS) keeps its length.
 */
function backOffAtOnce(): void {
  const real = globalThis.setTimeout;
  vi.stubGlobal("setTimeout", (handler: () => void, ms?: number) => real(handler, (ms ?? 0) >= 20 && ms !== WEBHOOK_AWS_REQUEST_TIMEOUT_MS ? 0 : ms));
}

/** An SDK DynamoDB client on the loopback endpoint: the config the signed calls borrow, and the oracle. */
function dynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({ region: "eu-west-1", credentials: TEST_CREDENTIALS, endpoint });
}

function dynamoDbCall(config: ClientConfig = dynamoDbClient().config) {
  return awsJsonClient(config, { service: "dynamodb", endpointVariable: "DYNAMODB", jsonVersion: "1.0", retryableErrors: DYNAMODB_RETRYABLE_ERRORS });
}

/** Answers with `fault` `times` times, then `output`. */
function failing(fault: AwsFault, times: number, output: unknown) {
  let calls = 0;
  return () => {
    if (calls++ < times) throw fault;
    return output;
  };
}

const THROTTLING = new AwsFault("com.amazon.coral.availability#ThrottlingException", 400, "Rate of requests exceeds the allowed throughput.");
const PROVISIONED = new AwsFault("com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", 400);
const SERVER_ERROR = new AwsFault("com.amazonaws.dynamodb.v20120810#InternalServerError", 500, "Internal server error");
const CONDITION_FAILED = new AwsFault("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", 400, "The conditional request failed");

/** Attempts and outcome of one PutItem through `send`, against an endpoint answering `fault` `times` times. */
async function attempts(send: () => Promise<unknown>, fault: AwsFault, times: number): Promise<{ attempts: number; error: unknown }> {
  aws.calls.length = 0;
  aws.on("DynamoDB_20120810.PutItem", failing(fault, times, {}));
  const error = await send().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { attempts: aws.calls.length, error };
}

describe("awsJsonClient retries as the SDK's DynamoDB client does", () => {
  it.each([
    ["ThrottlingException", THROTTLING],
    ["ProvisionedThroughputExceededException", PROVISIONED],
    ["InternalServerError (500)", SERVER_ERROR],
  ])("%s: as many attempts as the SDK client, succeeding or giving up alike", async (_, fault) => {
    // Arrange
    backOffAtOnce();
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", endpoint);
    const sdk = DynamoDBDocumentClient.from(dynamoDbClient());
    const signed = signedDocumentClient(dynamoDbCall(), () => sdk);
    const put = (client: DynamoDBDocumentClient) => () => client.send(new PutCommand({ TableName: "t", Item: { pk: "job#1" } }));
    const sdkLimit = (await attempts(put(sdk), fault, 100)).attempts;

    // Act
    const outcomes = [];
    for (const times of [1, sdkLimit - 1, sdkLimit]) outcomes.push({ times, sdk: await attempts(put(sdk), fault, times), signed: await attempts(put(signed), fault, times) });

    // Assert
    expect(sdkLimit).toBeGreaterThanOrEqual(3);
    for (const { times, sdk: expected, signed: actual } of outcomes) {
      expect(actual.attempts, `${times} refusals`).toBe(expected.attempts);
      expect(actual.error === undefined, `${times} refusals`).toBe(expected.error === undefined);
      if (expected.error !== undefined) expect(actual.error).toMatchObject({ name: (expected.error as Error).name, $fault: (expected.error as AwsServiceError).$fault, $metadata: { httpStatusCode: (expected.error as AwsServiceError).$metadata.httpStatusCode } });
    }
  });

  it("does not retry a failed condition, and throws it in the SDK's shape with the old item still marshalled", async () => {
    // Arrange
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", endpoint);
    aws.on("DynamoDB_20120810.UpdateItem", () => {
      throw Object.assign(CONDITION_FAILED, {});
    });
    const call = dynamoDbCall();

    // Act
    const error = await call("DynamoDB_20120810.UpdateItem", { TableName: "t", Key: { pk: { S: "a" } } }).catch((e: unknown) => e);

    // Assert
    expect(aws.calls).toHaveLength(1);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ name: "ConditionalCheckFailedException", message: "The conditional request failed", $fault: "client", $metadata: { httpStatusCode: 400 } });
  });

  it("retries a connection refused (a transient network error) as often as the SDK client, then throws Node's error", async () => {
    // Arrange
    backOffAtOnce();
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9");
    const sdkError = (await new DynamoDBClient({ region: "eu-west-1", credentials: TEST_CREDENTIALS, endpoint: "http://127.0.0.1:9" }).send(new GetItemCommand({ TableName: "t", Key: {} })).catch((e: unknown) => e)) as AwsServiceError;
    const client = dynamoDbClient();
    const strategy = (await client.config.retryStrategy()) as { refreshRetryTokenForRetry: (...args: never[]) => unknown };
    const refreshes = vi.spyOn(strategy, "refreshRetryTokenForRetry");

    // Act
    const error = await dynamoDbCall(client.config)("DynamoDB_20120810.GetItem", { TableName: "t", Key: {} }).catch((e: unknown) => e);

    // Assert
    expect(error).toMatchObject({ code: "ECONNREFUSED" });
    expect(sdkError.$metadata.attempts).toBeGreaterThan(1);
    // Every failed attempt asks the strategy for a retry; the last is refused.
    expect(refreshes.mock.calls.length).toBe(sdkError.$metadata.attempts);
  });
});

describe("awsJsonClient on the wire", () => {
  it("signs one POST per attempt exactly as the SDK's SignatureV4 does", async () => {
    // Arrange
    const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "token/with+chars=" };
    const now = new Date("2026-12-07T14:03:05.123Z");
    const body = JSON.stringify({ TableName: "sr-jobs", Key: { pk: { S: "job#1" } } });
    const sdk = new SignatureV4({ service: "dynamodb", region: "eu-west-1", credentials, sha256: Sha256 });
    const request = new HttpRequest({ method: "POST", protocol: "https:", hostname: "dynamodb.eu-west-1.amazonaws.com", path: "/", headers: { host: "dynamodb.eu-west-1.amazonaws.com", "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.GetItem" }, body });

    // Act
    const expected = (await sdk.sign(request, { signingDate: now })) as HttpRequest;
    const actual = sigV4Signer("dynamodb", "eu-west-1")(credentials, "dynamodb.eu-west-1.amazonaws.com", "/", { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.GetItem" }, body, now);

    // Assert
    expect(actual.authorization).toBe(expected.headers.authorization);
    expect(actual["x-amz-date"]).toBe(expected.headers["x-amz-date"]);
    expect(actual["x-amz-security-token"]).toBe(credentials.sessionToken);
  });

  it("sends to AWS_ENDPOINT_URL_<service> with the client's region and credentials", async () => {
    // Arrange
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", endpoint);
    aws.on("DynamoDB_20120810.GetItem", () => ({ Item: { pk: { S: "a" } } }));

    // Act
    const output = await dynamoDbCall()("DynamoDB_20120810.GetItem", { TableName: "t", Key: { pk: { S: "a" } } }, new URL("http://127.0.0.1:1"));

    // Assert
    expect(output).toEqual({ Item: { pk: { S: "a" } } });
    expect(aws.calls).toEqual([{ target: "DynamoDB_20120810.GetItem", input: { TableName: "t", Key: { pk: { S: "a" } } } }]);
    expect(headers[0]?.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/\\d{8}/eu-west-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date(;x-amz-security-token)?;x-amz-target, Signature=[0-9a-f]{64}$`));
    expect(headers[0]?.["content-type"]).toBe("application/x-amz-json-1.0");
  });

  it("sends to the given endpoint when no endpoint variable is set", async () => {
    // Arrange
    vi.stubEnv("AWS_ENDPOINT_URL_SQS", undefined);
    vi.stubEnv("AWS_ENDPOINT_URL", undefined);
    aws.on("AmazonSQS.GetQueueUrl", () => ({ QueueUrl: "q" }));
    const call = awsJsonClient(new SQSClient({ region: "eu-west-1", credentials: TEST_CREDENTIALS }).config, { service: "sqs", endpointVariable: "SQS", jsonVersion: "1.0" });

    // Act
    const output = await call("AmazonSQS.GetQueueUrl", { QueueName: "q" }, new URL(endpoint));

    // Assert
    expect(output).toEqual({ QueueUrl: "q" });
  });
});

describe("signedDocumentClient", () => {
  it("marshals keys and values as the SDK's document client does (undefined removed) and unmarshals the answer alike", async () => {
    // Arrange
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", endpoint);
    aws.on("DynamoDB_20120810.UpdateItem", () => ({ Attributes: { pk: { S: "job#1" }, n: { N: "2" }, ids: { SS: ["a", "b"] } } }));
    const sdk = DynamoDBDocumentClient.from(dynamoDbClient(), { marshallOptions: { removeUndefinedValues: true } });
    const fallback = vi.fn(() => sdk);
    const signed = signedDocumentClient(dynamoDbCall(), fallback);
    const update = () => new UpdateCommand({ TableName: "t", Key: { pk: "job#1" }, UpdateExpression: "SET n = :n", ExpressionAttributeValues: { ":n": 2, ":gone": undefined, ":m": { a: [1] }, ":s": new Set(["x"]) }, ReturnValues: "ALL_NEW" });

    // Act
    const expected = await sdk.send(update());
    const actual = await signed.send(update());

    // Assert
    expect(aws.calls).toHaveLength(2);
    expect(aws.calls[1]?.input).toEqual(aws.calls[0]?.input);
    expect(actual.Attributes).toEqual(expected.Attributes);
    expect(fallback).not.toHaveBeenCalled();
  });

  it("answers a missing item with no Item, and sends other commands to the SDK's client", async () => {
    // Arrange
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", endpoint);
    aws.on("DynamoDB_20120810.GetItem", () => ({}));
    const sdk = { send: vi.fn(async () => ({ Items: [] })) };
    const client = signedDocumentClient(dynamoDbCall(), () => sdk as unknown as DynamoDBDocumentClient);
    const scan = new ScanCommand({ TableName: "t" });

    // Act
    const got = await client.send(new GetCommand({ TableName: "t", Key: { pk: "x" }, ConsistentRead: true }));
    const scanned = await client.send(scan);

    // Assert
    expect(got.Item).toBeUndefined();
    expect(scanned).toEqual({ Items: [] });
    expect(sdk.send).toHaveBeenCalledWith(scan);
    expect(aws.calls.map((c) => c.target)).toEqual(["DynamoDB_20120810.GetItem"]);
  });
});

describe("signedSqsJobQueue", () => {
  const sqsConfig = () => new SQSClient({ region: "eu-west-1", credentials: TEST_CREDENTIALS }).config;

  it("sends what the SDK's SQS client sends, to the queue URL's host, with the job's group and deduplication ids", async () => {
    // Arrange
    vi.stubEnv("AWS_ENDPOINT_URL_SQS", undefined);
    vi.stubEnv("AWS_ENDPOINT_URL", undefined);
    aws.on("AmazonSQS.SendMessage", answerSendMessage());
    const enqueue = signedSqsJobQueue(awsJsonClient(sqsConfig(), { service: "sqs", endpointVariable: "SQS", jsonVersion: "1.0" }));
    const job = jobMessage({ jobId: 7, runAttempt: 2, deliveryId: "d-7" });
    const queueUrl = `${endpoint}/123456789012/sr-linux.fifo`;

    // Act
    await enqueue(queueUrl, job);

    // Assert
    expect(aws.calls[0]?.input).toMatchObject({ QueueUrl: queueUrl, MessageBody: JSON.stringify(job), MessageGroupId: "7", MessageDeduplicationId: "7-2" });
    expect(aws.calls[0]?.input.MessageAttributes).toEqual({ [DELIVERY_ID_ATTRIBUTE]: { DataType: "String", StringValue: "d-7" } });
    await new SQSClient({ region: "eu-west-1", credentials: TEST_CREDENTIALS }).send(new SendMessageCommand(aws.calls[0]?.input as never));
    expect(aws.calls[1]?.input).toEqual(aws.calls[0]?.input);
  });

  it("retries a throttled or failing SendMessage as the SDK's SQS client does", async () => {
    // Arrange
    backOffAtOnce();
    vi.stubEnv("AWS_ENDPOINT_URL_SQS", endpoint);
    const queueUrl = `${endpoint}/123456789012/sr-linux.fifo`;
    const job = jobMessage({ jobId: 9 });
    const enqueue = signedSqsJobQueue(awsJsonClient(sqsConfig(), { service: "sqs", endpointVariable: "SQS", jsonVersion: "1.0" }));
    const sdk = new SQSClient({ region: "eu-west-1", credentials: TEST_CREDENTIALS });
    const count = async (send: () => Promise<unknown>, times: number) => {
      aws.calls.length = 0;
      const answer = answerSendMessage();
      let calls = 0;
      aws.on("AmazonSQS.SendMessage", (input, request) => {
        if (calls++ < times) throw new AwsFault(calls % 2 === 0 ? "com.amazonaws.sqs#ThrottlingException" : "com.amazonaws.sqs#InternalError", calls % 2 === 0 ? 400 : 500);
        return answer(input, request);
      });
      const ok = await send().then(
        () => true,
        () => false,
      );
      return { ok, attempts: aws.calls.length };
    };

    // Act
    const results = [];
    for (const times of [1, 2, 10]) results.push({ sdk: await count(() => sdk.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "{}", MessageGroupId: "9", MessageDeduplicationId: "9-1" })), times), signed: await count(() => enqueue(queueUrl, job), times) });

    // Assert
    for (const { sdk: expected, signed: actual } of results) expect(actual).toEqual(expected);
    expect(results[2]?.signed.ok).toBe(false);
  });

  it("refuses an answer whose MD5 is not the body's", async () => {
    // Arrange
    vi.stubEnv("AWS_ENDPOINT_URL_SQS", endpoint);
    aws.on("AmazonSQS.SendMessage", () => ({ MessageId: "m", MD5OfMessageBody: createHash("md5").update("something else").digest("hex") }));
    const enqueue = signedSqsJobQueue(awsJsonClient(sqsConfig(), { service: "sqs", endpointVariable: "SQS", jsonVersion: "1.0" }));

    // Act
    const sent = enqueue("https://sqs.eu-west-1.amazonaws.com/123456789012/sr-linux.fifo", jobMessage({ jobId: 8 }));

    // Assert
    await expect(sent).rejects.toThrow(/MD5 of the message body/);
  });
});
