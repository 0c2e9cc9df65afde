import { Construct } from "constructs";
import { METRICS, METRIC_DIMENSIONS, metricsNamespace, type MetricSpec } from "../contracts/metrics.js";
import { Fn, Token } from "./cdktf.js";
import { CloudwatchLogGroup, CloudwatchLogMetricFilter, IamRolePolicy, type IamRole } from "./aws.js";
import type { AwsContext } from "./aws-context.js";
import { checkProps } from "./errors.js";
import { SHARED_INPUTS } from "./module/shared-rules.js";
import { countIf } from "./private/conditions.js";
import { policyDocument, runnerCredentialsCondition } from "./private/iam.js";

/** The runner log group of a deployment. */
export function runnerLogGroupName(prefix: string): string {
  return `/self-runners/${prefix}/runners`;
}

/** Props of {@link RunnerLogs}. */
export interface RunnerLogsProps {
  /** Deployment prefix: names the log group and the metrics namespace. */
  readonly prefix: string;
  /** Partition, region and account (the role policy names the group by ARN). */
  readonly context: AwsContext;
  /**
   * Create the log group and its metric filters; runners ship nothing when false.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Retention of the runner logs, in days.
   * @default 30
   */
  readonly retentionDays?: number;
  /**
   * Customer managed KMS key of the log group (its key policy must let CloudWatch Logs use it).
   * @default - AWS-managed encryption
   */
  readonly kmsKeyArn?: string;
  /**
   * Tags for the log group.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * Where runner instances ship their bootstrap log, the runner's `_diag` logs and their job marks (the
 * CloudWatch agent, templates/runner-bootstrap.sh.tftpl), and the metric filters that turn the marks
 * (JSON lines with `service`, `pool`, `event`) into the runner-host metrics of contracts/metrics.ts.
 */
export class RunnerLogs extends Construct {
  readonly logGroup: CloudwatchLogGroup;
  /** The group's name when enabled, "" when not: what the bootstrap reads to decide whether to ship logs. */
  readonly shippedTo: string;
  private readonly count: number;
  private readonly context: AwsContext;
  private readonly name: string;

  constructor(scope: Construct, id: string, props: RunnerLogsProps) {
    super(scope, id);
    checkProps(this.node.path, [{ prop: "retentionDays", value: props.retentionDays, rule: SHARED_INPUTS.logRetentionDays.rule }]);
    const enabled = props.enabled ?? true;
    const name = runnerLogGroupName(props.prefix);
    this.name = name;
    this.context = props.context;
    this.count = countIf(enabled);
    this.logGroup = new CloudwatchLogGroup(this, "group", {
      count: this.count,
      name,
      retentionInDays: props.retentionDays ?? SHARED_INPUTS.logRetentionDays.default,
      kmsKeyId: props.kmsKeyArn,
      tags: props.tags ?? {},
    });
    // Through the group (not its name) so that instances launch only once it exists.
    this.shippedTo = Token.isUnresolved(enabled) ? (Fn.conditional(enabled, Fn.lookupNested(this.logGroup.fqn, ["0", "name"]), "") as string) : enabled ? name : "";
    const namespace = metricsNamespace(props.prefix);
    const filter = (id: string, metric: MetricSpec, event: string, value: string): void => {
      new CloudwatchLogMetricFilter(this, id, {
        count: this.count,
        name: `${props.prefix}-${metric.name}`,
        logGroupName: name,
        pattern: `{ $.event = "${event}" }`,
        metricTransformation: {
          name: metric.name,
          namespace,
          value,
          unit: metric.unit,
          // The marks carry both fields; the table's [Pool] set plus service (contracts/metrics.ts).
          dimensions: { service: "$.service", [METRIC_DIMENSIONS.pool]: "$.pool" },
        },
        dependsOn: [this.logGroup],
      });
    };
    filter("boot-to-registration", METRICS.bootToRegistration, "registered", "$.boot_seconds");
    filter("registration-failures", METRICS.registrationFailures, "registration_failed", "1");
  }

  /**
   * Lets the runner instances' role write to the group: logs:CreateLogStream, logs:PutLogEvents and
   * logs:DescribeLogStreams (the CloudWatch agent's calls) on this group's streams only.
   */
  grantWrite(role: IamRole, vpcId: string): IamRolePolicy {
    const group = this.context.arn("logs", `log-group:${this.name}`);
    return new IamRolePolicy(this, "write", {
      count: this.count,
      role: role.id,
      name: "runner-logs",
      policy: policyDocument([
        {
          Sid: "ShipRunnerLogs",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          Resource: [group, `${group}:*`],
          Condition: runnerCredentialsCondition(vpcId),
        },
      ]),
    });
  }
}
