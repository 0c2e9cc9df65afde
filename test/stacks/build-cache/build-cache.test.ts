import { beforeAll, describe, expect, it } from "vitest";
import { BUILD_CACHE_ENV, BUILD_CACHE_INDEX_TABLE, CACHE_AGENT_OBJECT_KEY } from "../../../contracts/build-cache.js";
import { ACTIONS_REDIRECT_OBJECT_KEY } from "../../../stacks/build-cache/cache-clients.js";
import { SelfRunnersValidationError } from "../../../stacks/errors.js";
import type { SelfRunnersProps } from "../../../stacks/self-runners.js";
import { fakeDistDir, resourceOf, resourcesOf, synthSelfRunners, type SynthesizedStack } from "../../helpers/synth.js";

// The build cache's resources (stacks/build-cache/, docs/build-cache.md): storage, the function and its
// URL, the sweep, the agent bundle, and what the runner role may and may not do with them.
let distDir: string;
let on: SynthesizedStack;
beforeAll(() => {
  distDir = fakeDistDir();
  on = synthSelfRunners(distDir, { enableBuildCache: true, createKmsKey: true });
});
const synth = (overrides: Partial<SelfRunnersProps>): SynthesizedStack => synthSelfRunners(distDir, overrides);
const policyOf = (s: SynthesizedStack, idPart: string): string => String(resourceOf(s, "aws_iam_role_policy", idPart).policy);
/** Every inline policy attached to the runner role. */
const runnerPolicies = (s: SynthesizedStack): string[] =>
  Object.values(resourcesOf(s, "aws_iam_role_policy"))
    .filter((p) => /aws_iam_role\.runners_runner_role_[^.]*\.id/.test(String(p.role)))
    .map((p) => String(p.policy));

describe("build cache storage", () => {
  it("encrypts the bucket with the kit key, blocks public access, refuses plain HTTP and versions it", () => {
    const sse = resourceOf(on, "aws_s3_bucket_server_side_encryption_configuration", "build-cache") as { rule: Array<{ apply_server_side_encryption_by_default: Record<string, string> }> };
    expect(sse.rule[0]!.apply_server_side_encryption_by_default.sse_algorithm).toBe("aws:kms");
    expect(sse.rule[0]!.apply_server_side_encryption_by_default.kms_master_key_id).toMatch(/aws_kms_key\.runners_encryption_key/);
    expect(resourceOf(on, "aws_s3_bucket_public_access_block", "build-cache")).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(String(resourceOf(on, "aws_s3_bucket_policy", "build-cache").policy)).toMatch(/"Effect" = "Deny", "Sid" = "DenyInsecureTransport".*"aws:SecureTransport" = "false"/);
    expect(resourceOf(on, "aws_s3_bucket_versioning", "build-cache")).toMatchObject({ versioning_configuration: { status: "Enabled" } });
  });

  it("aborts incomplete multipart uploads after a day and expires staged uploads", () => {
    const rules = (resourceOf(on, "aws_s3_bucket_lifecycle_configuration", "build-cache") as { rule: Array<Record<string, unknown>> }).rule;
    expect(rules[0]).toMatchObject({ abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }], filter: [{ prefix: "" }] });
    expect(rules[1]).toMatchObject({ filter: [{ prefix: "staging/" }], expiration: [{ days: 1 }] });
  });

  it("keys the index as the function reads it: on-demand, TTL, encrypted, point-in-time recovery on request, items for the cache functions only", () => {
    const table = resourceOf(on, "aws_dynamodb_table", "build-cache");
    expect(table).toMatchObject({
      billing_mode: "PAY_PER_REQUEST",
      hash_key: BUILD_CACHE_INDEX_TABLE.partitionKey,
      range_key: BUILD_CACHE_INDEX_TABLE.sortKey,
      ttl: { attribute_name: BUILD_CACHE_INDEX_TABLE.ttlAttribute, enabled: true },
      point_in_time_recovery: { enabled: false },
      server_side_encryption: { enabled: true },
    });
    expect(resourceOf(synth({ enableBuildCache: true, buildCachePointInTimeRecovery: true }), "aws_dynamodb_table", "build-cache")).toMatchObject({ point_in_time_recovery: { enabled: true } });
    const policy = String(resourceOf(on, "aws_dynamodb_resource_policy", "build-cache").policy);
    expect([...policy.matchAll(/:role\/([a-z-]+)"/g)].map((m) => m[1])).toEqual(["ci-build-cache", "ci-build-cache-sweep"]);
  });
});

describe("build cache function", () => {
  it("is reached through a function URL with IAM authentication", () => {
    expect(resourceOf(on, "aws_lambda_function_url", "build-cache")).toMatchObject({ authorization_type: "AWS_IAM" });
  });

  it("gets its environment from the contract, with the budget in bytes", () => {
    const fn = resourceOf(synth({ enableBuildCache: true, buildCacheBudgetGbPerScope: 3 }), "aws_lambda_function", "build-cache_function") as { environment: { variables: Record<string, string> } };
    const variables = fn.environment.variables;
    for (const key of ["buildCacheBucket", "buildCacheIndexTable", "runnersTable", "jobsTable", "buildCacheScopeBudgetBytes", "buildCacheProtocols", "prefix"] as const) expect(variables, key).toHaveProperty(BUILD_CACHE_ENV[key].name);
    expect(variables[BUILD_CACHE_ENV.buildCacheScopeBudgetBytes.name]).toBe(String(3 * 1024 ** 3));
    expect(variables[BUILD_CACHE_ENV.buildCacheRunnerRoleNames.name]).toBe('${jsonencode(["ci-runner"])}');
  });

  it("may read the caller's runner item and job, use the index, and touch only staging/ and blobs/ of the cache bucket", () => {
    const policy = policyOf(on, "build-cache_function_policy-build-cache");
    expect(policy).toMatch(/"Sid" = "ReadCallerRunner", "Action" = \["dynamodb:GetItem"\], "Resource" = aws_dynamodb_table\.runners_table/);
    expect(policy).toMatch(/"Sid" = "ReadCallerJob", "Action" = \["dynamodb:GetItem"\], "Resource" = aws_dynamodb_table\.runners_jobs_table/);
    expect(policy).toMatch(/\/staging\/\*"/);
    expect(policy).toMatch(/\/blobs\/\*"/);
    expect(policy).not.toMatch(/"s3:\*"|"dynamodb:\*"|"Resource" = "\*"/);
  });

  it("is one of the roles allowed to read the runners table's and the job ledger's items", () => {
    for (const table of ["runners_resource", "jobs_resource"]) expect(String(resourceOf(on, "aws_dynamodb_resource_policy", table).policy)).toContain(':role/ci-build-cache"');
  });

  it("runs the sweep on a schedule, one at a time", () => {
    expect(resourceOf(on, "aws_cloudwatch_event_rule", "build-cache_sweep")).toMatchObject({ schedule_expression: "rate(1 hour)" });
    expect(resourceOf(on, "aws_lambda_function", "build-cache_sweep")).toMatchObject({ reserved_concurrent_executions: 1 });
  });
});

describe("the runner role and the build cache", () => {
  it("may invoke the function only through its IAM-authenticated URL, with instance credentials of the VPC", () => {
    const policy = policyOf(on, "runner-invoke-url");
    expect(policy).toMatch(/"Sid" = "CallBuildCacheUrl", "Action" = \["lambda:InvokeFunctionUrl"\], "Resource" = aws_lambda_function\.runners_build-cache_function_[^"]*\["0"\]\.arn/);
    expect(policy).toContain('"lambda:FunctionUrlAuthType" = "AWS_IAM"');
    expect(policy).toMatch(/"Sid" = "InvokeBuildCacheOnlyThroughUrl", "Action" = \["lambda:InvokeFunction"\].*"Bool" = \{"lambda:InvokedViaFunctionUrl" = "true"\}/);
    expect(policy.match(/"aws:ec2InstanceSourceVPC" = "vpc-0123456789abcdef0"/g)).toHaveLength(2);
  });

  it("may read the agent bundle's and the Actions redirect's keys and nothing of the cache bucket", () => {
    const bucket = "\\$\\{aws_s3_bucket\\.runners_runner-binaries_bucket_[^}]*\\.arn\\}";
    expect(policyOf(on, "build-cache_agent_runner-read")).toMatch(new RegExp(`"Action" = \\["s3:GetObject"\\], "Resource" = \\["${bucket}/${CACHE_AGENT_OBJECT_KEY}", "${bucket}/${ACTIONS_REDIRECT_OBJECT_KEY}"\\]`));
    const policies = runnerPolicies(on);
    expect(policies.length).toBeGreaterThan(3);
    for (const policy of policies) expect(policy).not.toMatch(/runners_build-cache_bucket|runners_build-cache_index/);
  });

  it("uploads the agent bundle and the Actions redirect into the runner binaries bucket, replaced when their bytes change", () => {
    expect(resourceOf(on, "aws_s3_object", "build-cache_agent_object")).toMatchObject({ key: CACHE_AGENT_OBJECT_KEY, source_hash: expect.stringMatching(/^\$\{filemd5\("assets\/.*cache-agent\.js"\)\}$/) });
    expect(resourceOf(on, "aws_s3_object", "build-cache_agent_actions-redirect")).toMatchObject({ key: ACTIONS_REDIRECT_OBJECT_KEY, source_hash: expect.stringMatching(/actions-cache-redirect\.sh"\)\}$/) });
  });

  it("starts the agent from the user data with the function URL, and not at all with the cache off", () => {
    const userData = (s: SynthesizedStack) => String(resourceOf(s, "aws_launch_template", "runner_launch-template").user_data);
    expect(userData(on)).toContain('"cache_agent_key" = "cache-agent/cache-agent.js", "cache_redirect_key" = "cache-agent/actions-cache-redirect.sh", "github_api_url" = "https://api.github.com"');
    expect(userData(on)).toMatch(/"cache_agent_env" = format\("SELF_RUNNERS_CACHE_FUNCTION_URL='%s'.*aws_lambda_function_url\.runners_build-cache_function_url/);
    expect(userData(synth({}))).toContain('"cache_agent_key" = "", "cache_redirect_key" = "", "github_api_url" = "", "cache_agent_env" = "", "cache_protocols" = "[]"');
  });
});

describe("build cache off (the default)", () => {
  it("creates nothing: every resource has count 0", () => {
    const off = synth({});
    const cache = Object.entries(off.resource).flatMap(([type, resources]) => Object.entries(resources).filter(([id]) => id.includes("build-cache")).map(([id, r]) => [`${type}.${id}`, r.count]));
    expect(cache.length).toBeGreaterThan(20);
    for (const [address, count] of cache) expect(count, String(address)).toBe(0);
  });
});

describe("build cache props", () => {
  const refused = (overrides: Partial<SelfRunnersProps>, prop: string, allowed: RegExp) => {
    let error: unknown;
    try {
      synth(overrides);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SelfRunnersValidationError);
    expect((error as Error).message).toContain(prop);
    expect((error as Error).message).toMatch(allowed);
  };

  it("fails when the budget is not a whole number of GB from 1 to 10240", () => {
    refused({ buildCacheBudgetGbPerScope: 0 }, "buildCacheBudgetGbPerScope", /a whole number from 1 to 10240/);
    refused({ buildCacheBudgetGbPerScope: 2.5 }, "buildCacheBudgetGbPerScope", /a whole number from 1 to 10240/);
  });

  it("fails when the retention is not 1 to 365 days", () => {
    refused({ buildCacheRetentionDays: 366 }, "buildCacheRetentionDays", /a whole number from 1 to 365/);
  });

  it("fails when the protocols are empty, repeated or unknown", () => {
    for (const protocols of [[], ["turborepo", "turborepo"], ["s3"]]) refused({ buildCacheProtocols: protocols }, "buildCacheProtocols", /a non-empty list of distinct protocols from "actions", "turborepo"/);
  });

  it("fails when the cache is on and a pool runs Windows", () => {
    refused(
      { enableBuildCache: true, pools: { win: { labels: ["windows"], instanceTypes: ["m7i.large"], os: "windows" } } },
      "enableBuildCache",
      /false while any pool has os "windows"/,
    );
    expect(() => synth({ pools: { win: { labels: ["windows"], instanceTypes: ["m7i.large"], os: "windows" } } })).not.toThrow();
  });
});
