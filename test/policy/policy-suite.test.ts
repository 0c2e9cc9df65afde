import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Construct } from "constructs";
import { afterAll, describe, expect, it } from "vitest";
import { AwsProvider } from "../../stacks/aws.js";
import { MODULE_DIR } from "../../stacks/build-module.js";
import { Testing, TerraformStack, type TerraformElement } from "../../stacks/cdktf.js";
import { ModuleStack } from "../../stacks/module-stack.js";
import { SelfRunners, type SelfRunnersProps } from "../../stacks/self-runners.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { fakeDistDir, minimalProps, synthJson } from "../helpers/synth.js";
import { resourcesOf, type Variant } from "./model.js";
import { EXCEPTIONS, RULES, type Finding, type PolicyException, type PolicyRule } from "./rules.js";

// The policy suite: every rule of test/policy/rules.ts over the emitted module's stack and over
// SelfRunners with literal props in several combinations. A finding fails the suite unless an entry of
// EXCEPTIONS explains it; the table of outcomes and every exception's reason are printed.

const GIVEN_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const distDir = fakeDistDir();

/** A stack whose resource addresses read like the module's (`aws_sqs_queue.job_queue`), for literal props. */
class ReadableIdsStack extends TerraformStack {
  protected override allocateLogicalId(element: TerraformElement | Construct["node"]): string {
    return (ModuleStack.prototype as unknown as { allocateLogicalId(this: TerraformStack, e: unknown): string }).allocateLogicalId.call(this, element);
  }
}

function literalVariant(name: string, description: string, props: Partial<SelfRunnersProps>, keyReference?: RegExp): Variant {
  const stack = new ReadableIdsStack(Testing.app(), name);
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  new SelfRunners(stack, "runners", minimalProps(distDir, props));
  return { name, description, synth: synthJson(stack), module: false, keyReference };
}

const VARIANTS: Variant[] = [
  {
    name: "module",
    description: "the emitted module's stack, every variable unresolved (conditional resources count as present)",
    synth: synthJson(new ModuleStack(Testing.app(), "self-runners", { distDir })),
    module: true,
    keyReference: /^\$\{local\.encryption_key_arn\}$/,
    // Every .tf file of the module: resources sit in files by concern.
    hcl: readdirSync(join(REPO_ROOT, MODULE_DIR))
      .filter((file) => file.endsWith(".tf"))
      .map((file) => readFileSync(join(REPO_ROOT, MODULE_DIR, file), "utf8"))
      .join("\n"),
  },
  literalVariant("defaults", "literal props, defaults only: no key, trail on", {}),
  literalVariant(
    "key-created",
    "created key, CloudTrail to CloudWatch Logs, point-in-time recovery",
    { createKmsKey: true, cloudTrailCloudWatchLogs: true, runnersTablePointInTimeRecovery: true, jobLedgerPointInTimeRecovery: true },
    /^\$\{aws_kms_key\.encryption_key\["0"\]\.arn\}$/,
  ),
  literalVariant(
    "key-given-vpc",
    "given key, functions in subnets, existing organization trail, tracing on (no lambda-xray exception)",
    {
      kmsKeyArn: GIVEN_KEY,
      enableTracing: true,
      lambdaSubnetIds: ["subnet-0aaaaaaaaaaaaaaa1"],
      lambdaSecurityGroupIds: ["sg-0bbbbbbbbbbbbbbb1"],
      existingCloudTrailArn: "arn:aws:cloudtrail:us-east-1:210987654321:trail/org-trail",
    },
    new RegExp(`^${GIVEN_KEY}$`),
  ),
  literalVariant(
    "build-cache",
    "the build cache on (bucket, index, function URL, sweep, the runner's grants), created key",
    { enableBuildCache: true, createKmsKey: true },
    /^\$\{aws_kms_key\.encryption_key\["0"\]\.arn\}$/,
  ),
  literalVariant("opt-ins", "every opt-in that widens access: public IPs, SSM sessions, API Gateway account role, single-region trail, org runners", {
    associatePublicIpAddress: true,
    enableSsmSessions: true,
    manageApiGatewayAccount: true,
    cloudTrailMultiRegion: false,
    runnerScope: "org",
  }),
];

type Status = "pass" | "n/a" | "waiting" | "fail";

interface Outcome {
  readonly status: Status;
  readonly checked: number;
  readonly excepted: { finding: Finding; exception: PolicyException }[];
  readonly failures: Finding[];
  readonly note?: string;
}

function evaluate(rule: PolicyRule, variant: Variant): Outcome {
  const skip = rule.notApplicable?.(variant);
  if (skip !== undefined) return { status: "n/a", checked: 0, excepted: [], failures: [], note: skip };
  const resources = resourcesOf(variant, ...rule.types);
  if (rule.awaits !== undefined && resources.length === 0) {
    const status: Status = rule.mustExist ? "fail" : "waiting";
    return { status, checked: 0, excepted: [], failures: rule.mustExist ? [{ subject: rule.types.join(","), message: `no ${rule.types.join("/")} (${rule.awaits})` }] : [], note: `awaits ${rule.awaits}` };
  }
  const excepted: Outcome["excepted"] = [];
  const failures: Finding[] = [];
  for (const finding of rule.check(resources, variant)) {
    const exception = EXCEPTIONS.find((e) => e.rule === rule.id && e.subject.test(finding.subject) && (e.variants === undefined || e.variants.includes(variant.name)));
    if (exception === undefined) failures.push(finding);
    else excepted.push({ finding, exception });
  }
  const checked = rule.types.length === 0 ? 1 : resources.length;
  return { status: failures.length > 0 ? "fail" : checked === 0 ? "n/a" : "pass", checked, excepted, failures, note: checked === 0 ? `no ${rule.types.join("/")} in this variant` : undefined };
}

const outcomes = new Map<string, Map<string, Outcome>>(RULES.map((rule) => [rule.id, new Map(VARIANTS.map((variant) => [variant.name, evaluate(rule, variant)]))]));

function cell(outcome: Outcome): string {
  if (outcome.status === "pass") return outcome.excepted.length > 0 ? `pass* (${outcome.checked}, ${outcome.excepted.length} exc.)` : `pass (${outcome.checked})`;
  return outcome.status === "fail" ? `FAIL (${outcome.failures.length})` : outcome.status;
}

function printReport(): void {
  const header = ["rule", "checkov", ...VARIANTS.map((v) => v.name)];
  const rows = RULES.map((rule) => [rule.id, rule.checkov.join(" ") || "-", ...VARIANTS.map((v) => cell(outcomes.get(rule.id)!.get(v.name)!))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ");
  const lines = [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line), ""];
  lines.push("variants:", ...VARIANTS.map((v) => `  ${v.name}: ${v.description}`), "");
  lines.push("exceptions (pass* above):");
  for (const exception of EXCEPTIONS) {
    const where = VARIANTS.filter((v) => outcomes.get(exception.rule)!.get(v.name)!.excepted.some((e) => e.exception === exception)).map((v) => v.name);
    lines.push(`  ${exception.rule} ${exception.subject.source} [${where.join(", ")}]: ${exception.reason}`);
  }
  lines.push("", "not applicable / waiting:");
  for (const rule of RULES) {
    const notes = new Map<string, string[]>();
    for (const v of VARIANTS) {
      const note = outcomes.get(rule.id)!.get(v.name)!.note;
      if (note !== undefined) notes.set(note, [...(notes.get(note) ?? []), v.name]);
    }
    for (const [note, names] of notes) lines.push(`  ${rule.id} [${names.join(", ")}]: ${note}`);
  }
  console.log(`\nSecurity policy suite\n\n${lines.join("\n")}\n`);
}

/** A copy of a variant with its synthesized JSON changed by `change`. */
function mutated(name: string, change: (synth: Variant["synth"]) => void): Variant {
  const base = VARIANTS.find((v) => v.name === name)!;
  const synth = structuredClone(base.synth);
  change(synth);
  return { ...base, name: `${name} (mutated)`, synth };
}

const ruleById = (id: string): PolicyRule => RULES.find((r) => r.id === id)!;

describe("the rules catch what they are for", () => {
  it("fails when the launch template allows IMDSv1 or a public IP", () => {
    const variant = mutated("defaults", (synth) => {
      const template = synth.resource.aws_launch_template!.runner_launch_template!;
      (template.metadata_options as Record<string, unknown>).http_tokens = "optional";
      (template.network_interfaces as Record<string, unknown>[])[0]!.associate_public_ip_address = "true";
    });
    expect(evaluate(ruleById("imdsv2"), variant).failures.map((f) => f.subject)).toEqual(["aws_launch_template.runner_launch_template"]);
    expect(evaluate(ruleById("no-public-ip"), variant).status).toBe("fail");
  });

  it("fails when CreateFleet/RunInstances are granted on \"*\" and PassRole has no condition", () => {
    const variant = mutated("module", (synth) => {
      synth.resource.aws_iam_role_policy!.scale_up_policy_launch_runners!.policy =
        '${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Effect" = "Allow", "Sid" = "LaunchFleet", "Action" = ["ec2:CreateFleet", "ec2:RunInstances"], "Resource" = "*"}, {"Effect" = "Allow", "Sid" = "PassRunnerRole", "Action" = ["iam:PassRole"], "Resource" = aws_iam_role.runner_role.arn}]})}';
    });
    for (const id of ["ec2-launch-scoped", "iam-star-resource", "iam-write-constrained"]) {
      expect(evaluate(ruleById(id), variant).failures.map((f) => f.subject), id).toEqual(["aws_iam_role_policy.scale_up_policy_launch_runners#LaunchFleet"]);
    }
    expect(evaluate(ruleById("iam-passrole-scoped"), variant).failures.map((f) => f.subject)).toEqual(["aws_iam_role_policy.scale_up_policy_launch_runners#PassRunnerRole"]);
  });

  it("fails when PassRole names another role beside the runner roles", () => {
    const variant = mutated("module", (synth) => {
      const launch = synth.resource.aws_iam_role_policy!.scale_up_policy_launch_runners!;
      launch.policy = String(launch.policy).replace(/values\(\{ for key, val in aws_iam_role\.runner_pool_role ?: key => val\.arn \}\)/, "[aws_iam_role.webhook_role.arn]");
    });
    expect(evaluate(ruleById("iam-passrole-scoped"), variant).failures.map((f) => f.subject)).toEqual(["aws_iam_role_policy.scale_up_policy_launch_runners#PassRunnerRole"]);
  });

  it("fails when a queue is unencrypted or a log group skips the configured key", () => {
    const variant = mutated("key-created", (synth) => {
      delete synth.resource.aws_sqs_queue!.job_dlq!.kms_master_key_id;
      synth.resource.aws_sqs_queue!.job_dlq!.sqs_managed_sse_enabled = false;
      delete synth.resource.aws_cloudwatch_log_group!.webhook_logs!.kms_key_id;
    });
    expect(evaluate(ruleById("sqs-encrypted"), variant).failures.map((f) => f.subject)).toEqual(["aws_sqs_queue.job_dlq"]);
    expect(evaluate(ruleById("log-group-kms"), variant).failures.map((f) => f.subject)).toEqual(["aws_cloudwatch_log_group.webhook_logs"]);
  });

  it("fails when a secret reaches a function's environment or a key policy gives kms:* to anyone but the account", () => {
    const variant = mutated("key-created", (synth) => {
      const env = synth.resource.aws_lambda_function!.webhook_function!.environment as { variables: Record<string, string> };
      env.variables.WEBHOOK_SECRET = "s3cr3t";
      const key = synth.resource.aws_kms_key!.encryption_key!;
      key.policy = String(key.policy).replace(/"Action" = \["kms:Encrypt"([^\]]*)\], "Resource" = "\*", "Condition" = \{"ArnLike"/, '"Action" = ["kms:*"], "Resource" = "*", "Condition" = {"ArnLike"');
    });
    expect(evaluate(ruleById("no-secrets-in-lambda-env"), variant).failures.map((f) => f.subject)).toEqual(["aws_lambda_function.webhook_function#WEBHOOK_SECRET"]);
    expect(evaluate(ruleById("kms-policy-scoped"), variant).failures.map((f) => f.subject)).toEqual(["aws_kms_key.encryption_key#CloudWatchLogsEncryptsOwnLogGroups"]);
  });

  it("fails when the build cache's function URL needs no authentication or the runner role reaches the cache bucket or invokes the function directly", () => {
    const variant = mutated("build-cache", (synth) => {
      synth.resource.aws_lambda_function_url!.build_cache_function_url!.authorization_type = "NONE";
      const grant = synth.resource.aws_iam_role_policy!.build_cache_function_runner_invoke_url!;
      grant.policy = String(grant.policy)
        .replace('"Action" = ["lambda:InvokeFunctionUrl"]', '"Action" = ["s3:GetObject"]')
        .replace(/"Resource" = aws_lambda_function\.build_cache_function\["0"\]\.arn/, '"Resource" = "${aws_s3_bucket.build_cache_bucket["0"].arn}/*"')
        .replace(', "Bool" = {"lambda:InvokedViaFunctionUrl" = "true"}', "");
    });
    expect(evaluate(ruleById("function-url-iam"), variant).failures.map((f) => f.subject)).toEqual(["aws_lambda_function_url.build_cache_function_url"]);
    expect(evaluate(ruleById("runner-no-build-cache-bucket"), variant).failures.map((f) => f.subject)).toEqual(["aws_iam_role_policy.build_cache_function_runner_invoke_url#CallBuildCacheUrl"]);
    expect(evaluate(ruleById("runner-invokes-cache-through-url"), variant).failures.map((f) => f.subject)).toEqual(["aws_iam_role_policy.build_cache_function_runner_invoke_url#InvokeBuildCacheOnlyThroughUrl"]);
  });

  it("fails the WAF rules when the web ACL lacks its association, logging or known bad inputs rules", () => {
    const variant = mutated("module", (synth) => {
      synth.resource.aws_wafv2_web_acl = { webhook_firewall_web_acl: { name: "x", rule: [] } };
      delete synth.resource.aws_wafv2_web_acl_association;
      delete synth.resource.aws_wafv2_web_acl_logging_configuration;
    });
    expect(evaluate(ruleById("waf-logging"), variant).failures.map((f) => f.subject)).toEqual(["aws_wafv2_web_acl.webhook_firewall_web_acl"]);
    expect(evaluate(ruleById("waf-known-bad-inputs"), variant).status).toBe("fail");
    expect(evaluate(ruleById("api-behind-waf"), variant).failures.map((f) => f.subject)).toEqual(["aws_api_gateway_stage.webhook_api_stage"]);
  });

  it("fails the signature and rate rules on the web ACLs synthesized before issue 18 (fixtures/pre-edge-waf.json)", () => {
    // The module's ACL and a literal one with the allowlist, as main synthesized them before this change.
    const before = JSON.parse(readFileSync(join(REPO_ROOT, "test/policy/fixtures/pre-edge-waf.json"), "utf8")) as Record<string, { resource: Variant["synth"]["resource"] }>;
    const variant = (name: string): Variant => ({ name: `pre-edge ${name}`, description: "before issue 18", synth: { resource: before[name]!.resource } as Variant["synth"], module: name === "module" });
    for (const name of ["module", "allowlist"]) {
      expect(evaluate(ruleById("waf-signed-requests-first"), variant(name)).status, name).toBe("fail");
    }
    expect(evaluate(ruleById("waf-rate-limit-everyone"), variant("module")).failures.map((f) => f.subject)).toEqual(["aws_wafv2_web_acl.webhook_firewall_web_acl"]);
    expect(evaluate(ruleById("waf-rate-limit-everyone"), variant("allowlist")).status).toBe("fail");
  });

  it("fails the WAF rules when the web ACL is missing", () => {
    const variant = mutated("module", (synth) => {
      delete synth.resource.aws_wafv2_web_acl;
    });
    for (const id of ["api-behind-waf", "waf-logging", "waf-known-bad-inputs"]) expect(evaluate(ruleById(id), variant).status, id).toBe("fail");
  });
});

describe("the issue 18 key and parameter rules fail on the module before it (fixtures/keys-before.json)", () => {
  // The key, tables and runner role policies of the module and of a created key with SSM sessions, as
  // synthesized before issue 18 (captured from the code of that commit, trimmed to what the rules read).
  const before = JSON.parse(readFileSync(join(REPO_ROOT, "test", "policy", "fixtures", "keys-before.json"), "utf8")) as Record<string, Variant["synth"]>;
  const variant = (name: string): Variant => ({ name: `${name} (before)`, description: "before issue 18", synth: before[name]!, module: name === "module" });

  it("fails kms-use-named-principals: the account root could use the key", () => {
    for (const name of ["module", "key-created-ssm"]) {
      expect(evaluate(ruleById("kms-use-named-principals"), variant(name)).failures.map((f) => f.subject), name).toEqual(["aws_kms_key.encryption_key#AccountAdministersKey"]);
    }
  });

  it("fails dynamodb-resource-policy: neither table had one", () => {
    expect(evaluate(ruleById("dynamodb-resource-policy"), variant("module")).failures.map((f) => f.subject)).toEqual(["aws_dynamodb_table.jobs_table", "aws_dynamodb_table.runners_table"]);
  });

  it("fails runner-no-parameter-reads and no-managed-ssm-core: no Deny, and AmazonSSMManagedInstanceCore attached", () => {
    expect(evaluate(ruleById("runner-no-parameter-reads"), variant("key-created-ssm")).failures.map((f) => f.subject)).toEqual(["aws_iam_role.runner_role"]);
    expect(evaluate(ruleById("no-managed-ssm-core"), variant("key-created-ssm")).failures.map((f) => f.subject)).toEqual(["aws_iam_role_policy_attachment.runner_ssm_sessions"]);
  });

  it("fails runner-no-parameter-reads when the runner role may read every parameter", () => {
    const synth = mutated("module", (s) => {
      s.resource.aws_iam_role_policy!.runner_ssm_sessions!.policy = '${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Effect" = "Allow", "Sid" = "Core", "Action" = ["ssm:GetParameters"], "Resource" = "*"}]})}';
    });
    expect(evaluate(ruleById("runner-no-parameter-reads"), synth).failures.map((f) => f.subject)).toEqual(["aws_iam_role_policy.runner_ssm_sessions#Core"]);
  });
});

describe("the issue 18 ownership rules fail on the module as it was before them", () => {
  // test/policy/fixtures/ec2-iam-before.json: the emitted module's stack synthesized before issue 18's
  // findings 3, 7, 8 and 10 were fixed (only the resource types these rules read).
  const before: Variant = {
    name: "before-issue-18",
    description: "the module before findings 3, 7, 8 and 10",
    synth: JSON.parse(readFileSync(join(REPO_ROOT, "test", "policy", "fixtures", "ec2-iam-before.json"), "utf8")) as Variant["synth"],
    module: true,
  };
  const failing = (id: string): string[] => evaluate(ruleById(id), before).failures.map((f) => f.subject);

  it("finds termination and NAT source/dest changes trusting a tag (finding 3)", () => {
    expect(failing("ec2-ownership-by-profile")).toEqual(
      expect.arrayContaining(["aws_iam_role_policy.nat_boot#SwitchOffOwnSourceDestCheck", "aws_iam_role_policy.reconcile_policy_terminate_runners#TerminateOwnRunners", "aws_iam_role_policy.scale_up_policy_terminate_runners_launch#TerminateOwnRunners"]),
    );
  });

  it("finds launches not bound to the templates (finding 8)", () => {
    expect(failing("ec2-launch-bound")).toEqual(expect.arrayContaining(["aws_iam_role_policy.scale_up_policy_launch_runners#LaunchTaggedRunners", "aws_iam_role_policy.scale_up_policy_launch_runners#LaunchFromImages"]));
  });

  it("finds the runner's unrestricted item access and credentials usable anywhere (findings 7 and 10)", () => {
    expect(failing("runner-item-attributes")).toEqual(["aws_iam_role_policy.runners_runner_own_item#ReadOwnRunnerConfig"]);
    expect(failing("runner-credentials-in-vpc")).toEqual(expect.arrayContaining(["aws_iam_role_policy.runners_runner_own_item#ReadOwnRunnerConfig"]));
  });

  it("finds JIT configurations stored in the clear: no per-instance seal by scale-up, no own-instance decrypt for runners (finding 1)", () => {
    // The fixture's module uses the kit key (local.encryption_key_arn) when one is configured.
    const withKey: Variant = { ...before, keyReference: /^\$\{local\.encryption_key_arn\}$/ };
    expect(evaluate(ruleById("jit-sealed-per-instance"), withKey).failures.map((f) => f.subject)).toEqual(["aws_iam_role.runner_role", "aws_iam_role.scale_up_role"]);
  });

  it("finds queues without policies, endpoints with the default policy and the all-protocol NAT group (finding 10)", () => {
    expect(failing("sqs-queue-policy")).toEqual(["aws_sqs_queue.job_dlq", "aws_sqs_queue.job_queue"]);
    expect(failing("vpc-endpoint-policy")).toEqual(["aws_vpc_endpoint.vpc_endpoints_gateway", "aws_vpc_endpoint.vpc_endpoints_interface"]);
    expect(failing("nat-ingress-protocols")).toEqual(["aws_security_group.nat_security_group"]);
  });
});

describe("security policy suite", () => {
  afterAll(() => {
    printReport();
  });

  for (const rule of RULES) {
    it(`${rule.id} (${rule.checkov.join(", ") || "no checkov id"}): ${rule.description}`, () => {
      const failures = VARIANTS.flatMap((v) => outcomes.get(rule.id)!.get(v.name)!.failures.map((f) => `${v.name}: ${f.subject}: ${f.message}`));
      expect(failures).toEqual([]);
      // Every rule checks something in at least one variant, unless it waits for a feature on another branch.
      const checked = VARIANTS.some((v) => outcomes.get(rule.id)!.get(v.name)!.status === "pass");
      expect(checked || rule.awaits !== undefined).toBe(true);
    });
  }

  it("uses every exception somewhere, so none outlives the difference it explains", () => {
    const unused = EXCEPTIONS.filter((exception) => VARIANTS.every((v) => !outcomes.get(exception.rule)?.get(v.name)?.excepted.some((e) => e.exception === exception)));
    expect(unused.map((e) => `${e.rule} ${e.subject.source}`)).toEqual([]);
  });

  it("names checkov checks by their ids and rules by unique ids", () => {
    for (const rule of RULES) for (const id of rule.checkov) expect(id, rule.id).toMatch(/^CKV2?_AWS_\d+$/);
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const exception of EXCEPTIONS) expect(RULES.map((r) => r.id), exception.rule).toContain(exception.rule);
  });

  it("lists every rule and exception in docs/security.md", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs", "security.md"), "utf8");
    for (const rule of RULES) expect(doc, rule.id).toContain(`\`${rule.id}\``);
    for (const rule of new Set(EXCEPTIONS.map((e) => e.rule))) expect(doc, rule).toMatch(new RegExp(`\\|\\s*\`${rule}\`[^\\n]*\\|[^\\n]*exception`, "i"));
  });

  it("lists the rules that wait for WAF and NAT resources from other branches", () => {
    expect(RULES.filter((r) => r.awaits !== undefined).map((r) => r.id)).toEqual(["api-behind-waf", "waf-logging", "waf-known-bad-inputs", "nat-instance-hardened", "vpc-endpoint-private-dns"]);
  });
});
