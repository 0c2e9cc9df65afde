import { describe, expect, it } from "vitest";
import { WEBHOOK_ENV } from "../../../contracts/webhook.js";
import { TerraformOutput, TerraformStack, Testing } from "../../../stacks/cdktf.js";
import { poolsEnvironment, powertoolsEnvironment, renderEnvironment } from "../../../stacks/private/environment.js";

describe("renderEnvironment", () => {
  it("names each value as its contract says, in the order given, leaving out unset optional ones", () => {
    // Act
    const environment = renderEnvironment(WEBHOOK_ENV, {
      ...powertoolsEnvironment("webhook", "sr"),
      prefix: "sr",
      jobsTable: "sr-jobs",
      webhookSecretSsmParameterName: "/sr/secret",
      webhookPreviousSecretSsmParameterName: undefined,
      webhookMaxBodyBytes: "262144",
      allowedOwners: "[]",
      allowedRepositories: "[]",
      webhookMaxJobAgeSeconds: "3600",
      pools: "{}",
    });

    // Assert
    expect(Object.entries(environment)).toEqual([
      ["POWERTOOLS_SERVICE_NAME", "webhook"],
      ["POWERTOOLS_METRICS_NAMESPACE", "SelfRunners/sr"],
      ["POWERTOOLS_LOG_LEVEL", "INFO"],
      ["PREFIX", "sr"],
      ["JOBS_TABLE", "sr-jobs"],
      ["WEBHOOK_SECRET_SSM_PARAMETER_NAME", "/sr/secret"],
      ["WEBHOOK_MAX_BODY_BYTES", "262144"],
      ["ALLOWED_OWNERS", "[]"],
      ["ALLOWED_REPOSITORIES", "[]"],
      ["WEBHOOK_MAX_JOB_AGE_SECONDS", "3600"],
      ["POOLS", "{}"],
    ]);
  });

  it("fails when a key is not in the contract (a compile error in typed code)", () => {
    const values = { prefix: "sr", notAVariable: "x" } as unknown as Parameters<typeof renderEnvironment<typeof WEBHOOK_ENV>>[1];
    expect(() => renderEnvironment(WEBHOOK_ENV, values)).toThrow("notAVariable is not a variable of this contract");
  });
});

describe("poolsEnvironment", () => {
  it("generates the for-expression from the contract's pool fields", () => {
    // Arrange
    const stack = new TerraformStack(Testing.app(), "test");

    // Act
    new TerraformOutput(stack, "pools", { value: poolsEnvironment(WEBHOOK_ENV.pools, { linux: {} as never }, { queues: "aws_sqs_queue.job_queue" }) });

    // Assert
    expect(JSON.parse(Testing.synth(stack)).output.pools.value).toBe('${jsonencode({ for key, val in {"linux" = {}}: key => { labels = val.labels, allowPublicRepositories = val.allow_public_repositories, queueUrl = aws_sqs_queue.job_queue[key].url } })}');
  });
});
