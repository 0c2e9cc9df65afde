/**
 * Who may get a runner (issue 18, finding 5): the webhook refuses before anything is recorded or
 * queued, and scale-up checks each message again before launching. Pure: the policy comes from
 * ALLOWED_OWNERS, ALLOWED_REPOSITORIES (contracts/admission.ts) and the pool's allowPublicRepositories.
 */

/** GitHub's `repository.visibility` values. */
export const REPOSITORY_VISIBILITIES = ["public", "private", "internal"] as const;
export type RepositoryVisibility = (typeof REPOSITORY_VISIBILITIES)[number];

export interface AdmissionPolicy {
  /** Organizations and users; empty: any owner the App is installed on. */
  readonly allowedOwners: readonly string[];
  /** `owner/repo`; empty: any repository of an allowed owner. */
  readonly allowedRepositories: readonly string[];
}

export interface AdmissionSubject {
  readonly owner: string;
  /** `owner/repo`. */
  readonly repository: string;
  /** Undefined: not known (a message rebuilt from the ledger); the visibility rule is then not applied. */
  readonly visibility: RepositoryVisibility | undefined;
}

/** Why a job is refused: the metric's Reason dimension. */
export type AdmissionRefusalReason = "owner" | "repository" | "visibility";

export interface AdmissionRefusal {
  readonly reason: AdmissionRefusalReason;
  readonly message: string;
}

/**
 * Undefined when the job may get a runner of `pool`, else why not. Logins and repository names compare
 * case-insensitively, as GitHub treats them. Each non-empty list must admit the job.
 */
export function admissionRefusal(policy: AdmissionPolicy, pool: { readonly allowPublicRepositories: boolean }, subject: AdmissionSubject): AdmissionRefusal | undefined {
  const owner = subject.owner.toLowerCase();
  const repository = subject.repository.toLowerCase();
  if (policy.allowedOwners.length > 0 && !policy.allowedOwners.some((allowed) => allowed.toLowerCase() === owner)) {
    return { reason: "owner", message: `owner ${subject.owner} is not in allowed_owners` };
  }
  if (policy.allowedRepositories.length > 0 && !policy.allowedRepositories.some((allowed) => allowed.toLowerCase() === repository)) {
    return { reason: "repository", message: `repository ${subject.repository} is not in allowed_repositories` };
  }
  if (subject.visibility === "public" && !pool.allowPublicRepositories) {
    return { reason: "visibility", message: `repository ${subject.repository} is public and the pool does not set allow_public_repositories` };
  }
  return undefined;
}

/**
 * The repository's visibility from a webhook payload: `repository.visibility` when GitHub sends it,
 * else the older `repository.private` flag. Neither: treated as public, so an unknown never opens a pool.
 */
export function payloadVisibility(repository: Readonly<Record<string, unknown>>): RepositoryVisibility {
  const visibility = repository.visibility;
  if (typeof visibility === "string" && (REPOSITORY_VISIBILITIES as readonly string[]).includes(visibility)) return visibility as RepositoryVisibility;
  return repository.private === true ? "private" : "public";
}
