import { beforeAll, describe, expect, it } from "vitest";
import { App, Testing } from "../../stacks/cdktf.js";
import { ModuleStack } from "../../stacks/module-stack.js";
import { SelfRunnersValidationError } from "../../stacks/errors.js";
import type { RunnerPoolProps } from "../../stacks/pools.js";
import { SelfRunners } from "../../stacks/self-runners.js";
import { fakeDistDir, minimalProps, resourceOf, resourcesOf, synthSelfRunners, testStack, type SynthesizedStack } from "../helpers/synth.js";

let distDir: string;
beforeAll(() => {
  distDir = fakeDistDir();
});

const S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const ARTIFACTS = "arn:aws:iam::123456789012:policy/ci-artifacts";
const linux: RunnerPoolProps = { labels: ["linux"], instanceTypes: ["m7i.large"] };
const gpu: RunnerPoolProps = { labels: ["gpu"], instanceTypes: ["g5.xlarge"], extraIamPolicyArns: [S3_READ, ARTIFACTS] };

/** The inline policies on the role a reference points at, by policy name. */
function inlinePolicies(synth: SynthesizedStack, roleReference: RegExp): Record<string, unknown> {
  return Object.fromEntries(
    Object.values(resourcesOf(synth, "aws_iam_role_policy"))
      .filter((p) => roleReference.test(String(p.role)))
      .map((p) => [String(p.name), p.policy]),
  );
}

describe("a runner role per pool (extraIamPolicyArns)", () => {
  it("gives a pool with extra policies its own role and profile with those policies attached", () => {
    // Act
    const synth = synthSelfRunners(distDir, { pools: { gpu, linux }, enableSsmSessions: true });

    // Assert
    const role = resourceOf(synth, "aws_iam_role", "runner_pool_role");
    expect(role.for_each).toEqual({ gpu: "gpu" });
    expect(role.name).toBe('${format("%s-runner-pool-%s", "ci", each.key)}');
    const profile = resourceOf(synth, "aws_iam_instance_profile", "runner_pool_instance-profile");
    expect(profile.role).toBe("${each.value.name}");
    const attachment = resourceOf(synth, "aws_iam_role_policy_attachment", "runner_pool_extra-policy");
    expect(attachment.for_each).toEqual({ [`gpu ${S3_READ}`]: { pool: "gpu", arn: S3_READ }, [`gpu ${ARTIFACTS}`]: { pool: "gpu", arn: ARTIFACTS } });
    expect(attachment.role).toMatch(/^\$\{aws_iam_role\.runners_runner_pool_role_\w+\[each\.value\.pool\]\.name\}$/);
  });

  it("copies every inline policy of the shared runner role onto the pool role, same name and document", () => {
    // Act
    const synth = synthSelfRunners(distDir, { pools: { gpu, linux }, enableSsmSessions: true });

    // Assert
    const shared = inlinePolicies(synth, /^\$\{aws_iam_role\.runners_runner_role_\w+\.id\}$/);
    const pool = inlinePolicies(synth, /^\$\{aws_iam_role\.runners_runner_pool_role_\w+\[each\.key\]\.id\}$/);
    // Every grant on the runner role (stacks/self-runners.ts and RunnerFleet): if one is added, it shows here.
    expect(Object.keys(shared).sort()).toEqual(["build-cache", "cache-agent", "deny-github-app-secrets", "open-own-runner-config", "runner-binaries", "runner-logs", "runner-own-item", "ssm-sessions", "use-kms-key"]);
    expect(pool).toEqual(shared);
  });

  it("launches the pool from its own profile and the other pools from the shared one", () => {
    const synth = synthSelfRunners(distDir, { pools: { gpu, linux } });
    const template = resourceOf(synth, "aws_launch_template", "runner_launch-template");
    expect((template.iam_instance_profile as { arn: string }).arn).toMatch(
      /^\$\{lookup\(\{ for key, val in aws_iam_instance_profile\.runners_runner_pool_instance-profile_\w+: key => val\.arn \}, each\.key, aws_iam_instance_profile\.runners_runner_instance-profile_\w+\.arn\)\}$/,
    );
  });

  it("lets scale-up pass every runner role and the reconciler count every runner profile as the kit's", () => {
    // Act
    const synth = synthSelfRunners(distDir, { pools: { gpu, linux } });

    // Assert
    const launch = String(resourceOf(synth, "aws_iam_role_policy", "launch-runners").policy);
    expect(launch).toMatch(/"Sid" = "PassRunnerRole", "Action" = \["iam:PassRole"\], "Resource" = concat\(\[aws_iam_role\.runners_runner_role_\w+\.arn\], values\(\{ for key, val in aws_iam_role\.runners_runner_pool_role_\w+: key => val\.arn \}\)\)/);
    expect(launch).toMatch(/"ArnEquals" = \{"ec2:InstanceProfile" = concat\(\[aws_iam_instance_profile\.runners_runner_instance-profile_\w+\.arn\], values\(/);
    const environment = (resourceOf(synth, "aws_lambda_function", "reconcile").environment as { variables: Record<string, string> }).variables;
    expect(environment.RUNNER_INSTANCE_PROFILE_ARNS).toMatch(/^\$\{jsonencode\(concat\(\[aws_iam_instance_profile\.runners_runner_instance-profile_\w+\.arn\], values\(\{ for key, val in aws_iam_instance_profile\.runners_runner_pool_instance-profile_\w+: key => val\.arn \}\)\)\)\}$/);
  });

  it("names the pool role, with its path, among the key's users and the runners table's roles", () => {
    const synth = synthSelfRunners(distDir, { pools: { gpu, linux }, iamRolePath: "/ci/" });
    expect(String(resourceOf(synth, "aws_kms_key", "encryption").policy)).toContain('"aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder", "ci/ci-runner-pool-gpu"]');
    expect(String(resourceOf(synth, "aws_dynamodb_resource_policy", "runners_resource-policy").policy)).toContain(":role/ci/ci-runner-pool-gpu");
  });

  it("creates no pool role, and keeps one runner profile, when no pool sets extra policies", () => {
    const synth = synthSelfRunners(distDir, { pools: { linux } });
    expect(Object.keys(resourcesOf(synth, "aws_iam_role")).filter((id) => id.includes("pool"))).toEqual([]);
    const environment = (resourceOf(synth, "aws_lambda_function", "reconcile").environment as { variables: Record<string, string> }).variables;
    expect(environment.RUNNER_INSTANCE_PROFILE_ARNS).toMatch(/^\$\{jsonencode\(\[aws_iam_instance_profile\.runners_runner_instance-profile_\w+\.arn\]\)\}$/);
  });

  const refused: Array<[string, string[]]> = [
    ["fails when a pool names eleven policies (IAM's default quota per role is 10)", Array.from({ length: 11 }, (_, i) => `arn:aws:iam::123456789012:policy/p${i}`)],
    ["fails when an extra policy is a role ARN", ["arn:aws:iam::123456789012:role/admin"]],
    ["fails when an extra policy is a policy name, not an ARN", ["AmazonS3ReadOnlyAccess"]],
  ];
  it.each(refused)("%s, with the message the module's validation prints", (_name, arns) => {
    // Arrange
    const module = JSON.parse(Testing.synth(new ModuleStack(Testing.app() as App, "self-runners", { distDir }))) as { variable: { pools: { validation: Array<{ error_message: string }> } } };
    const planMessages = module.variable.pools.validation.map((v) => v.error_message).filter((m) => m.startsWith("Every pool's extra_iam_policy_arns"));

    // Act
    let error: unknown;
    try {
      synthSelfRunners(distDir, { pools: { gpu: { ...gpu, extraIamPolicyArns: arns } } });
    } catch (thrown) {
      error = thrown;
    }

    // Assert
    expect(error).toBeInstanceOf(SelfRunnersValidationError);
    const refusal = error as SelfRunnersValidationError;
    expect(refusal.prop).toBe("pools.gpu.extraIamPolicyArns");
    expect(refusal.allowed).toMatch(/^at most 10 IAM managed policy ARNs/);
    expect(planMessages).toEqual([`Every pool's extra_iam_policy_arns must be ${refusal.allowed}.`]);
  });
});

describe("RunnerPoolRoles across synths", () => {
  it("copies the shared role's policies once when the same stack is synthesized twice", () => {
    // Arrange
    const { stack } = testStack();
    new SelfRunners(stack, "runners", minimalProps(distDir, { prefix: "ci", pools: { gpu, linux } }));

    // Act
    const first = JSON.parse(Testing.synth(stack)) as SynthesizedStack;
    const second = JSON.parse(Testing.synth(stack)) as SynthesizedStack;

    // Assert
    const copies = (synth: SynthesizedStack) => Object.keys(resourcesOf(synth, "aws_iam_role_policy")).filter((id) => id.includes("runner_pool_shared"));
    expect(copies(first)).toHaveLength(6);
    expect(copies(second)).toEqual(copies(first));
  });
});
