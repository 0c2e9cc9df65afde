import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Construct } from "constructs";
import { SelfRunnersValidationError } from "../../stacks/errors.js";
import { inputOfProp } from "../../stacks/module/inputs.js";
import { SHARED_INPUTS, type SharedInput } from "../../stacks/module/shared-rules.js";
import { AuditTrail } from "../../stacks/audit-trail.js";
import { EncryptionKey } from "../../stacks/encryption-key.js";
import { GitHubAppSecrets } from "../../stacks/github-app-secrets.js";
import { NatFailover } from "../../stacks/nat-failover.js";
import { NatInstances } from "../../stacks/nat-instance.js";
import { NodejsFunction } from "../../stacks/nodejs-function.js";
import { ReconcileSchedule } from "../../stacks/reconcile-schedule.js";
import { RunnerFleet } from "../../stacks/runner-fleet.js";
import { VpcEndpoints } from "../../stacks/vpc-endpoints.js";
import { WebhookApi } from "../../stacks/webhook-api.js";
import { WebhookFirewall } from "../../stacks/webhook-firewall.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { testStack } from "../helpers/synth.js";

type SharedKey = keyof typeof SHARED_INPUTS;
type ConstructClass = new (scope: Construct, id: string, props: never) => Construct;

/** [construct, its source file, its prop, a value the input table refuses, the input (SelfRunners prop) it maps to]. */
const CASES: ReadonlyArray<[ConstructClass, string, string, unknown, SharedKey]> = [
  [NatFailover, "nat-failover.ts", "vpcId", "vpc-x", "vpcId"],
  [NatFailover, "nat-failover.ts", "probeTargets", ["http://example.com"], "natProbeUrls"],
  [NatFailover, "nat-failover.ts", "probeIntervalSeconds", 1, "natProbeIntervalSeconds"],
  [NatFailover, "nat-failover.ts", "failureThreshold", 0, "natFailureThreshold"],
  [NatFailover, "nat-failover.ts", "failbackHoldDownSeconds", 10, "natFailbackHoldDownSeconds"],
  [NatFailover, "nat-failover.ts", "logRetentionDays", 42, "logRetentionDays"],
  [NatInstances, "nat-instance.ts", "vpcId", "vpc-x", "vpcId"],
  [NatInstances, "nat-instance.ts", "instanceType", "large", "natInstanceType"],
  [VpcEndpoints, "vpc-endpoints.ts", "vpcId", "vpc-x", "vpcId"],
  [VpcEndpoints, "vpc-endpoints.ts", "subnetIds", ["subnet-x"], "vpcEndpointSubnetIds"],
  [VpcEndpoints, "vpc-endpoints.ts", "routeTableIds", ["rt-1"], "vpcEndpointRouteTableIds"],
  [VpcEndpoints, "vpc-endpoints.ts", "interfaceServices", ["SQS!"], "vpcEndpointServices"],
  [VpcEndpoints, "vpc-endpoints.ts", "gatewayServices", ["sqs"], "vpcEndpointGatewayServices"],
  [VpcEndpoints, "vpc-endpoints.ts", "sourceSecurityGroupIds", ["group"], "vpcEndpointSourceSecurityGroupIds"],
  [RunnerFleet, "runner-fleet.ts", "vpcId", "vpc-x", "vpcId"],
  [RunnerFleet, "runner-fleet.ts", "idleTimeoutMinutes", 1, "runnerIdleTimeoutMinutes"],
  [RunnerFleet, "runner-fleet.ts", "bootTimeoutSeconds", 30, "runnerBootTimeoutSeconds"],
  [WebhookApi, "webhook-api.ts", "throttlingRateLimit", 0, "apiThrottlingRateLimit"],
  [WebhookApi, "webhook-api.ts", "throttlingBurstLimit", 6000, "apiThrottlingBurstLimit"],
  [WebhookApi, "webhook-api.ts", "logRetentionDays", 42, "logRetentionDays"],
  [WebhookFirewall, "webhook-firewall.ts", "rateLimit", 50, "wafRateLimit"],
  [WebhookFirewall, "webhook-firewall.ts", "rateLimitWindowSeconds", 30, "wafRateLimitWindowSeconds"],
  [WebhookFirewall, "webhook-firewall.ts", "logRetentionDays", 42, "logRetentionDays"],
  [AuditTrail, "audit-trail.ts", "existingTrailArn", "arn:aws:s3:::bucket", "existingCloudTrailArn"],
  [AuditTrail, "audit-trail.ts", "glacierTransitionDays", 0, "cloudTrailGlacierAfterDays"],
  [AuditTrail, "audit-trail.ts", "retentionDays", 400.5, "cloudTrailRetentionDays"],
  [AuditTrail, "audit-trail.ts", "logRetentionDays", 42, "logRetentionDays"],
  [EncryptionKey, "encryption-key.ts", "keyArn", "arn:aws:kms:eu-west-1:123456789012:alias/runners", "kmsKeyArn"],
  [NodejsFunction, "nodejs-function.ts", "logRetentionDays", 42, "logRetentionDays"],
  [NodejsFunction, "nodejs-function.ts", "subnetIds", ["subnet-x"], "lambdaSubnetIds"],
  [NodejsFunction, "nodejs-function.ts", "securityGroupIds", ["group"], "lambdaSecurityGroupIds"],
  [GitHubAppSecrets, "github-app-secrets.ts", "privateKeyParameterName", "key", "githubAppPrivateKeySsmParameterName"],
  [GitHubAppSecrets, "github-app-secrets.ts", "webhookSecretParameterName", "secret", "webhookSecretSsmParameterName"],
  [GitHubAppSecrets, "github-app-secrets.ts", "previousWebhookSecretParameterName", "old", "webhookPreviousSecretSsmParameterName"],
  [ReconcileSchedule, "reconcile-schedule.ts", "scheduleExpression", "rate(1 day)", "reconcileScheduleExpression"],
];

/** Props that take a table default without a refusal case above: [source file, prop, input]. */
const MORE_DEFAULTS: ReadonlyArray<[string, string, SharedKey]> = [
  ["functions/reconcile-function.ts", "reservedConcurrency", "reconcileReservedConcurrency"],
  ["functions/reconcile-function.ts", "scheduleExpression", "reconcileScheduleExpression"],
  ["functions/runner-binaries-syncer-function.ts", "runnerVersion", "runnerVersion"],
  ["functions/runner-binaries-syncer-function.ts", "scheduleExpression", "runnerBinariesSyncSchedule"],
];

/** The JSON literal at the start of the `@default` of `readonly <prop>?:` in a construct's source (`"" (none)` reads as ""). */
function declaredDefault(file: string, prop: string): unknown {
  const source = readFileSync(join(REPO_ROOT, "stacks", file), "utf8");
  const text = new RegExp(`@default ([^\\n]*)\\n\\s*\\*/\\s*readonly ${prop}\\?:`).exec(source)?.[1].trim() ?? "";
  const literal = /^("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{\}|-?[0-9]+|true|false)/.exec(text)?.[1];
  return literal === undefined ? undefined : JSON.parse(literal);
}

describe("SHARED_INPUTS (stacks/module/shared-rules.ts)", () => {
  for (const [prop, shared] of Object.entries(SHARED_INPUTS) as Array<[SharedKey, (typeof SHARED_INPUTS)[SharedKey]]>) {
    it(`is the rule and default of the input table's ${prop}`, () => {
      const input = inputOfProp(prop);
      expect(input, `no input of prop ${prop}`).toBeDefined();
      expect(input?.rules).toContain(shared.rule);
      if ("default" in shared) expect(input?.default).toBe(shared.default);
    });
  }
});

describe("sub-constructs refuse what the input table refuses, in its words", () => {
  for (const [Class, , prop, value, key] of CASES) {
    it(`${Class.name} refuses ${prop} ${JSON.stringify(value)} like ${key}`, () => {
      const { stack } = testStack();
      let error: unknown;
      try {
        new Class(stack, "construct", { [prop]: value } as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SelfRunnersValidationError);
      const refusal = error as SelfRunnersValidationError;
      expect(refusal.prop).toBe(prop);
      const tableRules = inputOfProp(key)?.rules ?? [];
      expect(tableRules.map((rule) => rule.allowed)).toContain(refusal.allowed);
      expect(tableRules.some((rule) => rule.check(value))).toBe(false);
    });
  }
  for (const [file, prop, key] of [...CASES.map(([, f, p, , k]) => [f, p, k] as const), ...MORE_DEFAULTS]) {
    const shared: SharedInput = SHARED_INPUTS[key];
    if (!("default" in shared)) continue;
    it(`${file}: the JSDoc @default of ${prop} states the table's default`, () => {
      expect(declaredDefault(file, prop)).toEqual(shared.default);
    });
  }
});

describe("constructs do not restate the table's rules", () => {
  const files = [
    ...readdirSync(join(REPO_ROOT, "stacks")).filter((f) => f.endsWith(".ts")),
    ...readdirSync(join(REPO_ROOT, "stacks", "functions")).map((f) => `functions/${f}`),
  ];
  it("no construct validates through a hand-written `allowed:` range (validateProps is gone)", () => {
    const offenders = files.filter((file) => /validateProps\(|allowed: "an integer from/.test(readFileSync(join(REPO_ROOT, "stacks", file), "utf8")));
    expect(offenders).toEqual([]);
  });
  it("no construct declares a range of integerBetween(...) that a Terraform input has", () => {
    const tableRanges = new Set(
      Object.values(SHARED_INPUTS).flatMap((shared) => /^a whole number from (\d+) to (\d+)/.exec(shared.rule.allowed)?.slice(1, 3).join(",") ?? []),
    );
    const restated = files.flatMap((file) =>
      [...readFileSync(join(REPO_ROOT, "stacks", file), "utf8").matchAll(/integerBetween\((\d+), (\d+)/g)].map((m) => `${file}: ${m[1]},${m[2]}`),
    );
    expect(tableRanges.size).toBeGreaterThan(5);
    expect(restated.filter((entry) => tableRanges.has(entry.split(": ")[1]))).toEqual([]);
  });
});
