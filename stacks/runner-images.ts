import { Construct } from "constructs";
import { Fn, Op, TerraformIterator, TerraformLocal, Token, type IResolvable } from "./cdktf.js";
import {
  IamInstanceProfile,
  IamRole,
  IamRolePolicy,
  ImagebuilderComponent,
  ImagebuilderDistributionConfiguration,
  ImagebuilderImagePipeline,
  ImagebuilderImageRecipe,
  ImagebuilderInfrastructureConfiguration,
  SecurityGroup,
} from "./aws.js";
import type { AwsContext } from "./aws-context.js";
import { countIf } from "./private/conditions.js";
import { assumeRolePolicy, policyDocument } from "./private/iam.js";
import { mergeTags } from "./private/tags.js";
import type { RunnerBinariesLocation } from "./runner-binaries.js";
import { IMAGE_WITH_DEFAULTS_HCL, type RunnerImageMap, runnerImageParameterName } from "./runner-images-spec.js";
import { templateFile } from "./templates/template-file.js";

export const RUNNER_IMAGE_TEMPLATE = "runner-image.sh.tftpl";

/** Props of {@link RunnerImages}. */
export interface RunnerImagesProps {
  /** The kit's name prefix: resources are `<prefix>-<image key>`, the role `<prefix>-image-builder`. */
  readonly prefix: string;
  readonly context: AwsContext;
  /** Image definitions by key, normalized (runner-images-spec.ts), or the module's variable. */
  readonly images: RunnerImageMap;
  /** The bucket the runner is baked from (the syncer's release, as the bootstrap reads it). */
  readonly binaries: RunnerBinariesLocation;
  /** ARN of the bucket, for the build instance's read grant. */
  readonly binariesBucketArn: string;
  /** VPC and subnet of the build instances (a runner subnet: it reaches the bucket and the registries). */
  readonly vpcId: string;
  readonly subnetId: string;
  /**
   * The kit's KMS key: the AMI's EBS snapshots are encrypted with it.
   * @default - the account's default EBS key
   */
  readonly kmsKeyArn?: string;
  /**
   * Whether `kmsKeyArn` is in use (a Terraform expression when the key is chosen by variables).
   * @default - true when kmsKeyArn is set
   */
  readonly kmsKeyInUse?: boolean;
  /**
   * Tags for every resource.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * One EC2 Image Builder pipeline per image definition (issue 12, item 3): a component built from
 * templates/runner-image.sh.tftpl, a recipe on the parent AMI's SSM parameter, a build instance in a
 * runner subnet, and a distribution that publishes the newest AMI id to
 * `/<prefix>/runner-images/<key>` (aws:ec2:image), which pools name as their AMI parameter. Built on
 * the schedule and on demand (`aws imagebuilder start-image-pipeline-execution`). Nothing is created
 * without images.
 */
export class RunnerImages extends Construct {
  readonly pipelines: ImagebuilderImagePipeline;
  readonly distributions: ImagebuilderDistributionConfiguration;
  readonly role: IamRole;
  /** Whether any image is defined (a Terraform expression in the module). */
  readonly enabled: boolean;

  constructor(scope: Construct, id: string, props: RunnerImagesProps) {
    super(scope, id);
    const { context, prefix } = props;
    const tags = props.tags ?? {};
    const images = Token.isUnresolved(props.images)
      ? (new TerraformLocal(this, "definitions", TerraformIterator.fromMap(props.images as IResolvable).forExpressionForMap("key", IMAGE_WITH_DEFAULTS_HCL)).expression as IResolvable)
      : props.images;
    const anyImage = Token.isUnresolved(images)
      ? (Op.gte(Fn.lengthOf(images), 1) as unknown as boolean)
      : Object.keys(images as Record<string, unknown>).length > 0;
    this.enabled = anyImage;
    const once = countIf(anyImage);
    const kmsKeyId = this.kmsKeyId(props);

    this.role = new IamRole(this, "role", { count: once, name: `${prefix}-image-builder`, assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"), tags });
    const roleName = Fn.lookupNested(this.role.fqn, ["0", "name"]);
    new IamRolePolicy(this, "build-instance", { count: once, role: roleName, name: "image-build", policy: this.buildInstancePolicy(props) });
    const profile = new IamInstanceProfile(this, "instance-profile", { count: once, name: `${prefix}-image-builder`, role: roleName, tags });
    const securityGroup = new SecurityGroup(this, "security-group", {
      count: once,
      name: `${prefix}-image-builder`,
      description: "self-runners image builds: no inbound; HTTP(S) out to package repositories, registries and AWS APIs",
      vpcId: props.vpcId,
      egress: [
        { description: "HTTPS", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
        { description: "HTTP (apt mirrors)", protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
      ],
      tags: mergeTags(tags, { Name: `${prefix}-image-builder` }),
    });

    const each = TerraformIterator.fromMap(images);
    const script = templateFile(this, "component-template", RUNNER_IMAGE_TEMPLATE, {
      region: context.region,
      binaries_bucket: props.binaries.bucketName,
      binaries_prefix: props.binaries.prefix,
      architecture: each.getString("architecture"),
      docker: Token.asString(each.getBoolean("docker")),
      cloudwatch_agent: Token.asString(each.getBoolean("cloudwatch_agent")),
      extra_packages: Fn.join(" ", each.getList("extra_packages")),
      prepull_images: Fn.join(" ", each.getList("prepull_images")),
      user_script_base64: Fn.base64encode(each.getString("user_script")),
    });
    // Components and recipes are immutable versions: a changed script or recipe is a new name, created
    // before the old one goes, so the pipeline never points at a deleted recipe.
    const component = new ImagebuilderComponent(this, "component", {
      forEach: each,
      name: `${prefix}-${each.key}-${Fn.substr(Fn.sha256(script), 0, 8)}`,
      version: "1.0.0",
      platform: "Linux",
      description: "self-runners: runner, Docker, CloudWatch agent, packages, pre-pulled images, user script",
      // Written out rather than yamlencode(), which would print schemaVersion 1.0 as 1.
      data: Fn.join("\n", [
        "name: self-runners-runner-image",
        "schemaVersion: 1.0",
        "phases:",
        "  - name: build",
        "    steps:",
        "      - name: bake",
        "        action: ExecuteBash",
        "        inputs:",
        "          commands:",
        "            - |",
        `              ${Fn.indent(14, script)}`,
      ]),
      lifecycle: { createBeforeDestroy: true },
      tags,
    });
    const recipeHash = Fn.substr(Fn.sha256(Fn.join("|", [script, each.getString("parent_image_ssm_parameter"), Token.asString(each.getNumber("root_volume_size"))])), 0, 8);
    const recipe = new ImagebuilderImageRecipe(this, "recipe", {
      forEach: each,
      name: `${prefix}-${each.key}-${recipeHash}`,
      version: "1.0.0",
      parentImage: `ssm:${each.getString("parent_image_ssm_parameter")}`,
      component: [{ componentArn: Fn.lookupNested(component, [each.key, "arn"]) }],
      blockDeviceMapping: [
        { deviceName: "/dev/xvda", ebs: { encrypted: "true", kmsKeyId, volumeType: "gp3", volumeSize: each.getNumber("root_volume_size"), deleteOnTermination: "true" } },
      ],
      lifecycle: { createBeforeDestroy: true },
      tags,
    });
    const infrastructure = new ImagebuilderInfrastructureConfiguration(this, "infrastructure", {
      forEach: each,
      name: `${prefix}-${each.key}`,
      instanceProfileName: Fn.lookupNested(profile.fqn, ["0", "name"]),
      instanceTypes: each.getList("instance_types"),
      subnetId: props.subnetId,
      securityGroupIds: [Fn.lookupNested(securityGroup.fqn, ["0", "id"])],
      terminateInstanceOnFailure: true,
      instanceMetadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 },
      resourceTags: mergeTags(tags, { "self-runners:prefix": prefix, "self-runners:image": each.key }),
      tags,
    });
    const distribution = (this.distributions = new ImagebuilderDistributionConfiguration(this, "distribution", {
      forEach: each,
      name: `${prefix}-${each.key}`,
      distribution: [
        {
          region: context.region,
          amiDistributionConfiguration: {
            name: `${prefix}-${each.key}-{{ imagebuilder:buildDate }}`,
            kmsKeyId,
            amiTags: mergeTags(tags, { "self-runners:prefix": prefix, "self-runners:image": each.key }),
          },
          ssmParameterConfiguration: [{ parameterName: runnerImageParameterName(prefix, each.key), dataType: "aws:ec2:image" }],
        },
      ],
      tags,
    }));
    this.pipelines = new ImagebuilderImagePipeline(this, "pipeline", {
      forEach: each,
      name: `${prefix}-${each.key}`,
      description: "self-runners baked runner image",
      imageRecipeArn: Fn.lookupNested(recipe, [each.key, "arn"]),
      infrastructureConfigurationArn: Fn.lookupNested(infrastructure, [each.key, "arn"]),
      distributionConfigurationArn: Fn.lookupNested(distribution, [each.key, "arn"]),
      // Build on every tick, not only when the parent AMI changed: the runner release and the
      // pre-pulled images move on their own.
      schedule: { scheduleExpression: each.getString("schedule"), pipelineExecutionStartCondition: "EXPRESSION_MATCH_ONLY" },
      tags,
    });
  }

  /** The build instance role's id (index 0: the role has a count). */
  get roleId(): string {
    return Fn.lookupNested(this.role.fqn, ["0", "id"]);
  }

  /** Pipeline ARN per image key. */
  get pipelineArns(): string {
    return TerraformIterator.fromResources(this.pipelines).forExpressionForMap("key", "val.arn") as unknown as string;
  }

  /** The SSM parameter per image key that receives the newest AMI id. */
  get parameterNames(): string {
    return TerraformIterator.fromResources(this.distributions).forExpressionForMap("key", "one(one(val.distribution).ssm_parameter_configuration).parameter_name") as unknown as string;
  }

  private kmsKeyId(props: RunnerImagesProps): string | undefined {
    if (props.kmsKeyArn === undefined) return undefined;
    const inUse = props.kmsKeyInUse ?? true;
    if (!Token.isUnresolved(inUse)) return inUse ? props.kmsKeyArn : undefined;
    // null leaves the default EBS key to Image Builder.
    return Token.asString(Fn.conditional(inUse, props.kmsKeyArn, null));
  }

  /**
   * The build instance's policy, written out instead of the AWS managed EC2InstanceProfileForImageBuilder
   * and AmazonSSMManagedInstanceCore (the latter reads every SSM parameter): what Image Builder's
   * orchestration through SSM needs, its components and AWSTOE from its own buckets, and the runner
   * archive from the kit's bucket.
   */
  private buildInstancePolicy(props: RunnerImagesProps): string {
    const { context } = props;
    return policyDocument([
      {
        Sid: "RegisterWithSsm",
        Action: ["ssm:UpdateInstanceInformation", "ssm:ListInstanceAssociations", "ssm:UpdateInstanceAssociationStatus"],
        Resource: context.arn("ec2", "instance/*"),
      },
      {
        // ssmmessages and ec2messages have no resource types; the condition keeps them to instance credentials.
        Sid: "ImageBuilderOrchestration",
        Action: [
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
          "ec2messages:AcknowledgeMessage",
          "ec2messages:DeleteMessage",
          "ec2messages:FailMessage",
          "ec2messages:GetEndpoint",
          "ec2messages:GetMessages",
          "ec2messages:SendReply",
        ],
        Resource: "*",
        Condition: { Null: { "ec2:SourceInstanceARN": "false" } },
      },
      { Sid: "ReadComponents", Action: ["imagebuilder:GetComponent"], Resource: context.arn("imagebuilder", `component/${props.prefix}-*`) },
      { Sid: "ReadImageBuilderTools", Action: ["s3:GetObject"], Resource: `arn:${context.partition}:s3:::ec2imagebuilder*` },
      { Sid: "ReadRunnerBinaries", Action: ["s3:GetObject"], Resource: `${props.binariesBucketArn}/${props.binaries.prefix}*` },
    ]);
  }
}
