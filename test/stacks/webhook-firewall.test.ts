import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TerraformOutput, TerraformVariable } from "../../stacks/cdktf.js";
import { SelfRunnersValidationError } from "../../stacks/errors.js";
import { SelfRunners } from "../../stacks/self-runners.js";
import { WAF_COUNTED_BODY_RULES, WebhookFirewall, type WebhookFirewallProps } from "../../stacks/webhook-firewall.js";
import { fakeDistDir, minimalProps, resourceOf, resourcesOf, synthJson, testStack, type SynthesizedStack } from "../helpers/synth.js";

const STAGE_ARN = "arn:aws:apigateway:eu-west-1::/restapis/abc123/stages/github";
const distDir = fakeDistDir();

function updater(overrides: Partial<NonNullable<WebhookFirewallProps["ipSetUpdater"]>> = {}): WebhookFirewallProps["ipSetUpdater"] {
  return { functionName: "ci-github-hooks-ipset", zipPath: join(distDir, "lambdas", "github-hooks-ipset.zip"), ...overrides };
}

/** A WebhookFirewall alone in a test stack, with its ARN and log group name as outputs. */
function synthFirewall(props: Partial<WebhookFirewallProps> = {}): SynthesizedStack {
  const { stack } = testStack();
  const firewall = new WebhookFirewall(stack, "firewall", { name: "ci", stageArn: STAGE_ARN, ipSetUpdater: updater(), ...props });
  new TerraformOutput(stack, "web_acl_arn", { value: firewall.webAclArn });
  new TerraformOutput(stack, "log_group_name", { value: firewall.logGroupName });
  return synthJson(stack);
}

type Rule = { name: string; priority: number; action?: unknown; override_action?: unknown; statement: Record<string, any>; visibility_config: Record<string, unknown> };

function rules(synth: SynthesizedStack): Rule[] {
  return resourceOf(synth, "aws_wafv2_web_acl", "web-acl").rule as Rule[];
}

function rule(synth: SynthesizedStack, name: string): Rule {
  const found = rules(synth).find((r) => r.name === name);
  if (found === undefined) throw new Error(`no rule ${name}`);
  return found;
}

const count = (synth: SynthesizedStack, type: string, idPart: string) => resourceOf(synth, type, idPart).count;

describe("WebhookFirewall with literal props (the CDKTF user's path)", () => {
  it("creates a regional web ACL that allows by default and associates it with the stage", () => {
    const synth = synthFirewall();
    expect(resourceOf(synth, "aws_wafv2_web_acl", "web-acl")).toMatchObject({ count: 1, name: "ci-webhook", scope: "REGIONAL", default_action: { allow: {} } });
    const association = resourceOf(synth, "aws_wafv2_web_acl_association", "association");
    expect(association).toMatchObject({ count: 1, resource_arn: STAGE_ARN });
    expect(association.web_acl_arn).toMatch(/^\$\{aws_wafv2_web_acl\..*\["0"\]\.arn\}$/);
    expect(association).not.toHaveProperty("depends_on");
  });

  it("orders the rules: signature, rate limit, IP reputation, known bad inputs, core rule set, SQL injection; no allowlist by default", () => {
    const synth = synthFirewall();
    expect(rules(synth).map((r) => [r.priority, r.name])).toEqual([
      [0, "signed-requests-only"],
      [2, "rate-limit-per-ip"],
      [3, "aws-ip-reputation"],
      [4, "aws-known-bad-inputs"],
      [5, "aws-common-rule-set"],
      [6, "aws-sqli"],
    ]);
    expect(count(synth, "aws_wafv2_ip_set", "ipv4")).toBe(0);
    expect(count(synth, "aws_wafv2_ip_set", "ipv6")).toBe(0);
    expect(resourcesOf(synth, "aws_lambda_function")).toEqual({});
    expect(resourcesOf(synth, "aws_lambda_invocation")).toEqual({});
  });

  it("blocks more than 10000 requests per source IP in 300 s by default, from every address", () => {
    const rate = rule(synthFirewall(), "rate-limit-per-ip");
    expect(rate.action).toEqual({ block: {} });
    expect(rate.statement).toEqual({ rate_based_statement: { limit: 10000, evaluation_window_sec: 300, aggregate_key_type: "IP" } });
  });

  it("blocks, first, requests without a well-formed X-Hub-Signature-256 or with a Content-Length longer than the body limit's digits", () => {
    const signature = rule(synthFirewall(), "signed-requests-only");
    expect(signature.action).toEqual({ block: {} });
    expect(signature.statement).toEqual({
      or_statement: {
        statement: [
          {
            not_statement: {
              statement: {
                regex_match_statement: {
                  regex_string: "^sha256=[0-9a-f]{64}$",
                  field_to_match: { single_header: { name: "x-hub-signature-256" } },
                  text_transformation: [{ priority: 0, type: "NONE" }],
                },
              },
            },
          },
          {
            size_constraint_statement: {
              comparison_operator: "GT",
              size: 6,
              field_to_match: { single_header: { name: "content-length" } },
              text_transformation: [{ priority: 0, type: "NONE" }],
            },
          },
        ],
      },
    });
    expect(rule(synthFirewall({ maxBodyBytes: 10485760 }), "signed-requests-only").statement.or_statement.statement[1].size_constraint_statement.size).toBe(8);
  });

  it("takes the rate limit and its window from the props", () => {
    const rate = rule(synthFirewall({ rateLimit: 2500, rateLimitWindowSeconds: 60 }), "rate-limit-per-ip");
    expect(rate.statement.rate_based_statement).toMatchObject({ limit: 2500, evaluation_window_sec: 60 });
  });

  it("uses the AWS managed groups with their own actions, overriding only body rules to count", () => {
    const synth = synthFirewall();
    const groups = Object.fromEntries(
      rules(synth)
        .filter((r) => r.statement.managed_rule_group_statement !== undefined)
        .map((r) => {
          expect(r.override_action, r.name).toEqual({ none: {} });
          const statement = r.statement.managed_rule_group_statement as { name: string; vendor_name: string; rule_action_override?: Array<{ name: string; action_to_use: unknown }> };
          expect(statement.vendor_name).toBe("AWS");
          for (const override of statement.rule_action_override ?? []) expect(override.action_to_use, override.name).toEqual({ count: {} });
          return [statement.name, (statement.rule_action_override ?? []).map((o) => o.name)];
        }),
    );
    expect(groups).toEqual({
      AWSManagedRulesAmazonIpReputationList: [],
      AWSManagedRulesKnownBadInputsRuleSet: ["Log4JRCE_BODY", "JavaDeserializationRCE_BODY"],
      AWSManagedRulesCommonRuleSet: ["SizeRestrictions_BODY", "CrossSiteScripting_BODY", "GenericLFI_BODY", "GenericRFI_BODY", "EC2MetaDataSSRF_BODY"],
      AWSManagedRulesSQLiRuleSet: ["SQLi_BODY", "SQLiExtendedPatterns_BODY"],
    });
    // Only rules that inspect the body are ever counted instead of blocked.
    for (const names of Object.values(WAF_COUNTED_BODY_RULES)) for (const name of names) expect(name).toMatch(/_BODY$/);
  });

  it("publishes metrics and sampled requests for the ACL and every rule under stable names", () => {
    const synth = synthFirewall({ githubHooksAllowlist: true });
    expect(resourceOf(synth, "aws_wafv2_web_acl", "web-acl").visibility_config).toEqual({ cloudwatch_metrics_enabled: true, sampled_requests_enabled: true, metric_name: "ci-webhook" });
    for (const r of rules(synth)) expect(r.visibility_config, r.name).toEqual({ cloudwatch_metrics_enabled: true, sampled_requests_enabled: true, metric_name: r.name });
  });

  it("logs to aws-waf-logs-<name> for logRetentionDays, with GitHub's signature headers redacted", () => {
    const synth = synthFirewall({ logRetentionDays: 90 });
    expect(resourceOf(synth, "aws_cloudwatch_log_group", "firewall_logs")).toMatchObject({ count: 1, name: "aws-waf-logs-ci", retention_in_days: 90 });
    const logging = resourceOf(synth, "aws_wafv2_web_acl_logging_configuration", "logging");
    expect(logging.resource_arn).toMatch(/^\$\{aws_wafv2_web_acl\..*\["0"\]\.arn\}$/);
    expect(logging.log_destination_configs).toEqual([expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.firewall_logs.*\["0"\]\.arn\}$/)]);
    expect(logging.redacted_fields).toEqual([{ single_header: { name: "x-hub-signature-256" } }, { single_header: { name: "x-hub-signature" } }]);
  });

  it("outputs the ACL's ARN and log group name through try(), which also works with count 0", () => {
    const synth = synthFirewall();
    expect(synth.output?.web_acl_arn.value).toMatch(/^\$\{try\(aws_wafv2_web_acl\..*\["0"\]\.arn, ""\)\}$/);
    expect(synth.output?.log_group_name.value).toMatch(/^\$\{try\(aws_cloudwatch_log_group\..*\["0"\]\.name, ""\)\}$/);
  });

  it("creates nothing and outputs empty strings when enabled is false", () => {
    const synth = synthFirewall({ enabled: false, githubHooksAllowlist: true });
    for (const [type, id] of [
      ["aws_wafv2_web_acl", "web-acl"],
      ["aws_wafv2_web_acl_association", "association"],
      ["aws_wafv2_web_acl_logging_configuration", "logging"],
      ["aws_cloudwatch_log_group", "firewall_logs"],
      ["aws_wafv2_ip_set", "ipv4"],
      ["aws_wafv2_ip_set", "ipv6"],
    ]) {
      expect(count(synth, type, id), `${type} ${id}`).toBe(0);
    }
    expect(resourcesOf(synth, "aws_lambda_function")).toEqual({});
    expect(synth.output?.web_acl_arn.value).toBe("");
    expect(synth.output?.log_group_name.value).toBe("");
  });
});

describe("WebhookFirewall with the GitHub hooks allowlist", () => {
  let synth: SynthesizedStack;
  beforeAll(() => {
    synth = synthFirewall({ githubHooksAllowlist: true, ipSetUpdater: updater({ githubApiUrl: "https://ghes.example.com/api/v3" }) });
  });

  it("creates two empty regional IP sets whose addresses Terraform leaves to the updater", () => {
    for (const version of ["ipv4", "ipv6"]) {
      expect(resourceOf(synth, "aws_wafv2_ip_set", version)).toMatchObject({
        count: 1,
        name: `ci-github-hooks-${version}`,
        scope: "REGIONAL",
        ip_address_version: version.toUpperCase(),
        addresses: [],
        lifecycle: { ignore_changes: ["addresses"] },
      });
    }
  });

  it("blocks, after the signature rule, every request whose source is in neither set", () => {
    expect(rules(synth)[0].name).toBe("signed-requests-only");
    const allowlist = rules(synth)[1];
    expect(allowlist).toMatchObject({ name: "github-hooks-allowlist", priority: 1, action: { block: {} } });
    expect(allowlist.statement).toEqual({
      not_statement: {
        statement: {
          or_statement: {
            statement: [
              { ip_set_reference_statement: { arn: expect.stringMatching(/^\$\{aws_wafv2_ip_set\..*ipv4.*\["0"\]\.arn\}$/) } },
              { ip_set_reference_statement: { arn: expect.stringMatching(/^\$\{aws_wafv2_ip_set\..*ipv6.*\["0"\]\.arn\}$/) } },
            ],
          },
        },
      },
    });
  });

  it("rate limits GitHub's sets too: anyone can send from them with a webhook of their own", () => {
    const rate = rule(synth, "rate-limit-per-ip");
    expect(rate.statement).toEqual({ rate_based_statement: { limit: 10000, evaluation_window_sec: 300, aggregate_key_type: "IP" } });
  });

  it("runs the updater with the API URL and both sets, allowed to get and update those two sets only", () => {
    const fn = resourceOf(synth, "aws_lambda_function", "github-hooks-ipset");
    expect(fn).toMatchObject({ count: 1, function_name: "ci-github-hooks-ipset", timeout: 60 });
    expect((fn.environment as { variables: Record<string, string> }).variables).toMatchObject({
      GITHUB_API_URL: "https://ghes.example.com/api/v3",
      IP_SET_SCOPE: "REGIONAL",
      IPV4_SET_NAME: expect.stringMatching(/ipv4.*\["0"\]\.name/),
      IPV4_SET_ID: expect.stringMatching(/ipv4.*\["0"\]\.id/),
      IPV6_SET_NAME: expect.stringMatching(/ipv6.*\["0"\]\.name/),
      IPV6_SET_ID: expect.stringMatching(/ipv6.*\["0"\]\.id/),
    });
    const policy = String(resourceOf(synth, "aws_iam_role_policy", "update-ip-sets").policy);
    expect(policy).toMatch(/"Action" = \["wafv2:GetIPSet", "wafv2:UpdateIPSet"\], "Resource" = \[aws_wafv2_ip_set\.\S*ipv4\S*\["0"\]\.arn, aws_wafv2_ip_set\.\S*ipv6\S*\["0"\]\.arn\]\}\]/);
    expect(policy.match(/"Action"/g)).toHaveLength(1);
  });

  it("refreshes the sets every hour through EventBridge", () => {
    expect(resourceOf(synth, "aws_cloudwatch_event_rule", "schedule")).toMatchObject({ count: 1, schedule_expression: "rate(1 hour)" });
    expect(resourceOf(synth, "aws_cloudwatch_event_target", "target").arn).toMatch(/aws_lambda_function\..*\["0"\]\.arn/);
    expect(resourceOf(synth, "aws_lambda_permission", "github-hooks-ipset")).toMatchObject({ principal: "events.amazonaws.com", action: "lambda:InvokeFunction" });
  });

  it("fills the sets once during apply, after the IAM policy, before the ACL is associated", () => {
    const invocation = resourceOf(synth, "aws_lambda_invocation", "fill");
    expect(invocation.count).toBe(1);
    expect(invocation.input).toBe('${jsonencode({"source" = "terraform"})}');
    expect(invocation.triggers).toEqual({ ipv4_set_id: expect.stringMatching(/ipv4.*\.id/), ipv6_set_id: expect.stringMatching(/ipv6.*\.id/) });
    expect(invocation.depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy\..*update-ip-sets/)]);
    expect(resourceOf(synth, "aws_wafv2_web_acl_association", "association").depends_on).toEqual([expect.stringMatching(/^aws_lambda_invocation\..*fill/)]);
  });

  it("takes the refresh schedule from the props", () => {
    const custom = synthFirewall({ githubHooksAllowlist: true, ipSetUpdater: updater({ scheduleExpression: "rate(15 minutes)" }) });
    expect(resourceOf(custom, "aws_cloudwatch_event_rule", "schedule").schedule_expression).toBe("rate(15 minutes)");
  });
});

describe("WebhookFirewall switched by Terraform variables (the module's path)", () => {
  let synth: SynthesizedStack;
  beforeAll(() => {
    const { stack } = testStack();
    const enabled = new TerraformVariable(stack, "enable_waf", { type: "bool", default: true });
    const allowlist = new TerraformVariable(stack, "allowlist", { type: "bool", default: false });
    new WebhookFirewall(stack, "firewall", {
      name: "ci",
      stageArn: STAGE_ARN,
      enabled: enabled.booleanValue as unknown as boolean,
      githubHooksAllowlist: allowlist.booleanValue as unknown as boolean,
      ipSetUpdater: updater(),
    });
    synth = synthJson(stack);
  });

  it("counts every resource through two locals", () => {
    const locals = Object.entries(synth.locals ?? {});
    const [enabledLocal, enabledValue] = locals.find(([name]) => name.startsWith("firewall_enabled"))!;
    const [allowlistLocal, allowlistValue] = locals.find(([name]) => name.startsWith("firewall_allowlist"))!;
    expect(enabledValue).toBe("${var.enable_waf}");
    expect(allowlistValue).toBe(`\${(local.${enabledLocal} && var.allowlist)}`);
    expect(count(synth, "aws_wafv2_web_acl", "web-acl")).toBe(`\${local.${enabledLocal} ? 1 : 0}`);
    expect(count(synth, "aws_wafv2_ip_set", "ipv4")).toBe(`\${local.${allowlistLocal} ? 1 : 0}`);
    expect(count(synth, "aws_lambda_function", "github-hooks-ipset")).toBe(`\${local.${allowlistLocal} ? 1 : 0}`);
    expect(count(synth, "aws_lambda_invocation", "fill")).toBe(`\${local.${allowlistLocal} ? 1 : 0}`);
  });

  it("adds the allowlist rule as a dynamic block that exists only with the allowlist; the rate rule has no scope-down", () => {
    const acl = resourceOf(synth, "aws_wafv2_web_acl", "web-acl") as { rule: Rule[]; dynamic: { rule: { for_each: string; content: Rule } } };
    expect(acl.rule.map((r) => r.name)).toEqual(["signed-requests-only", "rate-limit-per-ip", "aws-ip-reputation", "aws-known-bad-inputs", "aws-common-rule-set", "aws-sqli"]);
    expect(acl.dynamic.rule.for_each).toMatch(/^\$\{local\.firewall_allowlist\w* \? \["enabled"\] : \[\]\}$/);
    expect(acl.dynamic.rule.content).toMatchObject({ name: "github-hooks-allowlist", priority: 1, action: { block: {} }, visibility_config: { metric_name: "github-hooks-allowlist" } });
    expect(acl.rule[1].statement.rate_based_statement).not.toHaveProperty("dynamic");
    expect(acl.rule[1].statement.rate_based_statement).not.toHaveProperty("scope_down_statement");
  });
});

describe("WebhookFirewall validation", () => {
  const cases: [string, Partial<WebhookFirewallProps>, RegExp][] = [
    ["rateLimit is below WAF's minimum", { rateLimit: 50 }, /test\/firewall: invalid rateLimit 50; allowed: a whole number from 100 to 2000000000/],
    ["rateLimit is fractional", { rateLimit: 1000.5 }, /invalid rateLimit 1000.5/],
    ["rateLimitWindowSeconds is not a WAF window", { rateLimitWindowSeconds: 90 }, /invalid rateLimitWindowSeconds 90; allowed: one of 60, 120, 300, 600/],
    ["logRetentionDays is not a CloudWatch period", { logRetentionDays: 42 }, /invalid logRetentionDays 42/],
    ["the refresh schedule is malformed", { ipSetUpdater: updater({ scheduleExpression: "hourly" }) }, /invalid ipSetUpdater.scheduleExpression "hourly"; allowed: rate\(N minutes\|hours\|days\) or cron/],
    ["the allowlist is on without an updater", { githubHooksAllowlist: true, ipSetUpdater: undefined }, /invalid ipSetUpdater undefined; allowed: an updater/],
  ];
  for (const [what, props, message] of cases) {
    it(`fails when ${what}`, () => {
      expect(() => synthFirewall(props)).toThrow(SelfRunnersValidationError);
      expect(() => synthFirewall(props)).toThrow(message);
    });
  }
});

describe("WebhookFirewall inside SelfRunners", () => {
  it("protects the webhook stage by default, named after the prefix", () => {
    const { stack } = testStack();
    new SelfRunners(stack, "runners", minimalProps(distDir, { prefix: "ci" }));
    const synth = synthJson(stack);
    expect(resourceOf(synth, "aws_wafv2_web_acl", "firewall")).toMatchObject({ count: 1, name: "ci-webhook" });
    expect(resourceOf(synth, "aws_wafv2_web_acl_association", "firewall").resource_arn).toMatch(/^\$\{aws_api_gateway_stage\..*\.arn\}$/);
    expect(resourceOf(synth, "aws_cloudwatch_log_group", "firewall_logs").name).toBe("aws-waf-logs-ci");
  });

  it("switches the firewall off with enableWaf: false", () => {
    const { stack } = testStack();
    new SelfRunners(stack, "runners", minimalProps(distDir, { enableWaf: false }));
    expect(Object.values(resourcesOf(synthJson(stack), "aws_wafv2_web_acl")).map((acl) => acl.count)).toEqual([0]);
  });

  it("encrypts the WAF logs and the updater with the kit's key, which lets CloudWatch Logs use it for their groups", () => {
    const { stack } = testStack();
    new SelfRunners(stack, "runners", minimalProps(distDir, { prefix: "ci", createKmsKey: true, wafGitHubHooksAllowlist: true }));
    const synth = synthJson(stack);
    const createdKey = /^\$\{aws_kms_key\.[^.]*encryption_key[^.]*\["0"\]\.arn\}$/;
    expect(resourceOf(synth, "aws_cloudwatch_log_group", "firewall_logs").kms_key_id).toMatch(createdKey);
    expect(resourceOf(synth, "aws_cloudwatch_log_group", "github-hooks-ipset").kms_key_id).toMatch(createdKey);
    expect(resourceOf(synth, "aws_lambda_function", "github-hooks-ipset").kms_key_arn).toMatch(createdKey);
    const keyPolicy = String(resourceOf(synth, "aws_kms_key", "encryption").policy);
    expect(keyPolicy).toContain(':log-group:aws-waf-logs-ci"');
    expect(keyPolicy).toContain(':log-group:/aws/lambda/ci-github-hooks-ipset"');
    const grant = resourceOf(synth, "aws_iam_role_policy", "grant-github-hooks-ipset");
    expect(grant.count).toBe(1);
    expect(grant.role).toMatch(/^\$\{aws_iam_role\..*github-hooks-ipset.*\["0"\]\.id\}$/);
    expect(String(grant.policy)).toContain('"kms:ViaService" = ["lambda.');
  });

  it("builds the updater from the kit's zip, layer and GitHub API URL when the allowlist is on", () => {
    const { stack } = testStack();
    new SelfRunners(stack, "runners", minimalProps(distDir, { prefix: "ci", wafGitHubHooksAllowlist: true, githubApiUrl: "https://ghes.example.com/api/v3", wafIpSetRefreshSchedule: "rate(30 minutes)" }));
    const synth = synthJson(stack);
    const fn = resourceOf(synth, "aws_lambda_function", "github-hooks-ipset");
    expect(fn).toMatchObject({ function_name: "ci-github-hooks-ipset", layers: [expect.stringMatching(/aws_lambda_layer_version/)] });
    expect((fn.environment as { variables: Record<string, string> }).variables).toMatchObject({ GITHUB_API_URL: "https://ghes.example.com/api/v3", POWERTOOLS_SERVICE_NAME: "github-hooks-ipset" });
    expect(resourceOf(synth, "aws_cloudwatch_event_rule", "github-hooks-ipset").schedule_expression).toBe("rate(30 minutes)");
  });
});
