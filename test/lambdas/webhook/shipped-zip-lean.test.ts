import { readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { sign } from "@octokit/webhooks-methods";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lambdaContext } from "../../helpers/aws.js";
import { REPO_ROOT } from "../../helpers/paths.js";
import { LOOPBACK_AWS_ENV, unloadShippedBundle, unpackShippedBundle } from "../../helpers/shipped-zip.js";
import { workflowJobFixture } from "../../helpers/github.js";
import { startWebhookDoubles } from "../../helpers/webhook-doubles.js";
import type { WebhookDoubles } from "../../helpers/webhook-doubles.js";

// The webhook's zip stands alone (issue 14, "a lean webhook"): no shared layer, no source map inside,
// within the size budget of docs/performance.md ("Webhook"); and it queues a job with the layer absent.

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const ZIP = join(REPO_ROOT, "dist", "lambdas", "webhook.zip");
/** The budget: what a cold start loads. */
const ZIP_BUDGET_BYTES = 200_000;
const SECRET = "lean-zip-secret";
// Created now: the webhook refuses `queued` deliveries older than its replay bound (the fixture is dated 2024).
const payload = JSON.stringify(workflowJobFixture("queued"), null, 2);
const labels = (JSON.parse(payload) as { workflow_job: { labels: string[] } }).workflow_job.labels;

describe("the shipped webhook zip", () => {
  it("holds index.js only (its source map is dist/lambdas/webhook.js.map, not deployed), within the budget", () => {
    // Act
    const entries = Object.keys(unzipSync(new Uint8Array(readFileSync(ZIP))));

    // Assert
    expect(entries).toEqual(["index.js"]);
    expect(statSync(ZIP).size).toBeLessThanOrEqual(ZIP_BUDGET_BYTES);
    expect(statSync(join(REPO_ROOT, "dist", "lambdas", "webhook.js.map")).size).toBeGreaterThan(0);
  });

  it("needs neither the shared layer nor Octokit's client nor the X-Ray SDK", () => {
    // Act
    const bundle = Buffer.from(unzipSync(new Uint8Array(readFileSync(ZIP)))["index.js"] ?? new Uint8Array()).toString("utf8");
    const found = (marker: string): boolean => bundle.includes(marker);

    // Assert (booleans, so a failure does not print the 600 KB bundle)
    expect(bundle.length).toBeGreaterThan(100_000);
    expect(found("Bottleneck")).toBe(false); // Octokit's throttling and retry plugins
    expect(found("@self-runners/shared")).toBe(false);
    expect(found("octokit-core.js")).toBe(false);
    expect(found("AWSXRay")).toBe(false);
    expect(found("DynamoDBDocumentClient")).toBe(true); // the markers are names a minified bundle keeps
  });

  describe("loaded without the layer", () => {
    let doubles: WebhookDoubles;
    let root: string;
    let handler: Handler;

    beforeAll(async () => {
      doubles = await startWebhookDoubles({ secret: SECRET, pools: { linux: labels } });
      root = unpackShippedBundle("webhook");
      rmSync(join(root, "opt"), { recursive: true, force: true });
      Object.assign(process.env, LOOPBACK_AWS_ENV, doubles.env);
      const entry = join(root, "task", "index.js");
      handler = (createRequire(entry)(entry) as { handler: Handler }).handler;
    });

    afterAll(async () => {
      unloadShippedBundle(root);
      await doubles.stop();
    });

    it("queues a signed workflow_job", async () => {
      // Arrange
      const headers = { "X-Hub-Signature-256": await sign(SECRET, payload), "X-GitHub-Event": "workflow_job", "X-GitHub-Delivery": "lean-1" };

      // Act
      const result = await handler({ body: payload, headers, isBase64Encoded: false } as unknown as APIGatewayProxyEvent, lambdaContext("sr-webhook"));

      // Assert
      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body)).toMatchObject({ message: "queued", pool: "linux" });
      expect(doubles.sent()).toHaveLength(1);
      expect(doubles.secretReads()).toBe(1);
    });
  });
});
