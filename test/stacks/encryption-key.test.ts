import { beforeAll, describe, expect, it } from "vitest";
import { AwsContext } from "../../stacks/aws-context.js";
import { EncryptionKey } from "../../stacks/encryption-key.js";
import type { SelfRunnersProps } from "../../stacks/self-runners.js";
import { fakeDistDir, resourceOf, resourcesOf, testStack, type SynthesizedStack, synthSelfRunners } from "../helpers/synth.js";

const GIVEN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const CREATED = /^\$\{aws_kms_key\.[^.]*encryption_key[^.]*\["0"\]\.arn\}$/;
let distDir: string;

beforeAll(() => {
  distDir = fakeDistDir();
});

const synthRunners = (overrides: Partial<SelfRunnersProps> = {}): SynthesizedStack => synthSelfRunners(distDir, overrides);

/** Every resource of `type` with the value of `attribute` (undefined when absent). */
function attributeOf(synth: SynthesizedStack, type: string, attribute: string): unknown[] {
  return Object.values(resourcesOf(synth, type)).map((r) => r[attribute]);
}

function grants(synth: SynthesizedStack): Record<string, string> {
  return Object.fromEntries(
    Object.entries(resourcesOf(synth, "aws_iam_role_policy"))
      .filter(([id]) => id.includes("encryption_grant"))
      .map(([id, r]) => [id.replace(/^.*encryption_grant[-_]/, "").replace(/_[A-F0-9]{8}$/, ""), String(r.policy)]),
  );
}

describe("EncryptionKey inside SelfRunners", () => {
  it("creates a key by default (issue 18, finding 1)", () => {
    expect(resourceOf(synthRunners(), "aws_kms_key", "encryption").count).toBe(1);
  });

  it("keeps AWS-managed encryption and creates no key or grant when createKmsKey is false", () => {
    const synth = synthRunners({ createKmsKey: false });
    expect(resourceOf(synth, "aws_kms_key", "encryption").count).toBe(0);
    expect(attributeOf(synth, "aws_sqs_queue", "sqs_managed_sse_enabled")).toEqual([true, true]);
    expect(attributeOf(synth, "aws_sqs_queue", "kms_master_key_id")).toEqual([undefined, undefined]);
    expect(resourceOf(synth, "aws_dynamodb_table", "runners_table_").server_side_encryption).toEqual({ enabled: true });
    for (const type of ["aws_cloudwatch_log_group", "aws_lambda_function", "aws_ssm_parameter"]) {
      const attribute = { aws_cloudwatch_log_group: "kms_key_id", aws_lambda_function: "kms_key_arn", aws_ssm_parameter: "key_id" }[type]!;
      expect(attributeOf(synth, type, attribute).every((v) => v === undefined), type).toBe(true);
    }
    expect(grants(synth)).toEqual({});
  });

  it("creates a rotating key whose policy lets CloudWatch Logs use it only for the kit's log groups", () => {
    const synth = synthRunners({ createKmsKey: true });
    const key = resourceOf(synth, "aws_kms_key", "encryption");
    expect(key).toMatchObject({ count: 1, enable_key_rotation: true, deletion_window_in_days: 30 });
    const policy = String(key.policy);
    expect(policy).not.toContain('"kms:*"');
    expect(policy).toMatch(/"Sid" = "AccountAdministersKey", "Principal" = \{"AWS" = "arn:\$\{[^}]+\}:iam::\$\{[^}]+\}:root"\}, "Action" = \["kms:Describe\*"/);
    expect(policy).toMatch(/"Principal" = \{"Service" = "logs\.\$\{data\.aws_region\.[^}]+\}\.amazonaws\.com"\}/);
    expect(policy).toContain('"kms:EncryptionContext:aws:logs:arn"');
    for (const name of ["/aws/lambda/ci-webhook", "/aws/lambda/ci-scale-up", "/aws/lambda/ci-reconcile", "/aws/apigateway/ci", "/aws/cloudtrail/ci-audit"]) {
      expect(policy).toContain(`:log-group:${name}"`);
    }
    expect(resourceOf(synth, "aws_kms_alias", "encryption")).toMatchObject({ count: 1, name: "alias/ci" });
  });

  it("encrypts queues, table, parameters, log groups and function settings with the created key", () => {
    const synth = synthRunners({ createKmsKey: true, cloudTrailCloudWatchLogs: true });
    expect(attributeOf(synth, "aws_sqs_queue", "kms_master_key_id").every((v) => CREATED.test(String(v)))).toBe(true);
    // The created key's ARN is a reference, so SSE-SQS is switched off by an expression that is null once it is known.
    expect(attributeOf(synth, "aws_sqs_queue", "sqs_managed_sse_enabled").every((v) => /== null\) \? true : null\}$/.test(String(v)))).toBe(true);
    expect((resourceOf(synth, "aws_dynamodb_table", "runners_table_").server_side_encryption as { kms_key_arn: string }).kms_key_arn).toMatch(CREATED);
    const encrypted = [
      ...attributeOf(synth, "aws_cloudwatch_log_group", "kms_key_id"),
      ...attributeOf(synth, "aws_lambda_function", "kms_key_arn"),
      // SecureStrings only: the draining switch is a plain String ("true"/"false").
      ...Object.values(resourcesOf(synth, "aws_ssm_parameter")).filter((p) => p.type === "SecureString").map((p) => p.key_id),
    ];
    // Twelve log groups (seven functions with the build cache's two, the NAT failover functions, the API,
    // the trail, the WAF, the runners), eight functions (the NAT failover one per AZ), three SecureStrings.
    expect(encrypted).toHaveLength(12 + 8 + 3);
    // The runner binaries bucket: SSE-KMS with the created key by default.
    const binaries = resourceOf(synth, "aws_s3_bucket_server_side_encryption_configuration", "runner-binaries_encryption") as { rule: Array<{ apply_server_side_encryption_by_default: { kms_master_key_id: string; sse_algorithm: string } }> };
    expect(JSON.stringify(binaries.rule)).toMatch(/aws:kms/);
    expect(resourceOf(synth, "aws_dynamodb_table", "jobs_table").server_side_encryption).toMatchObject({ enabled: true });
    expect(encrypted.every((v) => CREATED.test(String(v)))).toBe(true);
  });

  it("grants each role only kms:Decrypt and kms:GenerateDataKey on the key, through the services it uses", () => {
    const synth = synthRunners({ createKmsKey: true });
    const { "ebs-scale-up": ebs, ...byRole } = grants(synth);
    expect(Object.keys(byRole).sort()).toEqual(["build-cache", "build-cache-sweep", "image-builder", "reconcile", "runner", "runner-binaries-syncer", "scale-up", "spot-interruption", "webhook"]);
    const services = (policy: string) => [...policy.matchAll(/"([a-z0-9]+)\.\$\{data\.aws_region\.[^}]+\}\.amazonaws\.com"/g)].map((m) => m[1]);
    expect(services(byRole.webhook!)).toEqual(["lambda", "ssm", "sqs", "dynamodb"]);
    expect(services(byRole["scale-up"]!)).toEqual(["lambda", "ssm", "sqs", "dynamodb"]);
    expect(services(byRole.reconcile!)).toEqual(["lambda", "ssm", "dynamodb", "sqs"]);
    expect(services(byRole["spot-interruption"]!)).toEqual(["lambda", "ssm", "dynamodb", "sqs"]);
    expect(services(byRole.runner!)).toEqual(["dynamodb", "s3"]);
    expect(services(byRole["runner-binaries-syncer"]!)).toEqual(["lambda", "ssm", "s3"]);
    expect(services(byRole["image-builder"]!)).toEqual(["s3"]);
    // The cache function presigns S3 URLs of encrypted blobs and reads the App key from SSM (pull request checks); the sweep deletes objects without reading them.
    expect(services(byRole["build-cache"]!)).toEqual(["lambda", "ssm", "s3", "dynamodb"]);
    expect(services(byRole["build-cache-sweep"]!)).toEqual(["lambda", "dynamodb"]);
    // Launching from baked images encrypted with the key: EC2's actions, through EC2 only (runner-images.test.ts).
    expect(services(ebs!)).toEqual(["ec2", "ec2"]);
    for (const policy of Object.values(byRole)) {
      expect(policy).toMatch(/"Action" = \["kms:Decrypt", "kms:GenerateDataKey"\], "Resource" = aws_kms_key\.[^ ]+\["0"\]\.arn, "Condition" = \{"StringEquals" = \{"kms:ViaService"/);
    }
  });

  it("uses a given key everywhere without creating one", () => {
    const synth = synthRunners({ kmsKeyArn: GIVEN });
    expect(resourceOf(synth, "aws_kms_key", "encryption").count).toBe(0);
    expect(attributeOf(synth, "aws_sqs_queue", "kms_master_key_id")).toEqual([GIVEN, GIVEN]);
    expect(attributeOf(synth, "aws_sqs_queue", "kms_data_key_reuse_period_seconds")).toEqual([3600, 3600]);
    expect(attributeOf(synth, "aws_sqs_queue", "sqs_managed_sse_enabled")).toEqual([undefined, undefined]);
    expect(attributeOf(synth, "aws_lambda_function", "kms_key_arn")).toEqual(Array(8).fill(GIVEN));
    expect(Object.values(grants(synth)).every((policy) => policy.includes(`"Resource" = "${GIVEN}"`))).toBe(true);
  });
});

describe("the key policy (docs/security.md, Keys and data at rest)", () => {
  /** The statements of the created key's policy, by Sid, as HCL text. */
  function statements(overrides: Partial<SelfRunnersProps> = {}): Record<string, string> {
    const policy = String(resourceOf(synthRunners(overrides), "aws_kms_key", "encryption").policy);
    return Object.fromEntries(policy.split(/(?=\{"Effect")/).slice(1).map((s) => [/"Sid" = "([^"]+)"/.exec(s)![1]!, s]));
  }

  it("lets the account administer the key but neither use it nor create grants", () => {
    const admin = statements().AccountAdministersKey!;
    for (const action of ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:Describe*"]) expect(admin, action).toContain(`"${action.replace("kms:PutKeyPolicy", "kms:Put*")}"`);
    for (const action of ["kms:*", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt*", "kms:CreateGrant", "kms:Create*"]) expect(admin, action).not.toContain(`"${action}"`);
    expect(admin).not.toContain("Condition");
  });

  it("lets only the kit's roles and the named administrators use the key or let services use it", () => {
    const all = statements({ kmsKeyAdministratorArns: ["arn:aws:iam::123456789012:role/platform-admin"] });
    for (const sid of ["KitRolesAndAdministratorsUseKey", "KitRolesAndAdministratorsLetServicesUseKey"]) {
      const users = /"aws:PrincipalArn" = concat\(formatlist\("arn:%s:iam::%s:role\/%s", [^,]+, [^,]+, \[([^\]]*)\]\), \[([^\]]*)\]\)/.exec(all[sid]!)!;
      const names = [...users[1]!.matchAll(/"([a-z-]+)"/g)].map((m) => m[1]);
      expect(names, sid).toEqual(["ci-runner", "ci-webhook", "ci-scale-up", "ci-reconcile", "ci-spot-interruption", "ci-github-hooks-ipset", "ci-nat-failover", "ci-runner-binaries-syncer", "ci-image-builder", "ci-build-cache", "ci-build-cache-sweep"]);
      expect(users[1], sid).toContain('"aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder"');
      expect(users[2], sid).toBe('"arn:aws:iam::123456789012:role/platform-admin"');
    }
    expect(all.KitRolesAndAdministratorsLetServicesUseKey).toContain('"kms:GrantIsForAWSResource" = "true"');
  });

  it("falls back to the role running Terraform when no administrator is named", () => {
    const synth = synthRunners();
    expect(String(resourceOf(synth, "aws_kms_key", "encryption").policy)).toMatch(/\[data\.aws_iam_session_context\.[^ ]+\["0"\]\.issuer_arn\]/);
  });

  it("fails when an administrator ARN is an assumed-role session", () => {
    expect(() => synthRunners({ kmsKeyAdministratorArns: ["arn:aws:sts::123456789012:assumed-role/admin/me"] })).toThrow(/invalid kmsKeyAdministratorArns/);
  });
});

describe("EncryptionKey validation", () => {
  it("uses a given key rather than creating one when both createKmsKey and kmsKeyArn are set", () => {
    expect(resourceOf(synthRunners({ createKmsKey: true, kmsKeyArn: GIVEN }), "aws_kms_key", "encryption").count).toBe(0);
  });

  it("fails when kmsKeyArn is an alias ARN", () => {
    expect(() => synthRunners({ kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:alias/runners" })).toThrow(/invalid kmsKeyArn "arn:aws:kms:eu-west-1:123456789012:alias\/runners"; allowed: "" or a KMS key ARN/);
  });

  it("fails when the deletion window is outside what KMS accepts", () => {
    const { stack } = testStack();
    expect(() => new EncryptionKey(stack, "key", { name: "ci", context: new AwsContext(stack, "current"), createKey: true, deletionWindowInDays: 3 })).toThrow(
      /invalid deletionWindowInDays 3; allowed: a whole number from 7 to 30/,
    );
  });
});

describe("least privilege of the scale-up launch policy", () => {
  const launchPolicy = () => String(resourceOf(synthRunners({ runnerSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] }), "aws_iam_role_policy", "launch-runners").policy);

  it("never allows CreateFleet or RunInstances on every resource", () => {
    const statements = launchPolicy().split(/\}, \{/);
    const launching = statements.filter((s) => s.includes('"ec2:RunInstances"'));
    expect(launching.length).toBeGreaterThanOrEqual(4);
    for (const statement of launching) expect(statement).not.toContain('"Resource" = "*"');
  });

  it("launches only from this fleet's templates, into the pools' subnets with the runner security group", () => {
    const policy = launchPolicy();
    expect(policy).toMatch(/"Sid" = "LaunchFromOwnTemplates", "Action" = \["ec2:CreateFleet", "ec2:RunInstances"\], "Resource" = values\(\{ for key, val in aws_launch_template\.[^:]+: key => val\.arn \}\)\}/);
    expect(policy).toMatch(/"Sid" = "LaunchIntoRunnerNetwork".*:security-group\/\$\{aws_security_group\.[^}]+\.id\}", "arn:[^"]+:subnet\/subnet-0123456789abcdef0", "arn:[^"]+:subnet\/subnet-0123456789abcdef1"\]/);
  });

  it("requires the kit's tag in the request for instances, volumes and network interfaces, and when tagging at launch", () => {
    const policy = launchPolicy();
    expect(policy).toMatch(/"Sid" = "LaunchRunnerInstances".*:instance\/\*", "Condition" = \{"StringEquals" = \{"aws:RequestTag\/self-runners:prefix" = "ci", "ec2:MetadataHttpTokens" = "required"\}, "StringLike" = \{"ec2:InstanceType" = \["m7i.large"\]\}, "ArnEquals" = \{"ec2:InstanceProfile" = \[aws_iam_instance_profile\.[^ ]+\.arn\]\}, "ArnLike" = \{"ec2:LaunchTemplate" = values\(/);
    expect(policy).toMatch(/"Sid" = "LaunchTaggedRunners".*:volume\/\*".*:network-interface\/\*"\], "Condition" = \{"StringEquals" = \{"aws:RequestTag\/self-runners:prefix" = "ci"\}, "ArnLike" = \{"ec2:LaunchTemplate" = values\(/);
    expect(policy).toMatch(/"Sid" = "TagOnLaunch".*"Condition" = \{"StringEquals" = \{"ec2:CreateAction" = \["CreateFleet", "RunInstances"\], "aws:RequestTag\/self-runners:prefix" = "ci"\}\}/);
  });

  it("passes only the runner role (no pool has a role of its own here), and only to EC2", () => {
    expect(launchPolicy()).toMatch(/"Sid" = "PassRunnerRole", "Action" = \["iam:PassRole"\], "Resource" = \[aws_iam_role\.[^ ]+runner_role[^ ]*\.arn\], "Condition" = \{"StringEquals" = \{"iam:PassedToService" = \["ec2\.amazonaws\.com", "ec2\.amazonaws\.com\.cn"\]\}\}/);
  });
});

describe("the previous webhook secret", () => {
  it("is a placeholder SecureString the webhook may read and is told about", () => {
    const synth = synthRunners();
    expect(resourceOf(synth, "aws_ssm_parameter", "previous")).toMatchObject({ name: "/ci/github-app/webhook-secret-previous", type: "SecureString", value: "replace-me" });
    const webhook = resourceOf(synth, "aws_lambda_function", "webhook");
    expect((webhook.environment as { variables: Record<string, string> }).variables.WEBHOOK_PREVIOUS_SECRET_SSM_PARAMETER_NAME).toBe("/ci/github-app/webhook-secret-previous");
    const read = String(resourceOf(synth, "aws_iam_role_policy", "read-webhook-secret").policy);
    expect(read).toMatch(/"Resource" = \["arn:[^"]+:parameter\/ci\/github-app\/webhook-secret", "arn:[^"]+:parameter\/ci\/github-app\/webhook-secret-previous"\]/);
  });
});
