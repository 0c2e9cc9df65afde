import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Context } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AwsFault, LoopbackAws } from "../../helpers/loopback-aws.js";
import { GITHUB_HOOKS, metaResponse } from "../../helpers/openapi.js";
import { loadShippedHandler } from "../../helpers/shipped-zip.js";

// Drives dist/lambdas/github-hooks-ipset.zip (with the shared layer) as deployed: GET /meta from a
// loopback GitHub whose answer is checked against GitHub's OpenAPI description, WAFv2 GetIPSet and
// UpdateIPSet against a loopback AWS endpoint.

type Handler = (event: unknown, context: Context) => Promise<{ ipv4: { change: string }; ipv6: { change: string } }>;

const context = { functionName: "sr-github-hooks-ipset", awsRequestId: "req-1", invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:sr-github-hooks-ipset" } as Context;

let hooks: readonly unknown[] = GITHUB_HOOKS;
const metaRequests: Array<{ path: string; authorization?: string }> = [];
const github: Server = createServer((req, res) => {
  metaRequests.push({ path: req.url ?? "", authorization: req.headers.authorization });
  const found = req.method === "GET" && req.url === "/api/v3/meta";
  res.writeHead(found ? 200 : 404, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(found ? metaResponse(hooks) : { message: "Not Found" }));
});

// Each set's addresses and lock token as WAF keeps them.
const sets = new Map<string, { addresses: string[]; token: number }>();
let conflictsLeft = 0;
const aws = new LoopbackAws()
  .on("AWSWAF_20190729.GetIPSet", (input) => {
    const set = sets.get(String(input.Name))!;
    return { IPSet: { Name: input.Name, Id: input.Id, ARN: `arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/${String(input.Name)}/${String(input.Id)}`, IPAddressVersion: String(input.Name).endsWith("v6") ? "IPV6" : "IPV4", Addresses: set.addresses, Description: "GitHub webhook source ranges" }, LockToken: `t${set.token}` };
  })
  .on("AWSWAF_20190729.UpdateIPSet", (input) => {
    const set = sets.get(String(input.Name))!;
    if (conflictsLeft > 0 || input.LockToken !== `t${set.token}`) {
      conflictsLeft -= 1;
      set.token += 1;
      throw new AwsFault("WAFOptimisticLockException");
    }
    set.addresses = input.Addresses as string[];
    set.token += 1;
    return { NextLockToken: `t${set.token}` };
  });

let handler: Handler;

beforeAll(async () => {
  await new Promise<void>((resolve) => github.listen(0, "127.0.0.1", resolve));
  const endpoint = await aws.start();
  handler = loadShippedHandler<Handler>("github-hooks-ipset", {
    AWS_ENDPOINT_URL: endpoint,
    GITHUB_API_URL: `http://127.0.0.1:${(github.address() as AddressInfo).port}/api/v3`,
    IP_SET_SCOPE: "REGIONAL",
    IPV4_SET_NAME: "sr-github-hooks-ipv4",
    IPV4_SET_ID: "11111111-1111-1111-1111-111111111111",
    IPV6_SET_NAME: "sr-github-hooks-ipv6",
    IPV6_SET_ID: "66666666-6666-6666-6666-666666666666",
  });
  sets.set("sr-github-hooks-ipv4", { addresses: [], token: 1 });
  sets.set("sr-github-hooks-ipv6", { addresses: [], token: 1 });
});

afterEach(() => {
  aws.calls.length = 0;
  metaRequests.length = 0;
});

afterAll(async () => {
  await aws.stop();
  await new Promise<void>((resolve) => github.close(() => resolve()));
});

describe("the shipped github-hooks-ipset zip", () => {
  it("fills the empty sets from GET /meta, anonymously, as the apply-time invocation does", async () => {
    const summary = await handler({ source: "terraform" }, context);

    expect(summary.ipv4.change).toBe("update");
    expect(summary.ipv6.change).toBe("update");
    expect(metaRequests).toEqual([{ path: "/api/v3/meta", authorization: undefined }]);
    expect(sets.get("sr-github-hooks-ipv4")!.addresses).toEqual(["140.82.112.0/20", "143.55.64.0/20", "185.199.108.0/22", "192.30.252.0/22"]);
    expect(sets.get("sr-github-hooks-ipv6")!.addresses).toEqual(["2606:50c0::/32", "2a0a:a440::/29"]);
    expect(aws.inputsOf("AWSWAF_20190729.UpdateIPSet").map((input) => input.Description)).toEqual(["GitHub webhook source ranges", "GitHub webhook source ranges"]);
  });

  it("writes nothing on the next scheduled run when GitHub's list is unchanged", async () => {
    const summary = await handler({ source: "aws.events" }, context);

    expect(summary).toMatchObject({ ipv4: { change: "no change" }, ipv6: { change: "no change" } });
    expect(aws.inputsOf("AWSWAF_20190729.UpdateIPSet")).toEqual([]);
  });

  it("retries with a fresh lock token when another writer got there first", async () => {
    hooks = ["192.30.252.0/22", "2a0a:a440::/29"];
    conflictsLeft = 1;

    await handler({ source: "aws.events" }, context);

    const tokens = aws.inputsOf("AWSWAF_20190729.UpdateIPSet").map((input) => [input.Name, input.LockToken]);
    expect(tokens).toEqual([
      ["sr-github-hooks-ipv4", "t2"],
      ["sr-github-hooks-ipv4", "t3"],
      ["sr-github-hooks-ipv6", "t2"],
    ]);
    expect(sets.get("sr-github-hooks-ipv4")!.addresses).toEqual(["192.30.252.0/22"]);
  });

  it("fails when /meta has no hooks, and keeps the ranges the sets had", async () => {
    hooks = [];

    await expect(handler({ source: "aws.events" }, context)).rejects.toThrow(/refused to write GitHub's hooks list/);
    expect(aws.inputsOf("AWSWAF_20190729.UpdateIPSet")).toEqual([]);
    expect(sets.get("sr-github-hooks-ipv4")!.addresses).toEqual(["192.30.252.0/22"]);
  });
});
