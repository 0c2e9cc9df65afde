import { clearCaches } from "@aws-lambda-powertools/parameters";
import { CreateFleetCommand, CreateTagsCommand, EC2Client, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import type { CreateFleetCommandInput } from "@aws-sdk/client-ec2";
import { ChangeMessageVisibilityBatchCommand, SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

// The handler's DynamoDB client talks to dynalite (the ledger's guarantees are condition expressions,
// which only a server evaluates); EC2, SQS and SSM are aws-sdk-client-mock doubles, GitHub is nock.
// The handler comes from its factory, with this test's environment and clients.

import { dynamoDbLedger } from "../../../lambdas/libs/ledger/dynamodb-store.js";
import { jobKey } from "../../../lambdas/libs/ledger/phases.js";
import { createHandler, defaultDeps } from "../../../lambdas/scale-up/scale-up.lambda.js";
import type { JobMessage } from "../../../lambdas/shared/index.js";
import { clearObservedBudgets, clearOctokitCache } from "../../../lambdas/shared/index.js";
import { jobMessage, lambdaContext, newInstanceIds, scriptInstantFleet, sqsEvent, sqsRecord } from "../../helpers/aws.js";
import { restoreDoubles } from "../../helpers/restore-doubles.js";
import { generateAppPrivateKey, gitHubFake, installationToken, jitConfigResponse, validationFailed } from "../../helpers/github.js";
import type { RecordedRequest } from "../../helpers/github.js";
import { startDynalite } from "../../helpers/dynalite.js";
import { quietPowertools } from "../../helpers/powertools.js";
import { SCALE_UP_FINISH_MARGIN_SECONDS, SCALE_UP_JIT_CALL_BUDGET_SECONDS } from "../../../contracts/scale-up.js";
import { scaleUpEnvFixture, scaleUpQueueArn, scaleUpQueueUrl } from "../../helpers/scale-up-env.js";

const db = await startDynalite();
/** The function's environment as the stack renders it, handed to the factory (never to process.env). */
const ENV = scaleUpEnvFixture({
  env: { BACKOFF_BASE_SECONDS: "20", JOB_WAIT_MAX_SECONDS: "600", GITHUB_MIN_REMAINING_REQUESTS: "100" },
  pools: {
    gpu: { labels: ["linux", "gpu"], maxRunners: 2, instanceTypes: ["g5.xlarge"], runnerGroupId: 9 },
    linux: { maxRunners: 5, instanceTypes: ["m7i.large", "m6i.large"], subnetIds: ["subnet-a", "subnet-b"], spot: true, onDemandFallback: true },
  },
});
quietPowertools();
const handler = createHandler(() => defaultDeps(ENV, { ec2: new EC2Client({ region: "eu-west-1" }), sqs: new SQSClient({ region: "eu-west-1" }), dynamoDb: db.client }));

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const sqs = mockClient(SQSClient);
const ledger = dynamoDbLedger(db.documentClient, "sr-jobs");
const APP_KEY = generateAppPrivateKey();
const ORG_JIT = "/orgs/octo-org/actions/runners/generate-jitconfig";
const JIT_TEMPLATE = "/orgs/{org}/actions/runners/generate-jitconfig";
const INSTANCE_ARN = "arn:aws:ec2:eu-west-1:123456789012:instance/";

let draining = "false";

/** A job the webhook accepted just now (the handler compares receivedAt with its own clock). */
function job(overrides: Partial<JobMessage> = {}): JobMessage {
  return jobMessage({ receivedAt: new Date().toISOString(), labels: ["self-hosted", "linux", "x64"], ...overrides });
}

/** An SQS record from the queue of the job's pool. */
function record(body: JobMessage | string, options: { id?: string; receiveCount?: number; pool?: string } = {}): SQSRecord {
  const base = sqsRecord(body, options.id);
  const pool = options.pool ?? (typeof body === "string" ? "linux" : body.pool === "gpu" ? "gpu" : "linux");
  return {
    ...base,
    eventSourceARN: scaleUpQueueArn(pool),
    attributes: { ...base.attributes, ApproximateReceiveCount: String(options.receiveCount ?? 1) },
  };
}

function invoke(records: ReadonlyArray<SQSRecord | JobMessage>) {
  return handler(sqsEvent(records.map((r) => ("messageId" in r ? r : record(r)))), lambdaContext("sr-scale-up"));
}

function failures(result: { batchItemFailures: Array<{ itemIdentifier: string }> }): string[] {
  return result.batchItemFailures.map((failure) => failure.itemIdentifier).sort();
}

const idOf = (message: JobMessage) => `msg-${message.jobId}`;

function fleetCalls(): CreateFleetCommandInput[] {
  return ec2.commandCalls(CreateFleetCommand).map((call) => call.args[0].input);
}

/** New visibility per receipt handle. */
function visibility(): Record<string, number> {
  return Object.fromEntries(
    sqs.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((call) => (call.args[0].input.Entries ?? []).map((entry) => [String(entry.ReceiptHandle), Number(entry.VisibilityTimeout)])),
  );
}

function deadLetters() {
  return sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
}

async function runnerItems(): Promise<Array<Record<string, any>>> {
  return db.items("sr-runners");
}

async function counter(key: string): Promise<number> {
  return Number((await db.items("sr-jobs")).find((item) => item.pk === key)?.inUse ?? 0);
}

async function setCounter(key: string, inUse: number): Promise<void> {
  await db.documentClient.send(new PutCommand({ TableName: "sr-jobs", Item: { pk: key, inUse } }));
}

/** Scripts the GitHub App flow: one token per installation, then one JIT config per runner. */
function gitHub(options: { jitCount: number; installations?: number[]; failNames?: (name: string) => boolean; headers?: Record<string, string> }) {
  const fake = gitHubFake();
  for (const installationId of options.installations ?? [52103487]) {
    fake.scope.post(`/app/installations/${installationId}/access_tokens`).reply(201, installationToken(`ghs_token_${installationId}`));
  }
  let runnerId = 100;
  if (options.jitCount > 0) {
    fake.scope
      .post(ORG_JIT)
      .times(options.jitCount)
      .reply(async (request: Request) => {
        const body = (await request.json()) as { name: string; labels: string[] };
        if (options.failNames?.(body.name)) return [422, JSON.stringify(validationFailed("Validation Failed", JIT_TEMPLATE, "POST")), { "content-type": "application/json" }];
        runnerId += 1;
        return [201, JSON.stringify(jitConfigResponse({ id: runnerId, name: body.name, labels: body.labels }, JIT_TEMPLATE)), { "content-type": "application/json", ...options.headers }];
      });
  }
  return fake;
}

const jitCalls = (requests: readonly RecordedRequest[]) => requests.filter((request) => request.path === ORG_JIT);

beforeAll(async () => {
  // GitHub only through nock; loopback stays open for dynalite.
  nock.disableNetConnect();
  nock.enableNetConnect((host: string) => host.startsWith("127.0.0.1:"));
  await db.createTable("sr-jobs");
  await db.createTable("sr-runners");
});

beforeEach(async () => {
  clearCaches();
  clearOctokitCache();
  clearObservedBudgets();
  ec2.reset();
  ssm.reset();
  sqs.reset();
  await Promise.all([db.clear("sr-jobs"), db.clear("sr-runners")]);
  draining = "false";
  ssm.on(GetParameterCommand, { Name: "/sr/github-app-key", WithDecryption: true }).resolves({
    Parameter: { Name: "/sr/github-app-key", Type: "SecureString", Value: APP_KEY },
  });
  ssm.on(GetParameterCommand, { Name: "/sr/draining" }).callsFake(() => ({ Parameter: { Name: "/sr/draining", Type: "String", Value: draining } }));
  sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  sqs.on(SendMessageCommand).resolves({ MessageId: "dlq-1", SequenceNumber: "1" });
  ec2.on(CreateTagsCommand).resolves({});
  ec2.on(TerminateInstancesCommand).resolves({});
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => restoreDoubles(db, ec2, ssm, sqs));

describe("scale-up handler: launching", () => {
  it("launches one fleet per (pool, owner) group and registers one runner per job", async () => {
    // Arrange
    scriptInstantFleet(ec2);
    const github = gitHub({ jitCount: 3 });
    const messages = [job({ pool: "linux" }), job({ pool: "linux" }), job({ pool: "gpu", labels: ["linux", "gpu"] })];

    // Act
    const result = await invoke(messages);

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(github.scope.isDone()).toBe(true);
    const fleets = fleetCalls();
    expect(fleets).toHaveLength(2);
    const linux = fleets.find((input) => input.LaunchTemplateConfigs?.[0]?.LaunchTemplateSpecification?.LaunchTemplateName === "sr-linux")!;
    expect(linux).toMatchObject({
      Type: "instant",
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: { LaunchTemplateName: "sr-linux", Version: "$Default" },
          Overrides: [
            { InstanceType: "m7i.large", SubnetId: "subnet-a" },
            { InstanceType: "m7i.large", SubnetId: "subnet-b" },
            { InstanceType: "m6i.large", SubnetId: "subnet-a" },
            { InstanceType: "m6i.large", SubnetId: "subnet-b" },
          ],
        },
      ],
      TargetCapacitySpecification: { TotalTargetCapacity: 2, DefaultTargetCapacityType: "spot" },
      SpotOptions: { AllocationStrategy: "price-capacity-optimized" },
      OnDemandOptions: { AllocationStrategy: "lowest-price" },
      TagSpecifications: [
        {
          ResourceType: "instance",
          Tags: [
            { Key: "Name", Value: "sr-linux" },
            { Key: "self-runners:prefix", Value: "sr" },
            { Key: "self-runners:pool", Value: "linux" },
            { Key: "self-runners:owner", Value: "octo-org" },
            { Key: "self-runners:installation-id", Value: "52103487" },
            { Key: "self-runners:repository", Value: messages[0]!.repository },
          ],
        },
      ],
    });
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      "POST /app/installations/52103487/access_tokens",
      `POST ${ORG_JIT}`,
      `POST ${ORG_JIT}`,
      `POST ${ORG_JIT}`,
    ]);
    const gpuJit = jitCalls(github.requests).map((call) => call.body as Record<string, unknown>).find((body) => body.runner_group_id === 9);
    expect(gpuJit).toMatchObject({ labels: ["linux", "gpu", "self-hosted"], work_folder: "_work" });
    expect(String(gpuJit?.name)).toMatch(/^sr-i-[0-9a-f]{17}$/);
  });

  it("records each job launched in the ledger, with its instance pointer and one slot on each counter", async () => {
    // Arrange
    scriptInstantFleet(ec2);
    gitHub({ jitCount: 3 });
    const messages = [job({ pool: "linux" }), job({ pool: "linux" }), job({ pool: "gpu", labels: ["linux", "gpu"] })];

    // Act
    await invoke(messages);

    // Assert
    const items = await runnerItems();
    for (const message of messages) {
      const entry = await ledger.get(jobKey(message));
      expect(entry).toMatchObject({ phase: "launched", scopeOwner: "octo-org", pool: message.pool, runnerWritten: true, slotHeld: true, launchAttempts: 1 });
      expect(entry?.claimToken).toBeUndefined();
      expect(entry?.events?.map((event) => event.what)).toEqual(["claimed", "launched"]);
      expect(entry?.runnerName).toBe(`sr-${entry?.instanceId}`);
      expect(await ledger.jobOfInstance(entry!.instanceId!)).toBe(jobKey(message));
      expect(items.find((item) => item.instanceId === entry?.instanceId)?.jobKey).toBe(jobKey(message));
    }
    expect(await counter("limit#global")).toBe(3);
    expect(await counter("limit#pool#linux")).toBe(2);
    expect(await counter("limit#pool#gpu")).toBe(1);
    expect(await counter("limit#owner#octo-org")).toBe(3);
  });

  it("writes one runners-table item per runner, keyed by the instance ARN, with its jobKey, and tags instances only at launch", async () => {
    // Arrange
    scriptInstantFleet(ec2);
    gitHub({ jitCount: 2 });
    const before = Math.floor(Date.now() / 1000);
    const messages = [job(), job()];

    // Act
    await invoke(messages);

    // Assert
    const items = await runnerItems();
    expect(items).toHaveLength(2);
    for (const item of items) {
      expect(item).toMatchObject({
        pk: `${INSTANCE_ARN}${item.instanceId}`,
        pool: "linux",
        owner: "octo-org",
        installationId: 52103487,
        runnerName: `sr-${item.instanceId}`,
        jitConfig: Buffer.from(`jit-config-of-sr-${item.instanceId}`).toString("base64"),
      });
      expect(typeof item.runnerId).toBe("number");
      expect(item.expiresAt - Math.floor(Date.parse(item.createdAt) / 1000)).toBe(86_400);
      expect(item.expiresAt).toBeGreaterThanOrEqual(before + 86_400);
    }
    expect(items.map((item) => item.jobKey).sort()).toEqual(messages.map((m) => jobKey(m)).sort());
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
  });

  it("fetches the installation token once across two invocations", async () => {
    // Arrange
    scriptInstantFleet(ec2);
    const github = gitHub({ jitCount: 2 });

    // Act
    const first = await invoke([job()]);
    const second = await invoke([job()]);

    // Assert
    expect([first.batchItemFailures, second.batchItemFailures]).toEqual([[], []]);
    expect(github.requests.filter((request) => request.path.endsWith("/access_tokens"))).toHaveLength(1);
    expect(github.scope.isDone()).toBe(true);
  });
});

describe("scale-up handler: duplicates and claims", () => {
  it("launches one runner for a job that comes twice in one batch; the copy waits briefly", async () => {
    // Arrange
    scriptInstantFleet(ec2);
    const github = gitHub({ jitCount: 1 });
    const message = job();

    // Act
    const result = await invoke([record(message, { id: "copy-1" }), record(message, { id: "copy-2" })]);

    // Assert
    expect(fleetCalls().map((input) => input.TargetCapacitySpecification?.TotalTargetCapacity)).toEqual([1]);
    expect(jitCalls(github.requests)).toHaveLength(1);
    expect(await runnerItems()).toHaveLength(1);
    // One copy launched; the other found the first one's live claim and comes back after an in-flight wait.
    const waiting = failures(result);
    expect(waiting).toHaveLength(1);
    const seconds = visibility()[`handle-${waiting[0]}`]!;
    expect(seconds).toBeGreaterThanOrEqual(10);
    expect(seconds).toBeLessThanOrEqual(20);
  });

  it("defers a job another invocation is launching (live claim) without touching it", async () => {
    // Arrange
    scriptInstantFleet(ec2);
    const github = gitHub({ jitCount: 0, installations: [] });
    const message = job();
    await ledger.claim({ jobId: message.jobId, runAttempt: 1, pool: "linux", scopeOwner: "octo-org" }, "other-invocation", 120_000, new Date());

    // Act
    const result = await invoke([message]);

    // Assert
    expect(failures(result)).toEqual([idOf(message)]);
    expect(visibility()[`handle-${idOf(message)}`]).toBeLessThanOrEqual(20);
    expect(fleetCalls()).toEqual([]);
    expect(github.requests).toEqual([]);
    expect(await ledger.get(jobKey(message))).toMatchObject({ phase: "launching", claimToken: "other-invocation" });
  });

  it("adopts the runner of an expired claim whose configuration was written, launching nothing", async () => {
    // Arrange: an invocation crashed after writing the runner item, before marking the job launched.
    scriptInstantFleet(ec2);
    const github = gitHub({ jitCount: 0, installations: [] });
    const message = job();
    const key = jobKey(message);
    const crashedAt = new Date(Date.now() - 10 * 60_000);
    const [previous] = newInstanceIds(1) as [string];
    await ledger.claim({ jobId: message.jobId, runAttempt: 1, pool: "linux", scopeOwner: "octo-org" }, "crashed", 120_000, crashedAt);
    await ledger.recordInstance(key, "crashed", previous, `sr-${previous}`, crashedAt);
    await db.documentClient.send(new PutCommand({ TableName: "sr-runners", Item: { pk: `${INSTANCE_ARN}${previous}`, instanceId: previous, jobKey: key, jitConfig: "x" } }));
    await Promise.all(["limit#global", "limit#pool#linux", "limit#owner#octo-org"].map((k) => setCounter(k, 1)));

    // Act
    const result = await invoke([message]);

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(fleetCalls()).toEqual([]);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toEqual([]);
    expect(github.requests).toEqual([]);
    expect(await ledger.get(key)).toMatchObject({ phase: "launched", instanceId: previous, slotHeld: true, launchAttempts: 2 });
    expect(await counter("limit#global")).toBe(1);
  });

  it("reuses the instance of an expired claim that never got its configuration: registers it, no CreateFleet, no termination", async () => {
    // Arrange: an invocation ran out of time after CreateFleet and kept the instance with its claim.
    scriptInstantFleet(ec2);
    const github = gitHub({ jitCount: 1 });
    const message = job();
    const key = jobKey(message);
    // 5 minutes ago: young enough to get its configuration before the 600-s boot timeout.
    const crashedAt = new Date(Date.now() - 5 * 60_000);
    const [previous] = newInstanceIds(1) as [string];
    await ledger.claim({ jobId: message.jobId, runAttempt: 1, pool: "linux", scopeOwner: "octo-org" }, "crashed", 120_000, crashedAt);
    await ledger.recordInstance(key, "crashed", previous, `sr-${previous}`, crashedAt);
    // Its earlier attempt left no registration under the name (the takeover looks before asking).
    github.scope.get("/orgs/octo-org/actions/runners").query({ name: `sr-${previous}` }).reply(200, { total_count: 0, runners: [] });
    // The earlier attempt had reserved its slots before launching.
    await Promise.all(["limit#global", "limit#pool#linux", "limit#owner#octo-org"].map((k) => setCounter(k, 1)));

    // Act
    const result = await invoke([message]);

    // Assert: the kept instance is registered and configured; nothing else launched or ended.
    expect(result.batchItemFailures).toEqual([]);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toEqual([]);
    expect(fleetCalls()).toEqual([]);
    expect(jitCalls(github.requests).map((request) => (request.body as { name: string }).name)).toEqual([`sr-${previous}`]);
    expect(github.requests.filter((request) => request.method === "GET").map((request) => request.path)).toEqual([`/orgs/octo-org/actions/runners?name=sr-${previous}`]);
    expect(await ledger.get(key)).toMatchObject({ phase: "launched", instanceId: previous, slotHeld: true });
    expect((await runnerItems()).map((item) => item.instanceId)).toEqual([previous]);
    // Its slots were held already: one runner, one slot.
    expect(await counter("limit#global")).toBe(1);
    expect(await counter("limit#pool#linux")).toBe(1);
    expect(await counter("limit#owner#octo-org")).toBe(1);
  });

  it("replaces a kept instance too old to pick up a configuration: terminates it, launches one fresh on its slots (issue 15)", async () => {
    // Arrange: an instance kept 20 minutes ago, past the 600-s boot timeout: it has ended itself.
    scriptInstantFleet(ec2);
    const github = gitHub({ jitCount: 1 });
    const message = job();
    const key = jobKey(message);
    const keptAt = new Date(Date.now() - 20 * 60_000);
    const [previous] = newInstanceIds(1) as [string];
    await ledger.claim({ jobId: message.jobId, runAttempt: 1, pool: "linux", scopeOwner: "octo-org" }, "out-of-time", 120_000, keptAt);
    await ledger.recordInstance(key, "out-of-time", previous, `sr-${previous}`, keptAt);
    await Promise.all(["limit#global", "limit#pool#linux", "limit#owner#octo-org"].map((k) => setCounter(k, 1)));

    // Act
    const result = await invoke([message]);

    // Assert: the old instance is ended, no JIT call names it; the fresh one is registered and launched.
    expect(result.batchItemFailures).toEqual([]);
    expect(ec2.commandCalls(TerminateInstancesCommand).map((call) => call.args[0].input.InstanceIds)).toEqual([[previous]]);
    expect(fleetCalls()).toHaveLength(1);
    const names = jitCalls(github.requests).map((request) => (request.body as { name: string }).name);
    expect(names).toHaveLength(1);
    expect(names).not.toContain(`sr-${previous}`);
    const entry = await ledger.get(key);
    expect(entry).toMatchObject({ phase: "launched", slotHeld: true });
    expect(entry?.instanceId).not.toBe(previous);
    expect(names).toEqual([`sr-${entry?.instanceId}`]);
    // The replacement inherits the kept instance's slots: one runner, one slot.
    expect(await counter("limit#global")).toBe(1);
    expect(await counter("limit#pool#linux")).toBe(1);
    expect(await counter("limit#owner#octo-org")).toBe(1);
  });

  it("records the instance on the claim before the JIT call when the previous claim's invocation died", async () => {
    // Arrange: an invocation claimed the job and died without recording anything (killed during a slow
    // GitHub call); GitHub refuses this attempt's JIT config, so the record before it is what remains.
    scriptInstantFleet(ec2);
    const github = gitHub({ jitCount: 1, failNames: () => true });
    const message = job();
    const key = jobKey(message);
    await ledger.claim({ jobId: message.jobId, runAttempt: 1, pool: "linux", scopeOwner: "octo-org" }, "died", 120_000, new Date(Date.now() - 10 * 60_000));

    // Act
    await invoke([message]);

    // Assert: the instance was recorded on the claim (the pointer and event) before GitHub was asked.
    expect(jitCalls(github.requests)).toHaveLength(1);
    const entry = await ledger.get(key);
    // The one instance launched, terminated after GitHub's refusal, is the one recorded.
    expect(fleetCalls()).toHaveLength(1);
    const [terminated] = ec2.commandCalls(TerminateInstancesCommand).map((call) => call.args[0].input.InstanceIds?.[0]);
    expect(entry?.events?.map((event) => event.what)).toEqual(["claimed", "claimed", "instance-launched", "released"]);
    expect(entry?.events?.[2]?.detail).toBe(terminated);
  });

  it("starts no JIT call without time for GitHub's answer: the instance stays with the claim, the message waits for the lease", async () => {
    // Arrange: 39 s left after CreateFleet, one second short of the JIT budget and its margin.
    scriptInstantFleet(ec2);
    const github = gitHub({ jitCount: 1 });
    const message = job();
    const key = jobKey(message);

    // Act
    const result = await handler(sqsEvent([record(message)]), lambdaContext("sr-scale-up", (SCALE_UP_JIT_CALL_BUDGET_SECONDS + SCALE_UP_FINISH_MARGIN_SECONDS) * 1000 - 1_000));

    // Assert: one instance, no registration, no termination; the claim holds the instance and its slots.
    expect(failures(result)).toEqual([idOf(message)]);
    expect(fleetCalls()).toHaveLength(1);
    expect(jitCalls(github.requests)).toEqual([]);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toEqual([]);
    const entry = await ledger.get(key);
    expect(entry).toMatchObject({ phase: "launching" });
    expect(entry?.claimInstanceId).toMatch(/^i-/);
    expect(await runnerItems()).toEqual([]);
    expect(await counter("limit#global")).toBe(1);
    // Back once the claim's lease (CLAIM_LEASE_SECONDS = 120) has run out, for the takeover.
    expect(Object.values(visibility())).toEqual([121]);
  });

  it("launches a new runner for a relaunched job, leaving its old instance alone (it may serve another job)", async () => {
    // Arrange: launched once; the reconciler found that runner gone or busy elsewhere and relaunched the job.
    scriptInstantFleet(ec2);
    const github = gitHub({ jitCount: 1 });
    const message = job();
    const key = jobKey(message);
    const earlier = new Date(Date.now() - 30 * 60_000);
    const [old] = newInstanceIds(1) as [string];
    await ledger.claim({ jobId: message.jobId, runAttempt: 1, pool: "linux", scopeOwner: "octo-org" }, "first", 120_000, earlier);
    await ledger.recordInstance(key, "first", old, `sr-${old}`, earlier);
    await ledger.markLaunched(key, "first", earlier);
    await db.documentClient.send(new PutCommand({ TableName: "sr-runners", Item: { pk: `${INSTANCE_ARN}${old}`, instanceId: old, jobKey: key } }));
    await ledger.relaunch(key, old, "runner took another job", earlier);

    // Act
    const result = await invoke([message]);

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(fleetCalls()).toHaveLength(1);
    expect(jitCalls(github.requests)).toHaveLength(1);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toEqual([]);
    const entry = await ledger.get(key);
    expect(entry).toMatchObject({ phase: "launched", relaunches: 1 });
    expect(entry?.instanceId).not.toBe(old);
  });

  it("launches anew after a failed attempt released the job, without touching the instance it terminated", async () => {
    // Arrange: the first attempt's registration failed; its instance was terminated and the job released.
    scriptInstantFleet(ec2);
    let registrations = 0;
    const github = gitHub({ jitCount: 2, failNames: () => ++registrations === 1 });
    const message = job();
    const first = await invoke([message]);
    const terminatedBefore = ec2.commandCalls(TerminateInstancesCommand).length;

    // Act
    const second = await invoke([message]);

    // Assert
    expect(failures(first)).toEqual([idOf(message)]);
    expect(terminatedBefore).toBe(1);
    expect(second.batchItemFailures).toEqual([]);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(1);
    expect(jitCalls(github.requests)).toHaveLength(2);
    expect(await ledger.get(jobKey(message))).toMatchObject({ phase: "launched", launchAttempts: 2 });
    expect(await counter("limit#global")).toBe(1);
  });
});

describe("scale-up handler: waiting", () => {
  it("launches nothing while draining and backs the records off, then launches once draining is off", async () => {
    // Arrange
    scriptInstantFleet(ec2);
    const github = gitHub({ jitCount: 2 });
    draining = "true";
    const first = job();
    const second = job();

    // Act
    const drained = await invoke([record(first, { receiveCount: 1 }), record(second, { receiveCount: 3 })]);

    // Assert
    expect(failures(drained)).toEqual([idOf(first), idOf(second)].sort());
    expect(fleetCalls()).toEqual([]);
    expect(github.requests).toEqual([]);
    const waits = visibility();
    // Exponential in the receive count with jitter in [half, full] of the step (base 20 s).
    expect(waits[`handle-${idOf(first)}`]).toBeGreaterThanOrEqual(10);
    expect(waits[`handle-${idOf(first)}`]).toBeLessThanOrEqual(20);
    expect(waits[`handle-${idOf(second)}`]).toBeGreaterThanOrEqual(40);
    expect(waits[`handle-${idOf(second)}`]).toBeLessThanOrEqual(80);
    expect(await ledger.get(jobKey(first))).toBeUndefined();

    // Act: the switch is flipped back (the parameter cache has expired).
    draining = "false";
    clearCaches();
    const resumed = await invoke([record(first, { receiveCount: 2 }), record(second, { receiveCount: 4 })]);

    // Assert
    expect(resumed.batchItemFailures).toEqual([]);
    expect(fleetCalls().map((input) => input.TargetCapacitySpecification?.TotalTargetCapacity)).toEqual([2]);
    expect(github.scope.isDone()).toBe(true);
  });

  it("fails when the draining switch cannot be read: the whole batch comes back and nothing is launched", async () => {
    // Arrange
    scriptInstantFleet(ec2);
    ssm.on(GetParameterCommand, { Name: "/sr/draining" }).rejects(new Error("ParameterNotFound"));
    const messages = [job(), job()];

    // Act / Assert
    await expect(invoke(messages)).rejects.toThrow(/\/sr\/draining/);
    expect(fleetCalls()).toEqual([]);
  });

  it.each<{ limit: string; seed: Record<string, number>; pool: string; jobs: number; launched: number }>([
    { limit: "pool", seed: { "limit#pool#gpu": 1 }, pool: "gpu", jobs: 3, launched: 1 },
    { limit: "owner", seed: { "limit#owner#octo-org": 5 }, pool: "linux", jobs: 3, launched: 1 },
    { limit: "global", seed: { "limit#global": 8 }, pool: "linux", jobs: 2, launched: 0 },
  ])("launches only up to the $limit limit and defers the rest with back-off", async ({ seed, pool, jobs, launched }) => {
    // Arrange
    scriptInstantFleet(ec2);
    gitHub({ jitCount: launched });
    for (const [key, value] of Object.entries(seed)) await setCounter(key, value);
    const messages = Array.from({ length: jobs }, () => job({ pool, labels: pool === "gpu" ? ["linux", "gpu"] : ["linux", "x64"] }));

    // Act
    const result = await invoke(messages);

    // Assert
    expect(fleetCalls().map((input) => input.TargetCapacitySpecification?.TotalTargetCapacity)).toEqual(launched === 0 ? [] : [launched]);
    const waiting = messages.slice(launched).map(idOf).sort();
    expect(failures(result)).toEqual(waiting);
    for (const id of waiting) expect(visibility()[`handle-${id}`]).toBeGreaterThanOrEqual(10);
    for (const message of messages.slice(launched)) {
      const entry = await ledger.get(jobKey(message));
      expect(entry?.phase).toBe("received");
      expect(entry?.events?.at(-1)).toMatchObject({ what: "released", detail: expect.stringMatching(/^limit of .* reached$/) });
    }
    // Nothing is held beyond what launched: the unused part of every reservation went back.
    expect(await counter("limit#global")).toBe(seed["limit#global"] ?? launched);
    expect(await counter(`limit#pool#${pool}`)).toBe((seed[`limit#pool#${pool}`] ?? 0) + launched);
  });

  it("gives the slots left to the records earliest in the batch", async () => {
    // Arrange
    scriptInstantFleet(ec2);
    gitHub({ jitCount: 2 });
    await setCounter("limit#pool#linux", 3);
    const messages = Array.from({ length: 6 }, () => job());

    // Act
    const result = await invoke(messages);

    // Assert
    expect(failures(result)).toEqual(messages.slice(2).map(idOf).sort());
    for (const message of messages.slice(0, 2)) expect((await ledger.get(jobKey(message)))?.phase).toBe("launched");
  });

  it("never launches beyond a pool's limit across concurrent invocations", async () => {
    // Arrange: two invocations of 4 jobs each race for the 5 slots of the linux pool.
    scriptInstantFleet(ec2);
    gitHub({ jitCount: 5 });
    const batches = [Array.from({ length: 4 }, () => job()), Array.from({ length: 4 }, () => job())];

    // Act
    const results = await Promise.all(batches.map((batch) => invoke(batch)));

    // Assert
    const asked = fleetCalls().reduce((sum, input) => sum + (input.TargetCapacitySpecification?.TotalTargetCapacity ?? 0), 0);
    expect(asked).toBe(5);
    expect(results.flatMap(failures)).toHaveLength(3);
    expect(await runnerItems()).toHaveLength(5);
    expect(await counter("limit#pool#linux")).toBe(5);
  });

  it("limits launches to the GitHub budget above the reserve and defers the rest until the reset", async () => {
    // Arrange: an answer left 101 requests (reserve 100) until the reset in 10 minutes.
    scriptInstantFleet(ec2);
    const resetAt = Math.floor(Date.now() / 1000) + 600;
    const headers = { "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "101", "x-ratelimit-reset": String(resetAt), "x-ratelimit-used": "4899", "x-ratelimit-resource": "core" };
    const github = gitHub({ jitCount: 2, headers });
    await invoke([job()]);
    // Another execution environment: it knows the budget only from the ledger table.
    clearObservedBudgets();
    expect((await db.items("sr-jobs")).find((item) => item.pk === "budget#123456")).toMatchObject({ appId: 123456, remaining: 101, resetAt });
    const messages = [job(), job(), job()];

    // Act
    const result = await invoke(messages);

    // Assert
    expect(jitCalls(github.requests)).toHaveLength(2);
    expect(fleetCalls().map((input) => input.TargetCapacitySpecification?.TotalTargetCapacity)).toEqual([1, 1]);
    const waiting = failures(result);
    expect(waiting).toEqual(messages.slice(1).map(idOf).sort());
    for (const id of waiting) expect(visibility()[`handle-${id}`]).toBeGreaterThanOrEqual(resetAt - Math.floor(Date.now() / 1000) - 5);
    // Decided before the claim: a job waiting for the budget is never claimed, so nothing is released.
    for (const message of messages.slice(1)) {
      expect((await ledger.get(jobKey(message)))?.events ?? []).not.toContainEqual(expect.objectContaining({ what: "claimed" }));
    }
  });
});

describe("scale-up handler: jobs that cannot be served", () => {
  it("moves a job older than the maximum age to the dead-letter queue with the reason and marks it failed", async () => {
    // Arrange
    scriptInstantFleet(ec2);
    gitHub({ jitCount: 0, installations: [] });
    const old = job({ receivedAt: new Date(Date.now() - 2 * 3600_000).toISOString() });
    const oldRecord = record(old);

    // Act
    const result = await invoke([oldRecord]);

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(fleetCalls()).toEqual([]);
    expect(deadLetters()).toEqual([
      {
        QueueUrl: scaleUpQueueUrl("linux-dlq"),
        MessageBody: oldRecord.body,
        MessageGroupId: String(old.jobId),
        MessageDeduplicationId: idOf(old),
        MessageAttributes: {
          Reason: { DataType: "String", StringValue: expect.stringMatching(/^expired: job waited 720\d s, more than the maximum of 3600 s$/) },
          OriginalMessageId: { DataType: "String", StringValue: idOf(old) },
        },
      },
    ]);
    expect(await ledger.get(jobKey(old))).toMatchObject({ phase: "failed", failureReason: expect.stringMatching(/^job waited/) });
  });

  it("moves unreadable records and unknown pools to the dead-letter queue with the reason, and launches the rest", async () => {
    // Arrange
    scriptInstantFleet(ec2);
    gitHub({ jitCount: 1 });
    const good = job();
    const unknownPool = job({ pool: "windows" });

    // Act
    const result = await invoke([record("not json", { id: "msg-garbage" }), record(unknownPool), record(good)]);

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(fleetCalls().map((input) => input.TargetCapacitySpecification?.TotalTargetCapacity)).toEqual([1]);
    const reasons = Object.fromEntries(deadLetters().map((input) => [input.MessageDeduplicationId, [input.QueueUrl, input.MessageAttributes?.Reason?.StringValue]]));
    expect(reasons).toEqual({
      "msg-garbage": [scaleUpQueueUrl("linux-dlq"), "rejected: invalid job message: body is not JSON"],
      [idOf(unknownPool)]: [scaleUpQueueUrl("linux-dlq"), "rejected: unknown pool windows"],
    });
  });

  it("fails when the dead-letter queue refuses the copy: the record stays on its queue", async () => {
    // Arrange
    sqs.on(SendMessageCommand).rejects(new Error("AccessDenied"));

    // Act
    const result = await invoke([record("not json", { id: "msg-garbage" })]);

    // Assert
    expect(failures(result)).toEqual(["msg-garbage"]);
  });
});

describe("scale-up handler: EC2", () => {
  it("falls back to the remaining pairs, then to on-demand, asking only for what is missing", async () => {
    // Arrange: spot has one m7i.large in subnet-a, nothing else; on-demand has plenty.
    let call = 0;
    ec2.on(CreateFleetCommand).callsFake((input: CreateFleetCommandInput) => {
      call += 1;
      const asked = input.TargetCapacitySpecification!.TotalTargetCapacity!;
      const failed = (type: string, subnet: string) => ({
        ErrorCode: "InsufficientInstanceCapacity",
        ErrorMessage: "no capacity",
        Lifecycle: "spot",
        LaunchTemplateAndOverrides: { Overrides: { InstanceType: type, SubnetId: subnet } },
      });
      if (call === 1) return { Instances: [{ InstanceIds: newInstanceIds(1), Lifecycle: "spot" }], Errors: [failed("m7i.large", "subnet-a"), failed("m7i.large", "subnet-b")] };
      if (call === 2) return { Instances: [], Errors: [failed("m6i.large", "subnet-a"), failed("m6i.large", "subnet-b")] };
      return { Instances: [{ InstanceIds: newInstanceIds(asked), Lifecycle: "on-demand" }], Errors: [] };
    });
    const github = gitHub({ jitCount: 3 });

    // Act
    const result = await invoke([job(), job(), job()]);

    // Assert
    expect(result.batchItemFailures).toEqual([]);
    expect(fleetCalls().map((input) => [input.TargetCapacitySpecification, input.LaunchTemplateConfigs?.[0]?.Overrides])).toEqual([
      [
        { TotalTargetCapacity: 3, DefaultTargetCapacityType: "spot" },
        [
          { InstanceType: "m7i.large", SubnetId: "subnet-a" },
          { InstanceType: "m7i.large", SubnetId: "subnet-b" },
          { InstanceType: "m6i.large", SubnetId: "subnet-a" },
          { InstanceType: "m6i.large", SubnetId: "subnet-b" },
        ],
      ],
      [
        { TotalTargetCapacity: 2, DefaultTargetCapacityType: "spot" },
        [
          { InstanceType: "m6i.large", SubnetId: "subnet-a" },
          { InstanceType: "m6i.large", SubnetId: "subnet-b" },
        ],
      ],
      [
        { TotalTargetCapacity: 2, DefaultTargetCapacityType: "on-demand" },
        [
          { InstanceType: "m7i.large", SubnetId: "subnet-a" },
          { InstanceType: "m7i.large", SubnetId: "subnet-b" },
          { InstanceType: "m6i.large", SubnetId: "subnet-a" },
          { InstanceType: "m6i.large", SubnetId: "subnet-b" },
        ],
      ],
    ]);
    expect(github.scope.isDone()).toBe(true);
    expect(await runnerItems()).toHaveLength(3);
  });

  it("fails the jobs EC2 found no instance for when there is no fallback, and gives their slots back", async () => {
    // Arrange
    ec2.on(CreateFleetCommand).resolves({
      Instances: [{ InstanceIds: newInstanceIds(1), Lifecycle: "on-demand" }],
      Errors: [{ ErrorCode: "InsufficientInstanceCapacity", ErrorMessage: "no g5.xlarge capacity", Lifecycle: "on-demand" }],
    });
    gitHub({ jitCount: 1 });
    const messages = [job({ pool: "gpu", labels: ["linux", "gpu"] }), job({ pool: "gpu", labels: ["linux", "gpu"] })];

    // Act
    const result = await invoke(messages);

    // Assert
    expect(fleetCalls()).toHaveLength(1);
    expect(failures(result)).toEqual([idOf(messages[1]!)]);
    expect(await ledger.get(jobKey(messages[1]!))).toMatchObject({ phase: "received" });
    expect(await counter("limit#pool#gpu")).toBe(1);
    expect(await counter("limit#global")).toBe(1);
  });

  it("fails when CreateFleet is throttled: the jobs wait, with no further EC2 or GitHub call", async () => {
    // Arrange
    ec2.on(CreateFleetCommand).rejects(Object.assign(new Error("Request limit exceeded."), { name: "RequestLimitExceeded" }));
    const github = gitHub({ jitCount: 0, installations: [] });
    const messages = [job(), job()];

    // Act
    const result = await invoke(messages);

    // Assert
    expect(failures(result)).toEqual(messages.map(idOf).sort());
    expect(fleetCalls()).toHaveLength(1);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toEqual([]);
    expect(ec2.commandCalls(CreateTagsCommand)).toEqual([]);
    expect(github.requests).toEqual([]);
    for (const message of messages) {
      expect(visibility()[`handle-${idOf(message)}`]).toBeGreaterThanOrEqual(10);
      expect((await ledger.get(jobKey(message)))?.phase).toBe("received");
    }
    expect(await counter("limit#global")).toBe(0);
    expect(await counter("limit#pool#linux")).toBe(0);
    expect(await counter("limit#owner#octo-org")).toBe(0);
  });

  it("fails when a JIT registration fails: that instance is terminated and its job waits", async () => {
    // Arrange
    scriptInstantFleet(ec2);
    let refused = "";
    const github = gitHub({
      jitCount: 3,
      failNames: (name) => {
        if (refused === "" || refused === name) refused = name;
        return refused === name;
      },
    });

    // Act
    const result = await invoke([job(), job(), job()]);

    // Assert
    expect(github.scope.isDone()).toBe(true);
    expect(result.batchItemFailures).toHaveLength(1);
    const terminated = ec2.commandCalls(TerminateInstancesCommand).map((call) => call.args[0].input.InstanceIds);
    expect(terminated).toEqual([[refused.replace(/^sr-/, "")]]);
    expect(await runnerItems()).toHaveLength(2);
    expect(await counter("limit#global")).toBe(2);
  });

  it("fails when the runners table cannot be written: every instance is terminated and every job waits", async () => {
    // Arrange
    scriptInstantFleet(ec2);
    gitHub({ jitCount: 2 });
    await db.deleteTable("sr-runners");
    const messages = [job(), job()];

    // Act
    const result = await invoke(messages).finally(() => db.createTable("sr-runners"));

    // Assert
    expect(failures(result)).toEqual(messages.map(idOf).sort());
    expect(ec2.commandCalls(TerminateInstancesCommand).flatMap((call) => call.args[0].input.InstanceIds)).toHaveLength(2);
    for (const message of messages) expect((await ledger.get(jobKey(message)))?.phase).toBe("received");
    expect(await counter("limit#global")).toBe(0);
  });
});
