import { Construct } from "constructs";
import { Fn, Op, TerraformIterator, Token } from "../cdktf.js";
import { BudgetsBudget, CeAnomalyMonitor, CeAnomalySubscription, CeCostAllocationTag } from "../aws.js";
import { checkProps } from "../errors.js";
import { countIf, listIf } from "../private/conditions.js";
import { OPERATIONS_INPUTS } from "../module/inputs-operations.js";

/** The kit's cost allocation tag keys: every resource carries the first, runner instances and queues the second. */
export const COST_TAG_KEYS = ["self-runners:prefix", "self-runners:pool"] as const;

/** Props of {@link CostAlerts}. */
export interface CostAlertsProps {
  /** Deployment prefix: the value of the `self-runners:prefix` tag the budget and monitor filter on. */
  readonly prefix: string;
  /** Topic the budget and anomaly alerts go to. */
  readonly topicArn: string;
  /**
   * Monthly budget in USD; 0 creates none.
   * @default 0
   */
  readonly budgetMonthlyLimitUsd?: number;
  /**
   * Create a Cost Anomaly Detection monitor and an immediate subscription to the topic.
   * @default false
   */
  readonly enableCostAnomalyDetection?: boolean;
  /**
   * Total impact in USD above which an anomaly is sent.
   * @default 20
   */
  readonly costAnomalyThresholdUsd?: number;
  /**
   * Activate {@link COST_TAG_KEYS} as cost allocation tags (payer account only).
   * @default false
   */
  readonly activateCostAllocationTags?: boolean;
  /**
   * Tags for the budget and the anomaly resources.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * Knowing what it costs: a monthly AWS Budgets budget (forecast 100 %, actual 80 %) and an optional Cost
 * Anomaly Detection monitor, both on the kit's `self-runners:prefix` tag and alerting the alarm topic,
 * and the optional activation of the kit's cost allocation tags (which both filters need).
 */
export class CostAlerts extends Construct {
  constructor(scope: Construct, id: string, props: CostAlertsProps) {
    super(scope, id);
    checkProps(this.node.path, [
      { prop: "budgetMonthlyLimitUsd", value: props.budgetMonthlyLimitUsd, rule: OPERATIONS_INPUTS.budgetMonthlyLimitUsd.rule },
      { prop: "costAnomalyThresholdUsd", value: props.costAnomalyThresholdUsd, rule: OPERATIONS_INPUTS.costAnomalyThresholdUsd.rule },
    ]);
    const { prefix, topicArn } = props;
    const limit = props.budgetMonthlyLimitUsd ?? OPERATIONS_INPUTS.budgetMonthlyLimitUsd.default;
    // signum(), not `> 0`: cdktf renders a literal 0 operand of its operators as undefined.
    const withBudget = Token.isUnresolved(limit) ? (Op.eq(Fn.signum(limit), 1) as unknown as boolean) : limit > 0;
    // format(), not a template string: "$${" would read as an escaped interpolation in HCL.
    const tagValue = Token.isUnresolved(prefix) ? Fn.format("user:self-runners:prefix$%s", [prefix]) : `user:self-runners:prefix$${prefix}`;
    const alert = (type: "FORECASTED" | "ACTUAL", percent: number) => ({
      comparisonOperator: "GREATER_THAN",
      threshold: percent,
      thresholdType: "PERCENTAGE",
      notificationType: type,
      subscriberSnsTopicArns: [topicArn],
    });
    new BudgetsBudget(this, "budget", {
      count: countIf(withBudget),
      name: `${prefix}-monthly`,
      budgetType: "COST",
      limitAmount: Token.asString(Fn.tostring(limit)),
      limitUnit: "USD",
      timeUnit: "MONTHLY",
      costFilter: [{ name: "TagKeyValue", values: [tagValue] }],
      // Forecast at 100 % warns while there is time to act; actual at 80 % confirms the trend.
      notification: [alert("FORECASTED", 100), alert("ACTUAL", 80)],
      tags: props.tags ?? {},
    });

    const anomalyCount = countIf(props.enableCostAnomalyDetection ?? false);
    const monitor = new CeAnomalyMonitor(this, "anomaly-monitor", {
      count: anomalyCount,
      name: `${prefix}-cost`,
      monitorType: "CUSTOM",
      monitorSpecification: Fn.jsonencode({ Tags: { Key: "self-runners:prefix", Values: [prefix], MatchOptions: ["EQUALS"] } }),
      tags: props.tags ?? {},
    });
    new CeAnomalySubscription(this, "anomaly-subscription", {
      count: anomalyCount,
      name: `${prefix}-cost`,
      // SNS subscribers need IMMEDIATE; daily and weekly digests go to e-mail only.
      frequency: "IMMEDIATE",
      monitorArnList: [Fn.lookupNested(monitor.fqn, ["0", "arn"])],
      subscriber: [{ type: "SNS", address: topicArn }],
      thresholdExpression: {
        dimension: {
          key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
          matchOptions: ["GREATER_THAN_OR_EQUAL"],
          values: [Token.asString(Fn.tostring(props.costAnomalyThresholdUsd ?? OPERATIONS_INPUTS.costAnomalyThresholdUsd.default))],
        },
      },
      tags: props.tags ?? {},
    });

    const tagKeys = TerraformIterator.fromList(listIf(props.activateCostAllocationTags ?? false, [...COST_TAG_KEYS]));
    new CeCostAllocationTag(this, "cost-allocation-tag", { forEach: tagKeys, tagKey: Token.asString(tagKeys.value), status: "Active" });
  }
}
