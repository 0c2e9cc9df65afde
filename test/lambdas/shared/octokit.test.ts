import { describe, expect, it } from "vitest";
import { MAX_RATE_LIMIT_WAIT_SECONDS, OCTOKIT_DEFAULTS, clearOctokitCache, installationOctokit } from "../../../lambdas/shared/index.js";
import { generateAppPrivateKey } from "../../helpers/github.js";

const key = generateAppPrivateKey();
const options = { appId: 1, privateKey: key, installationId: 10, baseUrl: "https://api.github.com" };

describe("installationOctokit", () => {
  it("keeps one client per installation for the life of the environment", () => {
    // Arrange
    clearOctokitCache();

    // Act
    const first = installationOctokit(options);
    const again = installationOctokit({ ...options });

    // Assert
    expect(again).toBe(first);
    expect(installationOctokit({ ...options, installationId: 11 })).not.toBe(first);
    expect(installationOctokit({ ...options, baseUrl: "https://ghes.example.com/api/v3" })).not.toBe(first);
  });

  it("builds a new client when the private key was rotated", () => {
    // Arrange
    clearOctokitCache();
    const before = installationOctokit(options);

    // Act
    const after = installationOctokit({ ...options, privateKey: generateAppPrivateKey() });

    // Assert
    expect(after).not.toBe(before);
  });

  it("never retries 422, which means 'runner busy' on delete", () => {
    expect(OCTOKIT_DEFAULTS.retry.doNotRetry).toContain(422);
  });

  // Found by the fault-injection suite ("GitHub 429 secondary rate limit"): after the throttling
  // plugin declined a 30 s retry-after, the retry plugin sent the request again one second later.
  it("leaves 429 to the throttling plugin: the retry plugin never retries a rate-limited request", () => {
    expect(OCTOKIT_DEFAULTS.retry.doNotRetry).toEqual(expect.arrayContaining([403, 429]));
  });

  it("gives up on rate limits after a bounded number of retries", () => {
    // Arrange
    const options = { method: "GET", url: "/orgs/{org}/actions/runners" } as never;

    // Act / Assert
    expect(OCTOKIT_DEFAULTS.throttle.onRateLimit(2, options, undefined as never, 0)).toBe(true);
    expect(OCTOKIT_DEFAULTS.throttle.onRateLimit(2, options, undefined as never, 2)).toBe(false);
    expect(OCTOKIT_DEFAULTS.throttle.onSecondaryRateLimit(2, options, undefined as never, 1)).toBe(true);
    expect(OCTOKIT_DEFAULTS.throttle.onSecondaryRateLimit(2, options, undefined as never, 2)).toBe(false);
  });

  // Found by the fault-injection suite (test/fault, "GitHub 403 primary/secondary rate limit"): a
  // scale-up invocation slept for the reset (20 min) or retry-after (60 s), past its 30 s timeout.
  it("fails at once instead of waiting longer than an invocation can", () => {
    // Arrange
    const options = { method: "POST", url: "/orgs/{org}/actions/runners/generate-jitconfig" } as never;

    // Act / Assert
    expect(OCTOKIT_DEFAULTS.throttle.onRateLimit(MAX_RATE_LIMIT_WAIT_SECONDS, options, undefined as never, 0)).toBe(true);
    expect(OCTOKIT_DEFAULTS.throttle.onRateLimit(1200, options, undefined as never, 0)).toBe(false);
    expect(OCTOKIT_DEFAULTS.throttle.onSecondaryRateLimit(60, options, undefined as never, 0)).toBe(false);
    expect(OCTOKIT_DEFAULTS.throttle.onSecondaryRateLimit(MAX_RATE_LIMIT_WAIT_SECONDS + 1, options, undefined as never, 0)).toBe(false);
  });
});
