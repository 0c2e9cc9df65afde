import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MODULE_DIR } from "../../stacks/build-module.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { SelfRunners } from "../../stacks/self-runners.js";
import { SelfRunnersValidationError } from "../../stacks/errors.js";
import { fakeDistDir, minimalProps, resourceOf, resourcesOf, synthJson, testStack } from "../helpers/synth.js";
import { RUNNER_BOOTSTRAP_TEMPLATES } from "../../stacks/runner-bootstrap.js";
import { templatePath } from "../../stacks/templates/template-file.js";

let distDir: string;
beforeAll(() => {
  distDir = fakeDistDir();
});

function synthRunners(overrides: Parameters<typeof minimalProps>[1] = {}) {
  const { stack } = testStack();
  new SelfRunners(stack, "runners", minimalProps(distDir, overrides));
  return { stack, synth: synthJson(stack) };
}

describe("SelfRunners with literal pools (the CDKTF user's path)", () => {
  it("creates one FIFO queue and one dead-letter queue per pool, encrypted (SSE-SQS without a key), with a redrive to its own DLQ", () => {
    const { synth } = synthRunners({
      createKmsKey: false,
      pools: {
        small: { labels: ["linux", "small"], instanceTypes: ["m7i.large"] },
        large: { labels: ["linux", "large"], instanceTypes: ["m7i.4xlarge"] },
      },
    });
    const queues = resourcesOf(synth, "aws_sqs_queue");
    const [dlqId] = Object.keys(queues).filter((id) => id.includes("dlq"));
    const [queueId] = Object.keys(queues).filter((id) => id.includes("queue"));
    expect(Object.keys(queues)).toHaveLength(2);
    const queue = queues[queueId];
    expect(queue.fifo_queue).toBe(true);
    expect(queue.sqs_managed_sse_enabled).toBe(true);
    expect(queue.for_each).toMatchObject({ small: expect.any(Object), large: expect.any(Object) });
    expect(queue.redrive_policy).toContain(`aws_sqs_queue.${dlqId}[each.key].arn`);
    expect(queues[dlqId].sqs_managed_sse_enabled).toBe(true);
  });

  it("fills pool defaults: 10 runners, spot with fallback, x64 Amazon Linux 2023, 40 GiB, the kit's subnets", () => {
    const { synth } = synthRunners();
    const lt = resourceOf(synth, "aws_launch_template", "runner_launch-template");
    const pool = (lt.for_each as Record<string, Record<string, unknown>>).linux;
    expect(pool).toEqual({
      labels: ["linux", "x64"],
      instance_types: ["m7i.large"],
      max_runners: 10,
      spot: true,
      on_demand_fallback: true,
      architecture: "x64",
      os: "linux",
      linux_distribution: "al2023",
      ami_ssm_parameter: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
      ami_owners: [],
      ami_name_filter: "",
      root_volume_size: 40,
      subnet_ids: ["subnet-0123456789abcdef0"],
      runner_group_id: 1,
      warm_pool_size: 0,
      warm_pool_owner: "",
      warm_pool_schedule: "",
      allow_public_repositories: false,
      instance_requirements: null,
      pre_install_script: "",
      post_install_script: "",
      job_started_hook: "",
      job_completed_hook: "",
      extra_packages: [],
      job_environment: {},
      extra_security_group_ids: [],
      root_volume_type: "gp3",
      root_volume_iops: null,
      root_volume_throughput: null,
      extra_volumes: [],
      metadata_hop_limit: 2,
      use_instance_store: false,
      extra_iam_policy_arns: [],
    });
  });

  it("hardens the launch template: IMDSv2, encrypted gp3, no public IP, terminate on shutdown", () => {
    const { synth } = synthRunners();
    const lt = resourceOf(synth, "aws_launch_template", "runner_launch-template");
    expect(lt.metadata_options).toMatchObject({ http_tokens: "required", http_endpoint: "enabled" });
    // One dynamic block over the root volume and the pool's extra volumes (stacks/runner-volumes.ts).
    expect((lt.dynamic as Record<string, { content: unknown }>).block_device_mappings.content).toEqual(
      expect.objectContaining({ ebs: expect.objectContaining({ encrypted: "true", delete_on_termination: "true" }) }),
    );
    expect(lt.network_interfaces).toEqual([expect.objectContaining({ associate_public_ip_address: false })]);
    expect(lt.instance_initiated_shutdown_behavior).toBe("terminate");
    // The SSM parameter unless the pool names its AMI by owner + name (test/stacks/pools-os.test.ts).
    expect(lt.image_id).toContain('"resolve:ssm:${each.value.ami_ssm_parameter}"');
  });

  it("keeps secrets out of user data: the bootstrap reads its own item from the runners table", () => {
    const { synth } = synthRunners();
    const userData = String(resourceOf(synth, "aws_launch_template", "runner_launch-template").user_data);
    // The script is a template file rendered by templatefile() (test/stacks/runner-bootstrap.test.ts runs it).
    // The pool's host picks one of the bootstraps (test/stacks/pools-os.test.ts).
    expect(userData).toMatch(/templatefile\(\{\s*"al2023" = "assets\/[^"]+\/runner-bootstrap\.sh\.tftpl"/);
    expect(userData).not.toMatch(/private.?key|webhook.?secret|ghs_/i);
    for (const template of Object.values(RUNNER_BOOTSTRAP_TEMPLATES)) {
      const script = readFileSync(templatePath(template), "utf8");
      expect(script).toMatch(/aws dynamodb get-item|Get-DDBItem/);
      expect(script).toContain("--jitconfig");
      expect(script).not.toMatch(/private.?key|webhook.?secret|ghs_/i);
    }
  });

  it("builds every function from its zip on nodejs22.x with the shared layer (but the layer-free webhook), its own log group and source hash", () => {
    const { synth } = synthRunners();
    // The NAT failover functions are off by default (for_each over nothing).
    const created = (resource: Record<string, unknown>) => resource.count !== 0 && JSON.stringify(resource.for_each) !== "{}";
    const functions = Object.fromEntries(Object.entries(resourcesOf(synth, "aws_lambda_function")).filter(([, fn]) => created(fn)));
    // Every handler but the optional ones (NAT failover, ...) is created by default.
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(4);
    for (const fn of Object.values(functions)) {
      expect(fn.runtime).toBe("nodejs22.x");
      expect(String(fn.filename)).toMatch(/\.zip$/);
      expect(String(fn.source_code_hash)).toMatch(/^\$\{filebase64sha256\(/);
      // The webhook bundles what it uses (scripts/build-lambdas.ts LAYER_FREE_HANDLERS; docs/performance.md).
      expect(fn.layers).toEqual(String(fn.filename).endsWith("/webhook.zip") ? [] : [expect.stringMatching(/aws_lambda_layer_version\..*\.arn/)]);
      expect(fn.logging_config).toMatchObject({ log_format: "JSON" });
    }
    // One per created function plus the API's access logs, the WAF's request logs and the runner logs (on
    // by default); optional groups (audit trail delivery, NAT, ...) are created only when asked for.
    expect(Object.values(resourcesOf(synth, "aws_cloudwatch_log_group")).filter(created)).toHaveLength(Object.keys(functions).length + 3);
  });

  it("grants ENI permissions only when the functions are placed in subnets", () => {
    const outside = synthRunners().synth;
    // The build cache on, so its two functions exist and are placed too.
    const inside = synthRunners({ lambdaSubnetIds: ["subnet-0aaaaaaaaaaaaaaaa"], lambdaSecurityGroupIds: ["sg-0123456789abcdef0"], enableBuildCache: true }).synth;
    const vpcPolicies = (s: typeof outside) => Object.entries(resourcesOf(s, "aws_iam_role_policy")).filter(([id]) => id.includes("vpc-access") || id.includes("vpc_access"));
    // Every function built with NodejsFunction (the NAT failover functions always run in their subnets).
    expect(vpcPolicies(outside).length).toBeGreaterThanOrEqual(4);
    expect(vpcPolicies(outside).map(([, p]) => p.count)).toEqual(vpcPolicies(outside).map(() => 0));
    expect(vpcPolicies(inside).map(([, p]) => p.count)).toEqual(vpcPolicies(outside).map(() => 1));
  });

  it("scopes runner instances to their own configuration item and terminate to the kit's tag", () => {
    const { synth } = synthRunners();
    const policies = Object.values(resourcesOf(synth, "aws_iam_role_policy")).map((p) => String(p.policy));
    expect(policies.some((p) => p.includes("dynamodb:LeadingKeys") && p.includes("$${ec2:SourceInstanceARN}"))).toBe(true);
    const terminate = policies.filter((p) => p.includes("ec2:TerminateInstances"));
    expect(terminate.length).toBeGreaterThan(0);
    for (const p of terminate) expect(p).toContain("ec2:ResourceTag/self-runners:prefix");
    const launch = policies.find((p) => p.includes("ec2:CreateFleet"));
    // CreateTags: at launch, or afterwards only the Name tag of the kit's own instances.
    expect(launch).toContain('"ec2:CreateAction" = ["CreateFleet", "RunInstances"]');
    expect(launch).toMatch(/"Sid" = "NameOwnRunners".*"ec2:ResourceTag\/self-runners:prefix".*"aws:TagKeys" = \["Name", "self-runners:job-id", "self-runners:delivery-id", "self-runners:repository"\]/);
  });

  it("creates placeholder SecureString parameters only when no existing ones are named", () => {
    const created = Object.fromEntries(Object.entries(resourcesOf(synthRunners().synth, "aws_ssm_parameter")).filter(([, p]) => p.type === "SecureString"));
    expect(Object.values(created).map((p) => p.type)).toEqual(["SecureString", "SecureString", "SecureString"]);
    expect(Object.values(created).every((p) => (p.lifecycle as { ignore_changes: string[] }).ignore_changes.includes("value"))).toBe(true);
    const reused = synthRunners({ githubAppPrivateKeySsmParameterName: "/gh/key", webhookSecretSsmParameterName: "/gh/secret", webhookPreviousSecretSsmParameterName: "/gh/secret-previous" }).synth;
    expect(Object.values(resourcesOf(reused, "aws_ssm_parameter")).filter((p) => p.type === "SecureString")).toEqual([]);
    const scaleUp = resourceOf(reused, "aws_lambda_function", "scale-up");
    expect((scaleUp.environment as { variables: Record<string, string> }).variables.GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME).toBe("/gh/key");
  });

  it("exposes a REST API regional endpoint with POST /webhook proxied to the webhook function", () => {
    const { synth } = synthRunners();
    expect(resourceOf(synth, "aws_api_gateway_rest_api", "rest-api").endpoint_configuration).toEqual({ types: ["REGIONAL"] });
    expect(resourceOf(synth, "aws_api_gateway_resource", "resource").path_part).toBe("webhook");
    expect(resourceOf(synth, "aws_api_gateway_method", "method").http_method).toBe("POST");
    expect(resourceOf(synth, "aws_api_gateway_integration", "integration").type).toBe("AWS_PROXY");
    expect(resourceOf(synth, "aws_api_gateway_stage", "stage").access_log_settings).toBeDefined();
  });

  it("schedules the reconciler", () => {
    const { synth } = synthRunners({ reconcileScheduleExpression: "rate(2 minutes)" });
    expect(resourceOf(synth, "aws_cloudwatch_event_rule", "reconcile_schedule").schedule_expression).toBe("rate(2 minutes)");
  });
});

describe("SelfRunners prop validation", () => {
  const cases: Array<[string, Parameters<typeof minimalProps>[1], RegExp]> = [
    ["prefix has capitals", { prefix: "Runners" }, /test\/runners: invalid prefix "Runners"; allowed: 2-20 characters/],
    ["the App id is not numeric", { githubAppId: "my-app" }, /invalid githubAppId "my-app"; allowed: the numeric App ID/],
    ["the runner scope is unknown", { runnerScope: "team" }, /invalid runnerScope "team"; allowed: one of "repo", "org", "enterprise"/],
    ["no runner subnet is given", { runnerSubnetIds: [] }, /invalid runnerSubnetIds \[\]; allowed: a non-empty list of subnet ids/],
    ["a subnet id is malformed", { runnerSubnetIds: ["subnet-x"] }, /invalid runnerSubnetIds \["subnet-x"\]/],
    ["there is no pool", { pools: {} }, /invalid pools \{\}; allowed: a map of at least one pool/],
    ["a pool key has capitals", { pools: { Linux: { labels: ["l"], instanceTypes: ["m7i.large"] } } }, /invalid pools\.Linux\.\(key\) "Linux"/],
    ["a pool has no label", { pools: { linux: { labels: [], instanceTypes: ["m7i.large"] } } }, /invalid pools\.linux\.labels \[\]/],
    ["an instance type is malformed", { pools: { linux: { labels: ["l"], instanceTypes: ["large"] } } }, /invalid pools\.linux\.instanceTypes \["large"\]/],
    ["max runners is zero", { pools: { linux: { labels: ["l"], instanceTypes: ["m7i.large"], maxRunners: 0 } } }, /invalid pools\.linux\.maxRunners 0; allowed: a whole number from 1 to 10000/],
    ["the runner version is older than GitHub accepts", { runnerVersion: "2.300.0" }, /invalid runnerVersion "2\.300\.0"; allowed: "latest" or a runner version >= 2\.329\.0/],
    ["the log retention is not a CloudWatch period", { logRetentionDays: 42 }, /invalid logRetentionDays 42; allowed: one of 1, 3, 5/],
    ["the body limit exceeds API Gateway's", { webhookMaxBodyBytes: 20_000_000 }, /invalid webhookMaxBodyBytes 20000000/],
  ];
  for (const [what, overrides, message] of cases) {
    it(`fails when ${what}`, () => {
      const { stack } = testStack();
      expect(() => new SelfRunners(stack, "runners", minimalProps(distDir, overrides))).toThrow(SelfRunnersValidationError);
      const { stack: again } = testStack();
      expect(() => new SelfRunners(again, "runners", minimalProps(distDir, overrides))).toThrow(message);
    });
  }
});

describe("SelfRunners refuses what the module refuses at plan, in the same words", () => {
  // Every error_message of the emitted module: the construct's "allowed: X" must be one's "must be X."
  const hclMessages = readdirSync(join(REPO_ROOT, MODULE_DIR))
    .filter((file) => file.endsWith(".tf"))
    .flatMap((file) => [...readFileSync(join(REPO_ROOT, MODULE_DIR, file), "utf8").matchAll(/error_message\s*=\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string));
  const pool = (extra: Record<string, unknown>) => ({ labels: ["linux"], instanceTypes: ["m7i.large"], ...extra });
  const manyPools = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`pool-${String(i).padStart(2, "0")}`, pool({ labels: ["linux", "x64", `team-${String(i).padStart(2, "0")}`] })]));
  const cases: Array<[string, Parameters<typeof minimalProps>[1], RegExp]> = [
    ["a warm schedule hour is out of range", { pools: { linux: pool({ warmPoolSchedule: "Mon-Fri 25:00-29:59" }) } }, /invalid pools\.linux\.warmPoolSchedule "Mon-Fri 25:00-29:59"/],
    ["a warm schedule day is unknown", { pools: { linux: pool({ warmPoolSchedule: "Xyz-Qqq 07:00-19:00" }) } }, /invalid pools\.linux\.warmPoolSchedule "Xyz-Qqq 07:00-19:00"/],
    ["a pool subnet id is malformed", { pools: { linux: pool({ subnetIds: ["subnet-xyz"] }) } }, /invalid pools\.linux\.subnetIds \["subnet-xyz"\]/],
    ["arm64 gets an x86 instance type", { pools: { arm: pool({ architecture: "arm64", instanceTypes: ["c7g.large", "m7i.large"] }) } }, /invalid pools\.arm\.instanceTypes \["c7g\.large","m7i\.large"\]/],
    ["x64 gets a Graviton instance type", { pools: { linux: pool({ instanceTypes: ["c6gn.large"] }) } }, /invalid pools\.linux\.instanceTypes \["c6gn\.large"\]/],
    ["two pools have the same labels", { pools: { first: pool({ labels: ["linux", "x64"] }), second: pool({ labels: ["X64", "linux"] }) } }, /invalid pools\.second\.labels .*\(pool "first" offers all of them\)/],
    ["a pool offers only labels of an earlier pool", { pools: { "a-large": pool({ labels: ["linux", "large"] }), "b-small": pool({}) } }, /invalid pools\.b-small\.labels \["linux"\]/],
    ["the webhook reserved concurrency is 0", { webhookReservedConcurrency: 0 }, /invalid webhookReservedConcurrency 0/],
    ["the scale-up reserved concurrency is 0", { scaleUpReservedConcurrency: 0 }, /invalid scaleUpReservedConcurrency 0/],
    ["the reconcile reserved concurrency is 0", { reconcileReservedConcurrency: 0 }, /invalid reconcileReservedConcurrency 0/],
    ["the hooks allowlist is asked for without the WAF", { enableWaf: false, wafGitHubHooksAllowlist: true }, /invalid wafGitHubHooksAllowlist true/],
    ["Lambda subnets have no security group", { lambdaSubnetIds: ["subnet-0aaaaaaaaaaaaaaaa"] }, /invalid lambdaSecurityGroupIds \[\]/],
    ["Lambda security groups have no subnet", { lambdaSecurityGroupIds: ["sg-0123456789abcdef0"] }, /invalid lambdaSubnetIds \[\]/],
    ["the pools overflow the webhook's 4 KB environment", { pools: manyPools }, /invalid pools .*Lambda allows 4096 bytes.*these need up to \d{4} bytes/],
  ];
  for (const [what, overrides, message] of cases) {
    it(`fails when ${what}`, () => {
      const { stack } = testStack();
      let error: unknown;
      try {
        new SelfRunners(stack, "runners", minimalProps(distDir, overrides));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SelfRunnersValidationError);
      const thrown = (error as SelfRunnersValidationError).message;
      expect(thrown).toMatch(message);
      // The same words as the module's validation or precondition (its byte count is an interpolation).
      const allowed = (error as SelfRunnersValidationError).allowed.replace(/ \(pool "[^"]+" offers all of them\)$/, "").replace(/; these need up to \d+ bytes$/, "");
      expect(hclMessages.some((m) => m.includes(`must be ${allowed}`)), `no module message says "must be ${allowed}"`).toBe(true);
    });
  }

  it("accepts a warm schedule ending at midnight, as the reconcile function does", () => {
    expect(() => synthRunners({ pools: { linux: pool({ warmPoolSize: 1, warmPoolOwner: "octo-org", warmPoolSchedule: "Sat,Sun 10:00-14:00; mon-FRI 18:00-24:00" }) } })).not.toThrow();
  });
});
