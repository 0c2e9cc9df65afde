import { beforeAll, describe, expect, it } from "vitest";
import { TerraformOutput } from "../../stacks/cdktf.js";
import { AuditTrail, type AuditTrailProps } from "../../stacks/audit-trail.js";
import { AwsContext } from "../../stacks/aws-context.js";
import { SelfRunnersValidationError } from "../../stacks/errors.js";
import { SelfRunners } from "../../stacks/self-runners.js";
import { fakeDistDir, minimalProps, resourceOf, resourcesOf, synthJson, testStack, type SynthesizedStack } from "../helpers/synth.js";

const AUDIT_TYPES = [
  "aws_cloudtrail",
  "aws_kms_key",
  "aws_s3_bucket",
  "aws_s3_bucket_policy",
  "aws_s3_bucket_public_access_block",
  "aws_s3_bucket_ownership_controls",
  "aws_s3_bucket_versioning",
  "aws_s3_bucket_server_side_encryption_configuration",
  "aws_s3_bucket_lifecycle_configuration",
];
const CLOUDWATCH_TYPES = ["aws_cloudwatch_log_group", "aws_iam_role", "aws_iam_role_policy"];

/** An AuditTrail alone in a test stack, with its trailArn and bucketName as outputs. */
function synthAudit(props: Partial<AuditTrailProps> = {}): SynthesizedStack {
  const { stack } = testStack();
  const audit = new AuditTrail(stack, "audit", { trailName: "ci-audit", context: new AwsContext(stack, "current"), ...props });
  new TerraformOutput(stack, "trail_arn", { value: audit.trailArn });
  new TerraformOutput(stack, "bucket_name", { value: audit.bucketName });
  return synthJson(stack);
}

function counts(synth: SynthesizedStack, types: string[]): number[] {
  return types.map((type) => resourceOf(synth, type, "audit").count as number);
}

describe("AuditTrail with literal props (the CDKTF user's path)", () => {
  it("creates the trail, key and hardened bucket by default, without CloudWatch delivery", () => {
    const synth = synthAudit();
    expect(counts(synth, AUDIT_TYPES)).toEqual(AUDIT_TYPES.map(() => 1));
    expect(counts(synth, CLOUDWATCH_TYPES)).toEqual([0, 0, 0]);
    const trail = resourceOf(synth, "aws_cloudtrail", "trail");
    expect(trail).toMatchObject({
      name: "ci-audit",
      is_multi_region_trail: true,
      include_global_service_events: true,
      enable_log_file_validation: true,
      event_selector: [{ read_write_type: "All", include_management_events: true }],
    });
    expect(String(trail.kms_key_id)).toMatch(/^\$\{aws_kms_key\..*\["0"\]\.arn\}$/);
    expect(trail).not.toHaveProperty("cloud_watch_logs_group_arn");
  });

  it("makes the trail wait for the bucket policy (CloudTrail checks it may write when it is created)", () => {
    const trail = resourceOf(synthAudit(), "aws_cloudtrail", "trail");
    expect(trail.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_s3_bucket_policy\..*bucket-policy/)]));
  });

  it("encrypts with a rotating customer managed key that CloudTrail may use only under its encryption context", () => {
    const synth = synthAudit();
    const key = resourceOf(synth, "aws_kms_key", "key");
    expect(key.enable_key_rotation).toBe(true);
    const policy = String(key.policy);
    expect(policy).toContain('"Sid" = "AccountAdministersKey"');
    expect(policy).toMatch(/"Principal" = \{"AWS" = "arn:\$\{data\.aws_partition\.[^}]+\}:iam::\$\{data\.aws_caller_identity\.[^}]+\}:root"\}/);
    expect(policy).toMatch(/"Principal" = \{"Service" = "cloudtrail\.amazonaws\.com"\}, "Action" = \["kms:GenerateDataKey\*"\]/);
    expect(policy).toMatch(/"kms:EncryptionContext:aws:cloudtrail:arn" = "arn:\$\{[^}]+\}:cloudtrail:\*:\$\{[^}]+\}:trail\/\*"/);
    const encryption = resourceOf(synth, "aws_s3_bucket_server_side_encryption_configuration", "encryption");
    expect(encryption.rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: expect.stringMatching(/aws_kms_key\..*\["0"\]\.arn/) }, bucket_key_enabled: true },
    ]);
  });

  it("blocks public access, enforces bucket ownership, versions, and archives then expires the logs", () => {
    const synth = synthAudit({ glacierTransitionDays: 30, retentionDays: 400 });
    expect(resourceOf(synth, "aws_s3_bucket_public_access_block", "audit")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(resourceOf(synth, "aws_s3_bucket_ownership_controls", "audit").rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
    expect(resourceOf(synth, "aws_s3_bucket_versioning", "audit").versioning_configuration).toEqual({ status: "Enabled" });
    const [rule] = resourceOf(synth, "aws_s3_bucket_lifecycle_configuration", "audit").rule as Record<string, unknown>[];
    expect(rule).toMatchObject({
      status: "Enabled",
      transition: [{ days: 30, storage_class: "GLACIER" }],
      expiration: [{ days: 400 }],
      noncurrent_version_expiration: [{ noncurrent_days: 30 }],
    });
  });

  it("lets only CloudTrail write, for this trail, and denies every request without TLS", () => {
    const policy = String(resourceOf(synthAudit(), "aws_s3_bucket_policy", "audit").policy);
    expect(policy).toMatch(/"Effect" = "Deny", "Sid" = "DenyInsecureTransport", "Principal" = "\*", "Action" = \["s3:\*"\].*"Bool" = \{"aws:SecureTransport" = "false"\}/);
    expect(policy).toMatch(/"Sid" = "CloudTrailChecksAcl", "Principal" = \{"Service" = "cloudtrail\.amazonaws\.com"\}, "Action" = \["s3:GetBucketAcl"\]/);
    expect(policy).toMatch(/"Sid" = "CloudTrailWritesLogs", "Principal" = \{"Service" = "cloudtrail\.amazonaws\.com"\}, "Action" = \["s3:PutObject"\]/);
    expect(policy).toContain('"s3:x-amz-acl" = "bucket-owner-full-control"');
    expect(policy.match(/"aws:SourceArn" = "arn:\$\{[^}]+\}:cloudtrail:\$\{[^}]+\}:\$\{[^}]+\}:trail\/ci-audit"/g)).toHaveLength(2);
    expect(policy.match(/"Effect" = "Allow"/g)).toHaveLength(2);
  });

  it("outputs the created trail's ARN and bucket name through try(), which also works with count 0", () => {
    const synth = synthAudit();
    expect(synth.output?.trail_arn.value).toMatch(/^\$\{try\(aws_cloudtrail\..*\["0"\]\.arn, ""\)\}$/);
    expect(synth.output?.bucket_name.value).toMatch(/^\$\{try\(aws_s3_bucket\..*\["0"\]\.bucket, ""\)\}$/);
  });

  it("creates nothing and outputs empty strings when enableCloudTrail is false", () => {
    const synth = synthAudit({ enableCloudTrail: false, cloudWatchLogs: true });
    expect(counts(synth, [...AUDIT_TYPES, ...CLOUDWATCH_TYPES])).toEqual([...AUDIT_TYPES, ...CLOUDWATCH_TYPES].map(() => 0));
    expect(synth.output?.trail_arn.value).toBe("");
    expect(synth.output?.bucket_name.value).toBe("");
  });

  it("creates nothing and outputs the existing trail when existingTrailArn is set", () => {
    const existing = "arn:aws:cloudtrail:us-east-1:210987654321:trail/org-trail";
    const synth = synthAudit({ existingTrailArn: existing, cloudWatchLogs: true });
    expect(counts(synth, [...AUDIT_TYPES, ...CLOUDWATCH_TYPES])).toEqual([...AUDIT_TYPES, ...CLOUDWATCH_TYPES].map(() => 0));
    expect(synth.output?.trail_arn.value).toBe(existing);
    expect(synth.output?.bucket_name.value).toBe("");
  });

  it("delivers to a CloudWatch Logs group through a role limited to that group when cloudWatchLogs is set", () => {
    const synth = synthAudit({ cloudWatchLogs: true, logRetentionDays: 90, isMultiRegionTrail: false });
    expect(counts(synth, CLOUDWATCH_TYPES)).toEqual([1, 1, 1]);
    expect(resourceOf(synth, "aws_cloudwatch_log_group", "audit")).toMatchObject({ name: "/aws/cloudtrail/ci-audit", retention_in_days: 90 });
    const trail = resourceOf(synth, "aws_cloudtrail", "trail");
    expect(trail.is_multi_region_trail).toBe(false);
    expect(trail.cloud_watch_logs_group_arn).toMatch(/^\$\{format\("%s:\*", aws_cloudwatch_log_group\..*\["0"\]\.arn\)\}$/);
    expect(trail.cloud_watch_logs_role_arn).toMatch(/^\$\{aws_iam_role\..*\["0"\]\.arn\}$/);
    expect(trail.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\..*cloudwatch-delivery/)]));
    const delivery = String(resourceOf(synth, "aws_iam_role_policy", "audit").policy);
    expect(delivery).toMatch(/"Action" = \["logs:CreateLogStream", "logs:PutLogEvents"\], "Resource" = "\$\{aws_cloudwatch_log_group\.[^}]+\["0"\]\.arn\}:log-stream:\*"/);
    expect(String(resourceOf(synth, "aws_iam_role", "audit").assume_role_policy)).toContain('"Service" = "cloudtrail.amazonaws.com"');
  });
});

describe("AuditTrail validation", () => {
  const cases: [string, Partial<AuditTrailProps>, RegExp][] = [
    ["existingTrailArn is not a trail ARN", { existingTrailArn: "arn:aws:s3:::bucket" }, /test\/audit: invalid existingTrailArn "arn:aws:s3:::bucket"; allowed: "" or a CloudTrail trail ARN/],
    ["bucketName has capitals", { bucketName: "Audit_Logs" }, /invalid bucketName "Audit_Logs"; allowed: 3-63 characters/],
    ["glacierTransitionDays is zero", { glacierTransitionDays: 0 }, /invalid glacierTransitionDays 0; allowed: a whole number from 1 to 3650/],
    ["retentionDays is fractional", { retentionDays: 400.5 }, /invalid retentionDays 400.5; allowed: a whole number from 2 to 3650/],
    ["retentionDays is not after the transition", { glacierTransitionDays: 180, retentionDays: 180 }, /invalid retentionDays 180; allowed: more days than glacierTransitionDays \(180\)/],
    ["retentionDays is before the default transition", { retentionDays: 60 }, /invalid retentionDays 60; allowed: more days than glacierTransitionDays \(90\)/],
    ["logRetentionDays is not a CloudWatch period", { logRetentionDays: 42 }, /invalid logRetentionDays 42; allowed: one of 1, 3, 5/],
  ];
  for (const [what, props, message] of cases) {
    it(`fails when ${what}`, () => {
      expect(() => synthAudit(props)).toThrow(SelfRunnersValidationError);
      expect(() => synthAudit(props)).toThrow(message);
    });
  }
});

describe("AuditTrail inside SelfRunners", () => {
  let distDir: string;
  beforeAll(() => {
    distDir = fakeDistDir();
  });

  it("records by default with a trail named <prefix>-audit, tagged like the rest", () => {
    const { stack } = testStack();
    new SelfRunners(stack, "runners", minimalProps(distDir, { prefix: "ci", tags: { team: "platform" } }));
    const synth = synthJson(stack);
    const trail = resourceOf(synth, "aws_cloudtrail", "audit");
    expect(trail).toMatchObject({ count: 1, name: "ci-audit", tags: { team: "platform", "self-runners:prefix": "ci" } });
    expect(resourceOf(synth, "aws_s3_bucket", "audit").bucket).toMatch(/^ci-audit-\$\{data\.aws_caller_identity\..*\}-\$\{data\.aws_region\..*\}$/);
  });

  it("switches the trail off with enableCloudTrail: false", () => {
    const { stack } = testStack();
    new SelfRunners(stack, "runners", minimalProps(distDir, { enableCloudTrail: false }));
    expect(Object.values(resourcesOf(synthJson(stack), "aws_cloudtrail")).map((trail) => trail.count)).toEqual([0]);
  });

  it("fails when cloudTrailRetentionDays is not after cloudTrailGlacierAfterDays, naming the audit construct's prop", () => {
    const { stack } = testStack();
    expect(() => new SelfRunners(stack, "runners", minimalProps(distDir, { cloudTrailGlacierAfterDays: 365, cloudTrailRetentionDays: 365 }))).toThrow(
      /test\/runners\/audit: invalid retentionDays 365; allowed: more days than glacierTransitionDays \(365\)/,
    );
  });
});
