import { Construct } from "constructs";
import { TerraformIterator, Token } from "../cdktf.js";
import { CloudwatchMetricAlarm } from "../aws.js";
import { checkProps } from "../errors.js";
import type { PoolMap } from "../pools.js";
import { allOf, countIf, listIf, localCondition, mapIf } from "../private/conditions.js";
import { SHARED_INPUTS } from "../module/shared-rules.js";
import { OPERATIONS_INPUTS } from "../module/inputs-operations.js";
import { alarmDescription, kitMetric, schedulePeriodSeconds, type KitMetric, type RunbookId } from "./alarm-conventions.js";

/** Props of {@link ServiceAlarms}. */
export interface ServiceAlarmsProps {
  /** Deployment prefix: alarms are `<prefix>-<id>[-<key>]`, metrics are in `SelfRunners/<prefix>`. */
  readonly prefix: string;
  /**
   * Create the alarms.
   * @default true
   */
  readonly enabled?: boolean;
  /** Topic every alarm sends ALARM and OK to. */
  readonly topicArn: string;
  /**
   * Base of the runbook link each description ends with.
   * @default "docs/runbooks.md"
   */
  readonly runbookBaseUrl?: string;
  /** The runner pools (one DLQ and queue-age alarm each); their queues are `<prefix>-<pool>[-dlq].fifo`. */
  readonly pools: PoolMap;
  /** The kit's functions, alarm key -> function name (one errors and one throttles alarm each). Keys must be known at plan. */
  readonly functionNames: Record<string, string>;
  /** Name of the reconcile function. */
  readonly reconcileFunctionName: string;
  /**
   * The reconcile schedule: reconcile-not-running fires after two of its periods without an invocation.
   * @default "rate(5 minutes)"
   */
  readonly reconcileScheduleExpression?: string;
  /** GitHub App ids (github_app_id and the additional Apps); one budget alarm each. Known at plan. */
  readonly githubAppIds: string[];
  /**
   * Oldest message age in seconds above which queue-age-high fires.
   * @default 1800
   */
  readonly queueAgeSeconds?: number;
  /**
   * Remaining GitHub requests below which github-budget-low fires.
   * @default 1000
   */
  readonly githubBudgetMin?: number;
  /**
   * NAT instances are on: creates nat-failover and nat-no-healthy-target.
   * @default false
   */
  readonly natEnabled?: boolean;
  /**
   * The web ACL exists: creates waf-blocked-spike on `webAclName`.
   * @default false
   */
  readonly wafEnabled?: boolean;
  /**
   * Name of the web ACL (the `WebACL` dimension of AWS/WAFV2).
   * @default "<prefix>-webhook"
   */
  readonly webAclName?: string;
  /** Region of the web ACL (the `Region` dimension of AWS/WAFV2 for regional ACLs). */
  readonly region: string;
  /**
   * Requests blocked in 5 minutes above which waf-blocked-spike fires.
   * @default 500
   */
  readonly wafBlockedRequests?: number;
  /**
   * Tags for the alarms.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/** How one alarm compares: the parts that differ between the alarms below. */
interface AlarmRule {
  readonly what: string;
  readonly statistic: "Sum" | "Maximum" | "Minimum";
  readonly comparison: "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold" | "LessThanThreshold";
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm?: number;
  readonly treatMissingData: "notBreaching" | "breaching" | "missing" | "ignore";
}

/**
 * The service alarms of docs/alarms.md, each with its runbook link and both ALARM and OK sent to the
 * topic. Per-pool, per-function and per-App alarms are `for_each` over keys known at plan.
 */
export class ServiceAlarms extends Construct {
  private readonly props: ServiceAlarmsProps;
  private readonly enabled: boolean;

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    checkProps(this.node.path, [
      { prop: "runbookBaseUrl", value: props.runbookBaseUrl, rule: OPERATIONS_INPUTS.runbookBaseUrl.rule },
      { prop: "queueAgeSeconds", value: props.queueAgeSeconds, rule: OPERATIONS_INPUTS.alarmQueueAgeSeconds.rule },
      { prop: "githubBudgetMin", value: props.githubBudgetMin, rule: OPERATIONS_INPUTS.alarmGitHubBudgetMin.rule },
      { prop: "wafBlockedRequests", value: props.wafBlockedRequests, rule: OPERATIONS_INPUTS.alarmWafBlockedRequests.rule },
      { prop: "reconcileScheduleExpression", value: props.reconcileScheduleExpression, rule: SHARED_INPUTS.reconcileScheduleExpression.rule },
    ]);
    this.props = props;
    this.enabled = localCondition(this, "enabled", props.enabled ?? true);
    const { prefix } = props;
    const queue = (suffix: string) => (pool: string): KitMetric => ({ namespace: "AWS/SQS", metricName: "", dimensions: { QueueName: `${prefix}-${pool}${suffix}.fifo` } });
    const lambda = (name: string): KitMetric => ({ namespace: "AWS/Lambda", metricName: "", dimensions: { FunctionName: name } });

    const pools = TerraformIterator.fromMap(mapIf(this.enabled, props.pools as Record<string, unknown>));
    // SQS reports a queue while it holds messages, so no data means an empty DLQ.
    this.perKey("dlq-not-empty", pools, { ...queue("-dlq")(pools.key), metricName: "ApproximateNumberOfMessagesVisible" }, {
      what: "A job of this pool was dead-lettered (unreadable, too old or refused for good); its runner never came.",
      statistic: "Maximum", comparison: "GreaterThanThreshold", threshold: 0, periodSeconds: 300, evaluationPeriods: 1, treatMissingData: "notBreaching",
    });
    // No data: the queue has been idle for hours, so nothing is waiting.
    this.perKey("queue-age-high", pools, { ...queue("")(pools.key), metricName: "ApproximateAgeOfOldestMessage" }, {
      what: "A job of this pool has waited on its queue longer than the threshold.",
      statistic: "Maximum", comparison: "GreaterThanThreshold", threshold: props.queueAgeSeconds ?? OPERATIONS_INPUTS.alarmQueueAgeSeconds.default,
      periodSeconds: 300, evaluationPeriods: 1, treatMissingData: "notBreaching",
    });

    const functions = TerraformIterator.fromMap(mapIf(this.enabled, props.functionNames));
    // Lambda reports errors and throttles only when the function is invoked: no data is no failure.
    // Two of three 5-minute periods, so one transient failure the retry absorbs does not page.
    const functionRule = { statistic: "Sum", comparison: "GreaterThanOrEqualToThreshold", threshold: 1, periodSeconds: 300, evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: "notBreaching" } as const;
    this.perKey("function-errors", functions, { ...lambda(functions.value as string), metricName: "Errors" }, { ...functionRule, what: "This function failed invocations in two of the last three 5-minute periods." });
    this.perKey("function-throttles", functions, { ...lambda(functions.value as string), metricName: "Throttles" }, { ...functionRule, what: "This function was throttled in two of the last three 5-minute periods." });

    const schedulePeriod = schedulePeriodSeconds(props.reconcileScheduleExpression ?? SHARED_INPUTS.reconcileScheduleExpression.default);
    // Missing data breaches: a reconciler that never runs publishes nothing at all.
    this.single("reconcile-not-running", countIf(this.enabled), { ...lambda(props.reconcileFunctionName), metricName: "Invocations" }, {
      what: "The reconciler has not been invoked for two schedule periods: orphans, stuck jobs and runner counts go unattended.",
      statistic: "Sum", comparison: "LessThanThreshold", threshold: 1, periodSeconds: schedulePeriod, evaluationPeriods: 2, treatMissingData: "breaching",
    });

    const apps = TerraformIterator.fromList(listIf(this.enabled, props.githubAppIds));
    // Reported only when scale-up calls GitHub: no data means no requests spent.
    this.perKey("github-budget-low", apps, kitMetric(prefix, "gitHubBudgetRemaining", { App: apps.value as string }), {
      what: "This GitHub App's remaining hourly API requests are low; launches slow down at github_min_remaining_requests.",
      statistic: "Minimum", comparison: "LessThanThreshold", threshold: props.githubBudgetMin ?? OPERATIONS_INPUTS.alarmGitHubBudgetMin.default,
      periodSeconds: 300, evaluationPeriods: 1, treatMissingData: "notBreaching",
    });

    // Counts are published only when something happened: no data is none.
    const countRule = { statistic: "Sum", comparison: "GreaterThanOrEqualToThreshold", threshold: 1, periodSeconds: 300, evaluationPeriods: 1, treatMissingData: "notBreaching" } as const;
    this.single("launch-failures", countIf(this.enabled), kitMetric(prefix, "launchFailures"), {
      ...countRule, evaluationPeriods: 3, datapointsToAlarm: 2,
      what: "Launches failed in two of the last three 5-minute periods (no instance, or its configuration not written); jobs are retried but wait.",
    });
    this.single("fleet-failures", countIf(this.enabled), kitMetric(prefix, "fleetFailures"), {
      ...countRule, what: "A CreateFleet launched nothing after all retries and the on-demand fallback (capacity, quota or launch template).",
    });
    const natCount = countIf(allOf([this.enabled, props.natEnabled ?? false]));
    this.single("nat-failover", natCount, kitMetric(prefix, "natRouteReplacements"), { ...countRule, what: "A private route was moved to another NAT: a NAT instance failed its probes or stopped." });
    this.single("nat-no-healthy-target", natCount, kitMetric(prefix, "natNoHealthyTarget"), { ...countRule, what: "The NAT failover found no healthy NAT to route to: an AZ has no egress." });
    // WAF reports BlockedRequests only when it blocks something.
    this.single(
      "waf-blocked-spike",
      countIf(allOf([this.enabled, props.wafEnabled ?? false])),
      { namespace: "AWS/WAFV2", metricName: "BlockedRequests", dimensions: { WebACL: props.webAclName ?? `${prefix}-webhook`, Region: props.region, Rule: "ALL" } },
      { ...countRule, threshold: props.wafBlockedRequests ?? OPERATIONS_INPUTS.alarmWafBlockedRequests.default, comparison: "GreaterThanThreshold", what: "The webhook's web ACL blocked more requests than the threshold in 5 minutes: an attack, or GitHub's deliveries refused." },
    );
  }

  /** One alarm per key of `each` (a pool, a function, an App), named `<prefix>-<id>-<key>`. */
  private perKey(id: RunbookId, each: TerraformIterator & { readonly key: unknown }, metric: KitMetric, rule: AlarmRule): CloudwatchMetricAlarm {
    return new CloudwatchMetricAlarm(this, id, { forEach: each, ...this.alarm(`${this.props.prefix}-${id}-${Token.asString(each.key)}`, id, metric, rule) });
  }

  /** One alarm (count 0 or 1), named `<prefix>-<id>`. */
  private single(id: RunbookId, count: number, metric: KitMetric, rule: AlarmRule): CloudwatchMetricAlarm {
    return new CloudwatchMetricAlarm(this, id, { count, ...this.alarm(`${this.props.prefix}-${id}`, id, metric, rule) });
  }

  private alarm(name: string, id: RunbookId, metric: KitMetric, rule: AlarmRule) {
    const actions = [this.props.topicArn];
    return {
      alarmName: name,
      alarmDescription: alarmDescription(rule.what, id, this.props.runbookBaseUrl),
      namespace: metric.namespace,
      metricName: metric.metricName,
      dimensions: metric.dimensions,
      statistic: rule.statistic,
      comparisonOperator: rule.comparison,
      threshold: rule.threshold,
      period: rule.periodSeconds,
      evaluationPeriods: rule.evaluationPeriods,
      datapointsToAlarm: rule.datapointsToAlarm,
      treatMissingData: rule.treatMissingData,
      alarmActions: actions,
      okActions: actions,
      tags: this.props.tags ?? {},
    };
  }
}
