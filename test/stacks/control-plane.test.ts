import { describe, expect, it } from "vitest";
import { SelfRunners } from "../../stacks/self-runners.js";
import { SelfRunnersValidationError } from "../../stacks/errors.js";
import { fakeDistDir, minimalProps, resourceOf, resourcesOf, synthJson, testStack } from "../helpers/synth.js";

// The control plane's infrastructure (docs/reliability.md): job ledger, draining switch, spot
// interruption rule and function, and the settings that reach the handlers.

const distDir = fakeDistDir();

function synthRunners(overrides: Parameters<typeof minimalProps>[1] = {}) {
  const { stack } = testStack();
  new SelfRunners(stack, "runners", minimalProps(distDir, overrides));
  return synthJson(stack);
}

/** A function's environment, values as Terraform passes them (numbers become strings). */
function env(synth: ReturnType<typeof synthRunners>, fn: string): Record<string, string> {
  const variables = (resourceOf(synth, "aws_lambda_function", fn).environment as { variables: Record<string, unknown> }).variables;
  return Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)]));
}

function policiesOf(synth: ReturnType<typeof synthRunners>, role: string): string {
  return Object.entries(resourcesOf(synth, "aws_iam_role_policy"))
    .filter(([id]) => id.startsWith(`runners_${role}_`))
    .map(([, p]) => String(p.policy))
    .join("\n");
}

describe("control plane infrastructure", () => {
  it("creates the job ledger: on-demand, keyed by pk, TTL on expiration, encrypted", () => {
    const table = resourceOf(synthRunners({ prefix: "ci" }), "aws_dynamodb_table", "jobs");
    expect(table).toMatchObject({
      name: "ci-jobs",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "pk",
      attribute: [{ name: "pk", type: "S" }],
      ttl: { attribute_name: "expiration", enabled: true },
      point_in_time_recovery: { enabled: false },
      server_side_encryption: { enabled: true },
    });
    expect(resourceOf(synthRunners({ jobLedgerPointInTimeRecovery: true }), "aws_dynamodb_table", "jobs").point_in_time_recovery).toEqual({ enabled: true });
  });

  it("creates the draining switch as a String parameter set from the draining prop, readable by scale-up and reconcile only", () => {
    const off = synthRunners({ prefix: "ci" });
    const parameter = resourceOf(off, "aws_ssm_parameter", "draining");
    expect(parameter).toMatchObject({ name: "/ci/draining", type: "String", value: "false" });
    // Only the initial value: a run-time put-parameter flip must survive the next apply.
    expect(parameter.lifecycle).toEqual({ ignore_changes: ["value"] });
    expect(resourceOf(synthRunners({ draining: true }), "aws_ssm_parameter", "draining").value).toBe("true");
    expect(env(off, "scale-up").DRAINING_PARAMETER).toBe("/ci/draining");
    expect(env(off, "reconcile").DRAINING_PARAMETER).toBe("/ci/draining");
    expect(policiesOf(off, "scale-up")).toContain("parameter/ci/draining");
    expect(policiesOf(off, "webhook")).not.toContain("draining");
  });

  it("hands limits, ages, budget and back-off settings to scale-up", () => {
    const vars = env(
      synthRunners({ maxRunnersTotal: 300, maxRunnersPerOwner: 40, jobMaxAgeSeconds: 7200, jobWaitMaxSeconds: 600, githubMinRemainingRequests: 500, githubWritesPerMinute: 120, githubWriteBurst: 5 }),
      "scale-up",
    );
    expect(vars).toMatchObject({ MAX_RUNNERS_TOTAL: "300", MAX_RUNNERS_PER_OWNER: "40", JOB_MAX_AGE_SECONDS: "7200", JOB_WAIT_MAX_SECONDS: "600", GITHUB_MIN_REMAINING_REQUESTS: "500" });
    expect(vars).toMatchObject({ GITHUB_WRITES_PER_MINUTE: "120", GITHUB_WRITE_BURST: "5" });
    expect(vars.POOLS).toContain("deadLetterQueueUrl");
    expect(vars.POOLS).toContain("queueArn");
  });

  it("passes additional GitHub Apps by parameter name only and lets the functions read exactly those keys", () => {
    const synth = synthRunners({ additionalGitHubApps: [{ appId: "222222", privateKeySsmParameterName: "/gh/app2/key" }] });
    expect(JSON.parse(env(synth, "scale-up").ADDITIONAL_GITHUB_APPS)).toEqual([{ appId: 222222, privateKeyParameter: "/gh/app2/key" }]);
    for (const role of ["scale-up", "reconcile", "spot-interruption"]) expect(policiesOf(synth, role)).toContain("parameter/gh/app2/key");
    expect(policiesOf(synth, "webhook")).not.toContain("app2");
  });

  it("gives every ledger user conditional-write access to the ledger table only, and the webhook no EC2 access", () => {
    const synth = synthRunners();
    for (const role of ["webhook", "scale-up", "reconcile", "spot-interruption"]) {
      const policy = policiesOf(synth, role);
      expect(policy, role).toContain("UseJobLedger");
      expect(policy, role).not.toMatch(/dynamodb:\*/);
    }
    expect(policiesOf(synth, "webhook")).not.toMatch(/ec2:(RunInstances|CreateFleet|TerminateInstances)/);
    expect(policiesOf(synth, "scale-up")).toContain("DeadLetterJobs");
  });

  it("keeps the redrive policy as a safety net above the back-off's receive counts", () => {
    const queue = Object.values(resourcesOf(synthRunners(), "aws_sqs_queue")).find((q) => !String(q.name).includes("dlq")) as Record<string, unknown>;
    expect(String(queue.redrive_policy)).toContain('"maxReceiveCount" = 100');
  });

  it("routes EC2 spot interruption warnings to the spot interruption function", () => {
    const synth = synthRunners({ prefix: "ci" });
    const rule = resourceOf(synth, "aws_cloudwatch_event_rule", "spot-interruption");
    expect(rule.name).toBe("ci-spot-interruption");
    expect(String(rule.event_pattern)).toContain("EC2 Spot Instance Interruption Warning");
    expect(resourceOf(synth, "aws_lambda_permission", "spot-interruption")).toMatchObject({ principal: "events.amazonaws.com", action: "lambda:InvokeFunction" });
    expect(env(synth, "spot-interruption")).toMatchObject({ PREFIX: "ci" });
  });

  it("tells the reconciler its confirmation window, relaunch grace and re-run switch", () => {
    const vars = env(synthRunners({ busyConfirmSeconds: 120, relaunchGraceSeconds: 900, rerunInterruptedJobs: false }), "reconcile");
    expect(vars).toMatchObject({ BUSY_CONFIRM_SECONDS: "120", RELAUNCH_GRACE_SECONDS: "900", RERUN_INTERRUPTED_JOBS: "false" });
  });

  it.each([
    { prop: "maxRunnersTotal", value: 0 },
    { prop: "maxRunnersPerOwner", value: 1.5 },
    { prop: "jobMaxAgeSeconds", value: 100_000 },
    { prop: "busyConfirmSeconds", value: 30 },
    { prop: "relaunchGraceSeconds", value: 10 },
    { prop: "jobWaitMaxSeconds", value: 5 },
    { prop: "githubWritesPerMinute", value: 181 },
    { prop: "githubWritesPerMinute", value: 0 },
    { prop: "githubWriteBurst", value: 11 },
  ])("fails when $prop is $value, naming the prop", ({ prop, value }) => {
    expect(() => synthRunners({ [prop]: value })).toThrow(SelfRunnersValidationError);
    expect(() => synthRunners({ [prop]: value })).toThrow(new RegExp(prop));
  });
});
