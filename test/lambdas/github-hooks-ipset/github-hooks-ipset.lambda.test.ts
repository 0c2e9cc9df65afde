import { GetIPSetCommand, UpdateIPSetCommand, WAFOptimisticLockException, WAFV2Client } from "@aws-sdk/client-wafv2";
import type { UpdateIPSetCommandInput } from "@aws-sdk/client-wafv2";
import { mockClient } from "aws-sdk-client-mock";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.AWS_REGION = "eu-west-1";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.GITHUB_API_URL = "https://ghes.example.com/api/v3";
  process.env.IP_SET_SCOPE = "REGIONAL";
  process.env.IPV4_SET_NAME = "sr-github-hooks-ipv4";
  process.env.IPV4_SET_ID = "11111111-1111-1111-1111-111111111111";
  process.env.IPV6_SET_NAME = "sr-github-hooks-ipv6";
  process.env.IPV6_SET_ID = "66666666-6666-6666-6666-666666666666";
});

import { handler } from "../../../lambdas/github-hooks-ipset/github-hooks-ipset.lambda.js";
import { MAX_UPDATE_ATTEMPTS } from "../../../lambdas/github-hooks-ipset/sync.js";
import { HooksListRefusedError, IpSetLockConflictError } from "../../../lambdas/shared/index.js";
import { lambdaContext } from "../../helpers/aws.js";
import { metricPoints, quietPowertools, takeEmittedMetrics } from "../../helpers/powertools.js";
import { GITHUB_HOOKS, gitHubFake, metaResponse } from "../../helpers/github.js";

const waf = mockClient(WAFV2Client);
const GHES = "https://ghes.example.com/api/v3";
const IPV4 = ["140.82.112.0/20", "143.55.64.0/20", "185.199.108.0/22", "192.30.252.0/22"];
const IPV6 = ["2606:50c0::/32", "2a0a:a440::/29"];

/** GetIPSet answers: each set holds `addresses`, with a lock token that changes per read. */
function setsHold(ipv4: string[], ipv6: string[]): void {
  let reads = 0;
  waf.on(GetIPSetCommand).callsFake((input: { Name: string }) => {
    reads += 1;
    const addresses = input.Name.endsWith("ipv4") ? ipv4 : ipv6;
    return { IPSet: { Name: input.Name, Addresses: addresses, Description: "GitHub webhook source ranges" }, LockToken: `token-${reads}` };
  });
}

function updates(): UpdateIPSetCommandInput[] {
  return waf.commandCalls(UpdateIPSetCommand).map((call) => call.args[0].input);
}

function metaAnswers(hooks: readonly unknown[]) {
  const github = gitHubFake(GHES);
  github.scope.get("/meta").reply(200, metaResponse(hooks));
  return github;
}

const run = () => handler({ source: "aws.events" }, lambdaContext("sr-github-hooks-ipset"));

describe("github-hooks-ipset handler", () => {
  beforeAll(() => {
    nock.disableNetConnect();
    quietPowertools();
  });

  beforeEach(() => {
    takeEmittedMetrics();
    waf.reset();
    waf.on(UpdateIPSetCommand).resolves({ NextLockToken: "next" });
  });

  afterEach(() => {
    nock.cleanAll();
    vi.restoreAllMocks();
  });

  afterAll(() => {
    nock.enableNetConnect();
    waf.restore();
  });

  it("fills both empty sets from GET /meta on the configured GitHub Enterprise Server, without credentials", async () => {
    // Arrange
    setsHold([], []);
    const github = metaAnswers(GITHUB_HOOKS);

    // Act
    const summary = await run();

    // Assert
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).toEqual(["GET /api/v3/meta"]);
    expect(updates()).toEqual([
      {
        Name: "sr-github-hooks-ipv4",
        Id: "11111111-1111-1111-1111-111111111111",
        Scope: "REGIONAL",
        Addresses: IPV4,
        LockToken: "token-1",
        Description: "GitHub webhook source ranges",
      },
      {
        Name: "sr-github-hooks-ipv6",
        Id: "66666666-6666-6666-6666-666666666666",
        Scope: "REGIONAL",
        Addresses: IPV6,
        LockToken: "token-2",
        Description: "GitHub webhook source ranges",
      },
    ]);
    expect(summary.ipv4).toMatchObject({ change: "update", addresses: 4, added: IPV4, removed: [], attempts: 1 });
    expect(summary.ipv6).toMatchObject({ change: "update", addresses: 2, added: IPV6, removed: [] });
  });

  it("sends no authorization header to /meta", async () => {
    // Arrange: this fake only answers requests without an Authorization header.
    setsHold(IPV4, IPV6);
    const meta = nock(GHES, { badheaders: ["authorization"] }).get("/meta").reply(200, metaResponse(GITHUB_HOOKS));

    // Act
    await run();

    // Assert
    expect(meta.isDone()).toBe(true);
  });

  it("writes nothing when the sets already hold GitHub's ranges", async () => {
    // Arrange
    setsHold([...IPV4].reverse(), IPV6);
    metaAnswers(GITHUB_HOOKS);

    // Act
    const summary = await run();

    // Assert
    expect(waf.commandCalls(GetIPSetCommand)).toHaveLength(2);
    expect(updates()).toEqual([]);
    expect(summary.ipv4.change).toBe("no change");
    expect(summary.ipv6.change).toBe("no change");
    expect(metricPoints("GitHubHooksIpSetsUpdated")).toEqual([expect.objectContaining({ unit: "Count", value: 0, dimensionSets: [["service"]] })]);
  });

  it("replaces only the set that changed, with GitHub's full list", async () => {
    // Arrange
    setsHold(["192.30.252.0/22", "198.51.100.0/24"], IPV6);
    metaAnswers(GITHUB_HOOKS);

    // Act
    const summary = await run();

    // Assert
    expect(updates().map((input) => [input.Name, input.Addresses])).toEqual([["sr-github-hooks-ipv4", IPV4]]);
    expect(summary.ipv4).toMatchObject({ added: ["140.82.112.0/20", "143.55.64.0/20", "185.199.108.0/22"], removed: ["198.51.100.0/24"] });
  });

  it("reads the set again and retries with the new lock token after a WAFOptimisticLockException", async () => {
    // Arrange
    setsHold([], IPV6);
    metaAnswers(GITHUB_HOOKS);
    waf
      .on(UpdateIPSetCommand)
      .rejectsOnce(new WAFOptimisticLockException({ message: "lock token is stale", $metadata: {} }))
      .resolves({ NextLockToken: "next" });

    // Act
    const summary = await run();

    // Assert
    expect(updates().map((input) => input.LockToken)).toEqual(["token-1", "token-2"]);
    expect(summary.ipv4).toMatchObject({ change: "update", attempts: 2 });
  });

  it(`fails when the lock conflict persists for ${MAX_UPDATE_ATTEMPTS} attempts, naming the set`, async () => {
    // Arrange
    setsHold([], IPV6);
    metaAnswers(GITHUB_HOOKS);
    waf.on(UpdateIPSetCommand).rejects(new WAFOptimisticLockException({ message: "lock token is stale", $metadata: {} }));

    // Act / Assert
    await expect(run()).rejects.toThrow(IpSetLockConflictError);
    expect(updates()).toHaveLength(MAX_UPDATE_ATTEMPTS);
  });

  it("fails when /meta lists no hooks: refuses, keeps both sets and emits GitHubHooksListRefused", async () => {
    // Arrange
    setsHold(IPV4, IPV6);
    metaAnswers([]);

    // Act / Assert
    await expect(run()).rejects.toThrow(new HooksListRefusedError("the hooks list is empty", []).message);
    expect(waf.commandCalls(GetIPSetCommand)).toHaveLength(0);
    expect(updates()).toEqual([]);
    expect(metricPoints("GitHubHooksListRefused")).toEqual([expect.objectContaining({ unit: "Count", value: 1, dimensionSets: [["service"]] })]);
  });

  it("fails when /meta lists an entry that is not a range: nothing is written", async () => {
    // Arrange
    setsHold(IPV4, IPV6);
    metaAnswers([...GITHUB_HOOKS, "hooks.github.com"]);

    // Act / Assert
    await expect(run()).rejects.toMatchObject({ name: "HooksListRefusedError", invalid: ["hooks.github.com"] });
    expect(updates()).toEqual([]);
  });

  it("fails when GitHub answers /meta with 404: nothing is written", async () => {
    // Arrange
    setsHold(IPV4, IPV6);
    nock(GHES).get("/meta").reply(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });

    // Act / Assert
    await expect(run()).rejects.toMatchObject({ name: "GitHubRequestError", status: 404 });
    expect(updates()).toEqual([]);
  });
});
