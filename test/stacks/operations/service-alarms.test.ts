import { beforeAll, describe, expect, it } from "vitest";
import { SelfRunnersValidationError } from "../../../stacks/errors.js";
import type { SelfRunnersProps } from "../../../stacks/self-runners.js";
import { RUNBOOK_IDS, kitMetric, schedulePeriodSeconds } from "../../../stacks/operations/alarm-conventions.js";
import { fakeDistDir, resourceOf, resourcesOf, type SynthesizedStack, synthSelfRunners } from "../../helpers/synth.js";

let distDir: string;
beforeAll(() => {
  distDir = fakeDistDir();
});

const synthRunners = (overrides: Partial<SelfRunnersProps> = {}): SynthesizedStack => synthSelfRunners(distDir, overrides);

const alarm = (synth: SynthesizedStack, id: string) => resourceOf(synth, "aws_cloudwatch_metric_alarm", `alarms_${id}_`);

/** The service alarms' resource blocks (not the SLO window alarms). */
const serviceAlarms = (synth: SynthesizedStack) => Object.entries(resourcesOf(synth, "aws_cloudwatch_metric_alarm")).filter(([id]) => id.includes("_alarms_")).map(([, a]) => a);

/** How many alarms a resource block makes: its count, or the size of its for_each (a literal map, or toset of a literal list). */
function instances(block: Record<string, unknown>): number {
  if (typeof block.count === "number") return block.count;
  const each = block.for_each;
  if (typeof each === "object" && each !== null) return Object.keys(each).length;
  return /^\$\{toset\(\[\]\)\}$/.test(String(each)) ? 0 : -1;
}

describe("AlarmTopic inside SelfRunners", () => {
  it("creates <prefix>-alarms, unencrypted without a key, with a policy for the three publishers", () => {
    const synth = synthRunners({ createKmsKey: false });
    const topic = resourceOf(synth, "aws_sns_topic", "operations_topic");
    expect(topic).toMatchObject({ count: 1, name: "ci-alarms" });
    expect(topic.kms_master_key_id).toBeUndefined();
    const policy = String(resourceOf(synth, "aws_sns_topic_policy", "operations_topic").policy);
    for (const service of ["cloudwatch.amazonaws.com", "budgets.amazonaws.com", "costalerts.amazonaws.com"]) expect(policy).toContain(service);
    expect(policy).toContain("aws:SourceAccount");
    expect(policy).toContain(":alarm:ci-*");
  });

  it("encrypts the topic with a created key, whose policy lets the publishers use it", () => {
    const synth = synthRunners({ createKmsKey: true });
    expect(resourceOf(synth, "aws_sns_topic", "operations_topic").kms_master_key_id).toMatch(/aws_kms_key\..*encryption_key.*\.arn/);
    const keyPolicy = String(resourceOf(synth, "aws_kms_key", "encryption").policy);
    expect(keyPolicy).toContain("AlarmPublishersUseKey");
    expect(keyPolicy).toContain("budgets.amazonaws.com");
  });

  it("creates nothing for an existing topic and sends every alarm there", () => {
    const existing = "arn:aws:sns:eu-west-1:123456789012:pager";
    const synth = synthRunners({ alarmTopicArn: existing });
    expect(resourceOf(synth, "aws_sns_topic", "operations_topic").count).toBe(0);
    expect(resourceOf(synth, "aws_sns_topic_policy", "operations_topic").count).toBe(0);
    expect(alarm(synth, "fleet-failures")).toMatchObject({ alarm_actions: [existing], ok_actions: [existing] });
  });

  it("fails when the existing topic is not an SNS topic ARN", () => {
    expect(() => synthRunners({ alarmTopicArn: "arn:aws:sqs:eu-west-1:123456789012:q" })).toThrow(SelfRunnersValidationError);
  });
});

describe("ServiceAlarms inside SelfRunners", () => {
  it("watches each pool's DLQ and queue age, each function, the reconciler and each App", () => {
    const synth = synthRunners({ additionalGitHubApps: [{ appId: "777", privateKeySsmParameterName: "/ci/app-777" }] });
    expect(alarm(synth, "dlq-not-empty")).toMatchObject({ namespace: "AWS/SQS", metric_name: "ApproximateNumberOfMessagesVisible", threshold: 0, treat_missing_data: "notBreaching" });
    expect(Object.keys(alarm(synth, "dlq-not-empty").for_each as object)).toEqual(["linux"]);
    expect(alarm(synth, "queue-age-high")).toMatchObject({ metric_name: "ApproximateAgeOfOldestMessage", threshold: 1800 });
    expect(alarm(synth, "function-errors").for_each).toEqual({ webhook: "ci-webhook", "scale-up": "ci-scale-up", reconcile: "ci-reconcile", "spot-interruption": "ci-spot-interruption" });
    expect(alarm(synth, "reconcile-not-running")).toMatchObject({ period: 300, evaluation_periods: 2, comparison_operator: "LessThanThreshold", treat_missing_data: "breaching" });
    expect(alarm(synth, "github-budget-low")).toMatchObject({ namespace: "SelfRunners/ci", metric_name: "GitHubBudgetRemaining", statistic: "Minimum", threshold: 1000 });
    expect(String(alarm(synth, "github-budget-low").for_each)).toMatch(/123456.*777/);
  });

  it("passes the thresholds and the runbook base through", () => {
    const synth = synthRunners({ alarmQueueAgeSeconds: 600, alarmGitHubBudgetMin: 50, runbookBaseUrl: "https://example.com/runbooks.md", reconcileScheduleExpression: "rate(15 minutes)" });
    expect(alarm(synth, "queue-age-high").threshold).toBe(600);
    expect(alarm(synth, "github-budget-low").threshold).toBe(50);
    expect(alarm(synth, "reconcile-not-running").period).toBe(900);
    expect(alarm(synth, "launch-failures").alarm_description).toMatch(/ Runbook: https:\/\/example\.com\/runbooks\.md#launch-failures$/);
  });

  it("links every alarm to its runbook and sends ALARM and OK to the topic", () => {
    const synth = synthRunners({ enableNatInstances: true, natInstanceSubnetIds: { "eu-west-1a": "subnet-0123456789abcdef1" }, natPrivateRouteTableIds: { "eu-west-1a": ["rtb-0123456789abcdef0"] }, natProbeSubnetIds: { "eu-west-1a": "subnet-0123456789abcdef2" }, natFailoverExistingEc2Endpoint: true });
    const alarms = serviceAlarms(synth);
    expect(alarms).toHaveLength(11);
    for (const a of alarms) {
      expect(String(a.alarm_description)).toMatch(new RegExp(` Runbook: docs/runbooks\\.md#(${RUNBOOK_IDS.join("|")})$`));
      expect(a.ok_actions).toEqual(a.alarm_actions);
      expect(instances(a)).not.toBe(0);
    }
  });

  it("creates no alarm when switched off, and no NAT alarm without NAT instances", () => {
    const synth = synthRunners({ enableAlarms: false });
    for (const a of serviceAlarms(synth)) expect(instances(a)).toBe(0);
    expect(alarm(synthRunners(), "nat-failover").count).toBe(0);
  });
});

describe("alarm conventions", () => {
  it("reads a metric of the table with its service and one of its dimension sets", () => {
    expect(kitMetric("ci", "timeToRunner", { Pool: "linux" })).toEqual({ namespace: "SelfRunners/ci", metricName: "TimeToRunner", dimensions: { service: "webhook", Pool: "linux" } });
    expect(kitMetric("ci", "jobsDispatched").dimensions).toEqual({ service: "scale-up" });
  });

  it("fails when a metric is not published with the dimensions asked for", () => {
    expect(() => kitMetric("ci", "natRouteReplacements", { Pool: "linux" })).toThrow(/not published/);
  });

  it("turns a schedule into its period: rate minutes and hours, an hour for cron, within CloudWatch's bounds", () => {
    expect(schedulePeriodSeconds("rate(5 minutes)")).toBe(300);
    expect(schedulePeriodSeconds("rate(2 hours)")).toBe(7200);
    expect(schedulePeriodSeconds("cron(0/10 * * * ? *)")).toBe(3600);
    expect(schedulePeriodSeconds("rate(24 hours)")).toBe(43200);
  });
});
