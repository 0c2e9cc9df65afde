import type { GITHUB_APP_ENV, POWERTOOLS_ENV, RUNNER_STATE_ENV } from "../../contracts/common.js";
import type { EnvInput } from "../../contracts/env.js";
import type { JobLedger } from "../job-ledger.js";
import type { NodejsFunctionProps } from "../nodejs-function.js";
import type { GitHubAppAccess } from "../private/github-app-access.js";
import { powertoolsEnvironment } from "../private/environment.js";
import type { RunnersTable } from "../runners-table.js";

/** What every handler function of the kit shares: naming, the shared layer, logs, VPC placement, KMS, tags. */
export interface HandlerFunctionProps {
  /** Name prefix: the function is `<prefix>-<handler>`. */
  readonly prefix: string;
  /** Folder of the built zips: `<distDir>/lambdas/<handler>.zip` (`npm run build`). */
  readonly distDir: string;
  /** The shared layer (lambdas/shared). */
  readonly layerArn: string;
  /**
   * Days the function's logs are kept.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Subnets of the function; empty: outside any VPC.
   * @default []
   */
  readonly subnetIds?: string[];
  /**
   * Security groups of the function (with `subnetIds`).
   * @default []
   */
  readonly securityGroupIds?: string[];
  /**
   * Customer managed KMS key for the environment and the log group.
   * @default - AWS managed keys
   */
  readonly kmsKeyArn?: string;
  /**
   * X-Ray active tracing of the function and its AWS SDK calls.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Tags for every resource.
   * @default {}
   */
  readonly tags?: Record<string, string>;
}

/** The NodejsFunction props of the handler `name` (its zip, its name, the shared settings). */
export function handlerFunctionProps(
  name: string,
  props: HandlerFunctionProps,
  own: Pick<NodejsFunctionProps, "description" | "timeout" | "memorySize" | "ephemeralStorageSize" | "reservedConcurrency" | "environment" | "layers">,
): NodejsFunctionProps {
  return {
    functionName: `${props.prefix}-${name}`,
    zipPath: `${props.distDir}/lambdas/${name}.zip`,
    layers: [props.layerArn],
    logRetentionDays: props.logRetentionDays,
    subnetIds: props.subnetIds,
    securityGroupIds: props.securityGroupIds,
    kmsKeyArn: props.kmsKeyArn,
    tracing: props.tracing,
    tags: props.tags,
    ...own,
  };
}

/** What the runner-managing functions (scale-up, reconcile, spot interruption) are given alike. */
export interface RunnerStateProps {
  readonly prefix: string;
  readonly runnerScope: string;
  readonly app: GitHubAppAccess;
  readonly table: RunnersTable;
  readonly ledger: JobLedger;
}

/** The environment every runner-managing function starts from: Powertools, the App(s), RUNNER_STATE_ENV. */
export function runnerStateEnvironment(
  service: string,
  props: RunnerStateProps,
): EnvInput<typeof POWERTOOLS_ENV> & EnvInput<typeof GITHUB_APP_ENV> & EnvInput<typeof RUNNER_STATE_ENV> {
  return {
    ...powertoolsEnvironment(service, props.prefix),
    ...props.app.environment,
    runnerScope: props.runnerScope,
    prefix: props.prefix,
    runnersTable: props.table.table.name,
    jobsTable: props.ledger.table.name,
  };
}
