/**
 * The security policy of the emitted module, as a table of rules. Each rule names the checkov check it
 * corresponds to (where one exists) and returns findings; a finding passes only through an entry of
 * EXCEPTIONS, which says why the module deliberately differs. docs/security.md lists the same table.
 */
import { KIT_TAG } from "../../stacks/runner-fleet.js";
import { block, effective, isSet, resourcesOf, statementsOf, type Resource, type Statement, type Variant } from "./model.js";

/** Something a rule objects to: `subject` is `address` or `address#Sid`. */
export interface Finding {
  readonly subject: string;
  readonly message: string;
}

export interface PolicyRule {
  readonly id: string;
  readonly description: string;
  /** The checkov checks this rule corresponds to; empty when checkov has none. */
  readonly checkov: readonly string[];
  /** Resource types the rule inspects. */
  readonly types: readonly string[];
  /** Why the rule does not apply to a variant (printed), or undefined when it does. */
  readonly notApplicable?: (variant: Variant) => string | undefined;
  /**
   * A feature not on this branch yet: the rule checks such resources if they exist. With
   * `mustExist: false` no such resource is fine (printed as waiting); set it to true once merged.
   */
  readonly awaits?: string;
  readonly mustExist?: boolean;
  readonly check: (resources: Resource[], variant: Variant) => Finding[];
}

/** A deliberate difference from a rule, with the reason the suite prints. */
export interface PolicyException {
  readonly rule: string;
  /** Matches the finding's subject. */
  readonly subject: RegExp;
  /** Variants it applies to; all when absent. */
  readonly variants?: readonly string[];
  readonly reason: string;
}

const noKey = (variant: Variant): string | undefined =>
  variant.keyReference === undefined ? "no customer managed key configured (create_kms_key / kms_key_arn): AWS-managed encryption" : undefined;

/** A finding for each resource whose `ok` is false. */
function each(message: string, ok: (r: Resource, variant: Variant) => boolean): (resources: Resource[], variant: Variant) => Finding[] {
  return (resources, variant) => resources.filter((r) => !ok(r, variant)).map((r) => ({ subject: r.address, message }));
}

const usesKey = (variant: Variant, value: unknown): boolean => variant.keyReference !== undefined && variant.keyReference.test(String(value));
const truthy = (variant: Variant, value: unknown): boolean => {
  const v = effective(variant, value);
  return v === true || v === "true";
};

/** A web ACL's rules: the static ones and a `dynamic "rule"` block's content. */
function wafRules(acl: Resource): { priority?: unknown; action?: unknown; statement?: unknown }[] {
  const dynamic = block(block(acl.config.dynamic).rule).content;
  return [...((acl.config.rule as Record<string, unknown>[] | undefined) ?? []), ...(dynamic === undefined ? [] : [dynamic as Record<string, unknown>])];
}

/** Every Allow statement of the identity policies (inline role policies) in the variant. */
function identityStatements(resources: Resource[]): { subject: string; statement: Statement }[] {
  return resources.flatMap((r) =>
    statementsOf(r.config.policy)
      .filter((s) => s.Effect === "Allow")
      .map((statement) => ({ subject: `${r.address}#${statement.Sid ?? "?"}`, statement })),
  );
}

/** A statement's conditions as JSON text, for key lookups. */
const conditionText = (statement: Statement): string => JSON.stringify(statement.Condition ?? {});

/** Actions that support no resource-level permissions, so `"Resource": "*"` is the only form. */
const UNSCOPABLE_ACTIONS = /^(ec2:Describe[A-Za-z]+|ssmmessages:(Create|Open)(Control|Data)Channel|ec2messages:(Acknowledge|Delete|Fail|Send)[A-Za-z]*|ec2messages:Get(Endpoint|Messages))$/;
const READ_ONLY_ACTIONS = /^[a-z0-9-]+:(Describe|Get|List)[A-Za-z]*$/;
const EC2_LAUNCH = ["ec2:CreateFleet", "ec2:RunInstances"];
const POLICIES = ["aws_iam_role_policy"];
/** KMS actions that use a key (rather than administer it). */
const KEY_USE_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant"];
/** Whether an IAM action pattern (`*` and `?` wildcards, case-insensitive) matches `action`. */
function wildcardMatches(pattern: string, action: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${regex}$`, "i").test(action);
}
const PARAMETER_READS = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory"];
/** Statements of the runner role's inline policies. */
function runnerRoleStatements(resources: Resource[]): { subject: string; statement: Statement }[] {
  return resources
    .filter((r) => /aws_iam_role\.runner_role\b/.test(String(r.config.role)))
    .flatMap((r) => statementsOf(r.config.policy).map((statement) => ({ subject: `${r.address}#${statement.Sid ?? "?"}`, statement })));
}

/**
 * A PassRole resource naming the shared runner role and, at most, the pools' own runner roles
 * (stacks/runner-pool-roles.ts): every role it references is one of them.
 */
function onlyRunnerRoles(resource: string): boolean {
  const roles = [...resource.matchAll(/aws_iam_role\.([A-Za-z0-9_-]+)/g)].map((m) => m[1]!);
  return roles.some((role) => /^runner_role/.test(role)) && roles.every((role) => /^runner_(pool_)?role/.test(role));
}

export const RULES: readonly PolicyRule[] = [
  // --- Encryption at rest ------------------------------------------------------------------------
  {
    id: "sqs-encrypted",
    description: "Every queue and dead-letter queue is encrypted: SSE-SQS, or SSE-KMS with the configured key.",
    checkov: ["CKV_AWS_27"],
    types: ["aws_sqs_queue"],
    check: each("queue is not encrypted", (r, v) => truthy(v, r.config.sqs_managed_sse_enabled) || isSet(r.config.kms_master_key_id)),
  },
  {
    id: "sqs-cmk",
    description: "With a customer managed key configured, queues use it (not alias/aws/sqs).",
    checkov: ["CKV2_AWS_73"],
    types: ["aws_sqs_queue"],
    notApplicable: noKey,
    check: each("queue does not use the configured key", (r, v) => usesKey(v, r.config.kms_master_key_id)),
  },
  {
    id: "sns-cmk",
    description: "With a customer managed key configured, the alarm topic the module creates is encrypted with it (its key policy lets CloudWatch, Budgets and Cost Anomaly Detection of the account use it).",
    checkov: ["CKV_AWS_26"],
    types: ["aws_sns_topic"],
    notApplicable: noKey,
    check: each("topic is not encrypted with the configured key", (r, v) => usesKey(v, r.config.kms_master_key_id)),
  },
  {
    id: "sns-publishers-scoped",
    description: "The alarm topic's policy allows only sns:Publish, only to service principals, and only with an aws:SourceAccount condition (no confused deputy).",
    checkov: [],
    types: ["aws_sns_topic_policy"],
    check: (resources) =>
      resources.flatMap((r) =>
        statementsOf(r.config.policy).flatMap((s) => {
          const subject = `${r.address}#${s.Sid}`;
          if (s.Effect !== "Allow") return [];
          if (!JSON.stringify(s.Principal ?? "").includes('"Service"')) return [{ subject, message: "a principal other than an AWS service" }];
          if (s.Action.some((a) => a !== "sns:Publish")) return [{ subject, message: "an action other than sns:Publish" }];
          if (!JSON.stringify(s.Condition ?? {}).includes("aws:SourceAccount")) return [{ subject, message: "no aws:SourceAccount condition" }];
          return [];
        }),
      ),
  },
  {
    id: "log-group-kms",
    description: "With a customer managed key configured, every CloudWatch Logs group is encrypted with it (the key policy allows logs.<region> only for these groups).",
    checkov: ["CKV_AWS_158"],
    types: ["aws_cloudwatch_log_group"],
    notApplicable: noKey,
    check: each("log group is not encrypted with the configured key", (r, v) => usesKey(v, r.config.kms_key_id)),
  },
  {
    id: "dynamodb-kms",
    description: "The runners table has server-side encryption with KMS: the AWS managed key, or the configured key when there is one.",
    checkov: ["CKV_AWS_119"],
    types: ["aws_dynamodb_table"],
    check: each("table is not encrypted with KMS (or not with the configured key)", (r, v) => {
      const sse = block(r.config.server_side_encryption);
      return sse.enabled === true && (v.keyReference === undefined || usesKey(v, sse.kms_key_arn));
    }),
  },
  {
    id: "ssm-securestring",
    description: "Every SSM parameter the module creates is a SecureString.",
    checkov: ["CKV2_AWS_34"],
    types: ["aws_ssm_parameter"],
    check: each("parameter is not a SecureString", (r) => r.config.type === "SecureString"),
  },
  {
    id: "ssm-cmk",
    description: "With a customer managed key configured, the SecureString parameters the module creates use it.",
    checkov: ["CKV_AWS_337"],
    types: ["aws_ssm_parameter"],
    notApplicable: noKey,
    check: each("parameter does not use the configured key", (r, v) => usesKey(v, r.config.key_id)),
  },
  {
    id: "lambda-env-kms",
    description: "With a customer managed key configured, every function's environment is encrypted with it.",
    checkov: ["CKV_AWS_173"],
    types: ["aws_lambda_function"],
    notApplicable: noKey,
    check: each("environment is not encrypted with the configured key", (r, v) => usesKey(v, r.config.kms_key_arn)),
  },
  {
    id: "kms-rotation",
    description: "Every key the module creates rotates.",
    checkov: ["CKV_AWS_7"],
    types: ["aws_kms_key"],
    check: each("key rotation is off", (r) => r.config.enable_key_rotation === true),
  },
  {
    id: "kms-no-wildcard-principal",
    description: "No key policy allows a wildcard principal.",
    checkov: ["CKV_AWS_33"],
    types: ["aws_kms_key"],
    check: (resources) =>
      resources.flatMap((r) =>
        statementsOf(r.config.policy)
          .filter((s) => s.Effect === "Allow" && (s.Principal === "*" || JSON.stringify(s.Principal ?? "").includes('"*"')))
          .map((s) => ({ subject: `${r.address}#${s.Sid}`, message: "wildcard principal" })),
      ),
  },
  {
    id: "kms-policy-scoped",
    description: "A key policy grants kms:* only in the standard account-root statement (delegation to IAM); service principals act only under an encryption-context or source condition.",
    checkov: [],
    types: ["aws_kms_key"],
    check: (resources) =>
      resources.flatMap((r) =>
        statementsOf(r.config.policy).flatMap((s) => {
          const subject = `${r.address}#${s.Sid}`;
          const principal = JSON.stringify(s.Principal ?? "");
          if (s.Action.includes("kms:*") && !/:iam::\$\{[^}]+\}:root"/.test(principal)) return [{ subject, message: "kms:* to a principal other than the account root" }];
          if (principal.includes('"Service"') && s.Action.some((a) => a !== "kms:DescribeKey") && s.Condition === undefined) return [{ subject, message: "service principal without a condition" }];
          return [];
        }),
      ),
  },
  {
    id: "kms-use-named-principals",
    description: "The kit's key policy lets the account administer the key but grants use (encrypt, decrypt, data keys, grants) only to named principals: the kit's roles and administrators by aws:PrincipalArn, or a service under a condition (issue 18, finding 1).",
    checkov: [],
    types: ["aws_kms_key"],
    check: (resources) =>
      resources.flatMap((r) =>
        statementsOf(r.config.policy)
          .filter((s) => s.Effect === "Allow" && s.Action.some((a) => KEY_USE_ACTIONS.some((use) => wildcardMatches(a, use))))
          .filter((s) => {
            const principal = JSON.stringify(s.Principal ?? "");
            if (principal.includes('"Service"')) return s.Condition === undefined;
            return !Object.values(s.Condition ?? {}).some((c) => "aws:PrincipalArn" in c);
          })
          .map((s) => ({ subject: `${r.address}#${s.Sid}`, message: "key use granted to the whole account (any IAM policy allowing kms:Decrypt reaches it)" })),
      ),
  },
  {
    id: "dynamodb-resource-policy",
    description: "Every table has a resource policy denying item reads, writes, exports and backups to every principal but the kit's roles (issue 18, finding 1).",
    checkov: [],
    types: ["aws_dynamodb_table"],
    check: (tables, variant) => {
      const policies = resourcesOf(variant, "aws_dynamodb_resource_policy");
      return tables
        .filter((table) => {
          // A counted table (the build cache index) is referenced through index 0.
          const policy = policies.find((p) => String(p.config.resource_arn).replace(/\["0"\]/g, "").includes(`aws_dynamodb_table.${table.name}.arn`));
          return !statementsOf(policy?.config.policy).some(
            (s) => s.Effect === "Deny" && s.Principal === "*" && ["dynamodb:GetItem", "dynamodb:Scan", "dynamodb:PutItem"].every((a) => s.Action.includes(a)) && "aws:PrincipalArn" in (s.Condition?.ArnNotEquals ?? {}),
          );
        })
        .map((table) => ({ subject: table.address, message: "no resource policy limiting item access to the kit's roles" }));
    },
  },
  {
    id: "kms-key-policy-resource",
    description: "Key policies are defined (inline on aws_kms_key).",
    checkov: ["CKV2_AWS_64"],
    types: ["aws_kms_key"],
    check: (resources) => resources.map((r) => ({ subject: r.address, message: isSet(r.config.policy) ? "policy is inline, not an aws_kms_key_policy resource" : "no key policy" })),
  },
  {
    id: "ebs-encrypted",
    description: "Every block device of the launch templates is encrypted (checkov applies CKV_AWS_8 to instances and launch configurations; the same requirement here for launch templates).",
    checkov: ["CKV_AWS_8"],
    types: ["aws_launch_template", "aws_instance"],
    check: each("unencrypted volume", (r) => {
      if (r.type === "aws_instance") return block(r.config.root_block_device).encrypted === true;
      type Device = { ebs?: { encrypted?: unknown } };
      // A dynamic block's content stands for every block it generates (the runners' root and extra volumes).
      const dynamic = (r.config.dynamic as { block_device_mappings?: { content?: Device } } | undefined)?.block_device_mappings?.content;
      const devices = [...((r.config.block_device_mappings as Device[] | undefined) ?? []), ...(dynamic === undefined ? [] : [dynamic])];
      return devices.length > 0 && devices.every((d) => d.ebs?.encrypted === "true" || d.ebs?.encrypted === true);
    }),
  },

  // --- Instances --------------------------------------------------------------------------------
  {
    id: "imdsv2",
    description: "Instance metadata requires IMDSv2 tokens.",
    checkov: ["CKV_AWS_79"],
    types: ["aws_launch_template", "aws_instance"],
    check: each("IMDSv1 allowed", (r) => block(r.config.metadata_options).http_tokens === "required"),
  },
  {
    id: "imds-hop-limit",
    description: "The metadata response hop limit is 1.",
    checkov: ["CKV_AWS_341"],
    types: ["aws_launch_template"],
    check: each("hop limit above 1", (r) => Number(block(r.config.metadata_options).http_put_response_hop_limit ?? 1) <= 1),
  },
  {
    id: "no-public-ip",
    description: "Runners get no public IP unless associate_public_ip_address asks for it.",
    checkov: ["CKV_AWS_88"],
    types: ["aws_launch_template"],
    check: each("public IP address", (r, v) => {
      const interfaces = (r.config.network_interfaces as { associate_public_ip_address?: unknown }[] | undefined) ?? [];
      return interfaces.every((i) => {
        const value = effective(v, i.associate_public_ip_address);
        return value === false || value === "false";
      });
    }),
  },
  {
    id: "no-secrets-in-user-data",
    description: "User data carries no secret: no key, token or JIT configuration; the runner reads its own item from the runners table.",
    checkov: ["CKV_AWS_46"],
    types: ["aws_launch_template"],
    check: each("secret-looking value in user data", (r) => !/PRIVATE KEY|gh[opsu]_[A-Za-z0-9]{20}|replace-me|--jitconfig \\?["']?[A-Za-z0-9+/=]{20}/.test(String(r.config.user_data ?? ""))),
  },

  {
    id: "runner-no-parameter-reads",
    description: "The runner role reads no SSM parameter on \"*\" and is explicitly denied the kit's parameters (issue 18, finding 2).",
    checkov: [],
    types: POLICIES,
    check: (resources) => {
      const statements = runnerRoleStatements(resources);
      const findings = statements
        .filter(({ statement }) => statement.Effect === "Allow" && statement.Action.some((a) => PARAMETER_READS.some((read) => wildcardMatches(a, read))) && statement.Resource.some((res) => res === "*" || res.endsWith(":parameter/*")))
        .map(({ subject }) => ({ subject, message: "ssm:GetParameter* on every parameter" }));
      const denied = statements.some(({ statement }) => statement.Effect === "Deny" && statement.Action.includes("ssm:GetParameter") && statement.Resource.some((res) => /:parameter\/\$\{var\.prefix\}\/\*$|:parameter\/[a-z0-9-]+\/\*$/.test(res)));
      return denied ? findings : [...findings, { subject: "aws_iam_role.runner_role", message: "no explicit Deny of the kit's parameters" }];
    },
  },
  {
    id: "function-url-iam",
    description: "Every Lambda function URL (the build cache's) authenticates callers with IAM (AWS_IAM), never NONE.",
    checkov: [],
    types: ["aws_lambda_function_url"],
    check: each("function URL without IAM authentication", (r) => r.config.authorization_type === "AWS_IAM"),
  },
  {
    id: "runner-no-build-cache-bucket",
    description: "The runner role has no access to the build cache's bucket or index: runners reach blobs only through presigned URLs from the cache function (docs/build-cache.md).",
    checkov: [],
    types: POLICIES,
    check: (resources) =>
      runnerRoleStatements(resources)
        .filter(({ statement }) => statement.Effect !== "Deny" && statement.Resource.some((res) => /build_cache_(bucket|index)/.test(res) || res === "*" && statement.Action.some((a) => /^(s3|dynamodb):/.test(a))))
        .map(({ subject }) => ({ subject, message: "the runner role reaches the build cache's storage" })),
  },
  {
    id: "runner-invokes-cache-through-url",
    description: "The runner role may invoke a function only through an IAM function URL: lambda:InvokeFunctionUrl with lambda:FunctionUrlAuthType = AWS_IAM, lambda:InvokeFunction only with lambda:InvokedViaFunctionUrl.",
    checkov: [],
    types: POLICIES,
    check: (resources) =>
      runnerRoleStatements(resources)
        .filter(({ statement }) => statement.Effect !== "Deny" && statement.Action.some((a) => a.startsWith("lambda:")))
        .filter(({ statement }) => {
          const conditions = conditionText(statement);
          const url = statement.Action.every((a) => a === "lambda:InvokeFunctionUrl") && conditions.includes('"lambda:FunctionUrlAuthType":"AWS_IAM"');
          const viaUrl = statement.Action.every((a) => a === "lambda:InvokeFunction") && conditions.includes('"lambda:InvokedViaFunctionUrl":"true"');
          return !(url || viaUrl);
        })
        .map(({ subject }) => ({ subject, message: "the runner role may invoke a function outside its IAM URL" })),
  },
  {
    id: "no-managed-ssm-core",
    description: "No role gets AmazonSSMManagedInstanceCore or AmazonEC2RoleforSSM (ssm:GetParameter(s) on \"*\"); Session Manager comes from a Session-Manager-only inline policy (issue 18, finding 2).",
    checkov: [],
    types: ["aws_iam_role_policy_attachment"],
    check: each("AWS managed SSM core policy attached", (r) => !/AmazonSSMManagedInstanceCore|AmazonEC2RoleforSSM/.test(String(r.config.policy_arn))),
  },

  // --- Functions ----------------------------------------------------------------------------------
  {
    id: "no-secrets-in-lambda-env",
    description: "Function environments hold parameter names (and the key's ARN), never secrets.",
    checkov: ["CKV_AWS_45"],
    types: ["aws_lambda_function"],
    check: (resources) =>
      resources.flatMap((r) => {
        const variables = (block(r.config.environment).variables ?? {}) as Record<string, unknown>;
        return Object.entries(variables)
          .filter(([name, value]) => /SECRET|KEY|TOKEN|PASSWORD/.test(name) ? !/(_PARAMETER(_NAME)?|_KMS_KEY_ARN)$/.test(name) : /PRIVATE KEY|gh[opsu]_|replace-me/.test(String(value)))
          .map(([name]) => ({ subject: `${r.address}#${name}`, message: "secret-looking environment variable" }));
      }),
  },
  {
    id: "lambda-dlq",
    description: "Functions have a dead-letter queue.",
    checkov: ["CKV_AWS_116"],
    types: ["aws_lambda_function"],
    check: each("no dead-letter queue", (r) => isSet(block(r.config.dead_letter_config).target_arn)),
  },
  {
    id: "lambda-xray",
    description: "Functions trace with X-Ray.",
    checkov: ["CKV_AWS_50"],
    types: ["aws_lambda_function"],
    check: each("no active tracing", (r) => block(r.config.tracing_config).mode === "Active"),
  },
  {
    id: "lambda-concurrency",
    description: "Functions have a reserved concurrency limit.",
    checkov: ["CKV_AWS_115"],
    types: ["aws_lambda_function"],
    check: each("unreserved concurrency", (r, v) => Number(effective(v, r.config.reserved_concurrent_executions)) >= 0),
  },
  {
    id: "lambda-vpc",
    description: "Functions run inside a VPC.",
    checkov: ["CKV_AWS_117"],
    types: ["aws_lambda_function"],
    check: each("not in a VPC", (r, v) => {
      const subnets = effective(v, block(r.config.vpc_config).subnet_ids);
      return Array.isArray(subnets) && subnets.length > 0;
    }),
  },
  {
    id: "lambda-code-signing",
    description: "Functions validate code signing.",
    checkov: ["CKV_AWS_272"],
    types: ["aws_lambda_function"],
    check: each("no code signing configuration", (r) => isSet(r.config.code_signing_config_arn)),
  },
  {
    id: "lambda-permission-source",
    description: "Service invoke permissions are limited by source ARN.",
    checkov: ["CKV_AWS_364"],
    types: ["aws_lambda_permission"],
    check: each("no source_arn", (r) => isSet(r.config.source_arn)),
  },

  {
    id: "log-retention",
    description: "Every log group has a retention period.",
    checkov: ["CKV_AWS_66"],
    types: ["aws_cloudwatch_log_group"],
    check: each("no retention", (r, v) => Number(effective(v, r.config.retention_in_days)) > 0),
  },
  {
    id: "log-retention-1y",
    description: "Log groups keep logs for at least a year.",
    checkov: ["CKV_AWS_338"],
    types: ["aws_cloudwatch_log_group"],
    check: each("retention under 365 days", (r, v) => Number(effective(v, r.config.retention_in_days)) >= 365),
  },

  // --- API Gateway and WAF --------------------------------------------------------------------------
  {
    id: "api-access-logs",
    description: "The API stage writes access logs.",
    checkov: ["CKV_AWS_76"],
    types: ["aws_api_gateway_stage"],
    check: each("no access logs", (r) => isSet(block(r.config.access_log_settings).destination_arn)),
  },
  {
    id: "api-xray",
    description: "The API stage traces with X-Ray.",
    checkov: ["CKV_AWS_73"],
    types: ["aws_api_gateway_stage"],
    check: each("no X-Ray tracing", (r) => r.config.xray_tracing_enabled === true),
  },
  {
    id: "api-authorization",
    description: "API methods require an authorizer.",
    checkov: ["CKV_AWS_59"],
    types: ["aws_api_gateway_method"],
    check: each("authorization NONE", (r) => r.config.authorization !== "NONE"),
  },
  {
    id: "api-caching",
    description: "The API stage caches responses.",
    checkov: ["CKV_AWS_120"],
    types: ["aws_api_gateway_stage"],
    check: each("no cache cluster", (r) => r.config.cache_cluster_enabled === true),
  },
  {
    id: "api-execution-logging",
    description: "The API stage writes execution logs at a defined level.",
    checkov: ["CKV2_AWS_4"],
    types: ["aws_api_gateway_method_settings"],
    check: each("no execution logging level", (r) => isSet(block(r.config.settings).logging_level)),
  },
  {
    id: "api-client-certificate",
    description: "The API stage authenticates to its backend with a client certificate.",
    checkov: ["CKV2_AWS_51"],
    types: ["aws_api_gateway_stage"],
    check: each("no client certificate", (r) => isSet(r.config.client_certificate_id)),
  },
  {
    id: "api-behind-waf",
    description: "If a web ACL exists, the webhook stage is associated with it.",
    checkov: ["CKV2_AWS_29"],
    types: ["aws_wafv2_web_acl"],
    awaits: "WAF (stacks/webhook-firewall.ts)",
    mustExist: true,
    check: (acls, v) => {
      if (acls.length === 0) return [];
      const associations = resourcesOf(v, "aws_wafv2_web_acl_association");
      return resourcesOf(v, "aws_api_gateway_stage")
        .filter((stage) => !associations.some((a) => String(a.config.resource_arn).includes(`${stage.address}.arn`)))
        .map((stage) => ({ subject: stage.address, message: "stage not associated with a web ACL" }));
    },
  },
  {
    id: "waf-logging",
    description: "If a web ACL exists, it has a logging configuration.",
    checkov: ["CKV2_AWS_31"],
    types: ["aws_wafv2_web_acl"],
    awaits: "WAF (stacks/webhook-firewall.ts)",
    mustExist: true,
    check: (acls, v) => {
      const logging = resourcesOf(v, "aws_wafv2_web_acl_logging_configuration");
      // `<address>.arn`, or `<address>["0"].arn` when the ACL has a count.
      const refersTo = (value: unknown, address: string) => new RegExp(`${address.replace(/\./g, "\\.")}(\\["0"\\])?\\.arn`).test(String(value));
      return acls
        .filter((acl) => !logging.some((l) => refersTo(l.config.resource_arn, acl.address)))
        .map((acl) => ({ subject: acl.address, message: "no logging configuration" }));
    },
  },
  {
    id: "waf-known-bad-inputs",
    description: "If a web ACL exists, it blocks known bad inputs (AWSManagedRulesKnownBadInputsRuleSet, Log4j CVE-2021-44228).",
    checkov: ["CKV_AWS_192"],
    types: ["aws_wafv2_web_acl"],
    awaits: "WAF (stacks/webhook-firewall.ts)",
    mustExist: true,
    check: each("no AWSManagedRulesKnownBadInputsRuleSet rule", (r) => JSON.stringify(r.config.rule ?? []).includes("AWSManagedRulesKnownBadInputsRuleSet")),
  },
  {
    id: "waf-signed-requests-first",
    description:
      "If a web ACL exists, its first rule blocks requests without a well-formed X-Hub-Signature-256 (^sha256=[0-9a-f]{64}$) or with an oversized Content-Length, before the rate rule and the stage throttle count them (issue 18, finding 4).",
    checkov: [],
    types: ["aws_wafv2_web_acl"],
    check: each("no signature rule at the lowest priority", (r) => {
      const first = [...wafRules(r)].sort((a, b) => Number(a.priority) - Number(b.priority))[0];
      const text = JSON.stringify(first?.statement ?? {});
      return first?.action !== undefined && JSON.stringify(first.action).includes("block") &&
        text.includes('"name":"x-hub-signature-256"') && text.includes("^sha256=[0-9a-f]{64}$") && text.includes('"name":"content-length"');
    }),
  },
  {
    id: "waf-rate-limit-everyone",
    description: "If a web ACL exists, its rate rule counts every source address: no exemption for GitHub's hook ranges, from which any GitHub user can send (issue 18, finding 4).",
    checkov: [],
    types: ["aws_wafv2_web_acl"],
    check: each("rate rule scoped down (an exemption)", (r) => {
      const rates = wafRules(r).filter((rule) => JSON.stringify(rule.statement ?? {}).includes("rate_based_statement"));
      return rates.length > 0 && rates.every((rule) => !JSON.stringify(rule.statement).includes("scope_down_statement"));
    }),
  },
  {
    id: "nat-instance-hardened",
    description: "The NAT instances' launch template requires IMDSv2 and encrypts every volume.",
    checkov: ["CKV_AWS_79", "CKV_AWS_8"],
    types: ["aws_launch_template"],
    awaits: "NAT (stacks/nat-instance.ts)",
    mustExist: true,
    check: each("IMDSv1 allowed or unencrypted volume", (r) =>
      !r.name.startsWith("nat") ||
      (block(r.config.metadata_options).http_tokens === "required" &&
        JSON.stringify(r.config.block_device_mappings ?? []).includes('"encrypted":') &&
        !JSON.stringify(r.config.block_device_mappings ?? []).includes('"encrypted":"false"') &&
        !JSON.stringify(r.config.block_device_mappings ?? []).includes('"encrypted":false')),
    ),
  },
  {
    id: "vpc-endpoint-private-dns",
    description: "If interface VPC endpoints exist, they use private DNS, so SDK calls reach them without configuration.",
    checkov: [],
    types: ["aws_vpc_endpoint"],
    awaits: "VPC endpoints (NAT/VPC endpoints branch)",
    mustExist: true,
    check: each("interface endpoint without private DNS", (r) => r.config.vpc_endpoint_type !== "Interface" || r.config.private_dns_enabled === true),
  },

  // --- Audit trail ------------------------------------------------------------------------------
  {
    id: "cloudtrail-kms",
    description: "The trail's logs are encrypted with a customer managed key.",
    checkov: ["CKV_AWS_35"],
    types: ["aws_cloudtrail"],
    check: each("trail not encrypted with KMS", (r) => isSet(r.config.kms_key_id)),
  },
  {
    id: "cloudtrail-log-validation",
    description: "Log file validation is on.",
    checkov: ["CKV_AWS_36"],
    types: ["aws_cloudtrail"],
    check: each("log file validation off", (r) => r.config.enable_log_file_validation === true),
  },
  {
    id: "cloudtrail-multi-region",
    description: "The trail records every region.",
    checkov: ["CKV_AWS_67"],
    types: ["aws_cloudtrail"],
    check: each("single-region trail", (r, v) => truthy(v, r.config.is_multi_region_trail)),
  },
  {
    id: "cloudtrail-cloudwatch",
    description: "The trail delivers to CloudWatch Logs.",
    checkov: ["CKV2_AWS_10"],
    types: ["aws_cloudtrail"],
    check: each("no CloudWatch Logs delivery", (r) => isSet(r.config.cloud_watch_logs_group_arn)),
  },
  {
    id: "s3-public-access-block",
    description: "Every bucket blocks public ACLs and policies (all four settings).",
    checkov: ["CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"],
    types: ["aws_s3_bucket_public_access_block"],
    check: each("a public access block setting is off", (r) => ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].every((k) => r.config[k] === true)),
  },
  {
    id: "s3-versioning",
    description: "Every bucket is versioned.",
    checkov: ["CKV_AWS_21"],
    types: ["aws_s3_bucket_versioning"],
    check: each("versioning not enabled", (r) => block(r.config.versioning_configuration).status === "Enabled"),
  },
  {
    id: "s3-kms",
    description: "Every bucket is encrypted with SSE-KMS by default.",
    checkov: ["CKV_AWS_145"],
    types: ["aws_s3_bucket_server_side_encryption_configuration"],
    check: each("not SSE-KMS", (r) => block(block(r.config.rule).apply_server_side_encryption_by_default).sse_algorithm === "aws:kms"),
  },
  {
    id: "s3-tls-only",
    description: "Every bucket policy denies requests without TLS.",
    checkov: [],
    types: ["aws_s3_bucket_policy"],
    check: each("no TLS-only deny", (r) => statementsOf(r.config.policy).some((s) => s.Effect === "Deny" && JSON.stringify(s.Condition ?? {}).includes('"aws:SecureTransport":"false"'))),
  },
  {
    id: "s3-access-logging",
    description: "Buckets write server access logs.",
    checkov: ["CKV_AWS_18"],
    types: ["aws_s3_bucket"],
    check: each("no access logging", () => false),
  },
  {
    id: "s3-event-notifications",
    description: "Buckets send event notifications.",
    checkov: ["CKV2_AWS_62"],
    types: ["aws_s3_bucket"],
    check: each("no event notifications", () => false),
  },
  {
    id: "s3-replication",
    description: "Buckets replicate to another region.",
    checkov: ["CKV_AWS_144"],
    types: ["aws_s3_bucket"],
    check: each("no cross-region replication", () => false),
  },

  // --- Data --------------------------------------------------------------------------------------
  {
    id: "dynamodb-pitr",
    description: "The runners table has point-in-time recovery.",
    checkov: ["CKV_AWS_28"],
    types: ["aws_dynamodb_table"],
    check: each("no point-in-time recovery", (r, v) => truthy(v, block(r.config.point_in_time_recovery).enabled)),
  },
  {
    id: "sqs-dead-letter",
    description: "Every job queue redrives to a dead-letter queue.",
    checkov: [],
    types: ["aws_sqs_queue"],
    check: each("no redrive policy", (r) => r.name.endsWith("dlq") || isSet(r.config.redrive_policy)),
  },

  // --- IAM ----------------------------------------------------------------------------------------
  {
    id: "iam-no-wildcard-action",
    description: 'No identity policy allows "*" or "<service>:*" actions.',
    checkov: ["CKV_AWS_63", "CKV_AWS_62"],
    types: POLICIES,
    check: (resources) =>
      identityStatements(resources)
        .filter(({ statement }) => statement.Action.some((a) => a === "*" || a.endsWith(":*")))
        .map(({ subject }) => ({ subject, message: "wildcard action" })),
  },
  {
    id: "iam-write-constrained",
    description: 'Write actions on "*" carry a condition (checkov CKV_AWS_111 is the same check for policy documents).',
    checkov: ["CKV_AWS_290", "CKV_AWS_111"],
    types: POLICIES,
    check: (resources) =>
      identityStatements(resources)
        .filter(({ statement }) => statement.Resource.includes("*") && statement.Condition === undefined && statement.Action.some((a) => !READ_ONLY_ACTIONS.test(a)))
        .map(({ subject }) => ({ subject, message: "write actions on every resource without a condition" })),
  },
  {
    id: "iam-star-resource",
    description: '"*" as resource only for actions without resource-level permissions (checkov CKV_AWS_356 for policy documents).',
    checkov: ["CKV_AWS_355", "CKV_AWS_356"],
    types: POLICIES,
    check: (resources) =>
      identityStatements(resources)
        .filter(({ statement }) => statement.Resource.includes("*") && statement.Action.some((a) => !UNSCOPABLE_ACTIONS.test(a)))
        .map(({ subject }) => ({ subject, message: 'restrictable action on "*"' })),
  },
  {
    id: "iam-passrole-scoped",
    description: "iam:PassRole only for the runner roles (shared and per pool) and only to EC2 (iam:PassedToService).",
    checkov: ["CKV_AWS_110"],
    types: POLICIES,
    check: (resources) =>
      identityStatements(resources)
        .filter(({ statement }) => statement.Action.includes("iam:PassRole"))
        .filter(({ statement }) => !(statement.Resource.length === 1 && onlyRunnerRoles(statement.Resource[0]!) && JSON.stringify(statement.Condition ?? {}).includes('"iam:PassedToService":["ec2.amazonaws.com"')))
        .map(({ subject }) => ({ subject, message: "PassRole not limited to the runner role and EC2" })),
  },
  {
    id: "ec2-mutations-tag-scoped",
    description: `TerminateInstances, StopInstances and CreateTags after launch apply only to instances tagged ${KIT_TAG}; tagging at launch requires that tag in the request.`,
    checkov: [],
    types: POLICIES,
    check: (resources) =>
      identityStatements(resources)
        .filter(({ statement }) => statement.Action.some((a) => ["ec2:TerminateInstances", "ec2:StopInstances", "ec2:CreateTags"].includes(a)))
        .filter(({ statement }) => {
          const conditions = JSON.stringify(statement.Condition ?? {});
          const ownInstances = conditions.includes(`"ec2:ResourceTag/${KIT_TAG}"`);
          const taggedLaunch = conditions.includes('"ec2:CreateAction"') && conditions.includes(`"aws:RequestTag/${KIT_TAG}"`);
          return !(ownInstances || (statement.Action.every((a) => a === "ec2:CreateTags") && taggedLaunch));
        })
        .map(({ subject }) => ({ subject, message: "EC2 mutation not conditioned on the kit's tag" })),
  },
  {
    id: "ec2-launch-scoped",
    description: `CreateFleet/RunInstances only from this deployment's launch templates, into its subnets and security group, for resources requested with ${KIT_TAG}; never on "*".`,
    checkov: [],
    types: POLICIES,
    check: (resources) =>
      identityStatements(resources)
        .filter(({ statement }) => statement.Action.some((a) => EC2_LAUNCH.includes(a)))
        .filter(({ statement }) => {
          const resourcesText = statement.Resource.join(" ");
          if (statement.Resource.includes("*")) return true;
          if (/:launch-template\//.test(resourcesText)) return true;
          if (/:(instance|volume|network-interface)\/\*/.test(resourcesText)) return !JSON.stringify(statement.Condition ?? {}).includes(`"aws:RequestTag/${KIT_TAG}"`);
          if (/:subnet\/\*/.test(resourcesText) || /:security-group\/\*/.test(resourcesText)) return true;
          return false;
        })
        .map(({ subject }) => ({ subject, message: "launch permission broader than this deployment" })),
  },
  // --- Ownership and bounds (issue 18, findings 3, 7, 8, 10) ------------------------------------
  {
    id: "ec2-ownership-by-profile",
    description: "Terminating, stopping, renaming or modifying an instance after launch needs its instance profile (ec2:InstanceProfile), not only a tag anyone with ec2:CreateTags can copy.",
    checkov: [],
    types: POLICIES,
    check: (resources) =>
      identityStatements(resources)
        .filter(({ statement }) => statement.Action.some((a) => ["ec2:TerminateInstances", "ec2:StopInstances", "ec2:ModifyInstanceAttribute"].includes(a)) || (statement.Action.includes("ec2:CreateTags") && conditionText(statement).includes('"ec2:ResourceTag/')))
        .filter(({ statement }) => !conditionText(statement).includes('"ec2:InstanceProfile"'))
        .map(({ subject }) => ({ subject, message: "instance mutation trusts a settable tag only" })),
  },
  {
    id: "ec2-launch-bound",
    description: "Every resource of a CreateFleet/RunInstances request comes from the kit's launch templates (ec2:LaunchTemplate); instances only with the runner profile, IMDSv2 required and a pool's instance type; images only as the template names them (ec2:IsLaunchTemplateResource).",
    checkov: [],
    types: POLICIES,
    check: (resources) =>
      identityStatements(resources)
        .filter(({ statement }) => statement.Action.some((a) => EC2_LAUNCH.includes(a)))
        .filter(({ statement }) => {
          const resourcesText = statement.Resource.join(" ");
          const conditions = conditionText(statement);
          // The template itself, and the fleet and its spot requests, are what the request names.
          if (/:(launch-template|fleet|spot-instances-request)\/|aws_launch_template\./.test(resourcesText) && !/:(instance|volume|network-interface|subnet|security-group|image|snapshot)\//.test(resourcesText)) return false;
          if (!conditions.includes('"ec2:LaunchTemplate"')) return true;
          if (/:instance\//.test(resourcesText)) {
            return !(conditions.includes('"ec2:MetadataHttpTokens":"required"') && conditions.includes('"ec2:InstanceProfile"') && conditions.includes('"ec2:InstanceType"'));
          }
          if (/:image\//.test(resourcesText)) return !conditions.includes('"ec2:IsLaunchTemplateResource":"true"');
          return false;
        })
        .map(({ subject }) => ({ subject, message: "launch not bound to the kit's templates, profile, IMDSv2 and instance types" })),
  },
  {
    id: "runner-item-attributes",
    description: "The runner role reads only `jitConfig` and `jobKey` and writes only `jitConfig` of its own item (dynamodb:Attributes, dynamodb:LeadingKeys = its instance ARN, dynamodb:ReturnValues NONE on updates).",
    checkov: [],
    types: POLICIES,
    check: (resources) =>
      identityStatements(resources.filter((r) => /aws_iam_role\.runner_role/.test(String(r.config.role))))
        .filter(({ statement }) => statement.Action.some((a) => a.startsWith("dynamodb:")))
        .filter(({ statement }) => {
          const forAll = (statement.Condition?.["ForAllValues:StringEquals"] ?? {}) as Record<string, unknown>;
          const attributes = forAll["dynamodb:Attributes"];
          const ownKey = JSON.stringify(forAll["dynamodb:LeadingKeys"] ?? "").includes("ec2:SourceInstanceARN");
          const onlyJitConfig = Array.isArray(attributes) && attributes.every((a) => a === "pk" || a === "jitConfig" || a === "jobKey");
          const writes = statement.Action.some((a) => a !== "dynamodb:GetItem");
          const updateOnlyJitConfig = !writes || (Array.isArray(attributes) && attributes.every((a) => a === "pk" || a === "jitConfig") && conditionText(statement).includes('"dynamodb:ReturnValues":"NONE"'));
          return !(ownKey && onlyJitConfig && updateOnlyJitConfig);
        })
        .map(({ subject }) => ({ subject, message: "runner may read or write more than jitConfig of its own item" })),
  },
  {
    id: "jit-sealed-per-instance",
    description:
      "With a kit key, scale-up may encrypt only under `kms:EncryptionContext:instance-arn` (an instance ARN) and the runner role may decrypt directly only when that context equals `${ec2:SourceInstanceARN}` (any other runner decrypt goes through a service): the JIT configuration in the runners table is sealed for one instance.",
    checkov: [],
    types: POLICIES,
    notApplicable: noKey,
    check: (resources) => {
      const ofRole = (role: RegExp, action: string) =>
        identityStatements(resources.filter((r) => role.test(String(r.config.role)))).filter(({ statement }) => statement.Action.some((a) => wildcardMatches(a, action)));
      const ownInstance = (statement: Statement) => /"kms:EncryptionContext:instance-arn":"\$*\{ec2:SourceInstanceARN\}"/.test(conditionText(statement));
      const anInstance = (statement: Statement) => /"kms:EncryptionContext:instance-arn":"arn:[^"]*:instance\/\*"/.test(conditionText(statement));
      const opens = ofRole(/aws_iam_role\.runner_role/, "kms:Decrypt");
      const seals = ofRole(/aws_iam_role\.scale_up_role/, "kms:Encrypt");
      return [
        ...opens.filter(({ statement }) => !conditionText(statement).includes("kms:ViaService") && !ownInstance(statement)).map(({ subject }) => ({ subject, message: "runner may decrypt other instances' configurations" })),
        ...seals.filter(({ statement }) => !anInstance(statement)).map(({ subject }) => ({ subject, message: "scale-up may encrypt under any context" })),
        ...(opens.some(({ statement }) => ownInstance(statement)) ? [] : [{ subject: "aws_iam_role.runner_role", message: "no decrypt of its own sealed configuration: the table holds JIT configurations in the clear" }]),
        ...(seals.some(({ statement }) => anInstance(statement)) ? [] : [{ subject: "aws_iam_role.scale_up_role", message: "scale-up cannot seal JIT configurations" }]),
      ];
    },
  },
  {
    id: "runner-credentials-in-vpc",
    description: "The runner role's statements hold only for credentials of an instance in the kit's VPC (aws:ec2InstanceSourceVPC), used from that instance when the request comes through a VPC endpoint (aws:VpcSourceIp = aws:ec2InstanceSourcePrivateIPv4).",
    checkov: [],
    types: POLICIES,
    check: (resources) =>
      identityStatements(resources.filter((r) => /aws_iam_role\.runner_role/.test(String(r.config.role))))
        .filter(({ statement }) => !(conditionText(statement).includes('"aws:ec2InstanceSourceVPC"') && conditionText(statement).includes("ec2InstanceSourcePrivateIPv4")))
        .map(({ subject }) => ({ subject, message: "runner credentials usable outside the VPC" })),
  },
  {
    id: "sqs-queue-policy",
    description: "Every job queue and dead-letter queue has a queue policy denying Send/Receive/Delete to every principal but the kit's functions (and tagged operators).",
    checkov: [],
    types: ["aws_sqs_queue"],
    check: (resources, variant) => {
      const policies = resourcesOf(variant, "aws_sqs_queue_policy");
      return resources
        .filter((queue) => {
          const policy = policies.find((p) => String(p.config.for_each ?? p.config.queue_url).includes(queue.address));
          const deny = policy === undefined ? undefined : statementsOf(policy.config.policy).find((st) => st.Effect === "Deny" && st.Action.includes("sqs:SendMessage") && st.Action.includes("sqs:ReceiveMessage"));
          return deny === undefined || !JSON.stringify(deny.Condition ?? {}).includes('"aws:PrincipalArn"');
        })
        .map((queue) => ({ subject: queue.address, message: "no queue policy limiting who moves jobs" }));
    },
  },
  {
    id: "vpc-endpoint-policy",
    description: "Every VPC endpoint has a policy admitting only this account's principals (aws:PrincipalAccount), not AWS's allow-all default.",
    checkov: [],
    types: ["aws_vpc_endpoint"],
    check: each("endpoint with the default allow-all policy", (r) => String(r.config.policy ?? "").includes("aws:PrincipalAccount")),
  },
  {
    id: "nat-ingress-protocols",
    description: "The NAT instances' security group admits only TCP, UDP and ICMP from the VPC, not every IP protocol.",
    checkov: [],
    types: ["aws_security_group"],
    check: each("NAT admits every protocol", (r) => !r.name.startsWith("nat_security_group") || ((r.config.ingress as Array<{ protocol?: string }> | undefined) ?? []).every((rule) => ["tcp", "udp", "icmp"].includes(String(rule.protocol)))),
  },
  {
    id: "kms-grants-scoped",
    description:
      "Roles get only kms:Decrypt and kms:GenerateDataKey on the configured key, through named services (kms:ViaService); the one direct use is the JIT seal (kms:Encrypt or kms:Decrypt alone, under the `instance-arn` encryption context, see jit-sealed-per-instance).",
    checkov: [],
    types: POLICIES,
    check: (resources) =>
      identityStatements(resources)
        .filter(({ statement }) => statement.Action.some((a) => a.startsWith("kms:")))
        .filter(({ statement }) => {
          const onKey = !statement.Resource.includes("*");
          const throughServices = statement.Action.every((a) => a === "kms:Decrypt" || a === "kms:GenerateDataKey") && JSON.stringify(statement.Condition ?? {}).includes('"kms:ViaService"');
          const jitSeal = statement.Action.length === 1 && ["kms:Encrypt", "kms:Decrypt"].includes(statement.Action[0] ?? "") && JSON.stringify(statement.Condition ?? {}).includes('"kms:EncryptionContext:instance-arn"');
          return !(onKey && (throughServices || jitSeal));
        })
        .map(({ subject }) => ({ subject, message: "KMS permission broader than decrypt/generate through services" })),
  },
  {
    id: "iam-managed-policies",
    description: "Roles carry no AWS managed policies.",
    checkov: [],
    types: ["aws_iam_role_policy_attachment"],
    check: each("AWS managed policy attached", () => false),
  },
  {
    id: "iam-trust-services",
    description: "Roles can be assumed only by AWS service principals.",
    checkov: ["CKV_AWS_60"],
    types: ["aws_iam_role"],
    check: (resources) =>
      resources.flatMap((r) =>
        statementsOf(r.config.assume_role_policy)
          .filter((s) => !JSON.stringify(s.Principal ?? "").startsWith('{"Service"'))
          .map(() => ({ subject: r.address, message: "trust policy names a non-service principal" })),
      ),
  },

  // --- Network ----------------------------------------------------------------------------------
  {
    id: "sg-no-world-ingress",
    description: "No security group allows ingress from 0.0.0.0/0 or ::/0.",
    checkov: ["CKV_AWS_24", "CKV_AWS_25"],
    types: ["aws_security_group"],
    check: each("ingress from anywhere", (r) => !JSON.stringify(r.config.ingress ?? []).match(/0\.0\.0\.0\/0|::\/0/)),
  },
  {
    id: "sg-rule-descriptions",
    description: "Every security group rule has a description.",
    checkov: ["CKV_AWS_23"],
    types: ["aws_security_group"],
    check: each("rule without description", (r) => [...((r.config.ingress as object[]) ?? []), ...((r.config.egress as object[]) ?? [])].every((rule) => isSet((rule as { description?: string }).description))),
  },
  {
    id: "sg-egress-restricted",
    description: "Security groups do not allow all egress to 0.0.0.0/0.",
    checkov: [],
    types: ["aws_security_group"],
    check: each("all egress to anywhere", (r) => !JSON.stringify(r.config.egress ?? []).includes("0.0.0.0/0")),
  },

  // --- The emitted HCL ------------------------------------------------------------------------------
  {
    id: "module-hcl-no-secrets",
    description: "The emitted module holds no secret: the only secret-like literal is the placeholder of created parameters, which Terraform never updates.",
    checkov: [],
    types: [],
    notApplicable: (v) => (v.hcl === undefined ? "checked once, on the emitted module's HCL" : undefined),
    check: (_resources, v) => {
      const findings: Finding[] = [];
      if (/PRIVATE KEY|gh[opsu]_[A-Za-z0-9]{20}|github_pat_/.test(v.hcl!)) findings.push({ subject: "main.tf", message: "secret-looking literal" });
      const placeholders = v.hcl!.match(/"replace-me"/g)?.length ?? 0;
      const parameters = v.hcl!.match(/resource "aws_ssm_parameter"/g)?.length ?? 0;
      if (placeholders > parameters) findings.push({ subject: "main.tf", message: "placeholder used outside SSM parameters" });
      if (!/ignore_changes = \[value\]/.test(v.hcl!)) findings.push({ subject: "main.tf", message: "parameters not protected by ignore_changes" });
      return findings;
    },
  },
];

export const EXCEPTIONS: readonly PolicyException[] = [
  {
    rule: "kms-use-named-principals",
    subject: /^aws_kms_key\.audit_key#AccountAdministersKey$/,
    reason: "the audit key encrypts the CloudTrail bucket only (no secrets): whoever reviews the trail decrypts it through IAM; the kit's data key is the one limited to named principals",
  },
  {
    rule: "runner-credentials-in-vpc",
    subject: /^aws_iam_role_policy\.encryption_grant_runner#/,
    reason: "the runner's KMS grant holds only through DynamoDB and S3 (kms:ViaService), inside calls the runner's own DynamoDB and S3 statements already limit to its VPC and address",
  },
  {
    rule: "imds-hop-limit",
    subject: /^aws_launch_template\.runner_launch_template$/,
    reason: "hop limit 2 by default (per pool metadata_hop_limit) lets job containers on the docker bridge reach IMDSv2 for the runner role; tokens are still required (IMDSv2), and 1 would break jobs that use the instance role from containers",
  },
  {
    rule: "no-public-ip",
    subject: /^aws_launch_template\.runner_launch_template$/,
    variants: ["opt-ins"],
    reason: "associate_public_ip_address = true is an explicit opt-in for public subnets without NAT; the security group still allows no inbound traffic",
  },
  {
    rule: "lambda-dlq",
    subject: /^aws_lambda_function\.webhook_function$/,
    reason: "invoked synchronously by API Gateway: a failure is answered to GitHub, which shows it and redelivers; a Lambda DLQ applies only to asynchronous invocations",
  },
  {
    rule: "lambda-dlq",
    subject: /^aws_lambda_function\.scale_up_function$/,
    reason: "triggered by SQS: failed messages return to the job queue and move to its dead-letter queue after maxReceiveCount; a Lambda DLQ would never receive anything",
  },
  {
    rule: "lambda-dlq",
    subject: /^aws_lambda_function\.reconcile_function$/,
    reason: "runs on a schedule and is idempotent: the next run (5 minutes) redoes whatever a failed run left",
  },
  {
    rule: "lambda-dlq",
    subject: /^aws_lambda_function\.webhook_firewall_github_hooks_ipset_function$/,
    reason: "runs on a schedule (and once during apply) with an empty event and is idempotent: the next run redoes a failed one, and a failure keeps the IP sets' previous ranges",
  },
  {
    rule: "lambda-dlq",
    subject: /^aws_lambda_function\.runner_binaries_syncer_function$/,
    reason: "runs on a schedule (and once during apply) with an empty event and is idempotent: the next run redoes a failed one, and a failure keeps the last verified release in the bucket",
  },
  {
    rule: "s3-kms",
    subject: /^aws_s3_bucket_server_side_encryption_configuration\.runner_binaries_encryption$/,
    // The module variant renders the switch (`local.encryption_enabled ? "aws:kms" : "AES256"`); every variant with a key shows aws:kms.
    variants: ["module"],
    reason: "SSE-KMS with the kit key whenever one is in use (create_kms_key, the default, or kms_key_arn); without a key SSE-S3: the archives are GitHub's public runner releases, no secret",
  },
  {
    rule: "lambda-dlq",
    subject: /^aws_lambda_function\.build_cache_function$/,
    reason: "invoked synchronously through its function URL by the runners' cache agents: a failure is answered to the agent, and the build goes on without that entry",
  },
  {
    rule: "lambda-dlq",
    subject: /^aws_lambda_function\.build_cache_sweep_function$/,
    reason: "runs hourly on a schedule and is idempotent: the next run evicts what a failed one left",
  },
  {
    rule: "lambda-concurrency",
    subject: /^aws_lambda_function\.build_cache_function$/,
    reason: "unreserved: cache requests grow with the running jobs, and reserving would take capacity from every other function of the account; a throttled lookup or save is a cache miss, never a failed job",
  },
  {
    rule: "s3-kms",
    subject: /^aws_s3_bucket_server_side_encryption_configuration\.build_cache_bucket_encryption$/,
    variants: ["module"],
    reason: "SSE-KMS with the kit key whenever one is in use (create_kms_key, the default, or kms_key_arn), as the runner binaries bucket; without a key SSE-S3",
  },
  {
    rule: "s3-access-logging",
    subject: /^aws_s3_bucket\.build_cache_bucket$/,
    reason: "only the cache functions' roles touch the bucket (presigned URLs carry the cache function's identity): CloudTrail data events would be the audit record; server access logs would need a second bucket per deployment",
  },
  {
    rule: "s3-event-notifications",
    subject: /^aws_s3_bucket\.build_cache_bucket$/,
    reason: "nothing consumes the blobs' events: the cache function verifies each upload itself before indexing it, and the sweep reads the index",
  },
  {
    rule: "s3-replication",
    subject: /^aws_s3_bucket\.build_cache_bucket$/,
    reason: "a cache: a lost blob is a miss and the next build writes it again; a second copy doubles the storage for nothing",
  },
  {
    rule: "dynamodb-pitr",
    subject: /^aws_dynamodb_table\.build_cache_index_table$/,
    variants: ["module", "build-cache"],
    reason: "opt-in (build_cache_point_in_time_recovery): a lost index costs cache misses only, and the sweep removes the blobs it no longer references",
  },
  {
    rule: "s3-access-logging",
    subject: /^aws_s3_bucket\.runner_binaries_bucket$/,
    reason: "holds copies of GitHub's public runner releases, read by the runner role only (below runner/) and written by the syncer only; server access logs would need a second bucket per deployment",
  },
  {
    rule: "s3-event-notifications",
    subject: /^aws_s3_bucket\.runner_binaries_bucket$/,
    reason: "nothing consumes the objects' events: runners read resolved-version.json at boot, and the syncer's failures fail its invocation (logs, the apply)",
  },
  {
    rule: "s3-replication",
    subject: /^aws_s3_bucket\.runner_binaries_bucket$/,
    reason: "a regional cache of GitHub's releases that the syncer refills from GitHub; a second copy adds nothing",
  },
  {
    rule: "lambda-xray",
    subject: /^aws_lambda_function\./,
    // Not key-given-vpc, which turns enable_tracing on: there every kit function must trace.
    variants: ["module", "defaults", "key-created", "opt-ins", "build-cache"],
    reason: "opt-in (enable_tracing, off by default): correlation is by delivery id in structured logs and metrics (Powertools); tracing adds a cost per request",
  },
  {
    rule: "iam-write-constrained",
    subject: /_tracing#SendTraces$/,
    reason: "xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions (AWSXRayDaemonWriteAccess grants them on \"*\"); the policy exists only with enable_tracing",
  },
  {
    rule: "iam-star-resource",
    subject: /_tracing#SendTraces$/,
    reason: "as for iam-write-constrained: X-Ray's write actions, only with enable_tracing",
  },
  {
    rule: "api-xray",
    subject: /^aws_api_gateway_stage\.webhook_api_stage$/,
    reason: "same as lambda-xray: access logs carry the request id; no tracing cost per delivery",
  },
  {
    rule: "log-retention-1y",
    subject: /^aws_cloudwatch_log_group\./,
    reason: "log_retention_days defaults to 30: the groups hold operational logs (the audit record is the CloudTrail bucket, kept 365 days); raise it where a year of function logs is required",
  },
  {
    rule: "api-caching",
    subject: /^aws_api_gateway_stage\.webhook_api_stage$/,
    reason: "every delivery must reach the function; a cache on a webhook endpoint could only answer deliveries without processing them",
  },
  {
    rule: "api-execution-logging",
    subject: /^aws_api_gateway_method_settings\.webhook_api_throttling$/,
    reason: "execution logs would write request headers and bodies (signatures, payloads) to CloudWatch; JSON access logs and the function's own logs cover operations",
  },
  {
    rule: "api-client-certificate",
    subject: /^aws_api_gateway_stage\.webhook_api_stage$/,
    reason: "the integration is AWS_PROXY to Lambda, invoked with IAM; a client certificate authenticates API Gateway to HTTP backends only",
  },
  {
    rule: "s3-event-notifications",
    subject: /^aws_s3_bucket\.audit_bucket$/,
    reason: "nothing consumes the trail bucket's object events; CloudTrail delivery to CloudWatch Logs (cloudtrail_cloudwatch_logs) is the way to alarm on activity",
  },
  {
    rule: "api-authorization",
    subject: /^aws_api_gateway_method\.webhook_api_method$/,
    reason: "GitHub cannot sign requests with SigV4 or send a token; the function checks the HMAC signature (X-Hub-Signature-256) before trusting any byte of the body, and stage throttling bounds the rate",
  },
  {
    rule: "lambda-concurrency",
    subject: /^aws_lambda_function\.(webhook|scale_up|spot_interruption)_function$/,
    reason: "unreserved by default (the spot handler is bounded by EC2's interruption rate) (webhook_reserved_concurrency / scale_up_reserved_concurrency = -1): reserving takes capacity from every other function of the account; API Gateway throttling bounds the webhook and max_runners bounds scale-up",
  },
  {
    rule: "lambda-vpc",
    subject: /^aws_lambda_function\./,
    variants: ["module", "defaults", "key-created", "opt-ins", "build-cache"],
    reason: "opt-in (lambda_subnet_ids): the functions reach only AWS APIs and GitHub; a VPC adds NAT or endpoint cost and protects nothing they talk to",
  },
  {
    rule: "lambda-code-signing",
    subject: /^aws_lambda_function\./,
    reason: "the zips are reproducible builds pinned by source_code_hash in the module; AWS Signer profiles would be a per-account set-up outside the module",
  },
  {
    rule: "kms-key-policy-resource",
    subject: /^aws_kms_key\./,
    reason: "the key policy is the inline policy argument of aws_kms_key (the provider's documented form); checkov's graph check looks only for a separate aws_kms_key_policy resource",
  },
  {
    rule: "cloudtrail-multi-region",
    subject: /^aws_cloudtrail\.audit_trail$/,
    variants: ["opt-ins"],
    reason: "cloudtrail_multi_region = false is an explicit opt-in (another trail records the other regions)",
  },
  {
    rule: "cloudtrail-cloudwatch",
    subject: /^aws_cloudtrail\.audit_trail$/,
    variants: ["defaults", "opt-ins", "build-cache"],
    reason: "opt-in (cloudtrail_cloudwatch_logs): S3 with log file validation is the record; CloudWatch delivery costs per GB and matters only for metric filters and alarms",
  },
  {
    rule: "s3-access-logging",
    subject: /^aws_s3_bucket\.audit_bucket$/,
    reason: "the bucket holds the trail itself and only CloudTrail may write to it; server access logs would need a second bucket per deployment, and the trail already records the bucket's management calls",
  },
  {
    rule: "s3-replication",
    subject: /^aws_s3_bucket\.audit_bucket$/,
    reason: "one-region deployment; organizations that need a second copy reuse an organization trail (existing_cloudtrail_arn)",
  },
  {
    rule: "dynamodb-pitr",
    subject: /^aws_dynamodb_table\.jobs_table$/,
    variants: ["module", "defaults", "key-given-vpc", "opt-ins", "build-cache"],
    reason: "opt-in (job_ledger_point_in_time_recovery): items live a week at most, and the reconciler rebuilds what is in flight from EC2 and GitHub",
  },
  {
    rule: "ssm-securestring",
    subject: /^aws_ssm_parameter\.draining_parameter$/,
    reason: "the draining switch holds \"true\" or \"false\", no secret; a String keeps it readable and settable without KMS during an incident",
  },
  {
    rule: "ssm-cmk",
    subject: /^aws_ssm_parameter\.draining_parameter$/,
    reason: "the draining switch is a plain String (see ssm-securestring); there is nothing to encrypt",
  },
  {
    rule: "lambda-dlq",
    subject: /^aws_lambda_function\.spot_interruption_function$/,
    reason: "invoked asynchronously by EventBridge, which retries; a lost warning only delays the relaunch or re-run to the reconciler's next run",
  },
  {
    rule: "dynamodb-pitr",
    subject: /^aws_dynamodb_table\.runners_table$/,
    variants: ["module", "defaults", "key-given-vpc", "opt-ins", "build-cache"],
    reason: "opt-in (runners_table_point_in_time_recovery): items live a day and describe instances the reconciler rebuilds from EC2 and GitHub; nothing to restore",
  },
  {
    rule: "iam-write-constrained",
    subject: /^aws_iam_role_policy\.nat_failover_policy#ManageLambdaEnis$/,
    reason: "the NAT failover functions run in the private subnets they probe; Lambda's VPC ENI actions are granted on \"*\" as AWS documents them; the policy exists only with enable_nat_instances",
  },
  {
    rule: "iam-star-resource",
    subject: /^aws_iam_role_policy\.nat_failover_policy#ManageLambdaEnis$/,
    reason: "as for iam-write-constrained: Lambda's VPC ENI management for the NAT failover functions",
  },
  {
    rule: "no-public-ip",
    subject: /^aws_launch_template\.nat_launch_template$/,
    reason: "a NAT instance is the egress of the private subnets: it sits in a public subnet and needs a public address; its security group admits only the VPC's traffic; created only with enable_nat_instances",
  },
  {
    rule: "lambda-dlq",
    subject: /^aws_lambda_function\.nat_failover_function$/,
    reason: "runs every minute on a schedule and loops; a failed minute is redone by the next one",
  },
  {
    rule: "iam-write-constrained",
    subject: /_vpc_access#ManageLambdaEnis$/,
    reason: "the ENI actions Lambda needs in a VPC (AWSLambdaVPCAccessExecutionRole's set) are granted on \"*\" as AWS documents them; the policy exists only when lambda_subnet_ids is set",
  },
  {
    rule: "iam-star-resource",
    subject: /_vpc_access#ManageLambdaEnis$/,
    reason: "as for iam-write-constrained: Lambda's VPC ENI management, only with lambda_subnet_ids",
  },
  {
    rule: "iam-managed-policies",
    subject: /^aws_iam_role_policy_attachment\.webhook_api_account_role_logs$/,
    reason: "opt-in (manage_api_gateway_account): the regional API Gateway logging role is shared by every API of the account, so it needs AmazonAPIGatewayPushToCloudWatchLogs rather than a policy scoped to this API",
  },
  {
    rule: "iam-managed-policies",
    subject: /^aws_iam_role_policy_attachment\.runner_pool_extra_policy$/,
    reason: "opt-in (a pool's extra_iam_policy_arns): the managed policies the user lists for that pool, attached to the pool's own runner role only; the kit attaches none",
  },
  {
    rule: "sg-egress-restricted",
    subject: /^aws_security_group\.(nat_security_group|nat_failover_security_group)$/,
    reason: "the NAT instances forward the private subnets' traffic to anywhere, and the failover functions probe GitHub and public targets: egress to anywhere is their purpose (created only with enable_nat_instances)",
  },
  {
    rule: "sg-egress-restricted",
    subject: /^aws_security_group\.runner_images_security_group$/,
    reason: "the image build instance (only with runner_images) installs packages and pulls container images from the internet: HTTP and HTTPS only, no inbound",
  },
  {
    rule: "kms-grants-scoped",
    subject: /^aws_iam_role_policy\.encryption_grant_ebs_scale_up#(UseKmsKeyForEbs|LetEc2UseKmsKeyForEbs)$/,
    reason: "launching from baked runner images whose snapshots the key encrypts (only with runner_images): EC2 needs the caller's Decrypt, GenerateDataKeyWithoutPlaintext, ReEncrypt, DescribeKey and CreateGrant, all through EC2 only (kms:ViaService), grants only for AWS resources",
  },
  {
    rule: "sg-egress-restricted",
    subject: /^aws_security_group\.runner_security_group$/,
    reason: "jobs reach GitHub, package registries and AWS APIs on arbitrary ports; restrict egress with a NAT firewall or your own security group (runner_security_group_id output)",
  },
];
