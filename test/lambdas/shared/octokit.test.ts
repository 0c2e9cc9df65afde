import { describe, expect, it } from "vitest";
import { OCTOKIT_DEFAULTS, clearOctokitCache, installationOctokit, unauthenticatedOctokit } from "../../../lambdas/shared/index.js";
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

  it("gives up on rate limits after a bounded number of retries", () => {
    // Arrange
    const options = { method: "GET", url: "/orgs/{org}/actions/runners" } as never;

    // Act / Assert
    expect(OCTOKIT_DEFAULTS.throttle.onRateLimit(60, options, undefined as never, 0)).toBe(true);
    expect(OCTOKIT_DEFAULTS.throttle.onRateLimit(60, options, undefined as never, 2)).toBe(false);
    expect(OCTOKIT_DEFAULTS.throttle.onSecondaryRateLimit(60, options, undefined as never, 2)).toBe(false);
  });
});

describe("unauthenticatedOctokit", () => {
  it("calls the given API root without credentials, with the kit's user agent", async () => {
    // Arrange: a scripted transport records what would go over the wire.
    const seen: Array<{ url: string; headers: Headers }> = [];
    const transport: typeof globalThis.fetch = async (input, init) => {
      seen.push({ url: String(input), headers: new Headers(init?.headers) });
      return new Response(JSON.stringify({ verifiable_password_authentication: false, hooks: [] }), { status: 200, headers: { "content-type": "application/json" } });
    };
    const client = unauthenticatedOctokit({ baseUrl: "https://ghes.example.com/api/v3", fetch: transport });

    // Act
    const answer = await client.request("GET /meta");

    // Assert
    expect(answer.data.hooks).toEqual([]);
    expect(seen.map((request) => request.url)).toEqual(["https://ghes.example.com/api/v3/meta"]);
    expect(seen[0]?.headers.get("authorization")).toBeNull();
    expect(seen[0]?.headers.get("user-agent")).toMatch(/^self-runners /);
  });
});
