import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { SelfRunnersProps } from "../../stacks/self-runners.js";
import { RUNNER_IMAGE_TEMPLATE } from "../../stacks/runner-images.js";
import { runnerImageParameterName } from "../../stacks/runner-images-spec.js";
import { renderTemplate, templatePath } from "../../stacks/templates/template-file.js";
import { shellcheck } from "../helpers/shellcheck.js";
import { fakeDistDir, resourceOf, resourcesOf, type SynthesizedStack, synthSelfRunners } from "../helpers/synth.js";

// Baked runner images (issue 12, item 3): one Image Builder pipeline per definition, publishing to the
// SSM parameter pools name; nothing without definitions; the same rules as the module's validations.

let distDir: string;

beforeAll(() => {
  distDir = fakeDistDir();
});

const synth = (overrides: Partial<SelfRunnersProps> = {}): SynthesizedStack => synthSelfRunners(distDir, overrides);
const IMAGES: SelfRunnersProps["runnerImages"] = {
  docker: { prepullImages: ["public.ecr.aws/docker/library/node:22", "ghcr.io/octo-org/build:1.4"], extraPackages: ["git", "make"], userScript: "echo hello" },
  arm: { architecture: "arm64", docker: false, cloudwatchAgent: false, schedule: "cron(0 2 ? * SUN *)" },
};

describe("RunnerImages", () => {
  it("creates no pipeline, role or instance profile without image definitions", () => {
    const stack = synth();
    expect(resourcesOf(stack, "aws_imagebuilder_image_pipeline")).toEqual(expect.any(Object));
    expect((resourceOf(stack, "aws_imagebuilder_image_pipeline", "pipeline").for_each as Record<string, unknown>) ?? {}).toEqual({});
    expect(resourceOf(stack, "aws_iam_role", "runner-images_role").count).toBe(0);
    expect(resourceOf(stack, "aws_iam_instance_profile", "runner-images").count).toBe(0);
    expect(resourceOf(stack, "aws_security_group", "runner-images").count).toBe(0);
  });

  it("builds one pipeline per image, on its schedule, publishing the AMI id to the image's SSM parameter", () => {
    const stack = synth({ runnerImages: IMAGES });
    const pipeline = resourceOf(stack, "aws_imagebuilder_image_pipeline", "pipeline");
    expect(Object.keys(pipeline.for_each as Record<string, unknown>).sort()).toEqual(["arm", "docker"]);
    expect(pipeline.schedule).toEqual({ schedule_expression: "${each.value.schedule}", pipeline_execution_start_condition: "EXPRESSION_MATCH_ONLY" });
    const definitions = pipeline.for_each as Record<string, Record<string, unknown>>;
    expect(definitions.arm).toMatchObject({ architecture: "arm64", parent_image_ssm_parameter: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64", instance_types: ["m7g.large"], schedule: "cron(0 2 ? * SUN *)" });
    expect(definitions.docker).toMatchObject({ docker: true, cloudwatch_agent: true, schedule: "cron(0 4 ? * MON *)", root_volume_size: 30 });
    const distribution = resourceOf(stack, "aws_imagebuilder_distribution_configuration", "distribution");
    expect(JSON.stringify(distribution.distribution)).toContain(`"parameter_name":"${runnerImageParameterName("ci", "${each.key}")}"`);
    expect(JSON.stringify(distribution.distribution)).toContain('"data_type":"aws:ec2:image"');
    const recipe = resourceOf(stack, "aws_imagebuilder_image_recipe", "recipe");
    expect(recipe.parent_image).toBe("ssm:${each.value.parent_image_ssm_parameter}");
    expect(JSON.stringify(recipe.block_device_mapping)).toMatch(/"encrypted":"true","kms_key_id":"\$\{[^"]*kms_key/);
    expect(recipe.lifecycle).toEqual({ create_before_destroy: true });
  });

  it("gives the build instance a written-out policy: its orchestration, its components, and the runner archives only", () => {
    const stack = synth({ runnerImages: IMAGES });
    const role = resourceOf(stack, "aws_iam_role", "runner-images_role");
    expect(role.count).toBe(1);
    expect(role.managed_policy_arns).toBeUndefined();
    expect(Object.keys(resourcesOf(stack, "aws_iam_role_policy_attachment")).filter((id) => id.includes("runner-images"))).toEqual([]);
    const policy = String(resourceOf(stack, "aws_iam_role_policy", "runner-images_build-instance").policy);
    expect(policy).not.toContain("ssm:GetParameter");
    expect(policy).toMatch(/"Sid" = "ReadRunnerBinaries", "Action" = \["s3:GetObject"\], "Resource" = "\$\{[^"]*\}\/runner\/\*"/);
    expect(policy).toMatch(/imagebuilder:GetComponent"\], "Resource" = "arn:[^"]*:component\/ci-\*"/);
    const infrastructure = resourceOf(stack, "aws_imagebuilder_infrastructure_configuration", "infrastructure");
    expect(infrastructure).toMatchObject({ subnet_id: "subnet-0123456789abcdef0", terminate_instance_on_failure: true, instance_metadata_options: { http_tokens: "required", http_put_response_hop_limit: 2 } });
  });

  it("lets scale-up launch from snapshots encrypted with the kit key only when images exist", () => {
    expect(resourceOf(synth(), "aws_iam_role_policy", "grant-ebs-scale-up").count).toBe(0);
    const grant = resourceOf(synth({ runnerImages: IMAGES }), "aws_iam_role_policy", "grant-ebs-scale-up");
    expect(grant.count).toBe(1);
    expect(String(grant.policy)).toContain("kms:GrantIsForAWSResource");
  });

  it("fails when an image key is not a name, saying what is allowed", () => {
    expect(() => synth({ runnerImages: { "Big Image": {} } })).toThrow(/runnerImages.*keys of 1 to 32 lowercase letters/);
  });

  it("fails when a schedule is a rate expression", () => {
    expect(() => synth({ runnerImages: { docker: { schedule: "rate(1 day)" } } })).toThrow(/runnerImages\.docker\.schedule.*cron\(\.\.\.\)/);
  });

  it("fails when images are to be pre-pulled without Docker", () => {
    expect(() => synth({ runnerImages: { docker: { docker: false, prepullImages: ["node:22"] } } })).toThrow(/prepullImages.*unless docker is true/);
  });

  it("fails when a container image reference could inject shell", () => {
    expect(() => synth({ runnerImages: { docker: { prepullImages: ["node:22; curl evil"] } } })).toThrow(/prepull_images.*container image references/);
  });
});

describe("the image component script", () => {
  const render = (vars: Partial<Record<string, string>> = {}) =>
    renderTemplate(readFileSync(templatePath(RUNNER_IMAGE_TEMPLATE), "utf8"), {
      region: "eu-west-1",
      binaries_bucket: "ci-runner-binaries-123456789012-eu-west-1",
      binaries_prefix: "runner/",
      architecture: "x64",
      docker: "true",
      cloudwatch_agent: "true",
      extra_packages: "git make",
      prepull_images: "node:22",
      user_script_base64: Buffer.from("echo hello").toString("base64"),
      ...vars,
    });

  it("passes shellcheck", () => {
    expect(shellcheck(render())).toEqual({ status: 0, output: "" });
  });
});
