import { createHash, generateKeyPairSync } from "node:crypto";
import type { Context, EventBridgeEvent } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dynamoDbLimitCounters } from "../../../lambdas/libs/ledger/dynamodb-counters.js";
import { dynamoDbLedger } from "../../../lambdas/libs/ledger/dynamodb-store.js";
import { jobKey, limitKeys } from "../../../lambdas/libs/ledger/phases.js";
import { startDynalite } from "../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../helpers/dynalite.js";
import { counterValue, jobFacts, putRunnerItem, seedLaunchedJob } from "../../helpers/ledger.js";
import { AwsFault, LoopbackAws } from "../../helpers/loopback-aws.js";
import { LoopbackGitHub } from "../../helpers/loopback-github.js";
import { loadShippedHandler } from "../../helpers/shipped-zip.js";

// Drives dist/lambdas/spot-interruption.zip (with the shared layer) as deployed: EventBridge spot
// interruption warnings in; the job ledger and the runners table in dynalite (AWS_ENDPOINT_URL_DYNAMODB);
// EC2 (query protocol), SQS and SSM on a loopback AWS endpoint; GitHub on a loopback server whose
// answers are checked against GitHub's OpenAPI description.

type Detail = { "instance-id"?: string; "instance-action"?: string };
type Handler = (event: EventBridgeEvent<"EC2 Spot Instance Interruption Warning", Detail>, context: Context) => Promise<Record<string, unknown>>;

const EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const INSTANCE_ARN = "arn:aws:ec2:eu-west-1:123456789012:instance/";
const BUSY = "i-0aaaaaaaaaaaaaaa1";
const IDLE = "i-0aaaaaaaaaaaaaaa2";
const FOREIGN = "i-0aaaaaaaaaaaaaaa3";
const GONE = "i-0aaaaaaaaaaaaaaa4";
const INSTALLATION = 42;
const RUNNERS = "/orgs/octo-org/actions/runners";
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const context = { functionName: "sr-spot-interruption", awsRequestId: "req-1", invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:sr-spot-interruption" } as Context;
const LINUX = limitKeys("linux", "octo-org");
/** Another runner of the organization: a forged table item points at it. */
const OTHER_RUNNER_ID = 999;

function listedRunner(id: number, name: string, busy: boolean) {
  return { id, name, os: "linux", status: "online", busy, labels: [] };
}

/** The warning as EventBridge delivers it (source aws.ec2). */
function warning(detail: Detail): EventBridgeEvent<"EC2 Spot Instance Interruption Warning", Detail> {
  return {
    version: "0",
    id: "1e5527d7-bb36-4607-3370-4164db56a40e",
    "detail-type": "EC2 Spot Instance Interruption Warning",
    source: "aws.ec2",
    account: "123456789012",
    time: new Date().toISOString(),
    region: "eu-west-1",
    resources: detail["instance-id"] === undefined ? [] : [`${INSTANCE_ARN}${detail["instance-id"]}`],
    detail,
  };
}

function tagSet(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([key, value]) => `<item><key>${key}</key><value>${value}</value></item>`)
    .join("");
}

/** DescribeInstances of one instance, as EC2 answers it. */
function describeAnswer(instanceId: string, tags: Record<string, string>): string {
  return (
    `<DescribeInstancesResponse xmlns="${EC2_NS}"><requestId>r</requestId><reservationSet><item><reservationId>r-1</reservationId>` +
    `<ownerId>123456789012</ownerId><groupSet/><instancesSet><item><instanceId>${instanceId}</instanceId><instanceType>m7i.large</instanceType>` +
    `<instanceState><code>16</code><name>running</name></instanceState><instanceLifecycle>spot</instanceLifecycle>` +
    `<tagSet>${tagSet(tags)}</tagSet></item></instancesSet></item></reservationSet></DescribeInstancesResponse>`
  );
}

const ourTags = (instanceId: string) => ({
  "self-runners:prefix": "sr",
  "self-runners:pool": "linux",
  "self-runners:owner": "octo-org",
  "self-runners:installation-id": String(INSTALLATION),
  Name: `sr-${instanceId}`,
});

const aws = new LoopbackAws()
  .on("AmazonSSM.GetParameter", (input) => ({ Parameter: { Name: input.Name, Type: "SecureString", Value: privateKey, Version: 1 } }))
  .on("EC2.DescribeInstances", (input) => {
    const instanceId = String(input["InstanceId.1"]);
    if (instanceId === BUSY || instanceId === IDLE) return describeAnswer(instanceId, ourTags(instanceId));
    if (instanceId === FOREIGN) return describeAnswer(instanceId, { Name: "someone-elses-build-box", team: "data" });
    throw new AwsFault("InvalidInstanceID.NotFound");
  })
  // The SDK checks the MD5 of the body it sent against the answer.
  .on("AmazonSQS.SendMessage", (input) => ({ MessageId: "m-1", MD5OfMessageBody: createHash("md5").update(String(input.MessageBody)).digest("hex"), SequenceNumber: "1" }));

const github = new LoopbackGitHub()
  .on(`POST /app/installations/${INSTALLATION}/access_tokens`, () => [
    201,
    { token: "ghs_loopbacktoken", expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { administration: "write" }, repository_selection: "all" },
  ])
  // Runner ids come from GitHub by name; the table items below hold forged ids GitHub must win over.
  .on(`GET ${RUNNERS}?name=sr-${BUSY}&per_page=100&page=1`, () => [200, { total_count: 1, runners: [listedRunner(11, `sr-${BUSY}`, true)] }])
  .on(`GET ${RUNNERS}?name=sr-${IDLE}&per_page=100&page=1`, () => [200, { total_count: 1, runners: [listedRunner(12, `sr-${IDLE}`, false)] }])
  .on(`DELETE ${RUNNERS}/11`, () => [422, { message: 'Bad request - Runner "sr-i-0aaaaaaaaaaaaaaa1" is still running a job"', documentation_url: "https://docs.github.com/rest/actions/self-hosted-runners", errors: [] }])
  .on(`DELETE ${RUNNERS}/12`, () => [204, undefined]);

let db: LocalDynamoDb;
let handler: Handler;
let queueUrl = "";
let ledger: ReturnType<typeof dynamoDbLedger>;
let counters: ReturnType<typeof dynamoDbLimitCounters>;

const sqsSends = () => aws.inputsOf("AmazonSQS.SendMessage") as Array<{ QueueUrl: string; MessageBody: string; MessageGroupId: string; MessageDeduplicationId: string }>;

beforeAll(async () => {
  db = await startDynalite();
  await Promise.all([db.createTable("sr-jobs"), db.createTable("sr-runners")]);
  ledger = dynamoDbLedger(db.documentClient, "sr-jobs");
  counters = dynamoDbLimitCounters(db.documentClient, "sr-jobs");
  const [awsEndpoint, githubUrl] = await Promise.all([aws.start(), github.start()]);
  // The SQS client sends to the queue URL's host, so the queue lives on the loopback endpoint too.
  queueUrl = `${awsEndpoint}/123456789012/sr-linux.fifo`;
  handler = loadShippedHandler<Handler>("spot-interruption", {
    AWS_ENDPOINT_URL: awsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    PREFIX: "sr",
    RUNNER_SCOPE: "org",
    GITHUB_APP_ID: "1234",
    GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME: "/sr/github-app/private-key",
    GITHUB_API_URL: githubUrl,
    RUNNERS_TABLE: "sr-runners",
    JOBS_TABLE: "sr-jobs",
    POOLS: JSON.stringify({ linux: { queueUrl } }),
  });
});

beforeEach(async () => {
  aws.calls.length = 0;
  github.requests.length = 0;
  await Promise.all([db.clear("sr-jobs"), db.clear("sr-runners")]);
});

afterAll(async () => {
  await Promise.all([aws.stop(), github.stop(), db.close()]);
});

describe("the shipped spot-interruption zip", () => {
  const earlier = () => new Date(Date.now() - 10 * 60_000);
  const runnerItem = (instanceId: string, runnerId: number) =>
    putRunnerItem(db.documentClient, "sr-runners", { instanceArnPrefix: INSTANCE_ARN, instanceId, runnerId, owner: "octo-org", installationId: INSTALLATION, createdAt: earlier(), prefix: "sr" });

  it("marks the job of a busy runner interrupted and leaves the runner registered", async () => {
    // Arrange: job 8 runs on the runner (in_progress seen); GitHub refuses to delete a busy runner.
    await ledger.start(jobFacts(8), `sr-${BUSY}`, earlier());
    await runnerItem(BUSY, OTHER_RUNNER_ID);

    // Act
    const outcome = await handler(warning({ "instance-id": BUSY, "instance-action": "terminate" }), context);

    // Assert
    expect(outcome).toEqual({ instanceId: BUSY, ours: true, interruptedJob: jobKey(jobFacts(8)), deregistered: "busy", relaunched: undefined });
    expect(await ledger.get(jobKey(jobFacts(8)))).toMatchObject({ phase: "running", interrupted: true });
    expect(github.calls().filter((call) => call.startsWith("DELETE"))).toEqual([`DELETE ${RUNNERS}/11`]);
    expect(aws.inputsOf("EC2.DescribeInstances")).toEqual([expect.objectContaining({ "InstanceId.1": BUSY })]);
    expect(sqsSends()).toEqual([]);
  });

  it("deregisters an idle runner (the id GitHub gives its name, not the forged item's) and relaunches the job it was launched for through the pool's queue", async () => {
    // Arrange
    const key = await seedLaunchedJob(ledger, counters, { facts: jobFacts(7), instanceId: IDLE, prefix: "sr", scopeOwner: "octo-org", at: earlier() });
    await runnerItem(IDLE, OTHER_RUNNER_ID);

    // Act
    const outcome = await handler(warning({ "instance-id": IDLE, "instance-action": "terminate" }), context);

    // Assert
    expect(outcome).toEqual({ instanceId: IDLE, ours: true, interruptedJob: undefined, deregistered: "deleted", relaunched: key });
    expect(github.calls().filter((call) => call.startsWith("DELETE"))).toEqual([`DELETE ${RUNNERS}/12`]);
    expect(await ledger.get(key)).toMatchObject({ phase: "received", relaunches: 1, slotHeld: false });
    expect(await Promise.all([LINUX.global, LINUX.pool, LINUX.owner].map((counter) => counterValue(db.documentClient, "sr-jobs", counter)))).toEqual([0, 0, 0]);
    const sends = sqsSends();
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({ QueueUrl: queueUrl, MessageGroupId: "7", MessageDeduplicationId: "7-1-r1" });
    expect(JSON.parse(sends[0]!.MessageBody)).toMatchObject({ version: 1, pool: "linux", jobId: 7, runAttempt: 1, repository: "octo-org/octo-repo", installationId: 52103487 });
  });

  it.each([
    { name: "an instance without our prefix tag", instanceId: FOREIGN },
    { name: "an instance EC2 no longer knows", instanceId: GONE },
  ])("does nothing for $name", async ({ instanceId }) => {
    // Arrange: even a job pointing at the instance is left alone.
    await ledger.start(jobFacts(9), `sr-${instanceId}`, earlier());
    const before = await db.items("sr-jobs");

    // Act
    const outcome = await handler(warning({ "instance-id": instanceId, "instance-action": "terminate" }), context);

    // Assert
    expect(outcome).toEqual({ instanceId, ours: false, interruptedJob: undefined, deregistered: "skipped", relaunched: undefined });
    expect(github.requests).toEqual([]);
    expect(sqsSends()).toEqual([]);
    expect(await db.items("sr-jobs")).toEqual(before);
  });

  it.each([
    { name: "no detail fields", detail: {} },
    { name: "an instance id that is not one", detail: { "instance-id": "sr-runner-1", "instance-action": "terminate" } },
  ])("ignores an event with $name", async ({ detail }) => {
    // Act
    const outcome = await handler(warning(detail), context);

    // Assert
    expect(outcome).toEqual({ ignored: "no instance id" });
    expect(aws.calls).toEqual([]);
    expect(github.requests).toEqual([]);
  });
});
