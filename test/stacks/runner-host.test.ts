import { beforeAll, describe, expect, it } from "vitest";
import { METRICS, metricsNamespace } from "../../contracts/metrics.js";
import { SelfRunners } from "../../stacks/self-runners.js";
import { fakeDistDir, minimalProps, resourceOf, resourcesOf, synthJson, testStack } from "../helpers/synth.js";

// The runner host in the composed kit: tags on instances, the runner log group and its metric filters.

let distDir: string;
beforeAll(() => {
  distDir = fakeDistDir();
});

function synth(overrides: Parameters<typeof minimalProps>[1] = {}) {
  const { stack } = testStack();
  new SelfRunners(stack, "runners", minimalProps(distDir, { prefix: "sr", ...overrides }));
  return synthJson(stack);
}

type TagSpec = { resource_type: string; tags: Record<string, string> };

describe("runner instance tags", () => {
  it("gives instances, volumes and network interfaces the user's tags plus the kit's prefix and pool", () => {
    const lt = resourceOf(synth({ tags: { CostCenter: "cc-42", team: "platform" } }), "aws_launch_template", "runner_launch-template");
    const specs = lt.tag_specifications as TagSpec[];
    expect(specs.map((s) => s.resource_type)).toEqual(["instance", "volume", "network-interface"]);
    for (const spec of specs) {
      expect(spec.tags).toEqual({ CostCenter: "cc-42", team: "platform", "self-runners:prefix": "sr", "self-runners:pool": "${each.key}" });
    }
  });
});

describe("runner logs", () => {
  it("creates /self-runners/<prefix>/runners with the kit's retention and KMS key", () => {
    const group = resourceOf(synth({ createKmsKey: true, logRetentionDays: 90 }), "aws_cloudwatch_log_group", "runner-logs_group");
    expect(group).toMatchObject({ name: "/self-runners/sr/runners", retention_in_days: 90, count: 1 });
    expect(String(group.kms_key_id)).toContain("aws_kms_key.runners_encryption_key");
  });

  it("lists the group among the names the KMS key lets CloudWatch Logs use", () => {
    const key = resourceOf(synth({ createKmsKey: true }), "aws_kms_key", "encryption");
    expect(String(key.policy)).toContain("/self-runners/sr/runners");
  });

  it("publishes BootToRegistration and RegistrationFailures from the marks, as contracts/metrics.ts declares them", () => {
    const filters = Object.values(resourcesOf(synth(), "aws_cloudwatch_log_metric_filter"));
    const byName = Object.fromEntries(filters.map((f) => [(f.metric_transformation as { name: string }).name, f]));
    for (const [metric, event, value] of [
      [METRICS.bootToRegistration, "registered", "$.boot_seconds"],
      [METRICS.registrationFailures, "registration_failed", "1"],
    ] as const) {
      expect(metric.source).toBe("runner");
      expect(byName[metric.name]).toMatchObject({
        log_group_name: "/self-runners/sr/runners",
        pattern: `{ $.event = "${event}" }`,
        metric_transformation: { namespace: metricsNamespace("sr"), value, unit: metric.unit, dimensions: { service: "$.service", Pool: "$.pool" } },
      });
    }
    expect(filters).toHaveLength(2);
  });

  it("lets the runner role only create streams in, write to and describe the runner group", () => {
    const policy = resourceOf(synth(), "aws_iam_role_policy", "runner-logs_write");
    expect(policy.role).toMatch(/aws_iam_role\.runners_runner_role_\w+\.id/);
    const text = String(policy.policy);
    expect(text).toContain('"Action" = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]');
    expect(text.match(/"Action"/g)).toHaveLength(1);
    expect(text).toContain(":log-group:/self-runners/sr/runners:*");
    expect(text).not.toMatch(/"Resource" = "\*"/);
  });

  it("passes the group to the bootstrap, and an empty name (no agent) when off", () => {
    const on = resourceOf(synth(), "aws_launch_template", "runner_launch-template");
    expect(String(on.user_data)).toContain('"log_group" = "/self-runners/sr/runners"');
    const offSynth = synth({ enableRunnerLogs: false });
    const off = resourceOf(offSynth, "aws_launch_template", "runner_launch-template");
    expect(String(off.user_data)).toContain('"log_group" = ""');
    expect(resourceOf(offSynth, "aws_cloudwatch_log_group", "runner-logs_group").count).toBe(0);
    for (const filter of Object.values(resourcesOf(offSynth, "aws_cloudwatch_log_metric_filter"))) expect(filter.count).toBe(0);
    expect(resourceOf(offSynth, "aws_iam_role_policy", "runner-logs_write").count).toBe(0);
  });
});

describe("tracing", () => {
  const FUNCTIONS = ["webhook_function", "scale-up_function", "reconcile_function", "spot-interruption_function"];

  it("is off by default: Lambda's default mode, the tracer told so, no X-Ray permission", () => {
    const s = synth();
    for (const id of FUNCTIONS) {
      const fn = resourceOf(s, "aws_lambda_function", id);
      expect(fn.tracing_config, id).toBeUndefined();
      expect((fn.environment as { variables: Record<string, string> }).variables.POWERTOOLS_TRACE_ENABLED, id).toBe("false");
    }
    for (const policy of Object.entries(resourcesOf(s, "aws_iam_role_policy")).filter(([id]) => id.includes("_tracing_"))) expect(policy[1].count, policy[0]).toBe(0);
  });

  it("turns on active tracing, the tracer and the X-Ray write permissions of every kit function", () => {
    const s = synth({ enableTracing: true });
    for (const id of FUNCTIONS) {
      const fn = resourceOf(s, "aws_lambda_function", id);
      expect(fn.tracing_config, id).toEqual({ mode: "Active" });
      expect((fn.environment as { variables: Record<string, string> }).variables.POWERTOOLS_TRACE_ENABLED, id).toBe("true");
    }
    const policies = Object.entries(resourcesOf(s, "aws_iam_role_policy")).filter(([id]) => id.includes("_tracing_"));
    // The NAT failover and build cache functions trace too, but exist only with NAT instances and the build
    // cache (off here): test/stacks/nat-failover.test.ts, and below.
    expect(policies.map(([id]) => id.replace(/^runners_/, "").replace(/_tracing_.*$/, "")).sort()).toEqual([
      "build-cache_function",
      "build-cache_sweep",
      "nat-failover",
      "reconcile",
      "runner-binaries-syncer",
      "scale-up",
      "spot-interruption",
      "webhook",
    ]);
    for (const [id, policy] of policies.filter(([id]) => !id.includes("nat-failover") && !id.includes("build-cache"))) {
      expect(policy.count, id).toBe(1);
      expect(String(policy.policy), id).toContain('"Action" = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]');
    }
    const cache = Object.entries(resourcesOf(synth({ enableTracing: true, enableBuildCache: true }), "aws_iam_role_policy")).filter(([id]) => id.includes("build-cache") && id.includes("_tracing_"));
    expect(cache.map(([, policy]) => policy.count)).toEqual([1, 1]);
  });
});
