import { CreateFleetCommand } from "@aws-sdk/client-ec2";
import type { CreateFleetCommandInput } from "@aws-sdk/client-ec2";
import type { AwsStub } from "aws-sdk-client-mock";
import type { APIGatewayProxyEvent, Context, SQSEvent, SQSRecord, ScheduledEvent } from "aws-lambda";
import type { JobMessage } from "../../lambdas/shared/index.js";
import { POOL_FIELDS } from "../../contracts/pools.js";

export const TEST_REGION = "eu-west-1";
export const TEST_ACCOUNT = "123456789012";

/** Lambda's longest timeout (15 minutes): a context with this much left never runs short. */
const LAMBDA_MAX_TIMEOUT_MS = 15 * 60_000;

/**
 * The Lambda context a handler receives: the ARN and ids, and the time left (scale-up starts a JIT call
 * only with time for GitHub's answer).
 */
export function lambdaContext(functionName = "self-runners-test", remainingMs = LAMBDA_MAX_TIMEOUT_MS): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "2024/06/11/[$LATEST]abcdef",
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An API Gateway REST proxy event carrying a webhook delivery. */
export function apiGatewayEvent(options: {
  readonly body: string | null;
  readonly headers: Record<string, string>;
  readonly isBase64Encoded?: boolean;
}): APIGatewayProxyEvent {
  return {
    body: options.body,
    headers: options.headers,
    multiValueHeaders: Object.fromEntries(Object.entries(options.headers).map(([key, value]) => [key, [value]])),
    httpMethod: "POST",
    isBase64Encoded: options.isBase64Encoded ?? false,
    path: "/webhook",
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    resource: "/webhook",
    requestContext: {
      accountId: TEST_ACCOUNT,
      apiId: "abcdef1234",
      authorizer: undefined,
      protocol: "HTTP/1.1",
      httpMethod: "POST",
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: "140.82.115.1",
        user: null,
        userAgent: "GitHub-Hookshot/abc123",
        userArn: null,
      },
      path: "/prod/webhook",
      stage: "prod",
      requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
      requestTimeEpoch: 1_718_114_540_000,
      resourceId: "abc123",
      resourcePath: "/webhook",
    },
  };
}

let nextJobId = 1000;

/** A queue message as the webhook writes it. */
export function jobMessage(overrides: Partial<JobMessage> = {}): JobMessage {
  nextJobId += 1;
  return {
    version: 1,
    deliveryId: `delivery-${nextJobId}`,
    pool: "linux",
    jobId: nextJobId,
    runId: 500 + nextJobId,
    runAttempt: 1,
    repository: "octo-org/example-workflow",
    owner: "octo-org",
    installationId: 52103487,
    labels: ["self-hosted", "linux"],
    receivedAt: "2024-06-11T14:02:21.000Z",
    ...overrides,
  };
}

/** The EventBridge event a schedule rule `rule` (e.g. `sr-reconcile`) delivers. */
export function scheduledEvent(rule: string): ScheduledEvent {
  return {
    version: "0",
    id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: TEST_ACCOUNT,
    time: "2024-06-15T12:00:00Z",
    region: TEST_REGION,
    resources: [`arn:aws:events:${TEST_REGION}:${TEST_ACCOUNT}:rule/${rule}`],
    detail: {},
  };
}

/** An SQS FIFO record carrying `body` (a JobMessage, or raw text for malformed cases), from the example pool's queue. */
export function sqsRecord(body: JobMessage | string, messageId?: string): SQSRecord {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const id = messageId ?? (typeof body === "string" ? `raw-${text.length}-${nextJobId++}` : `msg-${body.jobId}`);
  return {
    messageId: id,
    receiptHandle: `handle-${id}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1718114541000",
      SenderId: "AROAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1718114541100",
      SequenceNumber: "18886717446118338560",
      MessageGroupId: typeof body === "string" ? "unknown" : String(body.jobId),
      MessageDeduplicationId: typeof body === "string" ? "unknown" : `${body.jobId}-${body.runAttempt}`,
    },
    messageAttributes: {},
    md5OfBody: "00000000000000000000000000000000",
    eventSource: "aws:sqs",
    eventSourceARN: POOL_FIELDS.queueArn.example,
    awsRegion: TEST_REGION,
  };
}

export function sqsEvent(records: readonly SQSRecord[]): SQSEvent {
  return { Records: [...records] };
}

let launchedInstances = 0;

/** Fresh, well-formed 17-hex-digit instance ids. */
export function newInstanceIds(count: number): string[] {
  return Array.from({ length: count }, () => `i-${(launchedInstances++).toString(16).padStart(17, "0")}`);
}

/**
 * Scripts CreateFleet like an instant fleet: it launches what it is asked for, except that at most
 * `spotAvailable` spot instances exist; the shortfall comes back in Errors as EC2 reports it.
 */
export function scriptInstantFleet(ec2: AwsStub<any, any, any>, spotAvailable = Number.POSITIVE_INFINITY): void {
  ec2.on(CreateFleetCommand).callsFake((input: CreateFleetCommandInput) => {
    const spec = input.TargetCapacitySpecification!;
    const asked = spec.TotalTargetCapacity!;
    const lifecycle = spec.DefaultTargetCapacityType === "spot" ? "spot" : "on-demand";
    const count = lifecycle === "spot" ? Math.min(asked, spotAvailable) : asked;
    return {
      FleetId: `fleet-${launchedInstances}`,
      Instances: count === 0 ? [] : [{ InstanceIds: newInstanceIds(count), InstanceType: "m7i.large", Lifecycle: lifecycle }],
      Errors:
        count < asked
          ? [{ ErrorCode: "InsufficientInstanceCapacity", ErrorMessage: "There is no Spot capacity available", Lifecycle: "spot" }]
          : [],
    };
  });
}
