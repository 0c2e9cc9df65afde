import type { Construct } from "constructs";
import { SCALE_UP_ENV, SCALE_UP_TIMEOUT_SECONDS } from "../../contracts/scale-up.js";
import { LambdaEventSourceMapping } from "../aws.js";
import { Fn, TerraformIterator } from "../cdktf.js";
import type { DrainingSwitch } from "../draining-switch.js";
import type { EncryptionKey } from "../encryption-key.js";
import type { JobLedger } from "../job-ledger.js";
import { NodejsFunction } from "../nodejs-function.js";
import type { PoolMap } from "../pools.js";
import { poolsEnvironment, renderEnvironment } from "../private/environment.js";
import type { GitHubAppAccess } from "../private/github-app-access.js";
import type { RunnerFleet } from "../runner-fleet.js";
import type { RunnerQueues } from "../runner-queue.js";
import type { RunnersTable } from "../runners-table.js";
import { handlerFunctionProps, runnerStateEnvironment, type HandlerFunctionProps } from "./handler-function.js";

/** Props of {@link ScaleUpFunction}; the limits are literals or Terraform expressions (their defaults live in the input table). */
export interface ScaleUpFunctionProps extends HandlerFunctionProps {
  readonly pools: PoolMap;
  readonly runnerScope: string;
  readonly app: GitHubAppAccess;
  /** The pools' job queues: the trigger, and where waiting records go back; their DLQs take what cannot be served. */
  readonly queues: RunnerQueues;
  readonly ledger: JobLedger;
  readonly table: RunnersTable;
  readonly fleet: RunnerFleet;
  readonly drainingSwitch: DrainingSwitch;
  readonly encryption: EncryptionKey;
  readonly maxRunnersTotal: string;
  readonly maxRunnersPerOwner: string;
  readonly jobMaxAgeSeconds: string;
  readonly jobWaitMaxSeconds: string;
  readonly githubMinRemainingRequests: string;
  /** GITHUB_WRITES_PER_MINUTE and GITHUB_WRITE_BURST: the shared GitHub write governor's bucket per App. */
  readonly githubWritesPerMinute: string;
  readonly githubWriteBurst: string;
  /** RUNNER_BOOT_TIMEOUT_SECONDS: a kept instance is reused only while younger than it (less a margin). */
  readonly runnerBootTimeoutSeconds: string;
  /** ALLOWED_OWNERS and ALLOWED_REPOSITORIES: JSON lists, literal or a Terraform expression (checked again before launching). */
  readonly allowedOwners: string;
  readonly allowedRepositories: string;
  /**
   * Reserved concurrency; -1: unreserved.
   * @default -1
   */
  readonly reservedConcurrency?: number;
}

/**
 * lambdas/scale-up: launches ephemeral runners for queued jobs. Owns its environment
 * (contracts/scale-up.ts), its grants and its trigger (one SQS event source mapping per pool queue).
 */
export class ScaleUpFunction extends NodejsFunction {
  readonly trigger: LambdaEventSourceMapping;

  constructor(scope: Construct, id: string, props: ScaleUpFunctionProps) {
    const { queues, ledger, table, fleet, drainingSwitch, app } = props;
    super(
      scope,
      id,
      handlerFunctionProps("scale-up", props, {
        description: "Launches ephemeral runners for queued jobs",
        timeout: SCALE_UP_TIMEOUT_SECONDS,
        memorySize: 512,
        reservedConcurrency: props.reservedConcurrency,
        environment: renderEnvironment(SCALE_UP_ENV, {
          ...runnerStateEnvironment("scale-up", props),
          drainingParameter: drainingSwitch.parameterName,
          maxRunnersTotal: props.maxRunnersTotal,
          maxRunnersPerOwner: props.maxRunnersPerOwner,
          jobMaxAgeSeconds: props.jobMaxAgeSeconds,
          jobWaitMaxSeconds: props.jobWaitMaxSeconds,
          githubMinRemainingRequests: props.githubMinRemainingRequests,
          githubWritesPerMinute: props.githubWritesPerMinute,
          githubWriteBurst: props.githubWriteBurst,
          runnerBootTimeoutSeconds: props.runnerBootTimeoutSeconds,
          jitKmsKeyArn: props.encryption.keyArnOrEmpty,
          allowedOwners: props.allowedOwners,
          allowedRepositories: props.allowedRepositories,
          pools: poolsEnvironment(SCALE_UP_ENV.pools, props.pools, {
            queues: queues.queues.fqn,
            deadLetterQueues: queues.deadLetterQueues.fqn,
            launchTemplates: fleet.launchTemplates.fqn,
          }),
        }),
      }),
    );
    queues.grantConsume(this);
    queues.grantSendToDeadLetter(this);
    ledger.grantReadWrite(this);
    drainingSwitch.grantRead(this);
    fleet.grantLaunch(this);
    table.grantReadWrite(this);
    app.grantReadKeys(this);
    app.grantReadEnterpriseToken(this);
    props.encryption.grantUse("scale-up", this.role, ["lambda", "ssm", "sqs", "dynamodb"]);
    const pools = TerraformIterator.fromMap(props.pools);
    this.trigger = new LambdaEventSourceMapping(this, "trigger", {
      forEach: pools,
      eventSourceArn: Fn.lookupNested(queues.queues.fqn, [pools.key, "arn"]),
      functionName: this.functionArn,
      batchSize: 10,
      // Partial batch responses: only the failed messages come back (docs/contracts.md).
      functionResponseTypes: ["ReportBatchItemFailures"],
    });
  }
}
