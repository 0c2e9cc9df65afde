/**
 * Who is calling and what they may touch (pure). The function URL's IAM auth proves the caller's role
 * session; for an EC2 instance role the session name is the instance id. The runners table item of that
 * instance gives the registration scope (trust boundary); the ledger gives the job the runner ran, whose
 * repository and branch decide which entries it may read and write (GitHub's branch rules, a
 * correctness feature inside the scope). docs/build-cache.md, "Trust boundary".
 */

/** `arn:aws:sts::<account>:assumed-role/<role>/<instance id>`, as Lambda passes an instance role's caller. */
const ASSUMED_ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/(i-[0-9a-f]{8,17})$/;

export interface CallerIdentity {
  readonly partition: string;
  readonly account: string;
  readonly roleName: string;
  readonly instanceId: string;
}

/** The instance behind an IAM caller ARN, or undefined for anything else (a user, another session name). */
export function parseCallerArn(userArn: string | undefined): CallerIdentity | undefined {
  const match = userArn === undefined ? null : ASSUMED_ROLE_ARN.exec(userArn);
  if (match === null) return undefined;
  const [, partition, account, roleName, instanceId] = match as unknown as [string, string, string, string, string];
  return { partition, account, roleName, instanceId };
}

/** A branch of one repository: entries are keyed by both (an org scope holds many repositories). */
export interface BranchRef {
  readonly repository: string;
  readonly branch: string;
}

/** The job facts the decision needs, from the ledger (lambdas/libs/ledger/types.ts JobRecord). */
export interface CallerJob {
  readonly repository?: string;
  readonly headBranch?: string;
  readonly defaultBranch?: string;
  /** The pull request's base branch: set only from a claim GitHub confirmed (pull-request.ts), never from the ledger. */
  readonly baseBranch?: string;
  /** The App installation that delivered the job: its token checks a pull request claim. */
  readonly installationId?: number;
  readonly ranOn?: string;
}

/** What the stores know about the caller instance. */
export interface CallerFacts {
  /** The runners table item's `owner`: an organization login, or `owner/repo` for a repository runner. */
  readonly scope: string;
  readonly runnerName: string;
  /** The job the runner took (the ledger's `runner#<name>` pointer), when GitHub reported it. */
  readonly ranJob?: CallerJob;
  /** The job the instance was launched for (absent for a warm runner's synthetic job). */
  readonly launchedFor?: CallerJob;
}

export type CallerAccess =
  | {
      readonly allowed: true;
      readonly scope: string;
      /** Branches readable, in lookup order: own, then base, then default; never a sibling. */
      readonly read: readonly BranchRef[];
      /** The only branch the caller may write, or undefined (read-only). */
      readonly write?: BranchRef;
    }
  | { readonly allowed: false; readonly reason: string };

/** Whether a repository belongs to a scope: the repository itself, or one of the organization's. */
export function repositoryInScope(scope: string, repository: string): boolean {
  const lower = repository.toLowerCase();
  const owner = scope.toLowerCase();
  return owner.includes("/") ? lower === owner : lower.startsWith(`${owner}/`);
}

/**
 * The caller's access. A runner that ran a known job (its `ranOn` is this runner) reads its own branch,
 * then the base and default branches, and writes its own. Otherwise (a warm runner, or a runner that took
 * another job whose `in_progress` has not arrived) it cannot know its branch: a repository runner reads
 * its repository's default branch only, an organization runner nothing.
 */
export function callerAccess(facts: CallerFacts): CallerAccess {
  const ran = facts.ranJob;
  if (ran !== undefined && ran.ranOn === facts.runnerName && ran.repository !== undefined) {
    if (!repositoryInScope(facts.scope, ran.repository)) return { allowed: false, reason: "the runner's job is outside its scope" };
    const repository = ran.repository;
    const own = ran.headBranch === undefined ? undefined : { repository, branch: ran.headBranch };
    const candidates = [own?.branch, ran.baseBranch, ran.defaultBranch].filter((branch): branch is string => branch !== undefined && branch !== "");
    const read = [...new Set(candidates)].map((branch) => ({ repository, branch }));
    return { allowed: true, scope: facts.scope, read, ...(own === undefined ? {} : { write: own }) };
  }
  const launched = facts.launchedFor;
  if (facts.scope.includes("/") && launched?.repository !== undefined && launched.defaultBranch !== undefined && launched.repository.toLowerCase() === facts.scope.toLowerCase()) {
    return { allowed: true, scope: facts.scope, read: [{ repository: launched.repository, branch: launched.defaultBranch }] };
  }
  return { allowed: true, scope: facts.scope, read: [] };
}
