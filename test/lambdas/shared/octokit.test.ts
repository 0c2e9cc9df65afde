import { clearCaches } from "@aws-lambda-powertools/parameters";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.AWS_REGION = "eu-west-1";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
});

import { MAX_RATE_LIMIT_WAIT_SECONDS, OCTOKIT_DEFAULTS, clearOctokitCache, installationIdFor, installationOctokit, unauthenticatedOctokit } from "../../../lambdas/shared/index.js";
import { appInstallation, generateAppPrivateKey, installationToken, jitConfigResponse } from "../../helpers/github.js";

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

  /**
   * A transport whose JIT POSTs (after the first) answer only once `together` of them are in flight (or after 3 s): the
   * most in flight at once, and when each started, say whether the client spaced its writes.
   */
  function heldWrites(together: number): { fetch: typeof globalThis.fetch; mostInFlight: () => number; starts: number[] } {
    const starts: number[] = [];
    let inFlight = 0;
    let most = 0;
    const waiters: Array<() => void> = [];
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const request = new Request(input, init);
      const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
      if (new URL(request.url).pathname.endsWith("/access_tokens")) return json(201, installationToken());
      // The first write warms the client up (its installation token), answered at once.
      if (starts.push(performance.now()) === 1) return json(201, jitConfigResponse({ id: 1, name: "sr-i-1", labels: ["self-hosted"] }));
      inFlight += 1;
      most = Math.max(most, inFlight);
      if (inFlight >= together) for (const wake of waiters.splice(0)) wake();
      else await new Promise<void>((resolve) => waiters.push(resolve) && setTimeout(resolve, 3_000));
      inFlight -= 1;
      return json(201, jitConfigResponse({ id: most, name: "sr-i-1", labels: ["self-hosted"] }));
    }) as typeof globalThis.fetch;
    return { fetch, mostInFlight: () => most, starts };
  }
  const post = (client: ReturnType<typeof installationOctokit>) =>
    client.request("POST /orgs/{org}/actions/runners/generate-jitconfig", { org: "octo-org", name: "sr-i-1", runner_group_id: 1, labels: ["self-hosted"] });

  it("sends the writes of a governed client at once (the shared governor paces them), a default client's one at a time", async () => {
    // Arrange
    clearOctokitCache();
    const governedTransport = heldWrites(3);
    const pacedTransport = heldWrites(2);
    const governed = installationOctokit({ ...options, writesGoverned: true, fetch: governedTransport.fetch });
    const paced = installationOctokit({ ...options, fetch: pacedTransport.fetch });

    await post(governed);
    await post(paced);

    // Act
    await Promise.all([post(governed), post(governed), post(governed), post(paced), post(paced)]);

    // Assert
    expect(governed).not.toBe(paced);
    expect(governedTransport.mostInFlight()).toBe(3);
    // The plugin's write group starts a default client's writes a second apart.
    const [, second = 0, third = 0] = pacedTransport.starts;
    expect(third - second).toBeGreaterThanOrEqual(900);
  }, 15_000);

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

describe("installationIdFor", () => {
  const ssm = mockClient(SSMClient);
  const app = { appId: 654321, privateKeyParameter: "/sr/app-2-key", apiUrl: "https://api.github.com" };
  afterAll(() => ssm.restore());

  /** A scripted transport: answers GET .../installation with `status`, counting the requests. */
  function transport(status: number): { fetch: typeof globalThis.fetch; requests: string[] } {
    const requests: string[] = [];
    const fetch = (async (input: string | URL | Request) => {
      requests.push(new URL(typeof input === "string" || input instanceof URL ? input : input.url).pathname);
      // Settles later, so concurrent callers overlap.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const body = status === 200 ? appInstallation({ id: 61000001, appId: 654321, org: "octo-org" }) : { message: "Not Found", documentation_url: "https://docs.github.com" };
      return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
    }) as typeof globalThis.fetch;
    return { fetch, requests };
  }

  it("looks an installation up once for concurrent callers and keeps it", async () => {
    // Arrange
    clearCaches();
    clearOctokitCache();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: app.privateKeyParameter, Value: key } });
    const github = transport(200);

    // Act
    const ids = await Promise.all(Array.from({ length: 5 }, () => installationIdFor(app, { scope: "org", owner: "octo-org" }, github.fetch)));
    const later = await installationIdFor(app, { scope: "org", owner: "octo-org" }, github.fetch);

    // Assert
    expect(new Set([...ids, later])).toEqual(new Set([61000001]));
    expect(github.requests).toEqual(["/orgs/octo-org/installation"]);
  });

  it("fails when the App is not installed there, and asks again next time", async () => {
    // Arrange
    clearCaches();
    clearOctokitCache();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: app.privateKeyParameter, Value: key } });
    const github = transport(404);

    // Act
    const first = installationIdFor(app, { scope: "repo", owner: "octo-org/app" }, github.fetch);
    await expect(first).rejects.toMatchObject({ status: 404 });
    await expect(installationIdFor(app, { scope: "repo", owner: "octo-org/app" }, github.fetch)).rejects.toMatchObject({ status: 404 });

    // Assert
    expect(github.requests).toEqual(["/repos/octo-org/app/installation", "/repos/octo-org/app/installation"]);
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
