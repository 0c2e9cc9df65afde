import { describe, expect, it } from "vitest";
import { callerAccess, parseCallerArn, repositoryInScope } from "../../../lambdas/build-cache/caller.js";
import { ranJobCaller } from "../../helpers/build-cache.js";

const RUNNER = "sr-i-0aaaaaaaaaaaaaaa1";

describe("parseCallerArn", () => {
  it("reads the instance id from an EC2 role session", () => {
    expect(parseCallerArn("arn:aws:sts::123456789012:assumed-role/sr-runner/i-0aaaaaaaaaaaaaaa1")).toEqual({
      partition: "aws",
      account: "123456789012",
      roleName: "sr-runner",
      instanceId: "i-0aaaaaaaaaaaaaaa1",
    });
  });

  it.each([
    { name: "no identity", arn: undefined },
    { name: "an IAM user", arn: "arn:aws:iam::123456789012:user/alice" },
    { name: "a session not named after an instance", arn: "arn:aws:sts::123456789012:assumed-role/sr-runner/alice" },
    { name: "an instance id with a suffix", arn: "arn:aws:sts::123456789012:assumed-role/sr-runner/i-0aaaaaaaaaaaaaaa1/x" },
    { name: "a forged partition", arn: "arn:evil:sts::123456789012:assumed-role/sr-runner/i-0aaaaaaaaaaaaaaa1" },
  ])("refuses $name", ({ arn }) => {
    expect(parseCallerArn(arn)).toBeUndefined();
  });
});

describe("repositoryInScope", () => {
  it("holds a repository runner to its repository and an organization runner to its repositories", () => {
    expect(repositoryInScope("octo-org/app", "Octo-Org/App")).toBe(true);
    expect(repositoryInScope("octo-org/app", "octo-org/app2")).toBe(false);
    expect(repositoryInScope("octo-org", "octo-org/app")).toBe(true);
    expect(repositoryInScope("octo-org", "octo-organization/app")).toBe(false);
  });
});

describe("callerAccess", () => {
  it("reads the own branch then the default branch, and writes the own branch", () => {
    expect(callerAccess(ranJobCaller("octo-org", "octo-org/app", "feature/a"))).toEqual({
      allowed: true,
      scope: "octo-org",
      read: [
        { repository: "octo-org/app", branch: "feature/a" },
        { repository: "octo-org/app", branch: "main" },
      ],
      write: { repository: "octo-org/app", branch: "feature/a" },
    });
  });

  it("reads the base branch between the own and default branches when the ledger knows it", () => {
    const facts = ranJobCaller("octo-org/app", "octo-org/app", "feature/a");
    const access = callerAccess({ ...facts, ranJob: { ...facts.ranJob, baseBranch: "release" } });
    expect(access.allowed && access.read.map((ref) => ref.branch)).toEqual(["feature/a", "release", "main"]);
  });

  it("reads the default branch once when the job runs on it", () => {
    const access = callerAccess(ranJobCaller("octo-org", "octo-org/app", "main"));
    expect(access.allowed && access.read).toEqual([{ repository: "octo-org/app", branch: "main" }]);
  });

  it("refuses a runner whose job is outside its registration scope", () => {
    expect(callerAccess(ranJobCaller("octo-org/app", "octo-org/other", "main"))).toEqual({ allowed: false, reason: "the runner's job is outside its scope" });
  });

  it("gives a repository runner that took another job (not yet reported) the default branch, read-only", () => {
    const access = callerAccess({ scope: "octo-org/app", runnerName: RUNNER, launchedFor: { repository: "octo-org/app", headBranch: "feature/a", defaultBranch: "main", ranOn: "sr-i-0bbbbbbbbbbbbbbb1" } });
    expect(access).toEqual({ allowed: true, scope: "octo-org/app", read: [{ repository: "octo-org/app", branch: "main" }] });
  });

  it("gives an organization warm runner with no reported job nothing to read or write", () => {
    expect(callerAccess({ scope: "octo-org", runnerName: RUNNER })).toEqual({ allowed: true, scope: "octo-org", read: [] });
  });

  it("does not take the branch of a job another runner ran (ranOn names someone else)", () => {
    const facts = ranJobCaller("octo-org", "octo-org/app", "feature/a", "sr-i-0bbbbbbbbbbbbbbb1");
    expect(callerAccess({ ...facts, runnerName: RUNNER })).toEqual({ allowed: true, scope: "octo-org", read: [] });
  });
});
