import type { Construct } from "constructs";
import { RECONCILE_ENV } from "../../contracts/reconcile.js";
import type { DrainingSwitch } from "../draining-switch.js";
import type { EncryptionKey } from "../encryption-key.js";
import type { JobLedger } from "../job-ledger.js";
import { Fn, Op, Token } from "../cdktf.js";
import { NodejsFunction } from "../nodejs-function.js";
import { countIf, isEmptyString } from "../private/conditions.js";
import { SHARED_INPUTS } from "../module/shared-rules.js";
import type { PoolMap } from "../pools.js";
import { poolsEnvironment, renderEnvironment } from "../private/environment.js";
import type { GitHubAppAccess } from "../private/github-app-access.js";
import { ReconcileSchedule } from "../reconcile-schedule.js";
import type { RunnerFleet } from "../runner-fleet.js";
import type { RunnerQueues } from "../runner-queue.js";
import type { RunnersTable } from "../runners-table.js";
import { handlerFunctionProps, runnerStateEnvironment, type HandlerFunctionProps } from "./handler-function.js";

/** Props of {@link ReconcileFunction}; the timeouts are literals or Terraform expressions (their defaults live in the input table). */
export interface ReconcileFunctionProps extends HandlerFunctionProps {
  readonly pools: PoolMap;
  readonly runnerScope: string;
  readonly app: GitHubAppAccess;
  /** The pools' job queues: relaunched, lost and warm-pool jobs are sent there. */
  readonly queues: RunnerQueues;
  readonly ledger: JobLedger;
  readonly table: RunnersTable;
  readonly fleet: RunnerFleet;
  readonly drainingSwitch: DrainingSwitch;
  readonly encryption: EncryptionKey;
  readonly runnerBootTimeoutSeconds: string;
  /** `runner_idle_timeout_minutes` in seconds. */
  readonly runnerIdleTimeoutSeconds: string;
  readonly busyConfirmSeconds: string;
  readonly relaunchGraceSeconds: string;
  /** `webhook_healer_max_github_calls`: GitHub requests of the webhook healer per round; "0" turns it off. */
  readonly healerMaxGithubCalls: string;
  /** "true" or "false". */
  readonly rerunInterruptedJobs: string;
  /** The optional re-run App's id ("" for none); its key parameter's name and ARN. */
  readonly rerunApp: { readonly appId: string; readonly privateKeyParameterName: string; readonly privateKeyParameterArn: string };
  /**
   * Reserved concurrency: one round at a time.
   * @default 1
   */
  readonly reservedConcurrency?: number;
  /**
   * EventBridge schedule expression of the rounds.
   * @default "rate(5 minutes)"
   */
  readonly scheduleExpression?: string;
}

/**
 * lambdas/reconcile: terminates orphaned runners and stale registrations, relaunches lost jobs, keeps
 * warm pools. Owns its environment (contracts/reconcile.ts), its grants and its schedule.
 */
export class ReconcileFunction extends NodejsFunction {
  readonly schedule: ReconcileSchedule;

  constructor(scope: Construct, id: string, props: ReconcileFunctionProps) {
    const { queues, ledger, table, fleet, drainingSwitch, app } = props;
    super(
      scope,
      id,
      handlerFunctionProps("reconcile", props, {
        description: "Terminates orphaned runners and stale registrations",
        timeout: 300,
        reservedConcurrency: props.reservedConcurrency ?? SHARED_INPUTS.reconcileReservedConcurrency.default,
        environment: renderEnvironment(RECONCILE_ENV, {
          ...runnerStateEnvironment("reconcile", props),
          runnerInstanceProfileArns: Fn.jsonencode(fleet.instanceProfileArns),
          runnerBootTimeoutSeconds: props.runnerBootTimeoutSeconds,
          runnerIdleTimeoutSeconds: props.runnerIdleTimeoutSeconds,
          drainingParameter: drainingSwitch.parameterName,
          pools: poolsEnvironment(RECONCILE_ENV.pools, props.pools, { queues: queues.queues.fqn }),
          busyConfirmSeconds: props.busyConfirmSeconds,
          relaunchGraceSeconds: props.relaunchGraceSeconds,
          healerMaxGithubCalls: props.healerMaxGithubCalls,
          rerunInterruptedJobs: props.rerunInterruptedJobs,
          rerunGithubAppId: props.rerunApp.appId,
          rerunGithubAppPrivateKeySsmParameterName: props.rerunApp.privateKeyParameterName,
        }),
      }),
    );
    fleet.grantTerminate(this);
    fleet.grantReadStatus(this);
    table.grantReadWrite(this);
    ledger.grantReadWrite(this);
    drainingSwitch.grantRead(this);
    queues.grantSend(this);
    app.grantReadKeys(this);
    app.grantReadEnterpriseToken(this);
    // Only when a re-run App is configured: this function alone may read its key.
    const noRerunApp = isEmptyString(props.rerunApp.privateKeyParameterName);
    this.addToRolePolicy("read-rerun-app-key", [{ Sid: "ReadRerunAppKey", Action: ["ssm:GetParameter"], Resource: props.rerunApp.privateKeyParameterArn }]).count = countIf(
      Token.isUnresolved(noRerunApp) ? (Op.not(noRerunApp) as unknown as boolean) : !noRerunApp,
    );
    props.encryption.grantUse("reconcile", this.role, ["lambda", "ssm", "dynamodb", "sqs"]);
    this.schedule = new ReconcileSchedule(this, "schedule", {
      name: `${props.prefix}-reconcile`,
      target: this,
      scheduleExpression: props.scheduleExpression,
      tags: props.tags,
    });
  }
}
