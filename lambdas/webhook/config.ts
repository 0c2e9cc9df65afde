import { WEBHOOK_ENV } from "../../contracts/webhook.js";
import { parseEnv } from "../shared/core.js";
import type { AdmissionPolicy } from "../shared/core.js";

/** A pool as the webhook sees it: the labels it serves and its queue (POOLS in contracts/webhook.ts). */
export interface WebhookPool {
  readonly labels: readonly string[];
  /** Serve public repositories' jobs (refused otherwise). */
  readonly allowPublicRepositories: boolean;
  readonly queueUrl: string;
}

export type WebhookPools = Readonly<Record<string, WebhookPool>>;

export interface WebhookConfig {
  readonly pools: WebhookPools;
  readonly secretParameter: string;
  /** The previous webhook secret's parameter, accepted during a rotation. */
  readonly previousSecretParameter?: string;
  readonly maxBodyBytes: number;
  readonly admission: AdmissionPolicy;
  /** `queued` deliveries older than this (by `workflow_job.created_at`) are refused. */
  readonly maxJobAgeSeconds: number;
  /** Job ledger table (docs/reliability.md). */
  readonly jobsTable: string;
  /** Name prefix: runner names are `<prefix>-<instance id>`. */
  readonly prefix: string;
}

export function webhookConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): WebhookConfig {
  const parsed = parseEnv(WEBHOOK_ENV, env);
  const previousSecretParameter = parsed.webhookPreviousSecretSsmParameterName;
  return {
    pools: parsed.pools,
    secretParameter: parsed.webhookSecretSsmParameterName,
    ...(previousSecretParameter === undefined ? {} : { previousSecretParameter }),
    maxBodyBytes: parsed.webhookMaxBodyBytes,
    admission: { allowedOwners: parsed.allowedOwners, allowedRepositories: parsed.allowedRepositories },
    maxJobAgeSeconds: parsed.webhookMaxJobAgeSeconds,
    jobsTable: parsed.jobsTable,
    prefix: parsed.prefix,
  };
}
