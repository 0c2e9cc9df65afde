import { Construct, type Node } from "constructs";
import { Fn, TerraformElement, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable } from "./cdktf.js";
import { AwsProvider } from "./aws.js";
import { amiParameterHcl } from "./pools-os.js";
import { SelfRunners, type SelfRunnersProps } from "./self-runners.js";
import { INPUTS } from "./module/inputs.js";
import { deprecatedVariable, propName } from "./module/input-spec.js";
import { ruleMessage } from "./module/rules.js";
import { CROSS_CHECKS } from "./module/cross-checks.js";

/** Props of {@link ModuleStack}. */
export interface ModuleStackProps {
  /**
   * Directory with the built zips, as the synthesized stack should reference them.
   * @default "dist"
   */
  readonly distDir?: string;
}

/** A variable as the prop of its type (cdktf types bools IResolvable; the props take boolean). */
function propValue(variable: TerraformVariable, type: string): unknown {
  if (type === "string") return variable.stringValue;
  if (type === "number") return variable.numberValue;
  if (type === "bool") return variable.booleanValue;
  if (type === "list(string)") return variable.listValue;
  return variable.value;
}

/**
 * The stack `npm run build` turns into modules-out/terraform-aws-self-runners: every input of
 * {@link SelfRunners} as a typed, described, validated Terraform variable, and every value a caller
 * wires as an output. Logical ids are the construct path in snake_case, so addresses read
 * `aws_sqs_queue.job_jobs` rather than `aws_sqs_queue.selfrunners_job_jobs_A1B2C3D4`.
 */
export class ModuleStack extends TerraformStack {
  readonly runners: SelfRunners;

  constructor(scope: Construct, id: string, moduleProps: ModuleStackProps = {}) {
    super(scope, id);
    // Needed to synthesize; the emitter drops it, since a reusable module never configures providers.
    new AwsProvider(this, "aws", {});

    // Every variable from the input table; the pools are read through local.pools_resolved below.
    const variables = Object.fromEntries(
      INPUTS.map((input) => [
        input.name,
        new TerraformVariable(this, input.name, {
          type: input.type,
          default: input.default,
          description: input.description,
          validation: [
            ...(input.rules ?? []).map((rule) => ({ condition: `\${${rule.condition(`var.${input.name}`)}}`, errorMessage: ruleMessage(input.name, rule) })),
            ...(input.validation?.() ?? []).map((v) => ({ condition: `\${${v.condition}}`, errorMessage: v.errorMessage })),
          ],
        }),
      ]),
    );

    // Optional pool fields resolved once, so every resource reads complete pools.
    const normalizedPools = new TerraformLocal(
      this,
      "pools_resolved",
      `\${{ for key, pool in var.pools : key => merge(pool, { ami_ssm_parameter = ${amiParameterHcl("pool")}, subnet_ids = pool.subnet_ids != null ? pool.subnet_ids : var.runner_subnet_ids }) }}`,
    );

    // Inputs renamed to the toggle grammar keep their old variable: it wins when set, and a check warns.
    const renamed = INPUTS.flatMap((input) => (input.replaces === undefined ? [] : [{ input, old: input.replaces }]));
    const values = new Map<string, unknown>(INPUTS.map((input) => [input.name, input.name === "pools" ? normalizedPools.expression : propValue(variables[input.name], input.type)]));
    for (const { input, old } of renamed) {
      const oldVariable = new TerraformVariable(this, old, deprecatedVariable({ ...input, replaces: old }));
      // cdktf cannot write a null default through the config (it snake-cases its keys), so as an override.
      oldVariable.addOverride("default", null);
      // The construct id differs from the variable's (same scope); the local keeps the input's name.
      const effective = new TerraformLocal(this, `${input.name}-effective`, Fn.coalesce([oldVariable.value, variables[input.name].value]));
      effective.overrideLogicalId(input.name);
      values.set(input.name, effective.expression);
    }
    if (renamed.length > 0) {
      this.addOverride("check.deprecated_inputs.assert", renamed.map(({ input, old }) => ({
        condition: `\${var.${old} == null}`,
        error_message: `${old} is deprecated: set ${input.name} instead (same meaning); ${old} still wins while it is set.`,
      })));
    }
    const props = Object.fromEntries(INPUTS.map((input) => [propName(input.name), values.get(input.name)]));
    this.runners = new SelfRunners(this, "runners", { ...(props as unknown as SelfRunnersProps), distDir: moduleProps.distDir });
    // Rules over several variables fail the plan as preconditions of the webhook function, which always exists.
    this.runners.webhook.function.addOverride(
      "lifecycle.precondition",
      CROSS_CHECKS.map((check) => ({ condition: `\${${check.condition}}`, error_message: check.errorMessage })),
    );

    const r = this.runners;
    // Outputs live in their own scope because variables and outputs may share a name.
    const outputs = new Construct(this, "outputs");
    const out = (name: string, value: unknown, description: string): TerraformOutput =>
      new TerraformOutput(outputs, name, { value, description });
    out("webhook_url", r.api.webhookUrl, "Payload URL to paste into the GitHub App's webhook settings.");
    out("webhook_secret_ssm_parameter_name", r.secrets.webhookSecretParameterName, "SSM SecureString parameter holding the webhook secret (set the same value in the GitHub App).");
    out("webhook_previous_secret_ssm_parameter_name", r.secrets.previousWebhookSecretParameterName, "SSM SecureString parameter for the previous webhook secret during a rotation (the placeholder outside one).");
    out("kms_key_arn", r.encryption.keyArnOrEmpty, "ARN of the customer managed KMS key in use (created or given); empty when AWS-managed encryption is used.");
    out("github_app_private_key_ssm_parameter_name", r.secrets.privateKeyParameterName, "SSM SecureString parameter holding the GitHub App's private key (PEM).");
    out("queue_urls", r.queues.queueUrls, "Job queue URL per pool.");
    out("queue_arns", r.queues.queueArns, "Job queue ARN per pool.");
    out("dead_letter_queue_arns", r.queues.deadLetterQueueArns, "Dead-letter queue ARN per pool; alarm on their depth.");
    out("runners_table_name", r.table.table.name, "DynamoDB table of launched runners.");
    out("webhook_function_name", r.webhook.function.functionName, "Name of the webhook function.");
    out("scale_up_function_name", r.scaleUp.function.functionName, "Name of the scale-up function.");
    out("reconcile_function_name", r.reconcile.function.functionName, "Name of the reconcile function.");
    out("webhook_role_arn", r.webhook.role.arn, "IAM role ARN of the webhook function.");
    out("scale_up_role_arn", r.scaleUp.role.arn, "IAM role ARN of the scale-up function.");
    out("reconcile_role_arn", r.reconcile.role.arn, "IAM role ARN of the reconcile function.");
    out("runner_role_arn", r.fleet.role.arn, "IAM role ARN of runner instances of pools without extra_iam_policy_arns; attach policies here for jobs that need AWS access.");
    out("runner_instance_profile_arn", r.fleet.instanceProfile.arn, "Instance profile ARN of runner instances.");
    out("runner_pool_role_arns", r.fleet.poolRoles?.roleArnsByPool ?? {}, "IAM role ARN per pool that sets extra_iam_policy_arns (its runners' own role: the shared role's grants plus those policies).");
    out("runner_security_group_id", r.fleet.securityGroup.id, "Security group of runner instances; allow it where runners must connect.");
    out("launch_template_ids", r.fleet.launchTemplateIds, "Launch template id per pool.");
    out("runner_image_pipeline_arns", r.images.pipelineArns, "EC2 Image Builder pipeline ARN per runner_images key; build one now with aws imagebuilder start-image-pipeline-execution --image-pipeline-arn ARN.");
    out("runner_image_ssm_parameter_names", r.images.parameterNames, "SSM parameter per runner_images key that holds the newest baked AMI id (a pool's AMI parameter).");
    out("jobs_table_name", r.ledger.table.name, "DynamoDB job ledger table: one item per job attempt with its phase and side effects (docs/reliability.md).");
    out("draining_ssm_parameter_name", r.drainingSwitch.parameterName, "SSM parameter holding the draining switch (\"true\" pauses launches).");
    out("spot_interruption_function_name", r.spotInterruption.function.functionName, "Name of the spot interruption function.");
    out("cloudtrail_arn", r.audit.trailArn, "ARN of the audit trail: the one created, or existing_cloudtrail_arn; empty when enable_cloudtrail is false and none is given.");
    out("cloudtrail_bucket_name", r.audit.bucketName, "S3 bucket holding the trail's log files; empty when no trail is created.");
    out("vpc_endpoint_ids", r.endpoints.endpointIds, "VPC endpoint id per service (interface and gateway); empty when create_vpc_endpoints is false.");
    out("vpc_endpoint_security_group_id", r.endpoints.securityGroupId, "Security group of the interface endpoints; empty when create_vpc_endpoints is false.");
    out("nat_autoscaling_group_names", r.nat.autoscalingGroupNames, "Auto Scaling group of the NAT instance per AZ; empty when enable_nat_instances is false.");
    out("nat_security_group_id", r.nat.securityGroupId, "Security group of the NAT instances; empty when enable_nat_instances is false.");
    out("nat_failover_function_names", r.natFailover.functionNames, "NAT failover function per AZ; empty when enable_nat_instances is false.");
    out("web_acl_arn", r.firewall.webAclArn, "ARN of the WAF web ACL in front of the webhook stage; empty when enable_waf is false.");
    out("alarm_topic_arn", r.operations.topic.topicArn, "SNS topic of every alarm, budget and cost anomaly alert: the one created (<prefix>-alarms) or alarm_topic_arn. Subscribe to it.");
    out("build_cache_function_url", r.buildCache.functionUrl, "URL of the build cache function (IAM authentication; runners' agents sign their calls with the instance role); empty when enable_build_cache is false.");
    out("build_cache_bucket_name", r.buildCache.bucketName, "S3 bucket of the build cache's blobs (no runner role may read it); empty when enable_build_cache is false.");
    out("build_cache_index_table_name", r.buildCache.indexTableName, "DynamoDB index table of the build cache; empty when enable_build_cache is false.");
    out("waf_log_group_name", r.firewall.logGroupName, "CloudWatch Logs group of the WAF request logs (aws-waf-logs-<prefix>); empty when enable_waf is false.");
  }

  /** Logical ids from the construct path below the composition, in snake_case, e.g. `job_dlq`. */
  protected override allocateLogicalId(element: TerraformElement | Node): string {
    const node = TerraformElement.isTerraformElement(element) ? element.node : (element as Node);
    if (element instanceof TerraformOutput || element instanceof TerraformVariable) return node.id;
    const path = node.scopes.slice(node.scopes.indexOf(this) + 1).map((s) => s.node.id);
    const inRunners = path[0] === "runners" ? path.slice(1) : path;
    const parts = inRunners.filter((part, i) => part !== inRunners[i - 1]);
    return parts.join("_").replace(/-/g, "_");
  }
}
