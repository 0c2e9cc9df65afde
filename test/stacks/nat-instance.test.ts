import { beforeAll, describe, expect, it } from "vitest";
import { TerraformOutput } from "../../stacks/cdktf.js";
import { AwsContext } from "../../stacks/aws-context.js";
import { SelfRunnersValidationError } from "../../stacks/errors.js";
import { NAT_TAG, NatInstances, architectureOf, type NatInstancesProps } from "../../stacks/nat-instance.js";
import { KIT_TAG } from "../../stacks/runner-fleet.js";
import { SelfRunners } from "../../stacks/self-runners.js";
import { fakeDistDir, minimalProps, resourceOf, synthJson, testStack, type SynthesizedStack } from "../helpers/synth.js";

const SUBNETS = { "eu-west-1a": "subnet-0aaaaaaaaaaaaaaa1", "eu-west-1b": "subnet-0bbbbbbbbbbbbbbb1" };
const TABLES = { "eu-west-1a": ["rtb-0aaaaaaaaaaaaaaa1", "rtb-0aaaaaaaaaaaaaaa2"], "eu-west-1b": ["rtb-0bbbbbbbbbbbbbbb1"] };
const PROBES = { "eu-west-1a": "subnet-0aaaaaaaaaaaaaaa2", "eu-west-1b": "subnet-0bbbbbbbbbbbbbbb2" };

function synthNat(props: Partial<NatInstancesProps> = {}): SynthesizedStack {
  const { stack } = testStack();
  const nat = new NatInstances(stack, "nat", { prefix: "ci", vpcId: "vpc-0123456789abcdef0", context: new AwsContext(stack, "current"), subnetIds: SUBNETS, privateRouteTableIds: TABLES, ...props });
  new TerraformOutput(stack, "groups", { value: nat.autoscalingGroupNames });
  new TerraformOutput(stack, "sg", { value: nat.securityGroupId });
  return synthJson(stack);
}

describe("NatInstances with literal props", () => {
  it("runs one Auto Scaling group of exactly one instance per AZ, in that AZ's public subnet", () => {
    const asg = resourceOf(synthNat(), "aws_autoscaling_group", "nat");
    expect(asg).toMatchObject({
      for_each: SUBNETS,
      name: "ci-nat-${each.key}",
      min_size: 1,
      max_size: 1,
      desired_capacity: 1,
      vpc_zone_identifier: ["${each.value}"],
      health_check_type: "EC2",
      launch_template: { version: "$Latest" },
      instance_refresh: { strategy: "Rolling", preferences: { min_healthy_percentage: 100, max_healthy_percentage: 200 } },
    });
    expect((asg.launch_template as { id: string }).id).toMatch(/^\$\{aws_launch_template\.[^[]+\[each\.key\]\.id\}$/);
  });

  it("launches hardened instances: IMDSv2 required, encrypted root volume, AL2023 from SSM, public address for the internet gateway", () => {
    const lt = resourceOf(synthNat(), "aws_launch_template", "nat");
    expect(lt).toMatchObject({
      instance_type: "c6gn.medium",
      metadata_options: { http_tokens: "required", http_put_response_hop_limit: 1, http_endpoint: "enabled" },
      block_device_mappings: [{ device_name: "/dev/xvda", ebs: { encrypted: "true", volume_type: "gp3", delete_on_termination: "true" } }],
      network_interfaces: [{ device_index: 0, associate_public_ip_address: "true" }],
    });
    expect(lt.image_id).toBe('resolve:ssm:${format("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-%s", "arm64")}');
  });

  it("tags NAT instances self-runners:nat and never self-runners:prefix, which the reconciler reaps", () => {
    const specs = resourceOf(synthNat({ tags: { team: "platform" } }), "aws_launch_template", "nat").tag_specifications as Array<{ resource_type: string; tags: Record<string, string> }>;
    expect(specs.map((s) => s.resource_type)).toEqual(["instance", "volume", "network-interface"]);
    for (const spec of specs) {
      expect(spec.tags).toEqual({ team: "platform", [NAT_TAG]: "ci", Name: "ci-nat-${each.key}" });
      expect(spec.tags).not.toHaveProperty(KIT_TAG);
    }
  });

  it("hands each instance its own AZ's route tables in the boot script", () => {
    const userData = String(resourceOf(synthNat(), "aws_launch_template", "nat").user_data);
    expect(userData).toContain('join(" ", lookup({"eu-west-1a" = ["rtb-0aaaaaaaaaaaaaaa1", "rtb-0aaaaaaaaaaaaaaa2"], "eu-west-1b" = ["rtb-0bbbbbbbbbbbbbbb1"]}, each.key, []))');
    // The script itself is a template file (test/stacks/nat-bootstrap.test.ts runs it).
    expect(userData).toMatch(/templatefile\("assets\/[^"]+\/nat-bootstrap\.sh\.tftpl"/);
  });

  it("lets the instance role only switch off the check of NAT-tagged instances with the NAT profile, read route tables and set routes of the given tables", () => {
    const policy = String(resourceOf(synthNat(), "aws_iam_role_policy", "nat").policy);
    expect(policy).toMatch(/"Sid" = "SwitchOffOwnSourceDestCheck", "Action" = \["ec2:ModifyInstanceAttribute"\], "Resource" = "arn:[^"]+:instance\/\*", "Condition" = \{"StringEquals" = \{"ec2:ResourceTag\/self-runners:nat" = "ci"\}, "ArnEquals" = \{"ec2:InstanceProfile" = "arn:[^"]+:iam::[^"]+:instance-profile\/ci-nat"\}\}/);
    expect(policy).toContain('"Sid" = "ReadRouteTables", "Action" = ["ec2:DescribeRouteTables"], "Resource" = "*"');
    expect(policy).toMatch(/"Sid" = "ClaimPrivateRoutes", "Action" = \["ec2:CreateRoute", "ec2:ReplaceRoute"\], "Resource" = \["arn:[^"]+:route-table\/rtb-0aaaaaaaaaaaaaaa1", "arn:[^"]+:route-table\/rtb-0aaaaaaaaaaaaaaa2", "arn:[^"]+:route-table\/rtb-0bbbbbbbbbbbbbbb1"\]/);
    expect(policy.match(/"Effect" = "Allow"/g)).toHaveLength(3);
    expect(String(resourceOf(synthNat(), "aws_iam_role", "nat").assume_role_policy)).toContain('"Service" = "ec2.amazonaws.com"');
  });

  it("admits only TCP, UDP and ICMP from the VPC's CIDR blocks and allows all egress", () => {
    const sg = resourceOf(synthNat(), "aws_security_group", "nat");
    const fromVpc = expect.stringContaining("cidr_block_associations): val.cidr_block]");
    expect(sg.ingress).toEqual([
      expect.objectContaining({ protocol: "tcp", from_port: 0, to_port: 65535, cidr_blocks: fromVpc }),
      expect.objectContaining({ protocol: "udp", from_port: 0, to_port: 65535, cidr_blocks: fromVpc }),
      expect.objectContaining({ protocol: "icmp", from_port: -1, to_port: -1, cidr_blocks: fromVpc }),
    ]);
    expect(sg.egress).toEqual([expect.objectContaining({ protocol: "-1", cidr_blocks: ["0.0.0.0/0"] })]);
  });

  it("picks the x86_64 AMI for x86 instance types", () => {
    expect(resourceOf(synthNat({ instanceType: "c7i.large" }), "aws_launch_template", "nat").image_id).toContain('"x86_64"');
  });

  it("creates nothing when disabled", () => {
    const synth = synthNat({ enabled: false, subnetIds: {}, privateRouteTableIds: {} });
    expect(resourceOf(synth, "aws_autoscaling_group", "nat").for_each).toEqual({});
    expect(resourceOf(synth, "aws_launch_template", "nat").for_each).toEqual({});
    expect(resourceOf(synth, "aws_security_group", "nat").count).toBe(0);
    expect(resourceOf(synth, "aws_iam_role", "nat").count).toBe(0);
  });
});

describe("architectureOf", () => {
  it("tells Graviton instance families from the others", () => {
    const arm = ["c6gn.medium", "c7gn.large", "t4g.nano", "m7gd.xlarge", "x2gd.large", "im4gn.large"];
    const x86 = ["c7i.large", "m5.large", "g5.xlarge", "g4dn.xlarge", "m7i-flex.large", "c5n.large"];
    expect(arm.map(architectureOf)).toEqual(arm.map(() => "arm64"));
    expect(x86.map(architectureOf)).toEqual(x86.map(() => "x86_64"));
  });
});

describe("NatInstances validation", () => {
  const cases: [string, Partial<NatInstancesProps>, RegExp][] = [
    ["subnets are keyed by zone id", { subnetIds: { "euw1-az1": "subnet-0aaaaaaaaaaaaaaa1" } }, /invalid subnetIds \{"euw1-az1":"subnet-0aaaaaaaaaaaaaaa1"\}; allowed: a map of availability zone names/],
    ["a route table id is malformed", { privateRouteTableIds: { "eu-west-1a": ["rtb-x"] } }, /invalid privateRouteTableIds/],
    ["an AZ with route tables has no NAT instance", { privateRouteTableIds: { ...TABLES, "eu-west-1c": ["rtb-0ccccccccccccccc1"] } }, /allowed: at least one route table, and only AZs that have a NAT instance/],
    ["there is no route table", { privateRouteTableIds: {} }, /allowed: at least one route table/],
    ["there is no subnet", { subnetIds: {}, privateRouteTableIds: {} }, /invalid subnetIds \{\}; allowed: at least one AZ/],
    ["the instance type is malformed", { instanceType: "nano" }, /invalid instanceType "nano"/],
  ];
  for (const [what, props, message] of cases) {
    it(`fails when ${what}`, () => {
      expect(() => synthNat(props)).toThrow(SelfRunnersValidationError);
      expect(() => synthNat(props)).toThrow(message);
    });
  }
});

describe("NAT instances inside SelfRunners", () => {
  let distDir: string;
  beforeAll(() => {
    distDir = fakeDistDir();
  });

  it("creates no NAT, endpoint or failover resources by default", () => {
    const { stack } = testStack();
    new SelfRunners(stack, "runners", minimalProps(distDir));
    const synth = synthJson(stack);
    expect(resourceOf(synth, "aws_autoscaling_group", "nat").for_each).toEqual({});
    expect(resourceOf(synth, "aws_lambda_function", "nat-failover").for_each).toEqual({});
    expect(resourceOf(synth, "aws_vpc_endpoint", "interface").for_each).toBe("${toset([])}");
  });

  it("gives NAT instances the user's tags without the kit's self-runners:prefix tag", () => {
    const { stack } = testStack();
    new SelfRunners(stack, "runners", minimalProps(distDir, {
      prefix: "ci",
      tags: { team: "platform" },
      enableNatInstances: true,
      natInstanceSubnetIds: SUBNETS,
      natPrivateRouteTableIds: TABLES,
      natProbeSubnetIds: PROBES,
      createVpcEndpoints: true,
      vpcEndpointSubnetIds: Object.values(PROBES),
    }));
    const specs = resourceOf(synthJson(stack), "aws_launch_template", "nat").tag_specifications as Array<{ tags: Record<string, string> }>;
    expect(specs[0].tags).toEqual({ team: "platform", [NAT_TAG]: "ci", Name: "ci-nat-${each.key}" });
  });

  it("fails when NAT is on without a way to the EC2 API for the failover", () => {
    const { stack } = testStack();
    const props = minimalProps(distDir, { enableNatInstances: true, natInstanceSubnetIds: SUBNETS, natPrivateRouteTableIds: TABLES, natProbeSubnetIds: PROBES });
    expect(() => new SelfRunners(stack, "runners", props)).toThrow(/test\/runners\/nat-failover: invalid ec2ApiReachable false; allowed: true: the functions need an EC2 interface endpoint/);
  });

  it("accepts NAT without created endpoints when the VPC has its own EC2 endpoint", () => {
    const { stack } = testStack();
    const props = minimalProps(distDir, { enableNatInstances: true, natInstanceSubnetIds: SUBNETS, natPrivateRouteTableIds: TABLES, natProbeSubnetIds: PROBES, natFailoverExistingEc2Endpoint: true });
    new SelfRunners(stack, "runners", props);
    expect(resourceOf(synthJson(stack), "aws_lambda_function", "nat-failover").for_each).toEqual(TABLES);
  });
});
