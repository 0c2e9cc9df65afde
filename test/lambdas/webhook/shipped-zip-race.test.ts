import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import type { APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiGatewayEvent } from "../../helpers/aws.js";
import { workflowJobFixture } from "../../helpers/openapi.js";
import { REPO_ROOT } from "../../helpers/paths.js";
import { LOOPBACK_AWS_ENV, unpackShippedBundle, unloadShippedBundle } from "../../helpers/shipped-zip.js";
import { startWebhookDoubles } from "../../helpers/webhook-doubles.js";
import type { WebhookDoubles } from "../../helpers/webhook-doubles.js";

// Issue 17 as deployed: four execution environments (four Node processes, each with its own copy of
// the shipped webhook zip and layer) share one DynamoDB ledger (dynalite) and one SQS endpoint
// (loopback). Four deliveries of the same queued job, with four delivery ids, arrive at once; exactly
// one of them may queue the job. Repeated so that an unguarded read-then-send loses the race often.

const SECRET = "race-test-webhook-secret";
const ENVIRONMENTS = 4;
const ROUNDS = 20;

interface Environment {
  readonly process: ChildProcess;
  readonly root: string;
  invoke(event: unknown): Promise<APIGatewayProxyResult>;
}

let doubles: WebhookDoubles;
let environments: Environment[] = [];

/** Starts one execution environment and waits until its bundle is loaded. */
async function startEnvironment(env: Record<string, string>): Promise<Environment> {
  const root = unpackShippedBundle("webhook", { skipSourceMaps: true });
  const child = fork(join(REPO_ROOT, "test", "helpers", "shipped-zip-worker.cjs"), [], {
    env: { PATH: process.env.PATH ?? "", ...LOOPBACK_AWS_ENV, ...env, BUNDLE_ROOT: root, NODE_PATH: join(root, "opt", "nodejs", "node_modules") },
    execArgv: [],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const pending = new Map<number, (answer: { result?: APIGatewayProxyResult; error?: string }) => void>();
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.on("message", (message: { ready?: boolean; id?: number; result?: APIGatewayProxyResult; error?: string }) => {
      if (message.ready === true) resolve();
      else if (message.id !== undefined) pending.get(message.id)?.(message);
    });
  });
  return {
    process: child,
    root,
    invoke: (event) =>
      new Promise((resolve, reject) => {
        const id = (next += 1);
        pending.set(id, (answer) => (answer.result === undefined ? reject(new Error(answer.error)) : resolve(answer.result)));
        child.send({ id, event });
      }),
  };
}

/** A signed `queued` delivery of `jobId` under its own delivery id. */
async function queuedDelivery(jobId: number, deliveryId: string) {
  const body = JSON.stringify(workflowJobFixture("queued", { jobId }));
  const headers = { "X-Hub-Signature-256": await sign(SECRET, body), "X-GitHub-Event": "workflow_job", "X-GitHub-Delivery": deliveryId, "Content-Type": "application/json" };
  return apiGatewayEvent({ body, headers, isBase64Encoded: false });
}

beforeAll(async () => {
  const labels = workflowJobFixture("queued").workflow_job.labels as string[];
  doubles = await startWebhookDoubles({ secret: SECRET, pools: { linux: labels } });
  environments = await Promise.all(Array.from({ length: ENVIRONMENTS }, () => startEnvironment(doubles.env)));
  // Warm every environment (config, secret, clients), as a busy fleet would be: the race is then
  // between the ledger writes, not between cold starts.
  await Promise.all(environments.map(async (environment, i) => environment.invoke(await queuedDelivery(1_000 + i, `warm-${i}`))));
});

afterAll(async () => {
  for (const environment of environments) {
    environment.process.kill();
    unloadShippedBundle(environment.root);
  }
  await doubles?.stop();
});

describe("the shipped webhook zip, four execution environments at once (issue 17)", () => {
  it(`queues a job once when four deliveries of it arrive together (${ROUNDS} rounds)`, async () => {
    const rounds: Array<{ queued: number; messages: number; answers: string[] }> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      // Arrange
      const jobId = 700_000 + round;
      doubles.reset();
      const events = await Promise.all(environments.map((_, i) => queuedDelivery(jobId, `round-${round}-delivery-${i}`)));

      // Act
      const answers = await Promise.all(environments.map((environment, i) => environment.invoke(events[i])));

      // Assert (collected: the report shows every round)
      const messages = answers.map((answer) => `${answer.statusCode} ${(JSON.parse(answer.body) as { message: string }).message}`);
      const sentForJob = doubles.sent().filter((sent) => (JSON.parse(sent.MessageBody) as { jobId: number }).jobId === jobId);
      rounds.push({ queued: messages.filter((m) => m === "200 queued").length, messages: sentForJob.length, answers: messages.sort() });
    }
    expect(rounds.filter((r) => r.queued !== 1 || r.messages !== 1)).toEqual([]);
    expect(rounds.every((r) => r.answers.every((a) => a === "200 queued" || a === "200 duplicate: job is received"))).toBe(true);
  });
});
