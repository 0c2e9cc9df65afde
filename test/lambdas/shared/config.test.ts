import { describe, expect, it } from "vitest";
import { scaleUpConfigFromEnv } from "../../../lambdas/scale-up/config.js";
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
    };

    // Act / Assert
    expect(webhookConfigFromEnv(env)).toEqual({
      pools: { linux: { labels: ["linux"], queueUrl: "https://sqs/q.fifo" } },
      secretParameter: "/sr/secret",
      maxBodyBytes: 262_144,
    });
  });

  it("reads the scale-up config and defaults the GitHub API URL", () => {
    // Arrange
    const env = {
      PREFIX: "sr",
      RUNNER_SCOPE: "org",
      GITHUB_APP_ID: "123",
      GITHUB_APP_KEY_PARAMETER: "/sr/key",
      RUNNERS_TABLE: "sr-runners",
      POOLS: JSON.stringify({
        linux: { labels: ["linux"], maxRunners: 5, instanceTypes: ["m7i.large"], subnetIds: ["subnet-1"], launchTemplateName: "sr-linux", spot: true },
      }),
    };

    // Act
    const config = scaleUpConfigFromEnv(env);

    // Assert
    expect(config.app).toEqual({ appId: 123, privateKeyParameter: "/sr/key", apiUrl: "https://api.github.com" });
    expect(config.pools.linux).toMatchObject({ onDemandFallback: false, runnerGroupId: 1, maxRunners: 5 });
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
