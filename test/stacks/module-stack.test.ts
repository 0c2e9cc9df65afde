import { describe, expect, it } from "vitest";
import { App, Testing } from "../../stacks/cdktf.js";
import { ModuleStack } from "../../stacks/module-stack.js";
import { RULES } from "../../stacks/errors.js";
import { CROSS_CHECKS } from "../../stacks/module/cross-checks.js";
import { WARM_SCHEDULE_PATTERN } from "../../contracts/patterns.js";
import { fakeDistDir, synthJson } from "../helpers/synth.js";

describe("ModuleStack (the stack emitted as the Terraform module)", () => {
  const app = Testing.app() as App;
  const stack = new ModuleStack(app, "self-runners", { distDir: fakeDistDir() });
  const synth = synthJson(stack);

  it("declares every input as a typed, described variable", () => {
    const variables = synth.variable ?? {};
    expect(Object.keys(variables).length).toBeGreaterThanOrEqual(25);
    for (const [name, v] of Object.entries(variables)) {
      expect(v.type, name).toBeTruthy();
      expect(String(v.description ?? ""), name).not.toBe("");
    }
    expect(Object.keys(variables).filter((name) => !("default" in variables[name])).sort()).toEqual([
      "github_app_id",
      "pools",
      "runner_subnet_ids",
      "vpc_id",
    ]);
  });

  it("validates the values a user is likely to get wrong with the same patterns as the constructs", () => {
    const validation = (name: string) => JSON.stringify(synth.variable?.[name]?.validation ?? []);
    expect(validation("prefix")).toContain(JSON.stringify(RULES.prefix.pattern).slice(1, -1));
    for (const name of ["github_app_id", "vpc_id", "runner_subnet_ids", "pools", "runner_version", "log_retention_days", "runner_scope", "waf_rate_limit", "waf_rate_limit_window_seconds", "waf_ip_set_refresh_schedule"]) {
      expect(validation(name), name).not.toBe("[]");
    }
  });

  it("checks the warm schedule with the pattern the reconcile function's parser agrees with", () => {
    expect(JSON.stringify(synth.variable?.pools?.validation ?? [])).toContain(JSON.stringify(WARM_SCHEDULE_PATTERN).slice(1, -1).replace(/\\/g, "\\\\"));
  });

  it("renders the rules over several variables as preconditions of the webhook function", () => {
    const lifecycle = synth.resource.aws_lambda_function.webhook_function.lifecycle as { precondition: Array<{ condition: string; error_message: string }> };
    expect(lifecycle.precondition.map((p) => p.error_message)).toEqual(CROSS_CHECKS.map((check) => check.errorMessage));
    expect(lifecycle.precondition.every((p) => p.condition.startsWith("${"))).toBe(true);
  });

  it("gives every resource a readable address derived from its construct path", () => {
    const ids = Object.values(synth.resource).flatMap((byId) => Object.keys(byId));
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(synth.resource.aws_sqs_queue).toHaveProperty("job_queue");
    expect(synth.resource.aws_sqs_queue).toHaveProperty("job_dlq");
    expect(synth.resource.aws_lambda_function).toHaveProperty("scale_up_function");
  });

  it("outputs everything a caller wires", () => {
    expect(Object.keys(synth.output ?? {}).sort()).toEqual(
      [
        "alarm_topic_arn",
        "build_cache_bucket_name",
        "build_cache_function_url",
        "build_cache_index_table_name",
        "cloudtrail_arn",
        "cloudtrail_bucket_name",
        "dead_letter_queue_arns",
        "draining_ssm_parameter_name",
        "jobs_table_name",
        "spot_interruption_function_name",
        "github_app_private_key_ssm_parameter_name",
        "kms_key_arn",
        "launch_template_ids",
        "nat_autoscaling_group_names",
        "nat_failover_function_names",
        "nat_security_group_id",
        "queue_arns",
        "queue_urls",
        "reconcile_function_name",
        "reconcile_role_arn",
        "runner_image_pipeline_arns",
        "runner_image_ssm_parameter_names",
        "runner_instance_profile_arn",
        "runner_pool_role_arns",
        "runner_role_arn",
        "runner_security_group_id",
        "runners_table_name",
        "scale_up_function_name",
        "scale_up_role_arn",
        "webhook_function_name",
        "webhook_role_arn",
        "webhook_previous_secret_ssm_parameter_name",
        "webhook_secret_ssm_parameter_name",
        "webhook_url",
        "vpc_endpoint_ids",
        "vpc_endpoint_security_group_id",
        "web_acl_arn",
        "waf_log_group_name",
      ].sort(),
    );
  });

  it("switches the audit trail with enable_cloudtrail and existing_cloudtrail_arn through one local", () => {
    expect(synth.locals?.audit_enabled).toBe("${(var.enable_cloudtrail && (length(var.existing_cloudtrail_arn) < 1))}");
    expect(synth.resource.aws_cloudtrail.audit_trail.count).toBe("${local.audit_enabled ? 1 : 0}");
    expect(synth.resource.aws_cloudwatch_log_group.audit_logs.count).toBe("${local.audit_cloudwatch_enabled ? 1 : 0}");
    expect(synth.output?.cloudtrail_arn.value).toBe('${(length(var.existing_cloudtrail_arn) < 1) ? try(aws_cloudtrail.audit_trail["0"].arn, "") : var.existing_cloudtrail_arn}');
  });

  it("keeps networking off by default and validates every networking variable", () => {
    const variables = synth.variable ?? {};
    expect(variables.create_vpc_endpoints.default).toBe(false);
    expect(variables.enable_nat_instances.default).toBe(false);
    // The old name of the toggle still works: null by default, it wins when set, and a check warns.
    expect(variables.nat_instance_enabled.default).toBeNull();
    expect(variables.nat_instance_enabled.description).toMatch(/^Deprecated: use enable_nat_instances\./);
    expect(synth.locals?.enable_nat_instances).toBe("${coalesce(var.nat_instance_enabled, var.enable_nat_instances)}");
    expect((synth as { check?: Record<string, { assert: unknown }> }).check?.deprecated_inputs.assert).toEqual([
      {
        condition: "${var.nat_instance_enabled == null}",
        error_message: "nat_instance_enabled is deprecated: set enable_nat_instances instead (same meaning); nat_instance_enabled still wins while it is set.",
      },
    ]);
    expect(variables.nat_instance_type.default).toBe("c6gn.medium");
    const validated = [
      "vpc_endpoint_subnet_ids", "vpc_endpoint_route_table_ids", "vpc_endpoint_services", "vpc_endpoint_gateway_services", "vpc_endpoint_source_security_group_ids",
      "nat_instance_subnet_ids", "nat_private_route_table_ids", "nat_probe_subnet_ids", "nat_instance_type", "nat_standby_nat_gateway_ids",
      "nat_probe_urls", "nat_probe_interval_seconds", "nat_failure_threshold", "nat_failback_hold_down_seconds",
    ];
    for (const name of validated) expect(JSON.stringify(variables[name]?.validation ?? []), name).not.toBe("[]");
    expect(synth.resource.aws_lambda_function.nat_failover_function.for_each).toBe("${local.enable_nat_instances ? var.nat_private_route_table_ids : {}}");
    expect(synth.resource.aws_autoscaling_group.nat_asg.for_each).toBe("${local.enable_nat_instances ? var.nat_instance_subnet_ids : {}}");
  });

  it("switches the firewall with enable_waf and the allowlist with waf_github_hooks_allowlist through locals", () => {
    expect(synth.locals?.webhook_firewall_enabled).toBe("${var.enable_waf}");
    expect(synth.locals?.webhook_firewall_allowlist).toBe("${(local.webhook_firewall_enabled && var.waf_github_hooks_allowlist)}");
    expect(synth.resource.aws_wafv2_web_acl.webhook_firewall_web_acl.count).toBe("${local.webhook_firewall_enabled ? 1 : 0}");
    expect(synth.resource.aws_wafv2_ip_set.webhook_firewall_github_hooks_ipv4.count).toBe("${local.webhook_firewall_allowlist ? 1 : 0}");
    expect(synth.resource.aws_lambda_function.webhook_firewall_github_hooks_ipset_function.count).toBe("${local.webhook_firewall_allowlist ? 1 : 0}");
    expect(synth.output?.web_acl_arn.value).toBe('${try(aws_wafv2_web_acl.webhook_firewall_web_acl["0"].arn, "")}');
  });

  it("matches the snapshot (review the whole diff when it changes)", () => {
    const stable = JSON.stringify(synth, null, 2).replace(/"[^"]*\.test-out\/dist-[^/"]+\//g, '"<dist>/').replace(/assets\/[^"]+\/([^/"]+\.zip)/g, "assets/<hash>/$1");
    expect(stable).toMatchSnapshot();
  });
});
