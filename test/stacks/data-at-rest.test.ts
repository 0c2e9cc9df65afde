import { beforeAll, describe, expect, it } from "vitest";
import type { SelfRunnersProps } from "../../stacks/self-runners.js";
import { TABLE_DATA_ACTIONS } from "../../stacks/private/table-access.js";
import { fakeDistDir, resourceOf, resourcesOf, type SynthesizedStack, synthSelfRunners } from "../helpers/synth.js";

// Issue 18, findings 1 and 2: who may touch the tables' items and the App's parameters.
let distDir: string;
beforeAll(() => {
  distDir = fakeDistDir();
});

const synthRunners = (overrides: Partial<SelfRunnersProps> = {}): SynthesizedStack => synthSelfRunners(distDir, overrides);

/** Role names (the tail of `:role/<name>`) in a policy's aws:PrincipalArn condition. */
const roleNames = (policy: string): string[] => [...policy.matchAll(/:role\/([a-z-]+)"/g)].map((m) => m[1]!);

describe("table resource policies", () => {
  const synth = () => synthRunners();

  it("deny item reads, writes, exports and backups of the runners table to all but the functions using it and the runner role", () => {
    // build-cache reads its caller's item (docs/build-cache.md, "Trust boundary").
    const policy = String(resourceOf(synth(), "aws_dynamodb_resource_policy", "runners_resource").policy);
    expect(policy).toMatch(/"Effect" = "Deny", "Sid" = "OnlyKitRolesTouchItems", "Principal" = "\*"/);
    for (const action of TABLE_DATA_ACTIONS) expect(policy, action).toContain(`"${action}"`);
    expect(policy).toContain('"ArnNotEquals" = {"aws:PrincipalArn"');
    expect(roleNames(policy)).toEqual(["ci-scale-up", "ci-reconcile", "ci-spot-interruption", "ci-runner", "ci-build-cache"]);
    expect(policy).not.toContain("dynamodb:PutResourcePolicy");
  });

  it("deny the same on the job ledger to all but the functions using it (not the runner role; build-cache reads its caller's job)", () => {
    const policy = String(resourceOf(synth(), "aws_dynamodb_resource_policy", "jobs").policy);
    expect(roleNames(policy)).toEqual(["ci-webhook", "ci-scale-up", "ci-reconcile", "ci-spot-interruption", "ci-build-cache"]);
  });
});

describe("runner role and the App's parameters", () => {
  it("denies the runner role every read of the App's parameters, always", () => {
    const policy = String(resourceOf(synthRunners(), "aws_iam_role_policy", "deny-read").policy);
    expect(policy).toMatch(/"Effect" = "Deny"/);
    for (const action of ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory", "ssm:GetParametersByPath"]) expect(policy).toContain(`"${action}"`);
    for (const name of ["private-key", "webhook-secret", "webhook-secret-previous"]) expect(policy).toContain(`:parameter/ci/github-app/${name}"`);
    expect(policy).toContain(':parameter/ci/*"');
    expect(resourceOf(synthRunners(), "aws_iam_role_policy", "deny-read").role).toMatch(/aws_iam_role\.runners_runner_role_[^.]*\.id/);
  });

  it("denies parameters named by the operator too", () => {
    const policy = String(resourceOf(synthRunners({ githubAppPrivateKeySsmParameterName: "/org/app/key" }), "aws_iam_role_policy", "deny-read").policy);
    expect(policy).toContain(':parameter/org/app/key"');
  });
});

describe("Session Manager", () => {
  it("gives the runner role only the Session Manager channels, never the managed SSM core policy", () => {
    const synth = synthRunners({ enableSsmSessions: true });
    expect(JSON.stringify(resourcesOf(synth, "aws_iam_role_policy_attachment"))).not.toContain("AmazonSSMManagedInstanceCore");
    const sessions = resourceOf(synth, "aws_iam_role_policy", "ssm-sessions");
    expect(sessions.count).toBe(1);
    const actions = [...String(sessions.policy).matchAll(/"((?:ssm|ssmmessages|ec2messages):[A-Za-z]+)"/g)].map((m) => m[1]);
    expect(actions).toEqual(["ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]);
  });

  it("adds nothing while sessions are off", () => {
    expect(resourceOf(synthRunners(), "aws_iam_role_policy", "ssm-sessions").count).toBe(0);
  });
});
