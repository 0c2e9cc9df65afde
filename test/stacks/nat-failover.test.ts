import { describe, expect, it } from "vitest";
import { TerraformOutput, TerraformVariable } from "../../stacks/cdktf.js";
import { AwsContext } from "../../stacks/aws-context.js";
import { SelfRunnersValidationError } from "../../stacks/errors.js";
import { NatFailover, type NatFailoverProps } from "../../stacks/nat-failover.js";
import { fakeDistDir, resourceOf, synthJson, testStack, type SynthesizedStack } from "../helpers/synth.js";

const TABLES = { "eu-west-1a": ["rtb-0aaaaaaaaaaaaaaa1"], "eu-west-1b": ["rtb-0bbbbbbbbbbbbbbb1"] };
const PROBES = { "eu-west-1a": "subnet-0aaaaaaaaaaaaaaa2", "eu-west-1b": "subnet-0bbbbbbbbbbbbbbb2" };
const distDir = fakeDistDir();

function synthFailover(props: Partial<NatFailoverProps> = {}): SynthesizedStack {
  const { stack } = testStack();
  const failover = new NatFailover(stack, "nat-failover", {
    prefix: "ci",
    vpcId: "vpc-0123456789abcdef0",
    context: new AwsContext(stack, "current"),
    zipPath: `${distDir}/lambdas/nat-failover.zip`,
    layerArn: "arn:aws:lambda:eu-west-1:123456789012:layer:shared:1",
    privateRouteTableIds: TABLES,
    probeSubnetIds: PROBES,
    ...props,
  });
  new TerraformOutput(stack, "functions", { value: failover.functionNames });
  return synthJson(stack);
}

describe("NatFailover with literal props", () => {
  it("runs one function per AZ, in that AZ's probe subnet, managing that AZ's route tables", () => {
    const fn = resourceOf(synthFailover(), "aws_lambda_function", "nat-failover");
    expect(fn).toMatchObject({
      for_each: TABLES,
      function_name: "ci-nat-failover-${each.key}",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      memory_size: 128,
      timeout: 70,
      layers: ["arn:aws:lambda:eu-west-1:123456789012:layer:shared:1"],
      vpc_config: { subnet_ids: ['${try({"eu-west-1a" = "subnet-0aaaaaaaaaaaaaaa2", "eu-west-1b" = "subnet-0bbbbbbbbbbbbbbb2"}[each.key], "")}'] },
    });
    expect((fn.environment as { variables: Record<string, unknown> }).variables).toMatchObject({
      PREFIX: "ci",
      AZ: "${each.key}",
      ROUTE_TABLE_IDS: "${jsonencode(each.value)}",
      STANDBY_NAT_GATEWAY_ID: '${try({}[each.key], "")}',
      NAT_PROBE_URLS: '${jsonencode(["https://api.github.com", "https://checkip.amazonaws.com"])}',
      NAT_PROBE_INTERVAL_SECONDS: 5,
      NAT_FAILURE_THRESHOLD: 3,
      NAT_FAILBACK_HOLD_DOWN_SECONDS: 300,
      POWERTOOLS_SERVICE_NAME: "nat-failover",
    });
    expect(String(fn.filename)).toMatch(/nat-failover\.zip$/);
  });

  it("invokes each function every minute and on EC2 stop and terminate events", () => {
    const synth = synthFailover();
    expect(resourceOf(synth, "aws_cloudwatch_event_rule", "schedule")).toMatchObject({ schedule_expression: "rate(1 minute)", name: "ci-nat-schedule-${each.key}" });
    const stateChange = resourceOf(synth, "aws_cloudwatch_event_rule", "state-change");
    expect(stateChange.event_pattern).toBe(
      '${jsonencode({"source" = ["aws.ec2"], "detail-type" = ["EC2 Instance State-change Notification"], "detail" = {"state" = ["stopping", "stopped", "shutting-down", "terminated"]}})}',
    );
    for (const kind of ["schedule", "state-change"]) {
      expect(resourceOf(synth, "aws_cloudwatch_event_target", `${kind}-target`).arn).toMatch(/^\$\{aws_lambda_function\.[^[]+\[each\.key\]\.arn\}$/);
      expect(resourceOf(synth, "aws_lambda_permission", `${kind}-invoke`)).toMatchObject({ principal: "events.amazonaws.com", action: "lambda:InvokeFunction" });
    }
  });

  it("lets the functions ReplaceRoute on the given route tables only; everything else is reading or Lambda's ENIs", () => {
    const policy = String(resourceOf(synthFailover(), "aws_iam_role_policy", "nat-failover_policy").policy);
    expect(policy).toMatch(/"Action" = \["ec2:ReplaceRoute"\], "Resource" = \["arn:[^"]+:route-table\/rtb-0aaaaaaaaaaaaaaa1", "arn:[^"]+:route-table\/rtb-0bbbbbbbbbbbbbbb1"\]/);
    expect(policy).toContain('"Action" = ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "ec2:DescribeRouteTables", "ec2:DescribeNatGateways"], "Resource" = "*"');
    expect(policy).toMatch(/"Action" = \["logs:CreateLogStream", "logs:PutLogEvents"\], "Resource" = "arn:[^"]+:log-group:\/aws\/lambda\/ci-nat-failover-\*:\*"/);
    const writes = [...policy.matchAll(/"Action" = \[([^\]]+)\]/g)].flatMap((m) => m[1].split(", ").map((a) => a.replaceAll('"', ""))).filter((a) => !/^ec2:Describe|^logs:/.test(a));
    expect(writes.sort()).toEqual(["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:ReplaceRoute", "ec2:UnassignPrivateIpAddresses"]);
  });

  it("traces with X-Ray only when asked: active mode, the tracer on, the X-Ray write permissions", () => {
    const off = synthFailover();
    expect(resourceOf(off, "aws_lambda_function", "nat-failover").tracing_config).toBeUndefined();
    expect(resourceOf(off, "aws_iam_role_policy", "nat-failover_tracing").count).toBe(0);
    const on = synthFailover({ tracing: true });
    const fn = resourceOf(on, "aws_lambda_function", "nat-failover");
    expect(fn.tracing_config).toEqual({ mode: "Active" });
    expect((fn.environment as { variables: Record<string, unknown> }).variables.POWERTOOLS_TRACE_ENABLED).toBe("true");
    expect(resourceOf(on, "aws_iam_role_policy", "nat-failover_tracing")).toMatchObject({ count: 1, policy: expect.stringContaining('"Action" = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]') });
  });

  it("passes standby gateways and probe settings to every AZ's function", () => {
    const fn = resourceOf(
      synthFailover({ standbyNatGatewayIds: { "eu-west-1a": "nat-0aaaaaaaaaaaaaaa1" }, probeTargets: ["tcp://10.0.0.10:443"], probeIntervalSeconds: 2, failureThreshold: 5, failbackHoldDownSeconds: 900 }),
      "aws_lambda_function",
      "nat-failover",
    );
    expect((fn.environment as { variables: Record<string, unknown> }).variables).toMatchObject({
      STANDBY_NAT_GATEWAY_ID: '${try({"eu-west-1a" = "nat-0aaaaaaaaaaaaaaa1"}[each.key], "")}',
      NAT_PROBE_URLS: '${jsonencode(["tcp://10.0.0.10:443"])}',
      NAT_PROBE_INTERVAL_SECONDS: 2,
      NAT_FAILURE_THRESHOLD: 5,
      NAT_FAILBACK_HOLD_DOWN_SECONDS: 900,
    });
  });

  it("creates nothing when disabled", () => {
    const synth = synthFailover({ enabled: false });
    expect(resourceOf(synth, "aws_lambda_function", "nat-failover").for_each).toEqual({});
    expect(resourceOf(synth, "aws_security_group", "nat-failover").count).toBe(0);
  });
});

describe("NatFailover with module variables", () => {
  it("checks the EC2 endpoint, the probe subnets and the standby AZs in preconditions", () => {
    const { stack } = testStack();
    const map = (name: string, type: string) => new TerraformVariable(stack, name, { type }).value;
    new NatFailover(stack, "nat-failover", {
      prefix: "ci",
      vpcId: "vpc-0123456789abcdef0",
      context: new AwsContext(stack, "current"),
      zipPath: `${distDir}/lambdas/nat-failover.zip`,
      layerArn: "arn:aws:lambda:eu-west-1:123456789012:layer:shared:1",
      privateRouteTableIds: map("tables", "map(list(string))"),
      probeSubnetIds: map("probes", "map(string)"),
      standbyNatGatewayIds: map("standby", "map(string)"),
      ec2ApiReachable: new TerraformVariable(stack, "ec2", { type: "bool" }).booleanValue as unknown as boolean,
    });
    const conditions = (resourceOf(synthJson(stack), "aws_security_group", "nat-failover").lifecycle as { precondition: Array<{ condition: string }> }).precondition.map((p) => p.condition);
    expect(conditions).toEqual([
      "${var.ec2}",
      "${(length(setsubtract(keys(var.tables), keys(var.probes))) < 1)}",
      "${(length(setsubtract(keys(var.standby), keys(var.tables))) < 1)}",
    ]);
  });
});

describe("NatFailover validation", () => {
  const cases: [string, Partial<NatFailoverProps>, RegExp][] = [
    ["the EC2 API is not reachable without the NAT", { ec2ApiReachable: false }, /invalid ec2ApiReachable false/],
    ["an AZ has no probe subnet", { probeSubnetIds: { "eu-west-1a": "subnet-0aaaaaaaaaaaaaaa2" } }, /invalid probeSubnetIds .*; allowed: a subnet for every AZ of privateRouteTableIds/],
    ["a probe target is plain HTTP", { probeTargets: ["http://example.com"] }, /invalid probeTargets \["http:\/\/example.com"\]/],
    ["there is no probe target", { probeTargets: [] }, /invalid probeTargets \[\]/],
    ["the probe interval is 1 second", { probeIntervalSeconds: 1 }, /invalid probeIntervalSeconds 1; allowed: a whole number from 2 to 30/],
    ["the failure threshold is 0", { failureThreshold: 0 }, /invalid failureThreshold 0; allowed: a whole number from 1 to 20/],
    ["the hold-down is 10 seconds", { failbackHoldDownSeconds: 10 }, /invalid failbackHoldDownSeconds 10; allowed: a whole number from 30 to 86400/],
    ["a standby gateway id is not a NAT Gateway", { standbyNatGatewayIds: { "eu-west-1a": "igw-0aaaaaaaaaaaaaaa1" } }, /invalid standbyNatGatewayIds/],
  ];
  for (const [what, props, message] of cases) {
    it(`fails when ${what}`, () => {
      expect(() => synthFailover(props)).toThrow(SelfRunnersValidationError);
      expect(() => synthFailover(props)).toThrow(message);
    });
  }
});
