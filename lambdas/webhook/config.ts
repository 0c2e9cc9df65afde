import { jsonEnv, positiveIntEnv, requireEnv } from "../shared/index.js";

/** A pool as the webhook sees it: the labels it serves and its queue (POOLS in docs/contracts.md). */
export interface WebhookPool {
  readonly labels: readonly string[];
  readonly queueUrl: string;
}

export type WebhookPools = Readonly<Record<string, WebhookPool>>;

export interface WebhookConfig {
  readonly pools: WebhookPools;
  readonly secretParameter: string;
  /** The previous webhook secret's parameter, accepted during a rotation (WEBHOOK_PREVIOUS_SECRET_PARAMETER). */
  readonly previousSecretParameter?: string;
  readonly maxBodyBytes: number;
  /** Job ledger table (docs/reliability.md). */
  readonly jobsTable: string;
  /** Name prefix: runner names are `<prefix>-<instance id>`. */
  readonly prefix: string;
}

/** GitHub caps webhook payloads at 25 MB, API Gateway at 10 MB; job events are a few kB. */
export const DEFAULT_MAX_BODY_BYTES = 262_144;

export function webhookConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): WebhookConfig {
  const pools = jsonEnv(
    "POOLS",
    (reader) =>
      Object.fromEntries(
        reader.entries().map(([key, pool]) => [
          key,
          { labels: pool.field("labels").strings(), queueUrl: pool.field("queueUrl").string() },
        ]),
      ),
    env,
  );
  const previousSecretParameter = env.WEBHOOK_PREVIOUS_SECRET_PARAMETER;
  return {
    pools,
    secretParameter: requireEnv("WEBHOOK_SECRET_PARAMETER", env),
    ...(previousSecretParameter === undefined || previousSecretParameter === "" ? {} : { previousSecretParameter }),
    maxBodyBytes: positiveIntEnv("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, env),
    jobsTable: requireEnv("JOBS_TABLE", env),
    prefix: requireEnv("PREFIX", env),
  };
}
