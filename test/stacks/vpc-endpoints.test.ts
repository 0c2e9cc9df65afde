import { describe, expect, it } from "vitest";
import { TerraformOutput, TerraformVariable } from "../../stacks/cdktf.js";
import { AwsContext } from "../../stacks/aws-context.js";
import { SelfRunnersValidationError } from "../../stacks/errors.js";
import { VpcEndpoints, type VpcEndpointsProps } from "../../stacks/vpc-endpoints.js";
import { resourceOf, synthJson, testStack, type SynthesizedStack } from "../helpers/synth.js";

const SUBNETS = ["subnet-0aaaaaaaaaaaaaaa2", "subnet-0bbbbbbbbbbbbbbb2"];
const TABLES = ["rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb1"];

function synthEndpoints(props: Partial<VpcEndpointsProps> = {}): SynthesizedStack {
  const { stack } = testStack();
  const endpoints = new VpcEndpoints(stack, "endpoints", { prefix: "ci", vpcId: "vpc-0123456789abcdef0", context: new AwsContext(stack, "current"), subnetIds: SUBNETS, routeTableIds: TABLES, ...props });
  new TerraformOutput(stack, "ids", { value: endpoints.endpointIds });
  new TerraformOutput(stack, "sg", { value: endpoints.securityGroupId });
  return synthJson(stack);
}

describe("VpcEndpoints with literal props", () => {
  it("creates one interface endpoint per service with private DNS, in the given subnets, behind its own security group", () => {
    const synth = synthEndpoints();
    const endpoint = resourceOf(synth, "aws_vpc_endpoint", "interface");
    expect(endpoint).toMatchObject({
      for_each: '${toset(["sqs", "ssm", "ec2", "logs", "sts", "kms"])}',
      vpc_endpoint_type: "Interface",
      private_dns_enabled: true,
      subnet_ids: SUBNETS,
      vpc_id: "vpc-0123456789abcdef0",
      tags: { Name: "ci-${each.value}" },
    });
    expect(endpoint.service_name).toMatch(/^com\.amazonaws\.\$\{data\.aws_region\.[^}]+\.id\}\.\$\{each\.value\}$/);
    expect(endpoint.security_group_ids).toEqual([expect.stringMatching(/^\$\{aws_security_group\..*\["0"\]\.id\}$/)]);
  });

  it("admits only HTTPS, from every CIDR block of the VPC, and allows no egress", () => {
    const sg = resourceOf(synthEndpoints(), "aws_security_group", "endpoints");
    expect(sg.count).toBe(1);
    expect(sg.ingress).toEqual([
      expect.objectContaining({ protocol: "tcp", from_port: 443, to_port: 443, security_groups: [], cidr_blocks: expect.stringMatching(/^\$\{\[ for key, val in toset\(data\.aws_vpc\.[^[]+\["0"\]\.cidr_block_associations\): val\.cidr_block\]\}$/) }),
    ]);
    expect(sg).not.toHaveProperty("egress");
  });

  it("admits the given security groups instead of the VPC CIDR blocks", () => {
    const sg = resourceOf(synthEndpoints({ sourceSecurityGroupIds: ["sg-0123456789abcdef0"] }), "aws_security_group", "endpoints");
    expect(sg.ingress).toEqual([expect.objectContaining({ cidr_blocks: [], security_groups: ["sg-0123456789abcdef0"] })]);
  });

  it("puts the DynamoDB gateway endpoint on the route tables, and S3 when asked", () => {
    expect(resourceOf(synthEndpoints(), "aws_vpc_endpoint", "gateway")).toMatchObject({ for_each: '${toset(["dynamodb", "s3"])}', vpc_endpoint_type: "Gateway", route_table_ids: TABLES });
    expect(resourceOf(synthEndpoints({ gatewayServices: ["dynamodb"] }), "aws_vpc_endpoint", "gateway").for_each).toBe('${toset(["dynamodb"])}');
  });

  it("creates no gateway endpoint without route tables", () => {
    expect(resourceOf(synthEndpoints({ routeTableIds: [] }), "aws_vpc_endpoint", "gateway").for_each).toBe("${toset([])}");
  });

  it("creates nothing and outputs empty values when disabled", () => {
    const synth = synthEndpoints({ enabled: false, subnetIds: [] });
    expect(resourceOf(synth, "aws_security_group", "endpoints").count).toBe(0);
    expect(resourceOf(synth, "aws_vpc_endpoint", "interface").for_each).toBe("${toset([])}");
    expect(resourceOf(synth, "aws_vpc_endpoint", "gateway").for_each).toBe("${toset([])}");
    expect(synth.output?.sg.value).toMatch(/^\$\{try\(aws_security_group\..*\["0"\]\.id, ""\)\}$/);
  });
});

describe("VpcEndpoints with module variables", () => {
  it("switches everything with one bool and checks the subnets in a precondition", () => {
    const { stack } = testStack();
    const on = new TerraformVariable(stack, "on", { type: "bool" });
    const subnets = new TerraformVariable(stack, "subnets", { type: "list(string)" });
    new VpcEndpoints(stack, "endpoints", { prefix: "ci", vpcId: "vpc-0123456789abcdef0", context: new AwsContext(stack, "current"), enabled: on.booleanValue as unknown as boolean, subnetIds: subnets.listValue });
    const synth = synthJson(stack);
    const sg = resourceOf(synth, "aws_security_group", "endpoints");
    expect(sg.count).toBe("${var.on ? 1 : 0}");
    expect(JSON.stringify(sg.lifecycle)).toContain("(length(var.subnets) >= 1)");
    expect(resourceOf(synth, "aws_vpc_endpoint", "interface").for_each).toBe('${toset(var.on ? ["sqs", "ssm", "ec2", "logs", "sts", "kms"] : [])}');
  });
});

describe("VpcEndpoints validation", () => {
  const cases: [string, Partial<VpcEndpointsProps>, RegExp][] = [
    ["a subnet id is malformed", { subnetIds: ["subnet-x"] }, /invalid subnetIds \["subnet-x"\]; allowed: subnet ids/],
    ["a route table id is malformed", { routeTableIds: ["rt-1"] }, /invalid routeTableIds \["rt-1"\]; allowed: route table ids/],
    ["an interface service is a full service name", { interfaceServices: ["com.amazonaws.eu-west-1.sqs "] }, /invalid interfaceServices/],
    ["a gateway service has no gateway endpoint", { gatewayServices: ["sqs"] }, /invalid gatewayServices \["sqs"\]; allowed: a list of "dynamodb" and\/or "s3"/],
    ["a source security group is malformed", { sourceSecurityGroupIds: ["default"] }, /invalid sourceSecurityGroupIds/],
    ["interface endpoints have no subnet", { subnetIds: [] }, /invalid subnetIds \[\]; allowed: at least one subnet/],
  ];
  for (const [what, props, message] of cases) {
    it(`fails when ${what}`, () => {
      expect(() => synthEndpoints(props)).toThrow(SelfRunnersValidationError);
      expect(() => synthEndpoints(props)).toThrow(message);
    });
  }
});
