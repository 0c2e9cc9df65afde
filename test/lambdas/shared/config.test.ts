import { describe, expect, it } from "vitest";
import { GITHUB_APP_ENV } from "../../../contracts/common.js";
import { integer, json, oneOf, optional, required, string, tunable, upperSnake, url } from "../../../contracts/env.js";
import { SCALE_UP_ENV } from "../../../contracts/scale-up.js";
import { WEBHOOK_ENV } from "../../../contracts/webhook.js";
import { scaleUpConfigFromEnv } from "../../../lambdas/scale-up/config.js";
import { InvalidEnvError, MissingEnvError, gitHubAppConfigFromEnv, parseEnv } from "../../../lambdas/shared/index.js";
import { webhookConfigFromEnv } from "../../../lambdas/webhook/config.js";
import { sampleEnv } from "../../helpers/contracts.js";

const CONTRACT = {
  prefix: required("PREFIX", string, "prefix", "sr"),
  maxRunners: required("MAX_RUNNERS", integer(1, 10), "limit", "5"),
  scope: required("SCOPE", oneOf(["repo", "org"]), "scope", "org"),
  apiUrl: required("API_URL", url, "api", "https://api.github.com"),
  ids: required("IDS", json({ kind: "strings" }), "ids", '["a"]'),
  previous: optional("PREVIOUS", string, "previous", "/p"),
  lease: tunable("LEASE_SECONDS", integer(1), 120, "lease"),
} as const;

describe("parseEnv", () => {
  it("reads a typed object keyed like the contract, with tunable defaults and absent optionals", () => {
    // Act
    const parsed = parseEnv(CONTRACT, sampleEnv(CONTRACT, { API_URL: "https://ghes.example.com/api/v3/" }));

    // Assert
    expect(parsed).toEqual({ prefix: "sr", maxRunners: 5, scope: "org", apiUrl: "https://ghes.example.com/api/v3", ids: ["a"], previous: undefined, lease: 120 });
  });

  it("fails when a required variable is missing or empty, naming it", () => {
    expect(() => parseEnv(CONTRACT, sampleEnv(CONTRACT, { PREFIX: undefined }))).toThrow(new MissingEnvError("PREFIX"));
    expect(() => parseEnv(CONTRACT, sampleEnv(CONTRACT, { PREFIX: "" }))).toThrow(/PREFIX is required/);
  });

  it.each([
    { env: { MAX_RUNNERS: "1e3" }, message: 'environment variable MAX_RUNNERS is invalid: expected a positive integer, got "1e3"' },
    { env: { MAX_RUNNERS: "11" }, message: "environment variable MAX_RUNNERS is invalid: expected at most 10, got 11" },
    { env: { LEASE_SECONDS: "0" }, message: 'environment variable LEASE_SECONDS is invalid: expected a positive integer, got "0"' },
    { env: { SCOPE: "enterprise" }, message: 'environment variable SCOPE is invalid: expected one of repo, org, got "enterprise"' },
    { env: { API_URL: "not a url" }, message: 'environment variable API_URL is invalid: expected a URL, got "not a url"' },
    { env: { IDS: "{linux:" }, message: "environment variable IDS is invalid: not valid JSON" },
    { env: { IDS: "[]" }, message: "environment variable IDS is invalid: $: expected a non-empty array of strings" },
  ])("fails with one error naming the variable when $env is malformed", ({ env, message }) => {
    expect(() => parseEnv(CONTRACT, sampleEnv(CONTRACT, env))).toThrow(new InvalidEnvError(Object.keys(env)[0] as string, message.replace(/^.*? is invalid: /, "")));
  });

  it("fails when a pool field has the wrong type, naming variable and path", () => {
    // Arrange
    const env = sampleEnv(WEBHOOK_ENV, { POOLS: JSON.stringify({ linux: { labels: ["linux"], queueUrl: 5 } }) });

    // Act / Assert
    expect(() => webhookConfigFromEnv(env)).toThrow("environment variable POOLS is invalid: $.linux.queueUrl: expected a non-empty string");
  });

  it("names every variable as the UPPER_SNAKE of its key", () => {
    for (const [key, variable] of Object.entries({ ...SCALE_UP_ENV, ...WEBHOOK_ENV })) expect(variable.name).toBe(upperSnake(key));
  });
});

describe("webhookConfigFromEnv", () => {
  it("reads the webhook config", () => {
    // Arrange
    const env = sampleEnv(WEBHOOK_ENV, {
      WEBHOOK_SECRET_SSM_PARAMETER_NAME: "/sr/secret",
      POOLS: JSON.stringify({ linux: { labels: ["linux"], queueUrl: "https://sqs/q.fifo" } }),
      WEBHOOK_MAX_BODY_BYTES: "262144",
    });

    // Act / Assert
    expect(webhookConfigFromEnv(env)).toEqual({
      pools: { linux: { labels: ["linux"], allowPublicRepositories: false, queueUrl: "https://sqs/q.fifo" } },
      secretParameter: "/sr/secret",
      maxBodyBytes: 262_144,
      admission: { allowedOwners: [], allowedRepositories: [] },
      maxJobAgeSeconds: 3600,
      jobsTable: "sr-jobs",
      prefix: "sr",
    });
  });

  it("reads the previous secret's parameter during a rotation", () => {
    expect(webhookConfigFromEnv(sampleEnv(WEBHOOK_ENV, { WEBHOOK_PREVIOUS_SECRET_SSM_PARAMETER_NAME: "/sr/old" })).previousSecretParameter).toBe("/sr/old");
  });

  it.each(["JOBS_TABLE", "PREFIX", "WEBHOOK_MAX_BODY_BYTES"])("fails when the webhook has no %s", (name) => {
    expect(() => webhookConfigFromEnv(sampleEnv(WEBHOOK_ENV, { [name]: undefined }))).toThrow(new MissingEnvError(name));
  });
});

describe("scaleUpConfigFromEnv", () => {
  const pool = JSON.parse(sampleEnv(SCALE_UP_ENV).POOLS as string).linux;

  it("reads the scale-up config with the internal tunables' defaults", () => {
    // Act
    const config = scaleUpConfigFromEnv(sampleEnv(SCALE_UP_ENV, { POOLS: JSON.stringify({ linux: { ...pool, onDemandFallback: undefined, runnerGroupId: undefined } }) }));

    // Assert
    expect(config.app).toEqual({ appId: 123456, privateKeyParameter: "/sr/github-app-key", apiUrl: "https://api.github.com", additionalApps: [] });
    expect(config.pools.linux).toMatchObject({ onDemandFallback: false, runnerGroupId: 1, maxRunners: 10, queueArn: "arn:aws:sqs:eu-west-1:123456789012:sr-linux.fifo" });
    expect(config).toMatchObject({ claimLeaseSeconds: 120, backoff: { baseSeconds: 15, maxSeconds: 900 }, maxFleetRequests: 3 });
  });

  it("reads the scale-up limits, back-off and additional Apps", () => {
    // Act
    const config = scaleUpConfigFromEnv(
      sampleEnv(SCALE_UP_ENV, {
        MAX_RUNNERS_TOTAL: "50",
        MAX_RUNNERS_PER_OWNER: "20",
        JOB_MAX_AGE_SECONDS: "3600",
        CLAIM_LEASE_SECONDS: "300",
        BACKOFF_BASE_SECONDS: "5",
        JOB_WAIT_MAX_SECONDS: "60",
        GITHUB_MIN_REMAINING_REQUESTS: "500",
        MAX_FLEET_REQUESTS: "2",
        GITHUB_WRITES_PER_MINUTE: "90",
        GITHUB_WRITE_BURST: "4",
        ADDITIONAL_GITHUB_APPS: JSON.stringify([{ appId: 654321, privateKeyParameter: "/sr/key-2" }]),
      }),
    );

    // Assert
    expect(config).toMatchObject({
      limits: { maxRunnersTotal: 50, maxRunnersPerOwner: 20 },
      maxJobAgeSeconds: 3600,
      claimLeaseSeconds: 300,
      backoff: { baseSeconds: 5, maxSeconds: 60 },
      gitHubMinRemaining: 500,
      maxFleetRequests: 2,
      gitHubWrites: { perMinute: 90, burst: 4 },
    });
    expect(config.app.additionalApps).toEqual([{ appId: 654321, privateKeyParameter: "/sr/key-2" }]);
  });

  it.each([
    { name: "a pool without its queue ARN", env: { POOLS: JSON.stringify({ linux: { ...pool, queueArn: undefined } }) }, message: /\$\.linux\.queueArn/ },
    { name: "an additional App without its key", env: { ADDITIONAL_GITHUB_APPS: JSON.stringify([{ appId: 7 }]) }, message: /ADDITIONAL_GITHUB_APPS is invalid: \$\[0\]\.privateKeyParameter/ },
    { name: "additional Apps that are not a list", env: { ADDITIONAL_GITHUB_APPS: "{}" }, message: /ADDITIONAL_GITHUB_APPS is invalid/ },
    { name: "no draining parameter", env: { DRAINING_PARAMETER: "" }, message: /DRAINING_PARAMETER is required/ },
    { name: "no jobs table", env: { JOBS_TABLE: "" }, message: /JOBS_TABLE is required/ },
    { name: "no runner limit (its default lives in the input table)", env: { MAX_RUNNERS_TOTAL: undefined }, message: /MAX_RUNNERS_TOTAL is required/ },
    { name: "a zero back-off", env: { BACKOFF_BASE_SECONDS: "0" }, message: /BACKOFF_BASE_SECONDS is invalid/ },
    { name: "an unknown scope", env: { RUNNER_SCOPE: "galaxy" }, message: /RUNNER_SCOPE is invalid: expected one of repo, org, enterprise/ },
    { name: "a non-numeric App id", env: { GITHUB_APP_ID: "my-app" }, message: /GITHUB_APP_ID is invalid/ },
    { name: "an API URL that is not a URL", env: { GITHUB_API_URL: "not a url" }, message: /GITHUB_API_URL is invalid/ },
  ])("fails when the scale-up config has $name", ({ env, message }) => {
    expect(() => scaleUpConfigFromEnv(sampleEnv(SCALE_UP_ENV, env))).toThrow(message);
  });
});

describe("gitHubAppConfigFromEnv", () => {
  it("trims a trailing slash from a GHES API URL", () => {
    expect(gitHubAppConfigFromEnv(sampleEnv(GITHUB_APP_ENV, { GITHUB_API_URL: "https://ghes.example.com/api/v3/" })).apiUrl).toBe("https://ghes.example.com/api/v3");
  });
});
