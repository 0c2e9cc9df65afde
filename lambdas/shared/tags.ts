/** EC2 tag keys on every runner instance (docs/contracts.md, "EC2 tags"). */
export const RUNNER_TAGS = {
  /** The kit's prefix; IAM conditions on terminate and create-tags key on it. */
  prefix: "self-runners:prefix",
  pool: "self-runners:pool",
  /** `owner/repo` (repo scope) or the organization login (org scope). */
  owner: "self-runners:owner",
  installationId: "self-runners:installation-id",
} as const;
