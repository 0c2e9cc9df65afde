/** EC2 tag keys on every runner instance (docs/contracts.md, "EC2 tags"). */
export const RUNNER_TAGS = {
  /** The kit's prefix; IAM conditions on terminate and create-tags key on it. */
  prefix: "self-runners:prefix",
  pool: "self-runners:pool",
  /** `owner/repo` (repo scope) or the organization login (org scope). */
  owner: "self-runners:owner",
  installationId: "self-runners:installation-id",
  /** Per instance, beside `Name` (a fleet serves several jobs): the job the instance was launched for. */
  jobId: "self-runners:job-id",
  /** Per instance: the GitHub delivery that queued that job (log correlation). */
  deliveryId: "self-runners:delivery-id",
  /** Per instance: `owner/repo` of that job (also in org scope, for cost allocation). */
  repository: "self-runners:repository",
} as const;
