import { Construct } from "constructs";
import { Fn, Op, TerraformIterator, Token } from "./cdktf.js";
import { DataAwsAmi, IamInstanceProfile, IamRole, IamRolePolicy, LaunchTemplate, SecurityGroup } from "./aws.js";
import type { AwsContext } from "./aws-context.js";
import { checkProps } from "./errors.js";
import { SHARED_INPUTS } from "./module/shared-rules.js";
import { assumeRolePolicy, policyDocument } from "./private/iam.js";
import type { NodejsFunction } from "./nodejs-function.js";
import { amiArchitectureHcl, type PoolMap } from "./pools.js";
import { ROOT_DEVICE_NAMES } from "./pools-os.js";
import { runnerBootstrapScript } from "./runner-bootstrap.js";
import type { CacheBootstrapSettings } from "./build-cache/cache-clients.js";
import type { RunnerBinariesLocation } from "./runner-binaries.js";
import { MINIMUM_RUNNER_VERSION } from "../contracts/runner-binaries.js";
import { mergeTags } from "./private/tags.js";
import { countIf, isEmptyString } from "./private/conditions.js";
import { launchableInstanceTypes } from "./pools-instance-requirements.js";
import { runnerVolumes } from "./runner-volumes.js";
import { POOL_CUSTOMIZATION_KEY_FORMAT } from "../contracts/pool-customization.js";
import { RUNNER_TAGS } from "../contracts/tags.js";
import { runnerLaunchStatements, runnerNetworkArns, runnerTerminateStatements, sessionManagerStatements } from "./private/runner-fleet-policies.js";
import { RunnerPoolRoles, poolsWithOwnRole } from "./runner-pool-roles.js";

/** The tag every runner instance carries; IAM conditions on terminate key on it. */
export const KIT_TAG = RUNNER_TAGS.prefix;

/** Props of {@link RunnerFleet}. */
export interface RunnerFleetProps {
  /** Name prefix for the role, security group and launch templates (`<prefix>-<pool>`). */
  readonly prefix: string;
  /** The runner pools; one launch template each. */
  readonly pools: PoolMap;
  /** VPC of the runner subnets. */
  readonly vpcId: string;
  /** Partition, region and account. */
  readonly context: AwsContext;
  /** Name of the runners table the bootstrap reads its configuration from. */
  readonly runnersTableName: string;
  /** Where instances download the runner from ({@link RunnerBinaries.location}); never from GitHub. */
  readonly binaries: RunnerBinariesLocation;
  /**
   * A runner baked into the AMI older than this is replaced from the bucket at boot.
   * @default MINIMUM_RUNNER_VERSION (contracts/runner-binaries.ts)
   */
  readonly minimumRunnerVersion?: string;
  /**
   * Minutes after boot at which a runner that has not started a job shuts itself down.
   * @default 30
   */
  readonly idleTimeoutMinutes?: number;
  /**
   * Seconds an instance waits for its just-in-time configuration.
   * @default 600
   */
  readonly bootTimeoutSeconds?: number;
  /**
   * Give runners a public IP (only for public subnets without NAT).
   * @default false
   */
  readonly associatePublicIpAddress?: boolean;
  /**
   * Let operators open Session Manager shells on runners: a Session-Manager-only inline policy.
   * @default false
   */
  readonly enableSsmSessions?: boolean;
  /**
   * Ubuntu runners without an AWS CLI on the AMI may download AWS's installer from the internet when the
   * bucket has no copy for their architecture.
   * @default false
   */
  readonly awsCliInternetFallback?: boolean;
  /**
   * Log group the runners ship their logs to with the CloudWatch agent ({@link RunnerLogs.shippedTo});
   * empty: no agent. Grant the role with {@link RunnerLogs.grantWrite}.
   * @default "" (runner logs off)
   */
  readonly runnerLogGroupName?: string;
  /**
   * The build cache agent the bootstrap starts (stacks/build-cache/cache-clients.ts); grant the role with
   * {@link BuildCache.grantRunner}.
   * @default - no build cache
   */
  readonly buildCache?: CacheBootstrapSettings;
  /**
   * Tags for every resource and, through the launch templates, for the runner instances, their volumes
   * and network interfaces (with `self-runners:prefix` and `self-runners:pool`).
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * What runners are launched from: a security group with egress only, an instance role with nothing but
 * access to its own configuration item (and a role of its own for each pool with `extra_iam_policy_arns`,
 * {@link RunnerPoolRoles}), and one launch template per pool (IMDSv2 required, encrypted gp3 root volume,
 * no public IP unless asked, shutdown behaviour "terminate").
 */
export class RunnerFleet extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly role: IamRole;
  readonly instanceProfile: IamInstanceProfile;
  /** The pools' own roles; undefined when the pools are literal and none sets `extra_iam_policy_arns`. */
  readonly poolRoles: RunnerPoolRoles | undefined;
  readonly launchTemplates: LaunchTemplate;
  /** The AMIs of the pools that name theirs with `ami_name_filter` (newest match, looked up at plan). */
  readonly filteredAmis: DataAwsAmi;
  private readonly prefix: string;
  private readonly context: AwsContext;
  private readonly pools: PoolMap;

  /** Partition, region and account of the policies' ARNs. */
  private get account(): { partition: string; region: string; accountId: string } {
    const { partition, region, accountId } = this.context;
    return { partition, region, accountId };
  }

  constructor(scope: Construct, id: string, props: RunnerFleetProps) {
    super(scope, id);
    checkProps(this.node.path, [
      { prop: "vpcId", value: props.vpcId, rule: SHARED_INPUTS.vpcId.rule },
      { prop: "idleTimeoutMinutes", value: props.idleTimeoutMinutes, rule: SHARED_INPUTS.runnerIdleTimeoutMinutes.rule },
      { prop: "bootTimeoutSeconds", value: props.bootTimeoutSeconds, rule: SHARED_INPUTS.runnerBootTimeoutSeconds.rule },
    ]);
    this.prefix = props.prefix;
    this.context = props.context;
    this.pools = props.pools;
    const tags = props.tags ?? {};

    this.securityGroup = new SecurityGroup(this, "security-group", {
      name: `${props.prefix}-runners`,
      description: "self-runners runner instances: no inbound, all outbound",
      vpcId: props.vpcId,
      egress: [
        { description: "All outbound (GitHub, package registries, AWS APIs)", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
      ],
      tags: mergeTags(tags, { Name: `${props.prefix}-runners` }),
    });
    this.role = new IamRole(this, "role", {
      name: `${props.prefix}-runner`,
      assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"),
      tags,
    });
    // Session Manager only, never AmazonSSMManagedInstanceCore (see sessionManagerStatements).
    new IamRolePolicy(this, "ssm-sessions", {
      count: countIf(props.enableSsmSessions ?? false),
      role: this.role.id,
      name: "ssm-sessions",
      policy: policyDocument(sessionManagerStatements(props.context, props.vpcId)),
    });
    this.instanceProfile = new IamInstanceProfile(this, "instance-profile", {
      name: `${props.prefix}-runner`,
      role: this.role.name,
      tags,
    });
    const withRole = poolsWithOwnRole(props.pools);
    this.poolRoles =
      Token.isUnresolved(withRole) || Object.keys(withRole).length > 0 ? new RunnerPoolRoles(this, "pool", { prefix: props.prefix, pools: props.pools, sharedRole: this.role, tags }) : undefined;

    const pools = TerraformIterator.fromMap(props.pools);
    const userData = runnerBootstrapScript(this, {
      tableName: props.runnersTableName,
      region: props.context.region,
      binariesBucket: props.binaries.bucketName,
      binariesPrefix: props.binaries.prefix,
      minimumRunnerVersion: props.minimumRunnerVersion ?? MINIMUM_RUNNER_VERSION,
      architecture: pools.getString("architecture"),
      idleTimeoutMinutes: props.idleTimeoutMinutes ?? SHARED_INPUTS.runnerIdleTimeoutMinutes.default,
      bootTimeoutSeconds: props.bootTimeoutSeconds ?? SHARED_INPUTS.runnerBootTimeoutSeconds.default,
      pool: pools.key,
      logGroupName: props.runnerLogGroupName ?? "",
      buildCache: props.buildCache,
      customizationKey: Fn.format(POOL_CUSTOMIZATION_KEY_FORMAT, [pools.key]),
      awsCliInternetFallback: props.awsCliInternetFallback ?? false,
      os: pools.getString("os"),
      linuxDistribution: pools.getString("linux_distribution"),
    });
    const filtered = TerraformIterator.fromMap(TerraformIterator.fromMap(props.pools).forExpressionForMap("key", 'val if val.ami_name_filter != ""'));
    this.filteredAmis = new DataAwsAmi(this, "ami", {
      forEach: filtered,
      mostRecent: true,
      owners: filtered.getList("ami_owners"),
      filter: [
        { name: "name", values: [filtered.getString("ami_name_filter")] },
        { name: "architecture", values: [amiArchitectureHcl(filtered.getString("architecture"))] },
      ],
    });
    // An owner + name filter wins over the SSM parameter (the pool rules allow only one of them).
    const imageId = Fn.conditional(
      isEmptyString(pools.getString("ami_name_filter")),
      `resolve:ssm:${pools.getString("ami_ssm_parameter")}`,
      Fn.lookup(TerraformIterator.fromResources(this.filteredAmis).forExpressionForMap("key", "val.id"), pools.key),
    );
    const ubuntuOrWindows = Op.or(Op.eq(pools.getString("os"), "windows"), Fn.startswith(pools.getString("linux_distribution"), "ubuntu"));
    const rootDeviceName = Fn.conditional(ubuntuOrWindows, ROOT_DEVICE_NAMES.windows, ROOT_DEVICE_NAMES.al2023);
    const resourceTags = mergeTags(tags, { [KIT_TAG]: props.prefix, [RUNNER_TAGS.pool]: pools.key });
    this.launchTemplates = new LaunchTemplate(this, "launch-template", {
      forEach: pools,
      name: `${props.prefix}-${pools.key}`,
      description: "self-runners ephemeral runner",
      imageId: Token.asString(imageId),
      // The pool's own profile when it has one (extra_iam_policy_arns), else the shared one.
      iamInstanceProfile: {
        arn: this.poolRoles === undefined ? this.instanceProfile.arn : Token.asString(Fn.lookup(this.poolRoles.instanceProfileArnsByPool, pools.key, this.instanceProfile.arn)),
      },
      instanceInitiatedShutdownBehavior: "terminate",
      updateDefaultVersion: true,
      userData: Fn.base64encode(userData),
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        // Default 2: job containers reach IMDSv2 through the docker bridge; 1 cuts them off.
        httpPutResponseHopLimit: pools.getNumber("metadata_hop_limit"),
        instanceMetadataTags: "disabled",
      },
      blockDeviceMappings: runnerVolumes(pools, Token.asString(rootDeviceName)),
      networkInterfaces: [
        {
          deviceIndex: 0,
          associatePublicIpAddress: Token.asString(props.associatePublicIpAddress ?? false),
          securityGroups: Fn.concat([[this.securityGroup.id], pools.getList("extra_security_group_ids")]) as unknown as string[],
          deleteOnTermination: "true",
        },
      ],
      // The user's tags reach the instances (the largest cost line); scale-up adds the per-job tags at launch.
      tagSpecifications: [
        { resourceType: "instance", tags: resourceTags },
        { resourceType: "volume", tags: resourceTags },
        { resourceType: "network-interface", tags: resourceTags },
      ],
      tags: resourceTags,
    });
  }

  /** ARNs of every instance profile runners launch with: the shared one and the pools' own. */
  get instanceProfileArns(): string[] {
    if (this.poolRoles === undefined) return [this.instanceProfile.arn];
    return Fn.concat([[this.instanceProfile.arn], Fn.values(this.poolRoles.instanceProfileArnsByPool)]) as unknown as string[];
  }

  /** ARNs of every runner role: the shared one and the pools' own. */
  get roleArns(): string[] {
    if (this.poolRoles === undefined) return [this.role.arn];
    return Fn.concat([[this.role.arn], Fn.values(this.poolRoles.roleArnsByPool)]) as unknown as string[];
  }

  /** Map pool -> launch template id. */
  get launchTemplateIds(): string {
    return TerraformIterator.fromResources(this.launchTemplates).forExpressionForMap("key", "val.id") as unknown as string;
  }

  /**
   * Lets `fn` launch and tag runners and terminate its own. Launching (ec2:CreateFleet, ec2:RunInstances)
   * is allowed only from this fleet's launch templates (`ec2:LaunchTemplate` on every resource), into the
   * pools' subnets with the runner security group, for instances, volumes and network interfaces requested
   * with the kit's tag (`aws:RequestTag/self-runners:prefix`); instances only with the runner instance
   * profile (or a pool's own), IMDSv2 required and an instance type a pool may launch (its list, its
   * `allowed_instance_types` patterns, or any type for an attribute-based pool without them); images only as the template names them. Also:
   * ec2:CreateTags (while launching, with the kit's tag; and the Name tag of the kit's instances),
   * ec2:Describe{Instances,LaunchTemplates,LaunchTemplateVersions,Images,Subnets,InstanceTypeOfferings},
   * ssm:GetParameters (public AMI parameters), iam:PassRole (the runner roles, to EC2 only),
   * iam:CreateServiceLinkedRole (the spot and EC2 Fleet roles only), ec2:TerminateInstances (instances
   * tagged with this kit's prefix and running with a runner instance profile only).
   */
  grantLaunch(fn: NodejsFunction): void {
    fn.addToRolePolicy(
      "launch-runners",
      runnerLaunchStatements({
        ...this.account,
        prefix: this.prefix,
        launchTemplateArns: this.launchTemplateArns,
        instanceProfileArns: this.instanceProfileArns,
        roleArns: this.roleArns,
        networkArns: runnerNetworkArns(this.context, this.pools, this.securityGroup.id),
        instanceTypes: launchableInstanceTypes(this.pools),
      }),
    );
    this.grantTerminate(fn, "terminate-runners-launch");
  }

  /** ARNs of this fleet's launch templates (one per pool). */
  private get launchTemplateArns(): string[] {
    return Fn.values(TerraformIterator.fromResources(this.launchTemplates).forExpressionForMap("key", "val.arn")) as unknown as string[];
  }

  /**
   * Lets `fn` read the EC2 status checks of runners: ec2:DescribeInstanceStatus (a Describe action,
   * which IAM cannot scope to resources or tags; the reconciler asks by the kit's instance ids).
   */
  grantReadStatus(fn: NodejsFunction): void {
    fn.addToRolePolicy("read-instance-status", [{ Sid: "ReadRunnerStatusChecks", Action: ["ec2:DescribeInstanceStatus"], Resource: "*" }]);
  }

  /**
   * Lets `fn` find and terminate this kit's runners: ec2:DescribeInstances, and ec2:TerminateInstances
   * on instances tagged `self-runners:prefix = <prefix>` that run with a runner instance profile (the shared
   * one or a pool's own) only.
   */
  grantTerminate(fn: NodejsFunction, policyName = "terminate-runners"): void {
    fn.addToRolePolicy(policyName, runnerTerminateStatements({ ...this.account, prefix: this.prefix, instanceProfileArns: this.instanceProfileArns }));
  }
}
