import { describe, expect, it, vi } from "vitest";
import { callerAccess } from "../../../lambdas/build-cache/caller.js";
import type { CallerFacts } from "../../../lambdas/build-cache/caller.js";
import { verifiedBaseBranch, withVerifiedBase } from "../../../lambdas/build-cache/pull-request.js";
import type { PullRequestFacts } from "../../../lambdas/build-cache/pull-request.js";
import { MalformedRequest, parseLookup } from "../../../lambdas/build-cache/requests.js";
import { ranJobCaller } from "../../helpers/build-cache.js";

const JOB = { repository: "octo-org/app", headBranch: "feature/a" };
const PR_7: PullRequestFacts = { headRef: "feature/a", baseRef: "release", baseRepository: "octo-org/app" };

/** A runner of octo-org that ran a job of installation 42 on feature/a. */
function caller(): CallerFacts {
  const facts = ranJobCaller("octo-org", "octo-org/app", "feature/a");
  return { ...facts, ranJob: { ...facts.ranJob, installationId: 42 } };
}

const readBranches = async (facts: CallerFacts) => {
  const access = callerAccess(facts);
  return access.allowed ? access.read.map((ref) => ref.branch) : [];
};

describe("verifiedBaseBranch", () => {
  it("accepts the claimed base when GitHub says the pull request's head is the job's branch in its repository", () => {
    expect(verifiedBaseBranch({ number: 7, baseRef: "release" }, JOB, PR_7)).toBe("release");
    expect(verifiedBaseBranch({ number: 7, baseRef: "release" }, JOB, { ...PR_7, baseRepository: "Octo-Org/App" })).toBe("release");
  });

  it.each([
    { name: "a sibling branch claimed as base of the job's own pull request", claim: "feature/b", pr: PR_7 },
    { name: "another branch's pull request (its head is the sibling)", claim: "feature/b", pr: { ...PR_7, headRef: "feature/c", baseRef: "feature/b" } },
    { name: "a pull request of another repository with the same branch names", claim: "release", pr: { ...PR_7, baseRepository: "octo-org/other" } },
    { name: "no answer from GitHub", claim: "release", pr: undefined },
  ])("refuses $name", ({ claim, pr }) => {
    expect(verifiedBaseBranch({ number: 7, baseRef: claim }, JOB, pr)).toBeUndefined();
  });
});

describe("withVerifiedBase", () => {
  it("reads own, verified base, then default branch, asking GitHub with the job's installation", async () => {
    const pullRequests = vi.fn(async () => PR_7);

    const facts = await withVerifiedBase(caller(), { number: 7, baseRef: "release" }, pullRequests);

    expect(pullRequests).toHaveBeenCalledWith(42, "octo-org/app", 7);
    expect(await readBranches(facts)).toEqual(["feature/a", "release", "main"]);
    const access = callerAccess(facts);
    expect(access.allowed && access.write).toEqual({ repository: "octo-org/app", branch: "feature/a" });
  });

  it("never reads a sibling claimed as base: own and default branch only", async () => {
    const facts = await withVerifiedBase(caller(), { number: 7, baseRef: "feature/b" }, async () => PR_7);

    expect(await readBranches(facts)).toEqual(["feature/a", "main"]);
  });

  it("falls back to own and default branch when the check fails, without an error", async () => {
    const facts = await withVerifiedBase(caller(), { number: 7, baseRef: "release" }, async () => {
      throw new Error("GitHub answered 502");
    });

    expect(await readBranches(facts)).toEqual(["feature/a", "main"]);
  });

  it("drops a base branch that did not come from a verified claim", async () => {
    const withUnverified: CallerFacts = { ...caller(), ranJob: { ...caller().ranJob, baseBranch: "feature/b" } };

    expect(await readBranches(await withVerifiedBase(withUnverified, undefined, async () => PR_7))).toEqual(["feature/a", "main"]);
  });

  it("does not ask GitHub for a runner whose job it did not run, or a job without installation", async () => {
    const pullRequests = vi.fn(async () => PR_7);
    const notRanHere = ranJobCaller("octo-org", "octo-org/app", "feature/a", "sr-i-0bbbbbbbbbbbbbbb1");
    const ranHere = ranJobCaller("octo-org", "octo-org/app", "feature/a");

    await withVerifiedBase({ ...notRanHere, runnerName: "sr-i-0aaaaaaaaaaaaaaa1" }, { number: 7, baseRef: "release" }, pullRequests);
    const noInstallation = await withVerifiedBase(ranHere, { number: 7, baseRef: "release" }, pullRequests);

    expect(pullRequests).not.toHaveBeenCalled();
    expect(await readBranches(noInstallation)).toEqual(["feature/a", "main"]);
  });
});

describe("parseLookup's pull request claim", () => {
  const served = new Set(["actions"]);
  const lookup = { protocol: "actions", keys: ["k"], version: "v1" };

  it("keeps a well-formed claim and leaves it out when absent", () => {
    expect(parseLookup({ ...lookup, pullRequest: { number: 7, baseRef: "release" } }, served).pullRequest).toEqual({ number: 7, baseRef: "release" });
    expect(parseLookup(lookup, served)).not.toHaveProperty("pullRequest");
  });

  it.each([
    { name: "a zero number", pullRequest: { number: 0, baseRef: "main" } },
    { name: "a string number", pullRequest: { number: "7", baseRef: "main" } },
    { name: "no base", pullRequest: { number: 7 } },
    { name: "a base with a newline", pullRequest: { number: 7, baseRef: "main\nx" } },
    { name: "a list", pullRequest: [7, "main"] },
  ])("refuses $name as malformed", ({ pullRequest }) => {
    expect(() => parseLookup({ ...lookup, pullRequest }, served)).toThrow(MalformedRequest);
  });
});
