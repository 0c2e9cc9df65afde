import { Construct } from "constructs";
import { CloudwatchEventRule, CloudwatchEventTarget, LambdaPermission } from "./aws.js";
import { checkProps } from "./errors.js";
import { SHARED_INPUTS } from "./module/shared-rules.js";
import type { NodejsFunction } from "./nodejs-function.js";

/** Props of {@link ReconcileSchedule}. */
export interface ReconcileScheduleProps {
  /** Rule name. */
  readonly name: string;
  /** The reconcile function. */
  readonly target: NodejsFunction;
  /**
   * EventBridge schedule expression.
   * @default "rate(5 minutes)"
   */
  readonly scheduleExpression?: string;
  /**
   * Tags for the rule.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/** An EventBridge rule that runs the reconciler on a schedule. */
export class ReconcileSchedule extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: ReconcileScheduleProps) {
    super(scope, id);
    checkProps(this.node.path, [{ prop: "scheduleExpression", value: props.scheduleExpression, rule: SHARED_INPUTS.reconcileScheduleExpression.rule }]);
    this.rule = new CloudwatchEventRule(this, "rule", {
      name: props.name,
      description: "Runs the self-runners reconciler",
      scheduleExpression: props.scheduleExpression ?? SHARED_INPUTS.reconcileScheduleExpression.default,
      tags: props.tags ?? {},
    });
    new CloudwatchEventTarget(this, "target", { rule: this.rule.name, arn: props.target.functionArn, targetId: "reconcile" });
    new LambdaPermission(this, "invoke", {
      statementId: "AllowEventBridgeInvoke",
      action: "lambda:InvokeFunction",
      functionName: props.target.function.functionName,
      principal: "events.amazonaws.com",
      sourceArn: this.rule.arn,
    });
  }
}
