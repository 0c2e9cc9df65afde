import { generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoopbackAws } from "../../helpers/loopback-aws.js";
import { assertMatchesOpenApi } from "../../helpers/openapi.js";
import { loadShippedHandler } from "../../helpers/shipped-zip.js";

// Drives dist/lambdas/scale-up.zip (with the shared layer) as deployed: an SQS batch in; GitHub App
// auth and generate-jitconfig against a loopback GitHub whose answers are checked against GitHub's
// OpenAPI description; EC2 (query protocol), DynamoDB and SSM against a loopback AWS endpoint.

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const INSTANCE_IDS = ["i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2"];
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const context = { functionName: "sr-scale-up", awsRequestId: "req-1", invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:sr-scale-up" } as Context;

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
        res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-ratelimit-remaining": "4999" });
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
});

const aws = new LoopbackAws()
  .on("AmazonSSM.GetParameter", (input) => ({ Parameter: { Name: input.Name, Type: "SecureString", Value: privateKey, Version: 1 } }))
  .on("EC2.DescribeInstances", () => `<DescribeInstancesResponse xmlns="${EC2_NS}"><requestId>r</requestId><reservationSet/></DescribeInstancesResponse>`)
  .on(
    "EC2.CreateFleet",
    (input) =>
      `<CreateFleetResponse xmlns="${EC2_NS}"><requestId>r</requestId><fleetId>fleet-1</fleetId><errorSet/><fleetInstanceSet><item><instanceIds>${INSTANCE_IDS.slice(0, Number(input["TargetCapacitySpecification.TotalTargetCapacity"]))
        .map((id) => `<item>${id}</item>`)
        .join("")}</instanceIds><instanceType>m7i.large</instanceType><lifecycle>spot</lifecycle></item></fleetInstanceSet></CreateFleetResponse>`,
  )
  .on("EC2.CreateTags", () => `<CreateTagsResponse xmlns="${EC2_NS}"><requestId>r</requestId><return>true</return></CreateTagsResponse>`)
  .on("DynamoDB_20120810.BatchWriteItem", () => ({ UnprocessedItems: {} }));

function jobRecord(jobId: number): SQSEvent["Records"][number] {
  const job = {
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
    receivedAt: new Date().toISOString(),
  };
  return { messageId: `m-${jobId}`, receiptHandle: "h", body: JSON.stringify(job), attributes: {}, messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:sr-linux.fifo", awsRegion: "eu-west-1" } as unknown as SQSEvent["Records"][number];
}

let handler: Handler;
let result: SQSBatchResponse;

beforeAll(async () => {
  const [awsEndpoint, githubUrl] = await Promise.all([aws.start(), github.start()]);
  handler = loadShippedHandler<Handler>("scale-up", {
    AWS_ENDPOINT_URL: awsEndpoint,
    PREFIX: "sr",
    RUNNER_SCOPE: "repo",
    GITHUB_APP_ID: "1234",
    GITHUB_APP_KEY_PARAMETER: "/sr/github-app/private-key",
    GITHUB_API_URL: githubUrl,
    RUNNERS_TABLE: "sr-runners",
    POOLS: JSON.stringify({
      linux: { labels: ["linux"], maxRunners: 5, instanceTypes: ["m7i.large", "m6i.large"], subnetIds: ["subnet-0123456789abcdef0"], launchTemplateName: "sr-linux", spot: true, onDemandFallback: true, runnerGroupId: 1 },
    }),
  });
  result = await handler({ Records: [jobRecord(1), jobRecord(2)] }, context);
});

afterAll(async () => {
  await Promise.all([aws.stop(), github.stop()]);
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
    expect(jit.map((r) => r.body.name).sort()).toEqual(INSTANCE_IDS.map((id) => `sr-${id}`));
    for (const r of jit) expect(r.body.labels).toEqual(expect.arrayContaining(["self-hosted", "linux"]));
  });

  it("hands the configs to the instances through one BatchWriteItem keyed by instance ARN", () => {
    const writes = aws.inputsOf("DynamoDB_20120810.BatchWriteItem") as Array<{ RequestItems: Record<string, Array<{ PutRequest: { Item: Record<string, { S?: string }> } }>> }>;
    expect(writes).toHaveLength(1);
    const items = writes[0].RequestItems["sr-runners"].map((w) => w.PutRequest.Item);
    expect(items.map((i) => i.pk.S).sort()).toEqual(INSTANCE_IDS.map((id) => `arn:aws:ec2:eu-west-1:123456789012:instance/${id}`));
    expect(items.map((i) => i.jitConfig.S).sort()).toEqual(INSTANCE_IDS.map((id) => Buffer.from(`jit-sr-${id}`).toString("base64")));
  });

  it("reuses the cached installation token on the next invocation", async () => {
    const before = github.requests.filter((r) => r.path === "/app/installations/42/access_tokens").length;
    const next = await handler({ Records: [jobRecord(3)] }, context);
    expect(next).toEqual({ batchItemFailures: [] });
    expect(github.requests.filter((r) => r.path === "/app/installations/42/access_tokens")).toHaveLength(before);
  });
});
