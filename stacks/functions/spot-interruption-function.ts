import type { Construct } from "constructs";
import { SPOT_INTERRUPTION_ENV } from "../../contracts/spot-interruption.js";
import type { EncryptionKey } from "../encryption-key.js";
import type { JobLedger } from "../job-ledger.js";
import { NodejsFunction } from "../nodejs-function.js";
import type { PoolMap } from "../pools.js";
import { poolsEnvironment, renderEnvironment } from "../private/environment.js";
import type { GitHubAppAccess } from "../private/github-app-access.js";
import type { RunnerQueues } from "../runner-queue.js";
import type { RunnersTable } from "../runners-table.js";
import { SpotInterruptionRule } from "../spot-interruption-rule.js";
import { handlerFunctionProps, runnerStateEnvironment, type HandlerFunctionProps } from "./handler-function.js";

/** Props of {@link SpotInterruptionFunction}. */
export interface SpotInterruptionFunctionProps extends HandlerFunctionProps {
  readonly pools: PoolMap;
  readonly runnerScope: string;
  readonly app: GitHubAppAccess;
  /** The pools' job queues: relaunched jobs go back there. */
  readonly queues: RunnerQueues;
  readonly ledger: JobLedger;
  readonly table: RunnersTable;
  readonly encryption: EncryptionKey;
}

/**
 * lambdas/spot-interruption: handles spot interruption warnings for runners. Owns its environment
 * (contracts/spot-interruption.ts), its grants and its EventBridge rule.
 */
export class SpotInterruptionFunction extends NodejsFunction {
  readonly rule: SpotInterruptionRule;

  constructor(scope: Construct, id: string, props: SpotInterruptionFunctionProps) {
    const { queues, ledger, table, app } = props;
    super(
      scope,
      id,
      handlerFunctionProps("spot-interruption", props, {
        description: "Handles spot interruption warnings for runners",
        timeout: 30,
        environment: renderEnvironment(SPOT_INTERRUPTION_ENV, {
          ...runnerStateEnvironment("spot-interruption", props),
          pools: poolsEnvironment(SPOT_INTERRUPTION_ENV.pools, props.pools, { queues: queues.queues.fqn }),
        }),
      }),
    );
    this.addToRolePolicy("describe-runners", [{ Sid: "DescribeRunners", Action: ["ec2:DescribeInstances"], Resource: "*" }]);
    table.grantReadWrite(this);
    ledger.grantReadWrite(this);
    queues.grantSend(this);
    app.grantReadKeys(this);
    app.grantReadEnterpriseToken(this);
    props.encryption.grantUse("spot-interruption", this.role, ["lambda", "ssm", "dynamodb", "sqs"]);
    // A sibling of the function, not a child: its address stays `spot_interruption_rule_*` (ids are Terraform addresses).
    this.rule = new SpotInterruptionRule(scope, `${id}-rule`, { name: `${props.prefix}-spot-interruption`, target: this, tags: props.tags });
  }
}
