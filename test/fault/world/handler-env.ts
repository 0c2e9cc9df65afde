import { inputDefault } from "../../../stacks/module/inputs.js";
import { RUNNER_INSTANCE_PROFILE_ARN } from "./ec2.js";
import { PREFIX } from "./options.js";
import type { PoolOptions } from "./options.js";
import type { FifoQueue } from "./sqs.js";

export interface HandlerEnvironmentInput {
  readonly awsEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly gitHubUrl: string;
  /** The GitHub Apps: the first receives webhooks, the others are additional Apps. */
  readonly apps: ReadonlyArray<{ readonly appId: number; readonly installationId: number }>;
  readonly kmsKeyArn: string;
  readonly pools: Readonly<Record<string, PoolOptions>>;
  readonly queues: ReadonlyMap<string, { readonly queue: FifoQueue; readonly deadLetter: FifoQueue }>;
  /** The scenario's own settings, over the world's defaults. */
  readonly env: Readonly<Record<string, string>>;
}

/** The environment every shipped handler of the world is loaded with, as Terraform would set it. */
export function handlerEnvironment(input: HandlerEnvironmentInput): Record<string, string> {
  const pools = Object.fromEntries(
    Object.entries(input.pools).map(([key, pool]) => {
      const queues = input.queues.get(key) as { queue: FifoQueue; deadLetter: FifoQueue };
      return [
        key,
        {
          labels: pool.labels,
          maxRunners: pool.maxRunners,
          instanceTypes: pool.instanceTypes ?? ["m7i.large", "m6i.large"],
          subnetIds: pool.subnetIds ?? ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
          launchTemplateName: `${PREFIX}-${key}`,
          spot: pool.spot ?? true,
          onDemandFallback: pool.onDemandFallback ?? true,
          runnerGroupId: 1,
          queueUrl: queues.queue.url,
          queueArn: queues.queue.arn,
          deadLetterQueueUrl: queues.deadLetter.url,
          ...(pool.warm === undefined ? {} : { warmSize: pool.warm.size, warmOwner: pool.warm.owner, warmSchedule: pool.warm.schedule }),
        },
      ];
    }),
  );
  const [primary, ...additional] = input.apps;
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: input.awsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: input.dynamoEndpoint,
    POWERTOOLS_METRICS_DISABLED: "true",
    PREFIX,
    RUNNER_SCOPE: "org",
    GITHUB_APP_ID: String(primary?.appId),
    GITHUB_APP_PRIVATE_KEY_SSM_PARAMETER_NAME: `/${PREFIX}/github-app/${primary?.appId}/private-key`,
    GITHUB_API_URL: input.gitHubUrl,
    ADDITIONAL_GITHUB_APPS: JSON.stringify(additional.map((app) => ({ appId: app.appId, privateKeyParameter: `/${PREFIX}/github-app/${app.appId}/private-key` }))),
    RUNNERS_TABLE: `${PREFIX}-runners`,
    JOBS_TABLE: `${PREFIX}-jobs`,
    JIT_KMS_KEY_ARN: input.kmsKeyArn,
    DRAINING_PARAMETER: `/${PREFIX}/draining`,
    WEBHOOK_SECRET_SSM_PARAMETER_NAME: `/${PREFIX}/github-app/webhook-secret`,
    WEBHOOK_MAX_BODY_BYTES: "262144",
    ALLOWED_OWNERS: "[]",
    ALLOWED_REPOSITORIES: "[]",
    WEBHOOK_MAX_JOB_AGE_SECONDS: "3600",
    POOLS: JSON.stringify(pools),
    MAX_RUNNERS_TOTAL: "1000",
    MAX_RUNNERS_PER_OWNER: "1000",
    JOB_MAX_AGE_SECONDS: "21600",
    JOB_WAIT_MAX_SECONDS: "900",
    GITHUB_MIN_REMAINING_REQUESTS: "200",
    GITHUB_WRITES_PER_MINUTE: String(inputDefault("github_writes_per_minute")),
    GITHUB_WRITE_BURST: String(inputDefault("github_write_burst")),
    RUNNER_BOOT_TIMEOUT_SECONDS: "600",
    RUNNER_INSTANCE_PROFILE_ARNS: JSON.stringify([RUNNER_INSTANCE_PROFILE_ARN]),
    RUNNER_IDLE_TIMEOUT_SECONDS: "1800",
    BUSY_CONFIRM_SECONDS: "90",
    RELAUNCH_GRACE_SECONDS: "300",
    RERUN_INTERRUPTED_JOBS: "true",
    // Off unless a scenario turns it on (the webhook-healer scenarios), so the other figures stay the world's own.
    HEALER_MAX_GITHUB_CALLS: "0",
    ...input.env,
  };
  return env;
}

/**
 * The SDK prefers `AWS_ENDPOINT_URL_<SERVICE>` to `AWS_ENDPOINT_URL`: one left in this process by
 * earlier loopback work (the bench's groups ran the webhook zip against doubles long stopped) or set in
 * the shell would send the handlers' SSM or SQS calls past the world's doubles, and every invocation
 * fails (a 1,000-job burst then did nothing for 600 simulated minutes). Removes each such variable the
 * world's own environment does not set; returns their names.
 */
export function dropForeignEndpoints(env: Readonly<Record<string, string>>, processEnv: NodeJS.ProcessEnv = process.env): string[] {
  const foreign = Object.keys(processEnv).filter((name) => name.startsWith("AWS_ENDPOINT_URL_") && !(name in env));
  for (const name of foreign) delete processEnv[name];
  return foreign;
}
