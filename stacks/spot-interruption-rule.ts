import { Construct } from "constructs";
import { Fn } from "./cdktf.js";
import { CloudwatchEventRule, CloudwatchEventTarget, LambdaPermission } from "./aws.js";
import type { NodejsFunction } from "./nodejs-function.js";

/** Props of {@link SpotInterruptionRule}. */
export interface SpotInterruptionRuleProps {
  /** Rule name. */
  readonly name: string;
  /** The spot interruption function. */
  readonly target: NodejsFunction;
  /**
   * Tags for the rule.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * An EventBridge rule for EC2's two-minute spot interruption warning, delivered to the spot
 * interruption function. The rule sees every spot instance of the account and region; the function
 * ignores instances without this deployment's prefix tag (EventBridge cannot match on tags).
 */
export class SpotInterruptionRule extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: SpotInterruptionRuleProps) {
    super(scope, id);
    this.rule = new CloudwatchEventRule(this, "rule", {
      name: props.name,
      description: "Spot interruption warnings for self-runners",
      eventPattern: Fn.jsonencode({ source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] }),
      tags: props.tags ?? {},
    });
    new CloudwatchEventTarget(this, "target", { rule: this.rule.name, arn: props.target.functionArn, targetId: "spot-interruption" });
    new LambdaPermission(this, "invoke", {
      statementId: "AllowEventBridgeInvoke",
      action: "lambda:InvokeFunction",
      functionName: props.target.function.functionName,
      principal: "events.amazonaws.com",
      sourceArn: this.rule.arn,
    });
  }
}
