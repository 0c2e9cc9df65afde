import { createHash, generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lambdaContext } from "../../helpers/aws.js";
import { startDynalite } from "../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../helpers/dynalite.js";
import { LoopbackAws } from "../../helpers/loopback-aws.js";
import { MemoryKms } from "../../helpers/memory-kms.js";
import { assertMatchesOpenApi } from "../../helpers/openapi.js";
import { loadShippedHandler } from "../../helpers/shipped-zip.js";
import { scaleUpEnvFixture, scaleUpQueueArn } from "../../helpers/scale-up-env.js";

// Drives dist/lambdas/scale-up.zip (with the shared layer) as deployed: SQS batches in; GitHub App
// auth and generate-jitconfig against a loopback GitHub whose answers are checked against GitHub's
// OpenAPI description; the job ledger and the runners table in dynalite (AWS_ENDPOINT_URL_DYNAMODB);
// EC2 (query protocol), SQS and SSM against a loopback AWS endpoint.

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const INSTANCE_ARN = "arn:aws:ec2:eu-west-1:123456789012:instance/";
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const context: Context = lambdaContext("sr-scale-up");

/** A loopback GitHub REST API: records requests, answers from a route table, checks answers against OpenAPI. */
class LoopbackGitHub {
  readonly requests: Array<{ method: string; path: string; body: Record<string, unknown> }> = [];
  private readonly server: Server;
  constructor(private readonly routes: Record<string, (body: Record<string, unknown>) => [number, unknown]>) {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
        const key = `${req.method} ${req.url}`;
        this.requests.push({ method: req.method ?? "", path: req.url ?? "", body });
        const route = this.routes[key] as ((body: Record<string, unknown>) => [number, unknown]) | undefined;
        const [status, answer] = route ? route(body) : [404, { message: "Not Found" }];
        if (route) assertMatchesOpenApi(req.method ?? "", req.url ?? "", status, answer);
        res.writeHead(status, {
          "content-type": "application/json; charset=utf-8",
          "x-ratelimit-limit": "5000",
          "x-ratelimit-remaining": "4999",
          "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
        });
        res.end(JSON.stringify(answer));
      });
    });
  }
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let runnerIds = 100;
const github: LoopbackGitHub = new LoopbackGitHub({
  "POST /app/installations/42/access_tokens": () => [
    201,
    { token: "ghs_loopbacktoken", expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { administration: "write" }, repository_selection: "all" },
  ],
  "POST /repos/octo-org/octo-repo/actions/runners/generate-jitconfig": (body) => [
    201,
    {
      runner: { id: (runnerIds += 1), name: String(body.name), os: "unknown", status: "offline", busy: false, labels: [] },
      encoded_jit_config: Buffer.from(`jit-${String(body.name)}`).toString("base64"),
    },
  ],
  // Jobs 7 and 8 are confirmed still queued before launching (older than STILL_QUEUED_GRACE_SECONDS).
  "GET /repos/octo-org/octo-repo/actions/jobs/7": () => [200, workflowJobAnswer(7, "in_progress")],
  "GET /repos/octo-org/octo-repo/actions/jobs/8": () => [200, workflowJobAnswer(8, "queued")],
});

/** GET /repos/{owner}/{repo}/actions/jobs/{job_id} as GitHub answers it (the loopback checks it against OpenAPI). */
function workflowJobAnswer(jobId: number, status: "queued" | "in_progress"): Record<string, unknown> {
  const assigned = status !== "queued";
  return {
    id: jobId,
    run_id: 7,
    run_url: "https://api.github.com/repos/octo-org/octo-repo/actions/runs/7",
    run_attempt: 1,
    node_id: "CR_kwDOABCD1234",
    head_sha: "009b8a3a9ccbb128af87f9b1c0f4c62e8a304f6d",
    url: `https://api.github.com/repos/octo-org/octo-repo/actions/jobs/${jobId}`,
    html_url: `https://github.com/octo-org/octo-repo/actions/runs/7/job/${jobId}`,
    status,
    conclusion: null,
    created_at: "2024-06-11T11:00:00Z",
    started_at: "2024-06-11T11:00:00Z",
    completed_at: null,
    name: "build",
    steps: [],
    check_run_url: `https://api.github.com/repos/octo-org/octo-repo/check-runs/${jobId}`,
    labels: ["self-hosted", "linux"],
    runner_id: assigned ? 77 : null,
    runner_name: assigned ? "someone-elses-runner" : null,
    runner_group_id: assigned ? 1 : null,
    runner_group_name: assigned ? "Default" : null,
    workflow_name: "CI",
    head_branch: "main",
  };
}

let instances = 0;
const launchedIds: string[] = [];
/** The kit's key: the zip seals each configuration with KMS Encrypt (JIT_KMS_KEY_ARN). */
const kms = new MemoryKms();
const aws = new LoopbackAws()
  .on("TrentService.Encrypt", kms.encryptOperation)
  .on("AmazonSSM.GetParameter", (input) =>
    input.Name === "/sr/draining"
      ? { Parameter: { Name: input.Name, Type: "String", Value: "false", Version: 1 } }
      : { Parameter: { Name: input.Name, Type: "SecureString", Value: privateKey, Version: 1 } },
  )
  .on("EC2.CreateFleet", (input) => {
    const ids = Array.from({ length: Number(input["TargetCapacitySpecification.TotalTargetCapacity"]) }, () => `i-0aaaaaaaaaaaaa${(instances += 1).toString(16).padStart(3, "0")}`);
    launchedIds.push(...ids);
    return `<CreateFleetResponse xmlns="${EC2_NS}"><requestId>r</requestId><fleetId>fleet-1</fleetId><errorSet/><fleetInstanceSet><item><instanceIds>${ids
      .map((id) => `<item>${id}</item>`)
      .join("")}</instanceIds><instanceType>m7i.large</instanceType><lifecycle>spot</lifecycle></item></fleetInstanceSet></CreateFleetResponse>`;
  })
  .on("EC2.CreateTags", () => `<CreateTagsResponse xmlns="${EC2_NS}"><requestId>r</requestId><return>true</return></CreateTagsResponse>`)
  .on("AmazonSQS.ChangeMessageVisibilityBatch", (input) => ({ Successful: ((input.Entries ?? []) as Array<{ Id: string }>).map((entry) => ({ Id: entry.Id })), Failed: [] }))
  // The SDK checks the MD5 of the body it sent against the answer.
  .on("AmazonSQS.SendMessage", (input) => ({ MessageId: "dlq-1", MD5OfMessageBody: createHash("md5").update(String(input.MessageBody)).digest("hex"), SequenceNumber: "1" }));

function job(jobId: number, receivedAt = new Date()) {
  return {
    version: 1,
    deliveryId: `delivery-${jobId}`,
    pool: "linux",
    jobId,
    runId: 7,
    runAttempt: 1,
    repository: "octo-org/octo-repo",
    owner: "octo-org",
    installationId: 42,
    labels: ["self-hosted", "linux"],
    receivedAt: receivedAt.toISOString(),
  };
}

function jobRecord(body: unknown, messageId: string): SQSEvent["Records"][number] {
  return {
    messageId,
    receiptHandle: `h-${messageId}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: { ApproximateReceiveCount: "1" },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: scaleUpQueueArn("linux"),
    awsRegion: "eu-west-1",
  } as unknown as SQSEvent["Records"][number];
}

let db: LocalDynamoDb;
let handler: Handler;
let result: SQSBatchResponse;

beforeAll(async () => {
  db = await startDynalite();
  await Promise.all([db.createTable("sr-jobs"), db.createTable("sr-runners")]);
  const [awsEndpoint, githubUrl] = await Promise.all([aws.start(), github.start()]);
  handler = loadShippedHandler<Handler>(
    "scale-up",
    scaleUpEnvFixture({
      env: {
        AWS_ENDPOINT_URL: awsEndpoint,
        AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
        RUNNER_SCOPE: "repo",
        GITHUB_APP_ID: "1234",
        GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME: "/sr/github-app/private-key",
        GITHUB_API_URL: githubUrl,
        JIT_KMS_KEY_ARN: kms.keyArn,
      },
      pools: { linux: { maxRunners: 5, instanceTypes: ["m7i.large", "m6i.large"], subnetIds: ["subnet-0123456789abcdef0"], spot: true, onDemandFallback: true, runnerGroupId: 1 } },
      sqsEndpoint: awsEndpoint,
    }),
  );

  result = await handler({ Records: [jobRecord(job(1), "m-1"), jobRecord(job(2), "m-2")] }, context);
});

afterAll(async () => {
  await Promise.all([aws.stop(), github.stop(), db.close()]);
});

describe("the shipped scale-up zip", () => {
  it("reports no failure when both jobs got a runner", () => {
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it("launches both runners with one CreateFleet of type instant on the pool's launch template", () => {
    const fleets = aws.inputsOf("EC2.CreateFleet");
    expect(fleets).toHaveLength(1);
    expect(fleets[0]).toMatchObject({
      Type: "instant",
      "TargetCapacitySpecification.TotalTargetCapacity": "2",
      "TargetCapacitySpecification.DefaultTargetCapacityType": "spot",
      "LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName": "sr-linux",
    });
  });

  it("authenticates as the App once and creates one JIT config per instance, named after it", () => {
    const tokens = github.requests.filter((r) => r.path === "/app/installations/42/access_tokens");
    const jit = github.requests.filter((r) => r.path.endsWith("/generate-jitconfig"));
    expect(tokens).toHaveLength(1);
    expect(jit.map((r) => r.body.name).sort()).toEqual(launchedIds.map((id) => `sr-${id}`).sort());
    for (const r of jit) expect(r.body.labels).toEqual(expect.arrayContaining(["self-hosted", "linux"]));
  });

  it("hands the configs to the instances through the runners table, keyed by instance ARN, with the job's ledger key", async () => {
    const items = await db.items("sr-runners");
    expect(items.map((i) => i.pk).sort()).toEqual(launchedIds.map((id) => `${INSTANCE_ARN}${id}`).sort());
    expect(items.map((i) => i.jobKey).sort()).toEqual(["job#1#1", "job#2#1"]);
  });

  it("stores each config sealed with KMS under its own instance ARN as encryption context, never in the clear", async () => {
    const items = await db.items("sr-runners");
    const encrypts = aws.inputsOf("TrentService.Encrypt");
    expect(encrypts).toHaveLength(2);
    for (const input of encrypts) expect(input.KeyId).toBe(kms.keyArn);
    expect(encrypts.map((input) => (input.EncryptionContext as Record<string, string>)["instance-arn"]).sort()).toEqual(items.map((i) => i.pk).sort());
    for (const item of items) {
      const id = String(item.instanceId);
      const plain = Buffer.from(`jit-sr-${id}`).toString("base64");
      expect(String(item.jitConfig)).toMatch(/^kms:/);
      expect(String(item.jitConfig)).not.toContain(plain);
      const ciphertext = Buffer.from(String(item.jitConfig).slice("kms:".length), "base64");
      expect(kms.decrypt(ciphertext, { "instance-arn": String(item.pk) }).toString("base64")).toBe(plain);
    }
  });

  it("records both jobs launched in the ledger, with their limit slots, and keeps a budget far above the reserve to itself", async () => {
    const items = Object.fromEntries((await db.items("sr-jobs")).map((item) => [item.pk, item]));
    for (const key of ["job#1#1", "job#2#1"]) {
      expect(items[key]).toMatchObject({ phase: "launched", scopeOwner: "octo-org/octo-repo", slotHeld: true, runnerWritten: true });
      expect(items[`instance#${items[key]?.instanceId}`]).toMatchObject({ job: key });
    }
    expect(items["limit#global"]).toMatchObject({ inUse: 2 });
    expect(items["limit#pool#linux"]).toMatchObject({ inUse: 2 });
    expect(items["limit#owner#octo-org/octo-repo"]).toMatchObject({ inUse: 2 });
    // 4,999 left is far above the reserve: no other environment would decide differently (budget-share.ts).
    expect(items["budget#1234"]).toBeUndefined();
    expect(aws.calls.filter((call) => call.target.startsWith("DynamoDB"))).toEqual([]);
  });

  it("settles a duplicate of a launched job without launching again, and reuses the cached token", async () => {
    const fleetsBefore = aws.inputsOf("EC2.CreateFleet").length;
    const tokensBefore = github.requests.filter((r) => r.path === "/app/installations/42/access_tokens").length;

    const next = await handler({ Records: [jobRecord(job(1), "m-1-again"), jobRecord(job(3), "m-3")] }, context);

    expect(next).toEqual({ batchItemFailures: [] });
    expect(aws.inputsOf("EC2.CreateFleet").slice(fleetsBefore).map((input) => input["TargetCapacitySpecification.TotalTargetCapacity"])).toEqual(["1"]);
    expect(github.requests.filter((r) => r.path === "/app/installations/42/access_tokens")).toHaveLength(tokensBefore);
    expect((await db.items("sr-runners")).map((i) => i.jobKey).sort()).toEqual(["job#1#1", "job#2#1", "job#3#1"]);
  });

  it("moves an expired job and an unreadable message to the dead-letter queue with their reasons", async () => {
    const old = job(4, new Date(Date.now() - 2 * 3600_000));

    const next = await handler({ Records: [jobRecord(old, "m-4"), jobRecord("{not json", "m-garbage")] }, context);

    expect(next).toEqual({ batchItemFailures: [] });
    const moved = aws.inputsOf("AmazonSQS.SendMessage") as Array<{ QueueUrl: string; MessageDeduplicationId: string; MessageAttributes: Record<string, { StringValue: string }> }>;
    expect(moved.map((m) => [m.MessageDeduplicationId, m.QueueUrl.endsWith("/sr-linux-dlq.fifo"), m.MessageAttributes.Reason?.StringValue.split(":")[0]]).sort()).toEqual([
      ["m-4", true, "expired"],
      ["m-garbage", true, "rejected"],
    ]);
    expect((await db.items("sr-jobs")).find((item) => item.pk === "job#4#1")).toMatchObject({ phase: "failed" });
  });

  it("confirms old messages with one GET each: a job already in_progress is settled running and deleted, a queued one launches", async () => {
    const fleetsBefore = aws.inputsOf("EC2.CreateFleet").length;
    const twoMinutesAgo = new Date(Date.now() - 120_000);

    const next = await handler({ Records: [jobRecord(job(7, twoMinutesAgo), "m-7"), jobRecord(job(8, twoMinutesAgo), "m-8")] }, context);

    expect(next).toEqual({ batchItemFailures: [] });
    expect(github.requests.filter((r) => r.method === "GET" && r.path.includes("/actions/jobs/")).map((r) => r.path).sort()).toEqual([
      "/repos/octo-org/octo-repo/actions/jobs/7",
      "/repos/octo-org/octo-repo/actions/jobs/8",
    ]);
    expect(aws.inputsOf("EC2.CreateFleet").slice(fleetsBefore).map((input) => input["TargetCapacitySpecification.TotalTargetCapacity"])).toEqual(["1"]);
    const items = Object.fromEntries((await db.items("sr-jobs")).map((item) => [item.pk, item]));
    expect(items["job#7#1"]).toMatchObject({ phase: "running", ranOn: "someone-elses-runner" });
    expect(items["job#8#1"]).toMatchObject({ phase: "launched" });
    expect((await db.items("sr-runners")).map((i) => i.jobKey)).not.toContain("job#7#1");
  });

  it("defers a job beyond the pool's limit with a visibility change on its own queue", async () => {
    await db.documentClient.send(new PutCommand({ TableName: "sr-jobs", Item: { pk: "limit#pool#linux", inUse: 5 } }));

    const next = await handler({ Records: [jobRecord(job(5), "m-5")] }, context);

    expect(next).toEqual({ batchItemFailures: [{ itemIdentifier: "m-5" }] });
    const changes = aws.inputsOf("AmazonSQS.ChangeMessageVisibilityBatch");
    expect(changes).toHaveLength(1);
    const entries = (changes[0]?.Entries ?? []) as Array<{ ReceiptHandle: string; VisibilityTimeout: number }>;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ ReceiptHandle: "h-m-5" });
    expect(Number(entries[0]?.VisibilityTimeout)).toBeGreaterThan(0);
    expect((await db.items("sr-jobs")).find((item) => item.pk === "job#5#1")).toMatchObject({ phase: "received" });
  });
});
