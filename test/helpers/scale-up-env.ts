import { SCALE_UP_ENV } from "../../contracts/index.js";
import type { ScaleUpPool } from "../../lambdas/scale-up/config.js";
import { TEST_ACCOUNT, TEST_REGION } from "./aws.js";
import { sampleEnv } from "./contracts.js";

// The scale-up function's environment the scale-up tests, the CLI's replay test and the calls bench
// share: the contract's examples (sampleEnv), the limits and pool below, then each test's own values.

type Env = Readonly<Record<string, string | undefined>>;

const PREFIX = SCALE_UP_ENV.prefix.example;
const REGIONAL_SQS = `https://sqs.${TEST_REGION}.amazonaws.com`;

/** The URL of the queue `name` (`<pool>`, or `<pool>-dlq` for its dead-letter queue) at `endpoint`, named as the module names it. */
export const scaleUpQueueUrl = (name: string, endpoint = REGIONAL_SQS) => `${endpoint}/${TEST_ACCOUNT}/${PREFIX}-${name}.fifo`;

/** The ARN of pool `pool`'s job queue: the `eventSourceARN` of its records. */
export const scaleUpQueueArn = (pool: string) => `arn:aws:sqs:${TEST_REGION}:${TEST_ACCOUNT}:${PREFIX}-${pool}.fifo`;

/** Limits small enough for a test to reach, and a job age a test's clock can pass. */
const FIXTURE_ENV: Env = { MAX_RUNNERS_TOTAL: "8", MAX_RUNNERS_PER_OWNER: "6", JOB_MAX_AGE_SECONDS: "3600" };

/** Over the contract's example pool: one on-demand type in one subnet, at most 3 runners, runner group 3. */
const FIXTURE_POOL: Partial<ScaleUpPool> = { maxRunners: 3, subnetIds: ["subnet-a"], spot: false, onDemandFallback: false, runnerGroupId: 3 };

export interface ScaleUpEnvOverrides {
  /** Variables by name over the fixture's (`undefined` removes one). */
  readonly env?: Env;
  /**
   * The pools by name: each is the fixture's pool with these fields over it; its launch template and
   * queues are named after its key.
   * @default { linux: {} }
   */
  readonly pools?: Readonly<Record<string, Partial<ScaleUpPool>>>;
  /**
   * Where the pools' queues are (a loopback SQS double's endpoint).
   * @default the regional SQS endpoint
   */
  readonly sqsEndpoint?: string;
}

/** The scale-up function's environment as the stack renders it, built from its contract (contracts/scale-up.ts). */
export function scaleUpEnvFixture(overrides: ScaleUpEnvOverrides = {}): Record<string, string> {
  const examplePool = (JSON.parse(sampleEnv(SCALE_UP_ENV).POOLS!) as Record<string, ScaleUpPool>).linux;
  const pools = Object.entries(overrides.pools ?? { linux: {} }).map(([name, fields]) => [
    name,
    {
      ...examplePool,
      ...FIXTURE_POOL,
      launchTemplateName: `${PREFIX}-${name}`,
      queueUrl: scaleUpQueueUrl(name, overrides.sqsEndpoint),
      queueArn: scaleUpQueueArn(name),
      deadLetterQueueUrl: scaleUpQueueUrl(`${name}-dlq`, overrides.sqsEndpoint),
      ...fields,
    },
  ]);
  return sampleEnv(SCALE_UP_ENV, { ...FIXTURE_ENV, POOLS: JSON.stringify(Object.fromEntries(pools)), ...overrides.env });
}
