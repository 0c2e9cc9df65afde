import { Construct } from "constructs";
import { CloudwatchEventRule, CloudwatchEventTarget, LambdaPermission } from "./aws.js";
import { validateProps } from "./errors.js";
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
    validateProps(this.node.path, [
      { prop: "scheduleExpression", value: props.scheduleExpression, valid: (v: string) => /^(rate\(\d+ (minute|minutes|hour|hours)\)|cron\(.+\))$/.test(v), allowed: "rate(N minutes|hours) or cron(...)" },
    ]);
    this.rule = new CloudwatchEventRule(this, "rule", {
      name: props.name,
      description: "Runs the self-runners reconciler",
      scheduleExpression: props.scheduleExpression ?? "rate(5 minutes)",
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
