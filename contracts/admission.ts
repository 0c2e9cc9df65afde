import { json, required } from "./env.js";

/**
 * Who may get a runner (issue 18, finding 5), read by the webhook and again by scale-up. The lists
 * come from the `allowed_owners` and `allowed_repositories` inputs; the public-repository rule is the
 * per-pool `allow_public_repositories` field (contracts/pools.ts).
 */
export const ADMISSION_ENV = {
  allowedOwners: required(
    "ALLOWED_OWNERS",
    json({ kind: "list", item: { kind: "string" } }),
    "JSON list of the organizations and users whose jobs may get a runner (case-insensitive); `[]`: any owner the App is installed on",
    "[]",
  ),
  allowedRepositories: required(
    "ALLOWED_REPOSITORIES",
    json({ kind: "list", item: { kind: "string" } }),
    "JSON list of the `owner/repo` repositories whose jobs may get a runner (case-insensitive); `[]`: any repository of an allowed owner",
    "[]",
  ),
} as const;

/**
 * How long the job ledger keeps a finished (or failed) job's item. A `queued` delivery is refused once
 * `workflow_job.created_at` is older than `webhook_max_job_age_seconds`, whose largest allowed value is
 * this: a replayed delivery young enough to pass finds the ended job's item and is settled as a duplicate.
 */
export const TERMINAL_LEDGER_ITEM_TTL_SECONDS = 24 * 60 * 60;
