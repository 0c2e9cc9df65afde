import { describe, expect, it } from "vitest";
import { SCALE_UP_DEFAULTS, scaleUpConfigFromEnv } from "../../../lambdas/scale-up/config.js";
import {
  InvalidEnvError,
  MissingEnvError,
  gitHubAppConfigFromEnv,
  jsonEnv,
  positiveIntEnv,
  requireEnv,
} from "../../../lambdas/shared/index.js";
import { webhookConfigFromEnv } from "../../../lambdas/webhook/config.js";

describe("config", () => {
  it("fails when a required variable is missing, naming it", () => {
    expect(() => requireEnv("PREFIX", {})).toThrow(new MissingEnvError("PREFIX"));
    expect(() => requireEnv("PREFIX", { PREFIX: "" })).toThrow(/PREFIX is required/);
  });

  it("fails when JSON is invalid, naming the variable", () => {
    expect(() => jsonEnv("POOLS", (reader) => reader.value, { POOLS: "{linux:" })).toThrow(
      "environment variable POOLS is invalid: not valid JSON",
    );
  });

  it("fails when a pool field has the wrong type, naming variable and path", () => {
    // Arrange
    const env = { WEBHOOK_SECRET_PARAMETER: "/s", POOLS: JSON.stringify({ linux: { labels: ["linux"], queueUrl: 5 } }) };

    // Act / Assert
    expect(() => webhookConfigFromEnv(env)).toThrow("environment variable POOLS is invalid: $.linux.queueUrl: expected a non-empty string");
  });

  it("fails when MAX_BODY_BYTES is not a positive integer", () => {
    expect(() => positiveIntEnv("MAX_BODY_BYTES", 1, { MAX_BODY_BYTES: "1e3" })).toThrow(InvalidEnvError);
    expect(positiveIntEnv("MAX_BODY_BYTES", 262_144, {})).toBe(262_144);
  });

  it("reads the webhook config with its defaults", () => {
    // Arrange
    const env = {
      WEBHOOK_SECRET_PARAMETER: "/sr/secret",
      POOLS: JSON.stringify({ linux: { labels: ["linux"], queueUrl: "https://sqs/q.fifo" } }),
      JOBS_TABLE: "sr-jobs",
      PREFIX: "sr",
    };

    // Act / Assert
    expect(webhookConfigFromEnv(env)).toEqual({
      pools: { linux: { labels: ["linux"], queueUrl: "https://sqs/q.fifo" } },
      secretParameter: "/sr/secret",
      maxBodyBytes: 262_144,
      jobsTable: "sr-jobs",
      prefix: "sr",
    });
  });

  it.each(["JOBS_TABLE", "PREFIX"])("fails when the webhook has no %s", (name) => {
    // Arrange
    const env: Record<string, string> = {
      WEBHOOK_SECRET_PARAMETER: "/sr/secret",
      POOLS: JSON.stringify({ linux: { labels: ["linux"], queueUrl: "https://sqs/q.fifo" } }),
      JOBS_TABLE: "sr-jobs",
      PREFIX: "sr",
    };
    delete env[name];

    // Act / Assert
    expect(() => webhookConfigFromEnv(env)).toThrow(new MissingEnvError(name));
  });

  const scaleUpEnv = {
    PREFIX: "sr",
    RUNNER_SCOPE: "org",
    GITHUB_APP_ID: "123",
    GITHUB_APP_KEY_PARAMETER: "/sr/key",
    RUNNERS_TABLE: "sr-runners",
    JOBS_TABLE: "sr-jobs",
    DRAINING_PARAMETER: "/sr/draining",
    POOLS: JSON.stringify({
      linux: {
        labels: ["linux"],
        maxRunners: 5,
        instanceTypes: ["m7i.large"],
        subnetIds: ["subnet-1"],
        launchTemplateName: "sr-linux",
        spot: true,
        queueUrl: "https://sqs/sr-linux.fifo",
        queueArn: "arn:aws:sqs:eu-west-1:123456789012:sr-linux.fifo",
        deadLetterQueueUrl: "https://sqs/sr-linux-dlq.fifo",
      },
    }),
  };

  it("reads the scale-up config with its defaults", () => {
    // Act
    const config = scaleUpConfigFromEnv(scaleUpEnv);

    // Assert
    expect(config.app).toEqual({ appId: 123, privateKeyParameter: "/sr/key", apiUrl: "https://api.github.com", additionalApps: [] });
    expect(config.pools.linux).toMatchObject({ onDemandFallback: false, runnerGroupId: 1, maxRunners: 5, queueArn: "arn:aws:sqs:eu-west-1:123456789012:sr-linux.fifo" });
    expect(config).toMatchObject({
      jobsTable: "sr-jobs",
      drainingParameter: "/sr/draining",
      limits: { maxRunnersTotal: 1000, maxRunnersPerOwner: 1000 },
      maxJobAgeSeconds: 21_600,
      claimLeaseSeconds: 120,
      backoff: { baseSeconds: 15, maxSeconds: 900 },
      gitHubMinRemaining: 200,
      maxFleetRequests: 3,
    });
    expect(SCALE_UP_DEFAULTS.maxJobAgeSeconds).toBe(21_600);
  });

  it("reads the scale-up limits, back-off and additional Apps", () => {
    // Act
    const config = scaleUpConfigFromEnv({
      ...scaleUpEnv,
      MAX_RUNNERS_TOTAL: "50",
      MAX_RUNNERS_PER_OWNER: "20",
      MAX_JOB_AGE_SECONDS: "3600",
      CLAIM_LEASE_SECONDS: "300",
      BACKOFF_BASE_SECONDS: "5",
      BACKOFF_MAX_SECONDS: "60",
      GITHUB_MIN_REMAINING: "500",
      MAX_FLEET_REQUESTS: "2",
      GITHUB_ADDITIONAL_APPS: JSON.stringify([{ appId: 654321, privateKeyParameter: "/sr/key-2" }]),
    });

    // Assert
    expect(config).toMatchObject({
      limits: { maxRunnersTotal: 50, maxRunnersPerOwner: 20 },
      maxJobAgeSeconds: 3600,
      claimLeaseSeconds: 300,
      backoff: { baseSeconds: 5, maxSeconds: 60 },
      gitHubMinRemaining: 500,
      maxFleetRequests: 2,
    });
    expect(config.app.additionalApps).toEqual([{ appId: 654321, privateKeyParameter: "/sr/key-2" }]);
  });

  it.each([
    { name: "a pool without its queue ARN", env: { POOLS: JSON.stringify({ linux: { ...JSON.parse(scaleUpEnv.POOLS).linux, queueArn: undefined } }) }, message: /\$\.linux\.queueArn/ },
    { name: "an additional App without its key", env: { GITHUB_ADDITIONAL_APPS: JSON.stringify([{ appId: 7 }]) }, message: /GITHUB_ADDITIONAL_APPS is invalid: \$\[0\]\.privateKeyParameter/ },
    { name: "additional Apps that are not a list", env: { GITHUB_ADDITIONAL_APPS: "{}" }, message: /GITHUB_ADDITIONAL_APPS is invalid/ },
    { name: "no draining parameter", env: { DRAINING_PARAMETER: "" }, message: /DRAINING_PARAMETER is required/ },
    { name: "no jobs table", env: { JOBS_TABLE: "" }, message: /JOBS_TABLE is required/ },
    { name: "a zero back-off", env: { BACKOFF_BASE_SECONDS: "0" }, message: /BACKOFF_BASE_SECONDS is invalid/ },
  ])("fails when the scale-up config has $name", ({ env, message }) => {
    expect(() => scaleUpConfigFromEnv({ ...scaleUpEnv, ...env })).toThrow(message);
  });

  it.each([
    { env: { RUNNER_SCOPE: "enterprise" }, message: /RUNNER_SCOPE is invalid: expected one of repo, org/ },
    { env: { GITHUB_APP_ID: "my-app" }, message: /GITHUB_APP_ID is invalid/ },
    { env: { GITHUB_API_URL: "not a url" }, message: /GITHUB_API_URL is invalid/ },
  ])("fails when $env is invalid", ({ env, message }) => {
    // Arrange
    const base = {
      PREFIX: "sr",
      RUNNER_SCOPE: "org",
      GITHUB_APP_ID: "1",
      GITHUB_APP_KEY_PARAMETER: "/k",
      RUNNERS_TABLE: "t",
      JOBS_TABLE: "j",
      DRAINING_PARAMETER: "/d",
      POOLS: "{}",
      ...env,
    };

    // Act / Assert
    expect(() => scaleUpConfigFromEnv(base)).toThrow(message);
  });

  it("trims a trailing slash from a GHES API URL", () => {
    expect(
      gitHubAppConfigFromEnv({ GITHUB_APP_ID: "1", GITHUB_APP_KEY_PARAMETER: "/k", GITHUB_API_URL: "https://ghes.example.com/api/v3/" }).apiUrl,
    ).toBe("https://ghes.example.com/api/v3");
  });
});
