import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { githubTime } from "../../helpers/openapi.js";
import { join } from "node:path";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { lambdaContext } from "../../helpers/aws.js";
import { startDynalite } from "../../helpers/dynalite.js";
import type { LocalDynamoDb } from "../../helpers/dynalite.js";
import { loadShippedHandler } from "../../helpers/shipped-zip.js";
import { AwsFault, LoopbackAws } from "../../helpers/loopback-aws.js";
import { REPO_ROOT } from "../../helpers/paths.js";
import { WEBHOOK_ENV } from "../../../contracts/webhook.js";
import { sampleEnv } from "../../helpers/contracts.js";

// Webhook secret rotation in dist/lambdas/webhook.zip as deployed: the zip's own SDK reads both SSM
// parameters from a loopback endpoint; only Date is faked, to cross the five-minute parameter cache.

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const CURRENT = "/sr/github-app/webhook-secret";
const PREVIOUS = "/sr/github-app/webhook-secret-previous";
const OLD = "zip-old-secret";
const NEW = "zip-new-secret";
const fixture = readFileSync(join(REPO_ROOT, "test", "fixtures", "github", "workflow_job.queued.json"), "utf8");
const job = JSON.parse(fixture) as { workflow_job: { id: number; labels: string[]; created_at: string } };
// A whole Lambda context, as Lambda passes it.
const context: Context = lambdaContext("sr-webhook");
let db: LocalDynamoDb;
let deliveries = 0;
const stored: Record<string, string> = { [CURRENT]: NEW, [PREVIOUS]: OLD };

const aws = new LoopbackAws()
  .on("AmazonSSM.GetParameter", (input) => {
    const value = stored[String(input.Name)];
    if (value === undefined) throw new AwsFault("ParameterNotFound");
    return { Parameter: { Name: input.Name, Type: "SecureString", Value: value, Version: 1 } };
  })
  .on("AmazonSQS.SendMessage", (input) => ({
    MessageId: `m-${aws.calls.length}`,
    MD5OfMessageBody: createHash("md5").update(String(input.MessageBody)).digest("hex"),
    SequenceNumber: "1",
  }));
const queued = () => aws.inputsOf("AmazonSQS.SendMessage").length;
let handler: Handler;
let clock = Date.parse("2025-06-01T12:00:00Z");

/** A new delivery of a new job, so only the secret decides the answer (not deduplication). */
async function deliver(secret: string): Promise<number> {
  deliveries += 1;
  // Created now on the faked clock: fresh for the replay bound.
  const payload = JSON.stringify({ ...job, workflow_job: { ...job.workflow_job, id: 80_000 + deliveries, created_at: githubTime(new Date(clock)) } });
  const headers = { "X-Hub-Signature-256": await sign(secret, payload), "X-GitHub-Event": "workflow_job", "X-GitHub-Delivery": `delivery-r${deliveries}` };
  const event = { body: payload, headers, isBase64Encoded: false, httpMethod: "POST", path: "/webhook" } as unknown as APIGatewayProxyEvent;
  return (await handler(event, context)).statusCode;
}

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(clock);
  const endpoint = await aws.start();
  db = await startDynalite();
  await db.createTable("sr-jobs");
  handler = loadShippedHandler<Handler>("webhook", sampleEnv(WEBHOOK_ENV, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    JOBS_TABLE: "sr-jobs",
    PREFIX: "sr",
    WEBHOOK_SECRET_SSM_PARAMETER_NAME: CURRENT,
    WEBHOOK_PREVIOUS_SECRET_SSM_PARAMETER_NAME: PREVIOUS,
    POOLS: JSON.stringify({ linux: { labels: job.workflow_job.labels, queueUrl: `${endpoint}/123456789012/sr-linux.fifo` } }),
  }));
});

afterEach(() => {
  aws.calls.length = 0;
});

afterAll(async () => {
  vi.useRealTimers();
  await Promise.all([aws.stop(), db.close()]);
});

describe("the shipped webhook zip during a webhook secret rotation", () => {
  it("accepts the old and the new secret during the window, refuses forgeries, and refuses the old one once the previous parameter is cleared", async () => {
    // Window open: previous = old, current = new.
    expect([await deliver(OLD), await deliver(NEW), await deliver("forged")]).toEqual([200, 200, 401]);
    expect(queued()).toBe(2);

    // The operator clears the previous parameter; once the cache period has passed, the old secret is refused.
    stored[PREVIOUS] = "replace-me";
    clock += 6 * 60_000;
    vi.setSystemTime(clock);
    aws.calls.length = 0;
    expect([await deliver(OLD), await deliver("forged"), await deliver(NEW)]).toEqual([401, 401, 200]);
    expect(queued()).toBe(1);
  });
});
