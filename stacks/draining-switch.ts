import { Construct } from "constructs";
import { Fn, Token } from "./cdktf.js";
import { SsmParameter } from "./aws.js";
import type { AwsContext } from "./aws-context.js";
import type { NodejsFunction } from "./nodejs-function.js";

/** Props of {@link DrainingSwitch}. */
export interface DrainingSwitchProps {
  /** Name prefix; the parameter is `/<prefix>/draining`. */
  readonly prefix: string;
  /** Partition, region and account, for the parameter's ARN. */
  readonly context: AwsContext;
  /**
   * Whether draining is on when the parameter is created. Afterwards the parameter is the operators'
   * (`aws ssm put-parameter --overwrite`): Terraform never changes its value again.
   * @default false
   */
  readonly draining?: boolean;
  /**
   * Tags for the parameter.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/**
 * The draining switch: a String parameter holding "true" or "false". While it is "true" scale-up
 * launches nothing and keeps jobs queued (webhooks are still accepted); turning it off resumes the
 * backlog. Operators flip it at run time with `aws ssm put-parameter --overwrite`, and that flip wins:
 * Terraform sets the value only when it creates the parameter (`ignore_changes = [value]`), so the next
 * `terraform apply` does not undo it.
 */
export class DrainingSwitch extends Construct {
  readonly parameter: SsmParameter;
  readonly parameterName: string;
  private readonly context: AwsContext;

  constructor(scope: Construct, id: string, props: DrainingSwitchProps) {
    super(scope, id);
    this.context = props.context;
    this.parameterName = Token.isUnresolved(props.prefix) ? Fn.format("/%s/draining", [props.prefix]) : `/${props.prefix}/draining`;
    const draining = props.draining ?? false;
    this.parameter = new SsmParameter(this, "parameter", {
      name: this.parameterName,
      type: "String",
      value: Token.isUnresolved(draining) ? Fn.tostring(draining as unknown as string) : String(draining),
      description: "self-runners draining switch: true stops new launches; jobs stay queued until it is false",
      tags: props.tags ?? {},
      // The run-time switch belongs to operators: an apply must not undo a flip (docs/reliability.md).
      lifecycle: { ignoreChanges: ["value"] },
    });
  }

  /** Lets `fn` read the switch: ssm:GetParameter on this parameter only. */
  grantRead(fn: NodejsFunction): void {
    fn.addToRolePolicy("read-draining-switch", [
      { Sid: "ReadDrainingSwitch", Action: ["ssm:GetParameter"], Resource: this.context.arn("ssm", `parameter${this.parameterName}`) },
    ]);
  }
}
