/**
 * The image definitions of `runner_images` (issue 12, item 3): their fields, defaults and rules in one
 * table. The module's variable type and validation blocks and the SelfRunners prop check derive from
 * it, so Terraform and CDKTF users are refused the same values with the same words.
 */
import { RULES, SelfRunnersValidationError, isUnresolved } from "./errors.js";
import type { IResolvable } from "./cdktf.js";
import { integerBetween, matching, nonEmptyList, eachItem, oneOf, type InputRule } from "./module/rules.js";

/** One image definition as CDKTF users write it; every field has a default. */
export interface RunnerImageProps {
  /**
   * SSM parameter holding the parent AMI id (Image Builder's `ssm:` parent image).
   * @default "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" (arm64: the arm64 one)
   */
  readonly parentImageSsmParameter?: string;
  /**
   * `x64` or `arm64`: the runner archive baked in and the build instance's architecture.
   * @default "x64"
   */
  readonly architecture?: string;
  /**
   * Instance types of the build instance (of the architecture).
   * @default ["m7i.large"] (arm64: ["m7g.large"])
   */
  readonly instanceTypes?: string[];
  /**
   * Install and enable Docker.
   * @default true
   */
  readonly docker?: boolean;
  /**
   * Install the CloudWatch agent (runner logs ship with it at boot).
   * @default true
   */
  readonly cloudwatchAgent?: boolean;
  /**
   * More packages, installed with the image's package manager.
   * @default []
   */
  readonly extraPackages?: string[];
  /**
   * Container images pulled into the AMI's Docker store (`docker pull`), so jobs start without pulling them.
   * @default []
   */
  readonly prepullImages?: string[];
  /**
   * A bash script run last, as root, during the build (no secrets: it is stored in the component).
   * @default ""
   */
  readonly userScript?: string;
  /**
   * Image Builder's pipeline schedule (cron only); the pipeline also builds on demand.
   * @default "cron(0 4 ? * MON *)"
   */
  readonly schedule?: string;
  /**
   * Root volume size of the image in GiB (room for the pre-pulled images).
   * @default 30
   */
  readonly rootVolumeSize?: number;
}

/** The module's shape of one image (snake_case, every field filled). */
export interface RunnerImageDefinition {
  readonly parent_image_ssm_parameter: string;
  readonly architecture: string;
  readonly instance_types: string[];
  readonly docker: boolean;
  readonly cloudwatch_agent: boolean;
  readonly extra_packages: string[];
  readonly prepull_images: string[];
  readonly user_script: string;
  readonly schedule: string;
  readonly root_volume_size: number;
}

/** Image definitions by key, or the module's variable. */
export type RunnerImageMap = Record<string, RunnerImageDefinition> | IResolvable;

/** Amazon Linux 2023's public AMI parameters, by architecture. */
export const PARENT_IMAGE_PARAMETERS = {
  x64: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
  arm64: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
} as const;

const BUILD_INSTANCE_TYPES = { x64: ["m7i.large"], arm64: ["m7g.large"] } as const;

export const RUNNER_IMAGE_DEFAULTS = {
  architecture: "x64",
  docker: true,
  cloudwatch_agent: true,
  user_script: "",
  schedule: "cron(0 4 ? * MON *)",
  root_volume_size: 30,
} as const;

/**
 * The SSM parameter an image's pipeline publishes its newest AMI id to (data type aws:ec2:image); a
 * pool takes it as its AMI parameter.
 */
export function runnerImageParameterName(prefix: string, key: string): string {
  return `/${prefix}/runner-images/${key}`;
}

const PREPULL_NEEDS_DOCKER = "empty unless docker is true (images are pulled into Docker's store)";
const KEY_RULE = matching("^[a-z0-9][a-z0-9-]{0,31}$", "keys of 1 to 32 lowercase letters, digits and hyphens");

/** Per field: the rule every image's value must pass (after defaults). */
const FIELD_RULES: ReadonlyArray<{ readonly field: keyof RunnerImageDefinition; readonly rule: InputRule }> = [
  { field: "parent_image_ssm_parameter", rule: matching(RULES.ssmParameterName.pattern, RULES.ssmParameterName.allowed) },
  { field: "architecture", rule: oneOf(["x64", "arm64"]) },
  { field: "instance_types", rule: nonEmptyList(matching(RULES.instanceType.pattern, RULES.instanceType.allowed)) },
  // Package and image names reach a shell command line: only the characters such names use.
  { field: "extra_packages", rule: eachItem(matching("^[A-Za-z0-9][A-Za-z0-9._+:-]{0,127}$", "package names (letters, digits and . _ + : -)")) },
  { field: "prepull_images", rule: eachItem(matching("^[a-z0-9][a-z0-9._/:@-]{0,254}$", "container image references such as public.ecr.aws/docker/library/node:22 (lowercase letters, digits and . _ / : @ -)")) },
  { field: "schedule", rule: matching("^cron\\(.+\\)$", "cron(...) expressions (Image Builder schedules take cron only)") },
  { field: "root_volume_size", rule: integerBetween(8, 16384, " GiB") },
];

/** The variable's type: every field optional with its default, as `pools` does. */
export function runnerImagesVariableType(): string {
  const d = RUNNER_IMAGE_DEFAULTS;
  return [
    "map(object({",
    "    parent_image_ssm_parameter = optional(string)",
    `    architecture               = optional(string, "${d.architecture}")`,
    "    instance_types             = optional(list(string))",
    `    docker                     = optional(bool, ${d.docker})`,
    `    cloudwatch_agent           = optional(bool, ${d.cloudwatch_agent})`,
    "    extra_packages             = optional(list(string), [])",
    "    prepull_images             = optional(list(string), [])",
    `    user_script                = optional(string, "")`,
    `    schedule                   = optional(string, "${d.schedule}")`,
    `    root_volume_size           = optional(number, ${d.root_volume_size})`,
    "  }))",
  ].join("\n");
}

/**
 * HCL over `val` (one image of the variable): the image with the architecture-dependent defaults
 * filled in; the resources iterate the variable mapped through it.
 */
export const IMAGE_WITH_DEFAULTS_HCL = [
  "merge(val, {",
  `parent_image_ssm_parameter = coalesce(val.parent_image_ssm_parameter, val.architecture == "arm64" ? "${PARENT_IMAGE_PARAMETERS.arm64}" : "${PARENT_IMAGE_PARAMETERS.x64}"),`,
  `instance_types = coalesce(val.instance_types, val.architecture == "arm64" ? ${JSON.stringify(BUILD_INSTANCE_TYPES.arm64)} : ${JSON.stringify(BUILD_INSTANCE_TYPES.x64)})`,
  "})",
].join(" ");

function message(field: string, rule: InputRule): string {
  return `runner_images: every image's ${field} must be ${rule.allowed}.`;
}

/** The variable's validation blocks. */
export function runnerImagesValidation(): Array<{ condition: string; errorMessage: string }> {
  return [
    { condition: `alltrue([for k in keys(var.runner_images) : ${KEY_RULE.condition("k")}])`, errorMessage: `runner_images must have ${KEY_RULE.allowed}.` },
    {
      condition: "alltrue([for k, img in var.runner_images : img.docker || length(img.prepull_images) == 0])",
      errorMessage: `runner_images: every image's prepull_images must be ${PREPULL_NEEDS_DOCKER}.`,
    },
    ...FIELD_RULES.map(({ field, rule }) => ({
      // Null (not set) fields are filled in later and always valid.
      condition: `alltrue([for k, img in var.runner_images : img.${field} == null ? true : (${rule.condition(`img.${field}`)})])`,
      errorMessage: message(field, rule),
    })),
  ];
}

/** Validates CDKTF users' images and fills in the defaults, producing the module's shape. */
export function normalizeRunnerImages(constructPath: string, images: Readonly<Record<string, RunnerImageProps>> | IResolvable): RunnerImageMap {
  if (isUnresolved(images)) return images as IResolvable;
  const result: Record<string, RunnerImageDefinition> = {};
  for (const [key, image] of Object.entries(images as Record<string, RunnerImageProps>)) {
    if (!KEY_RULE.check(key)) throw new SelfRunnersValidationError(constructPath, "runnerImages", key, KEY_RULE.allowed);
    const architecture = image.architecture ?? RUNNER_IMAGE_DEFAULTS.architecture;
    const arch = architecture === "arm64" ? "arm64" : "x64";
    const definition: RunnerImageDefinition = {
      parent_image_ssm_parameter: image.parentImageSsmParameter ?? PARENT_IMAGE_PARAMETERS[arch],
      architecture,
      instance_types: image.instanceTypes ?? [...BUILD_INSTANCE_TYPES[arch]],
      docker: image.docker ?? RUNNER_IMAGE_DEFAULTS.docker,
      cloudwatch_agent: image.cloudwatchAgent ?? RUNNER_IMAGE_DEFAULTS.cloudwatch_agent,
      extra_packages: image.extraPackages ?? [],
      prepull_images: image.prepullImages ?? [],
      user_script: image.userScript ?? RUNNER_IMAGE_DEFAULTS.user_script,
      schedule: image.schedule ?? RUNNER_IMAGE_DEFAULTS.schedule,
      root_volume_size: image.rootVolumeSize ?? RUNNER_IMAGE_DEFAULTS.root_volume_size,
    };
    for (const { field, rule } of FIELD_RULES) {
      const value = definition[field];
      if (!isUnresolved(value) && !rule.check(value)) throw new SelfRunnersValidationError(constructPath, `runnerImages.${key}.${field}`, value, rule.allowed);
    }
    if (!definition.docker && definition.prepull_images.length > 0) {
      throw new SelfRunnersValidationError(constructPath, `runnerImages.${key}.prepullImages`, definition.prepull_images, PREPULL_NEEDS_DOCKER);
    }
    result[key] = definition;
  }
  return result;
}
